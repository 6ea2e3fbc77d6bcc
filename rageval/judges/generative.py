"""Shared machinery of the generative judges (hf, openai): prompt rendering, cached chat calls, JSON
repair, re-asking, and token cost. Subclasses only implement the chat call itself.

Flow for each item: render the task's template (`rageval.judges.prompts`), call the model (each
conversation cached on disk with its reply and token counts), parse the reply as JSON (repairing
code fences, surrounding prose, trailing commas, Python-style literals), and when that fails ask
again, appending the reply and a correction request to the conversation (``reasks`` times). An item
whose reply stays unusable becomes a `JudgeError` carrying the raw reply, never a default value.
"""
from __future__ import annotations

import ast
import json
import math
import re
from abc import abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any

from rageval.core.errors import ConfigError
from rageval.judges.base import DEFAULT_CACHE, Judge, JudgeError
from rageval.judges.prompts import REASK, resolve_prompts

Messages = list[dict[str, str]]

_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)```", re.S)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_VERDICTS = {"yes": 1.0, "true": 1.0, "supported": 1.0, "relevant": 1.0, "correct": 1.0,
             "no": 0.0, "false": 0.0, "unsupported": 0.0, "not supported": 0.0, "irrelevant": 0.0,
             "not relevant": 0.0, "incorrect": 0.0}


def parse_json(text: str) -> Any:
    """The first JSON object or array in ``text``, repaired where that is unambiguous.

    Tries, in order: the whole text; the contents of each code fence; the first decodable value
    starting at any ``{`` or ``[``; the same with trailing commas removed; a Python literal
    (single quotes, True/False/None) via `ast.literal_eval`. Truncated JSON is *not* completed
    (a cut-off list of claims would silently lose claims). Raises `ValueError` saying what was wrong.
    """
    candidates = [text.strip()] + [m.group(1).strip() for m in _FENCE.finditer(text)]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for variant in dict.fromkeys([candidate, _TRAILING_COMMA.sub(r"\1", candidate)]):
            try:
                return json.loads(variant)
            except ValueError:
                pass
            for start in (m.start() for m in re.finditer(r"[{\[]", variant)):
                try:
                    return decoder.raw_decode(variant, start)[0]
                except ValueError:
                    continue
            for start in (m.start() for m in re.finditer(r"[{\[]", variant)):
                end = variant.rfind("}" if variant[start] == "{" else "]")
                if end > start:
                    try:
                        value = ast.literal_eval(variant[start:end + 1])
                    except (ValueError, SyntaxError, MemoryError, RecursionError):
                        continue
                    if isinstance(value, (dict, list)):
                        return value
    if not text.strip():
        raise ValueError("the reply was empty")
    if "{" in text and "}" not in text[text.index("{"):]:
        raise ValueError("the JSON object was cut off (truncated reply)")
    raise ValueError("no JSON object found in the reply")


def parse_verdict(text: str) -> float:
    """``{"verdict": ...}`` -> a float in [0, 1]: yes/true -> 1, no/false -> 0, a number in [0, 1] as is."""
    value = parse_json(text)
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        value = value[0]
    if not isinstance(value, dict) or "verdict" not in value:
        raise ValueError('the JSON object has no "verdict" key')
    verdict = value["verdict"]
    if isinstance(verdict, bool):
        return float(verdict)
    if isinstance(verdict, (int, float)) and math.isfinite(verdict) and 0 <= verdict <= 1:
        return float(verdict)
    if isinstance(verdict, str) and verdict.strip().strip(".").lower() in _VERDICTS:
        return _VERDICTS[verdict.strip().strip(".").lower()]
    raise ValueError(f'"verdict" must be "yes", "no", true, false or a number in [0, 1], not {verdict!r}')


def parse_claims(text: str) -> list[str]:
    """``{"claims": [str, ...]}`` (or a bare list of str) -> the non-empty claims, stripped."""
    value = parse_json(text)
    if isinstance(value, dict):
        if "claims" not in value:
            raise ValueError('the JSON object has no "claims" key')
        value = value["claims"]
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ValueError('"claims" must be a list of strings')
    return [c.strip() for c in value if c.strip()]


def parse_price(price: Any) -> tuple[float, float] | None:
    """``price`` -> (cost per prompt token, cost per completion token).

    Accepted: ``None``; ``{"prompt": p, "completion": c, "per": "1M"}`` where ``per`` is ``"1K"``,
    ``"1M"`` (default) or a number of tokens; or a pair ``(p, c)`` per 1M tokens. The currency is
    whatever the prices are in.
    """
    if price is None:
        return None
    if isinstance(price, (list, tuple)) and len(price) == 2:
        price = {"prompt": price[0], "completion": price[1]}
    if not isinstance(price, Mapping) or set(price) - {"prompt", "completion", "per"} or "prompt" not in price:
        raise ConfigError(f"price must be {{'prompt': p, 'completion': c, 'per': '1K' | '1M' | n}} or (p, c), "
                          f"not {price!r}")
    per = price.get("per", "1M")
    per = {"1K": 1e3, "1k": 1e3, "1M": 1e6, "1m": 1e6}.get(per, per) if isinstance(per, str) else per
    if not isinstance(per, (int, float)) or per <= 0:
        raise ConfigError(f"price 'per' must be '1K', '1M' or a positive number, not {price.get('per')!r}")
    return float(price["prompt"]) / per, float(price.get("completion", price["prompt"])) / per


class GenerativeJudge(Judge):
    """A judge that answers every primitive by prompting a chat model for JSON.

    Subclasses set ``kind``, add their model and generation parameters to ``signature_items``,
    and implement ``_chat(conversations, index)``, yielding ``(i, reply)`` for each index as
    replies come in, where ``reply`` is ``{"text": str, "prompt_tokens": int,
    "completion_tokens": int, "finish_reason": str | None, "estimated": bool}`` (estimated: the
    token counts are guesses) or an exception.
    """

    generative = True

    def __init__(self, prompts: Mapping[str, Any] | None = None, reasks: int = 1, price: Any = None,
                 cache_dir: Any = DEFAULT_CACHE) -> None:
        super().__init__(cache_dir=cache_dir)
        self.prompts = resolve_prompts(prompts)
        if not isinstance(reasks, int) or reasks < 0:
            raise ConfigError(f"reasks must be a non-negative int, not {reasks!r}")
        self.reasks = reasks
        self._price = parse_price(price)

    def signature_items(self) -> dict[str, Any]:
        return {**super().signature_items(), "prompts": {k: p.version for k, p in self.prompts.items()},
                "reasks": self.reasks}

    @abstractmethod
    def _chat(self, conversations: list[Messages], index: list[int]) -> Iterable[tuple[int, Any]]:
        """Send the conversations (their positions in the batch: ``index``); yield ``(position, reply)``."""

    def _cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        if self._price is None:
            return None
        return prompt_tokens * self._price[0] + completion_tokens * self._price[1]

    def chat(self, conversations: list[Messages]) -> list[Any]:
        """One reply dict (or exception) per conversation, from the cache or the model."""
        def count_hit(reply: dict) -> None:
            self._record(cached_prompt_tokens=reply["prompt_tokens"],
                         cached_completion_tokens=reply["completion_tokens"])

        def compute(index: list[int]) -> Iterable[tuple[int, Any]]:
            for i, reply in self._chat(conversations, index):
                if not isinstance(reply, BaseException):
                    self._record(calls=1, prompt_tokens=reply["prompt_tokens"],
                                 completion_tokens=reply["completion_tokens"],
                                 estimated_token_calls=int(bool(reply.get("estimated"))))
                yield i, reply

        return self._cached("chat", conversations, compute, flush_every=1, on_hit=count_hit)

    def ask(self, task: str, fields: list[dict[str, str]], parse: Any) -> list[Any]:
        """Render ``task``'s template for each item, chat, parse; re-ask the unparsable ones."""
        conversations = [self.prompts[task].render(**f) for f in fields]
        out: list[Any] = [None] * len(fields)
        todo = list(range(len(fields)))
        for attempt in range(self.reasks + 1):
            replies = self.chat([conversations[i] for i in todo])
            retry = []
            for i, reply in zip(todo, replies):
                if isinstance(reply, BaseException):
                    out[i] = reply if isinstance(reply, JudgeError) else JudgeError(f"{type(reply).__name__}: {reply}")
                    continue
                try:
                    out[i] = parse(reply["text"])
                except ValueError as e:
                    problem = str(e)
                    if reply.get("finish_reason") == "length":
                        problem += " (the reply hit the max_tokens limit)"
                    out[i] = JudgeError(f"unusable {task} reply after {attempt} re-ask(s): {problem}",
                                        raw=reply["text"])
                    conversations[i] = conversations[i] + [
                        {"role": "assistant", "content": reply["text"]},
                        {"role": "user", "content": REASK.replace("{problem}", problem)}]
                    retry.append(i)
            todo = retry
            if not todo:
                break
        return out

    # --- primitives -------------------------------------------------------------------------
    def _claims(self, texts: list[str]) -> list:
        out: list[Any] = [[] for _ in texts]
        todo = [i for i, t in enumerate(texts) if t.strip()]  # an empty text makes no claim
        for i, v in zip(todo, self.ask("claims", [{"text": texts[i]} for i in todo], parse_claims)):
            out[i] = v
        return out

    def _support(self, premises: list[str], claims: list[str]) -> list:
        return self.ask("support", [{"premise": p, "claim": c} for p, c in zip(premises, claims)], parse_verdict)

    def _relevance(self, questions: list[str], passages: list[str]) -> list:
        return self.ask("relevance", [{"question": q, "passage": p} for q, p in zip(questions, passages)],
                        parse_verdict)

    def _agreement(self, answers: list[str], references: list[str], questions: list[str] | None) -> list:
        qs = questions if questions is not None else ["(not given)"] * len(answers)
        return self.ask("agreement", [{"question": q, "answer": a, "reference": r}
                                      for q, a, r in zip(qs, answers, references)], parse_verdict)

    def _addresses(self, questions: list[str], answers: list[str]) -> list:
        return self.ask("addresses", [{"question": q, "answer": a} for q, a in zip(questions, answers)],
                        parse_verdict)
