"""Judges: the models behind RAG scorers (lexical, embedding, NLI, local generative, OpenAI-compatible
HTTP), with on-disk caching, retries and error accounting. `get_judge` builds one from a spec."""
from __future__ import annotations

import difflib
import importlib
from typing import Any, Mapping

from rageval.core.errors import ConfigError
from rageval.judges.base import Judge, JudgeError
from rageval.judges.text import split_sentences

KINDS: dict[str, str] = {
    "default": "rageval.judges.default:DefaultJudge",
    "lexical": "rageval.judges.lexical:LexicalJudge",
    "embedding": "rageval.judges.embedding:EmbeddingJudge",
    "nli": "rageval.judges.nli:NLIJudge",
    "hf": "rageval.judges.hf:HFJudge",
    "openai": "rageval.judges.openai:OpenAIJudge",
}


def get_judge(spec: Any = None, **params: Any) -> Judge:
    """A judge from ``spec``: None or ``"default"`` (the offline default judge), a kind name
    (``"lexical"``, ``"embedding"``, ``"nli"``, ``"hf"``, ``"openai"``), a dict
    ``{"kind": ..., **params}`` as written in task YAML, or a `Judge` (returned as is).
    Keyword ``params`` are merged over the dict's.

    >>> get_judge({"kind": "lexical"}).kind
    'lexical'
    """
    if isinstance(spec, Judge):
        if params:
            raise ConfigError("get_judge: parameters given with a Judge instance")
        return spec
    if spec is None:
        spec = "default"
    if isinstance(spec, str):
        kind, merged = spec, dict(params)
    elif isinstance(spec, Mapping):
        merged = {**spec, **params}
        if "kind" not in merged:
            raise ConfigError(f"judge spec {dict(spec)!r} has no 'kind' (one of {', '.join(KINDS)})")
        kind = merged.pop("kind")
    else:
        raise ConfigError(f"a judge spec is None, a kind name, a dict or a Judge, not {type(spec).__name__}")
    if kind not in KINDS:
        close = difflib.get_close_matches(str(kind), KINDS, n=3)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise ConfigError(f"unknown judge kind {kind!r}{hint} (kinds: {', '.join(KINDS)})")
    module, cls_name = KINDS[kind].split(":")
    cls = getattr(importlib.import_module(module), cls_name)
    try:
        return cls(**merged)
    except TypeError as e:
        raise ConfigError(f"judge {kind!r}: {e}") from e


__all__ = ["Judge", "JudgeError", "KINDS", "get_judge", "split_sentences"]
