"""Judges: the models behind RAG scorers (lexical, embedding, NLI, local generative, OpenAI-compatible
HTTP), with on-disk caching, retries and error accounting. `get_judge` builds one from a spec."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rageval.core.errors import ConfigError
from rageval.core.registry import Registry
from rageval.judges.base import Judge, JudgeError, JudgeUnavailable
from rageval.textutils.sentences import split_sentences

#: the judge kinds, a `Registry` (iterating gives the kind names); third-party judges register
#: under the entry-point group ``rageval.judges``
KINDS = Registry("judge kind", error=ConfigError, entry_points="rageval.judges")
KINDS.register("default", "rageval.judges.default:DefaultJudge")
KINDS.register("lexical", "rageval.judges.lexical:LexicalJudge")
KINDS.register("embedding", "rageval.judges.embedding:EmbeddingJudge")
KINDS.register("nli", "rageval.judges.nli:NLIJudge")
KINDS.register("hf", "rageval.judges.hf:HFJudge")
KINDS.register("openai", "rageval.judges.openai:OpenAIJudge")


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
    if not isinstance(kind, str) or "@" in kind:
        raise ConfigError(f"a judge kind is one of {', '.join(KINDS)}, not {kind!r}")
    cls = KINDS.get(kind)
    try:
        return cls(**merged)
    except TypeError as e:
        raise ConfigError(f"judge {kind!r}: {e}") from e


__all__ = ["Judge", "JudgeError", "JudgeUnavailable", "KINDS", "get_judge", "split_sentences"]
