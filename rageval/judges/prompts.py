"""Prompt templates of the generative judges (hf, openai): one per primitive, each with a version
that enters the judge's signature, replaceable by the user.

A template is a system message and a user message in which ``{name}`` placeholders are replaced
literally (no `str.format`, so JSON braces need no escaping). The reply must be one JSON object:

* ``claims`` (placeholder ``{text}``): ``{"claims": ["...", ...]}`` (a bare list is accepted);
* ``support`` (``{premise}``, ``{claim}``), ``relevance`` (``{question}``, ``{passage}``),
  ``agreement`` (``{question}``, ``{answer}``, ``{reference}``) and ``addresses``
  (``{question}``, ``{answer}``): ``{"verdict": ...}`` with ``"yes"``/``"no"``, ``true``/``false``
  or a number in [0, 1]; other keys (e.g. ``"reason"``) are ignored.

Replace a template with ``prompts={"support": {"system": ..., "user": ..., "version": "mine-1"}}``
(or a `Prompt`); without a version, one is derived from a hash of the text (``custom-<hash>``).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rageval.core.errors import ConfigError

PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "claims": ("text",),
    "support": ("premise", "claim"),
    "relevance": ("question", "passage"),
    "agreement": ("question", "answer", "reference"),
    "addresses": ("question", "answer"),
}


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Prompt:
    """A chat prompt template: ``system`` and ``user`` messages with ``{placeholder}``s, and a version."""

    system: str
    user: str
    version: str

    def render(self, **values: str) -> list[dict[str, str]]:
        """The chat messages with each ``{name}`` replaced by ``values[name]`` in one pass (so a value
        that itself contains ``{claim}`` is left as written); unknown ``{...}`` stay as they are."""
        user = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), self.user)
        messages = [{"role": "user", "content": user}]
        return ([{"role": "system", "content": self.system}] if self.system else []) + messages


_JSON_ONLY = "Reply with one JSON object and nothing else: no code fences, no text before or after it."

DEFAULT_PROMPTS: dict[str, Prompt] = {
    "claims": Prompt(
        version="1",
        system="You split texts into atomic factual claims. " + _JSON_ONLY,
        user=("Split the text below into short, self-contained factual claims. Each claim states exactly one "
              "fact, replaces pronouns by the names they refer to, and can be checked on its own. Keep only "
              "what the text asserts; add nothing. If the text makes no factual claim, return an empty list.\n\n"
              "Text:\n{text}\n\n"
              'Answer format: {"claims": ["first claim", "second claim"]}'),
    ),
    "support": Prompt(
        version="1",
        system="You check whether a claim is supported by a passage. " + _JSON_ONLY,
        user=("Passage:\n{premise}\n\nClaim:\n{claim}\n\n"
              "Is the claim fully supported by the passage, using only what the passage says? Answer \"yes\" "
              "only if every part of the claim can be inferred from the passage; answer \"no\" if any part is "
              "contradicted or not stated.\n\n"
              'Answer format: {"reason": "one short sentence", "verdict": "yes" or "no"}'),
    ),
    "relevance": Prompt(
        version="1",
        system="You judge whether a retrieved passage is relevant to a question. " + _JSON_ONLY,
        user=("Question:\n{question}\n\nPassage:\n{passage}\n\n"
              "Does the passage contain information that helps answer the question? Answer \"yes\" if it "
              "answers the question or gives evidence needed for the answer, \"no\" otherwise.\n\n"
              'Answer format: {"reason": "one short sentence", "verdict": "yes" or "no"}'),
    ),
    "agreement": Prompt(
        version="1",
        system="You grade an answer against a reference answer. " + _JSON_ONLY,
        user=("Question:\n{question}\n\nReference answer:\n{reference}\n\nAnswer to grade:\n{answer}\n\n"
              "Does the answer agree with the reference answer, i.e. give the same answer to the question? "
              "Extra correct detail is fine; a different, contradicting or missing answer is not.\n\n"
              'Answer format: {"reason": "one short sentence", "verdict": "yes" or "no"}'),
    ),
    "addresses": Prompt(
        version="1",
        system="You judge whether an answer addresses a question. " + _JSON_ONLY,
        user=("Question:\n{question}\n\nAnswer:\n{answer}\n\n"
              "Does the answer directly address the question (whether or not it is correct)? Answer \"no\" if "
              "it is evasive, off-topic, only partially responsive or refuses to answer.\n\n"
              'Answer format: {"reason": "one short sentence", "verdict": "yes" or "no"}'),
    ),
}

REASK = ("Your previous reply could not be used: {problem}. Reply again with only the JSON object in the "
         "requested format, nothing else.")


def resolve_prompts(prompts: Mapping[str, Any] | None) -> dict[str, Prompt]:
    """The default templates with the user's replacements applied (checked for their placeholders)."""
    out = dict(DEFAULT_PROMPTS)
    for task, spec in (prompts or {}).items():
        if task not in PLACEHOLDERS:
            raise ConfigError(f"prompts: unknown task {task!r} (tasks: {', '.join(PLACEHOLDERS)})")
        if isinstance(spec, Prompt):
            prompt = spec
        elif isinstance(spec, Mapping):
            unknown = set(spec) - {"system", "user", "version"}
            if unknown or "user" not in spec:
                raise ConfigError(f"prompts[{task!r}] takes 'user' (required), 'system' and 'version', "
                                  f"got {sorted(spec)}")
            system, user = str(spec.get("system", "")), str(spec["user"])
            version = spec.get("version") or "custom-" + hashlib.sha256(f"{system}\0{user}".encode()).hexdigest()[:8]
            prompt = Prompt(system=system, user=user, version=str(version))
        else:
            raise ConfigError(f"prompts[{task!r}] must be a dict with 'user' (and 'system', 'version') or a Prompt")
        optional = ("question",) if task == "agreement" else ()  # agreement's question may be absent
        missing = [p for p in PLACEHOLDERS[task] if "{" + p + "}" not in prompt.user and p not in optional]
        if missing:
            raise ConfigError(f"prompts[{task!r}]: the user template lacks {', '.join('{'+m+'}' for m in missing)}")
        out[task] = prompt
    return out
