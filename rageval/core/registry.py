"""The scorer registry: names -> scorer classes, loaded lazily.

Built-in scorers are listed below as ``"module:Class"`` strings, one registration line each, and
imported only when asked for. Third-party scorers register through the entry-point group
``rageval.scorers`` (``name = "package.module:Class"``). A name may carry a cutoff the way
ir_measures writes it (``ndcg@10`` -> ``get_scorer("ndcg", k=10)``). An unknown name fails with
the closest known names.
"""
from __future__ import annotations

import difflib
import functools
import importlib
import importlib.util
import sys
from importlib.metadata import entry_points
from typing import Any, Mapping

from rageval.core.errors import UnknownScorerError
from rageval.core.scorer import Scorer

BUILTIN: dict[str, str] = {
    # text
    "exact_match": "rageval.scorers.text.squad:ExactMatch",
    "token_f1": "rageval.scorers.text.squad:TokenF1",
    "bleu": "rageval.scorers.text.bleu:BLEU",
    "chrf": "rageval.scorers.text.chrf:CHRF",
    "ter": "rageval.scorers.text.ter:TER",
    "rouge1": "rageval.scorers.text.rouge:Rouge1",
    "rouge2": "rageval.scorers.text.rouge:Rouge2",
    "rougeL": "rageval.scorers.text.rouge:RougeL",
    "rougeLsum": "rageval.scorers.text.rouge:RougeLsum",
    "meteor": "rageval.scorers.text.meteor:METEOR",
    "bertscore": "rageval.scorers.text.bertscore:BERTScore",
    "semantic_similarity": "rageval.scorers.text.semantic:SemanticSimilarity",
    # classic
    "accuracy": "rageval.scorers.classic.classification:Accuracy",
    "f1": "rageval.scorers.classic.classification:F1",
    "mse": "rageval.scorers.classic.regression:MSE",
    # retrieval (cutoff through "@k")
    "precision": "rageval.scorers.retrieval.ranking:Precision",
    "recall": "rageval.scorers.retrieval.ranking:Recall",
    "hit_rate": "rageval.scorers.retrieval.ranking:HitRate",
    "ndcg": "rageval.scorers.retrieval.ranking:NDCG",
    "map": "rageval.scorers.retrieval.ranking:MAP",
    "mrr": "rageval.scorers.retrieval.ranking:MRR",
    "r_precision": "rageval.scorers.retrieval.ranking:RPrecision",
    # RAG
    "faithfulness": "rageval.scorers.rag.faithfulness:Faithfulness",
    "context_relevance": "rageval.scorers.rag.context_relevance:ContextRelevance",
    "context_precision": "rageval.scorers.rag.context_precision:ContextPrecision",
    "context_recall": "rageval.scorers.rag.context_recall:ContextRecall",
    "answer_relevance": "rageval.scorers.rag.answer_relevance:AnswerRelevance",
    "answer_correctness": "rageval.scorers.rag.answer_correctness:AnswerCorrectness",
}

ENTRY_POINT_GROUP = "rageval.scorers"


def _entry_points() -> dict[str, str]:
    return _scan_entry_points(tuple(sys.path))


@functools.lru_cache(maxsize=4)
def _scan_entry_points(path: tuple[str, ...]) -> dict[str, str]:
    # scanning installed distributions is slow; rescan only when sys.path changes
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _table() -> dict[str, str]:
    # built-ins win over a plugin that reuses a name
    return {**_entry_points(), **BUILTIN}


def _available(table: Mapping[str, str]) -> list[str]:
    """Names whose module is present (a half-built family must not appear in listings)."""
    out = []
    for name, target in table.items():
        module = target.split(":")[0]
        try:
            if importlib.util.find_spec(module) is not None:
                out.append(name)
        except ModuleNotFoundError:
            pass
    return out


def list_scorers() -> list[str]:
    """The names of all registered scorers, built-in and plugins, sorted."""
    return sorted(_available(_table()))


def scorer_class(name: str) -> type[Scorer]:
    """The class registered under ``name`` (without any ``@k`` suffix)."""
    table = _table()
    if name not in table or name not in _available({name: table[name]}):
        close = difflib.get_close_matches(name, list_scorers(), n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise UnknownScorerError(f"unknown scorer {name!r}{hint} (rageval.list_scorers() lists them)")
    module, _, attr = table[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def get_scorer(name: str | Scorer, **params: Any) -> Scorer:
    """A scorer by name with parameters: ``get_scorer("bleu", tokenize="13a")``, ``get_scorer("ndcg@10")``."""
    if isinstance(name, Scorer):
        if params:
            raise TypeError("parameters go to the scorer's constructor, not to an existing scorer")
        return name
    if not isinstance(name, str):
        raise TypeError(f"a scorer is a name, a (name, params) pair or a Scorer, got {type(name).__name__}")
    base, at, cutoff = name.partition("@")
    if at:
        if not cutoff.isdigit() or int(cutoff) < 1:
            raise UnknownScorerError(f"bad cutoff in {name!r}: write it as {base}@10")
        params = {**params, "k": int(cutoff)}
    return scorer_class(base)(**params)


def resolve(scorers: Any) -> list[Scorer]:
    """Scorer objects for ``evaluate``'s ``scorers`` argument: names, (name, params) pairs or objects."""
    if isinstance(scorers, (str, Scorer)) or (isinstance(scorers, tuple) and len(scorers) == 2
                                              and isinstance(scorers[1], Mapping)):
        scorers = [scorers]
    out: list[Scorer] = []
    for s in scorers:
        if isinstance(s, (tuple, list)) and len(s) == 2 and isinstance(s[1], Mapping):
            out.append(get_scorer(s[0], **s[1]))
        elif isinstance(s, Mapping) and "name" in s:
            out.append(get_scorer(s["name"], **(s.get("params") or {})))
        else:
            out.append(get_scorer(s))
    keys = [k for s in out for k in s.keys()]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ValueError(f"two scorers produce the same key {dup[0]!r}: give one a distinct key "
                         f"(scorer.key = '...') before evaluating")
    return out
