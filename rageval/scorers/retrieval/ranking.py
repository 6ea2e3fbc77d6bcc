"""Ranking scorers over ``retrieved_ids`` and ``relevant_ids``: per-query values identical to
trec_eval's (through pytrec_eval), averaged over queries.

Thin wrappers over `rageval.scorers.retrieval.functional`, which states the conventions. Names
take a cutoff the way ir_measures writes them, and the key is the name as written:

=================  ==================================  ==========================================
name               trec_eval measure                   without a cutoff
=================  ==================================  ==========================================
``precision@k``    ``P_k``                             ``set_P`` (over the whole ranking)
``recall@k``       ``recall_k``                        ``set_recall``
``hit_rate@k``     ``success_k``                       a relevant id anywhere in the ranking
``ndcg@k``         ``ndcg_cut_k``                      ``ndcg``
``map@k``          ``map_cut_k``                       ``map``
``mrr@k``          ``recip_rank`` of the top k         ``recip_rank``
``r_precision``    ``Rprec``                           (takes no cutoff)
=================  ==================================  ==========================================

Parameters: ``relevance_level`` (trec_eval ``-l``, default 1; not for ``ndcg``, whose gain is the
grade, as in trec_eval), ``gain`` (``ndcg`` only: ``"linear"`` or ``"exponential"``) and
``duplicates`` (``"error"``, as trec_eval, or ``"first"``). One row per query, always: a query
with no relevant id (empty or all-non-relevant qrels) or an empty ranking scores 0, where trec_eval
scores 0 too, except that it drops queries with no qrels at all, so drop those rows to reproduce
its mean.

>>> from rageval.core.registry import get_scorer
>>> s = get_scorer("ndcg@10")
>>> s.reduce(s.stats({"retrieved_ids": [["a", "b"]], "relevant_ids": [{"b": 1}]}))
{'ndcg@10': 0.6309297535714575}
"""
from __future__ import annotations

import math
import numbers
from abc import abstractmethod
from typing import Any, ClassVar

import numpy as np

from rageval.core.scorer import Batch, MeanScorer, memo
from rageval.scorers.retrieval import functional as F


class RankingScorer(MeanScorer):
    """Base of the ranking scorers: parameters, key and the shared judging of a batch."""

    fields = ("retrieved_ids", "relevant_ids")
    bounds = (0.0, 1.0)
    #: whether the scorer takes a cutoff ``k``
    takes_cutoff: ClassVar[bool] = True
    #: the scorer's own parameters and their defaults (besides ``k`` and ``duplicates``)
    options: ClassVar[dict[str, Any]] = {"relevance_level": 1}

    def __init__(self, k: int | None = None, duplicates: str = "error", **given: Any) -> None:
        name = type(self).name
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            hint = (" (trec_eval's nDCG gains every positive grade and applies no relevance level)"
                    if name == "ndcg" and "relevance_level" in unknown else "")
            accepted = ", ".join(["k"] * self.takes_cutoff + ["duplicates", *self.options])
            raise TypeError(f"{name} takes no parameter {unknown[0]!r}{hint}; it takes {accepted}")
        if k is not None and not self.takes_cutoff:
            raise TypeError(f"{name} takes no cutoff: R, the query's number of relevant ids, is its cutoff")
        if k is not None and (isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1):
            raise ValueError(f"{name}: the cutoff k must be a positive integer, got {k!r}")
        if duplicates not in F.DUPLICATES:
            raise ValueError(f"{name}: duplicates must be one of {F.DUPLICATES}, got {duplicates!r}")
        options = {**self.options, **given}
        level = options.get("relevance_level", 1)
        if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < math.inf:
            raise ValueError(f"{name}: relevance_level must be a positive number (trec_eval -l), got {level!r}")
        if "relevance_level" in options:  # plain Python numbers, so that the spec is JSON
            options["relevance_level"] = int(level) if float(level).is_integer() else float(level)
        if options.get("gain", "linear") not in F.GAINS:
            raise ValueError(f"{name}: gain must be one of {F.GAINS}, got {options['gain']!r}")
        k = None if k is None else int(k)
        super().__init__(**({"k": k} if k is not None else {}), duplicates=duplicates, **options)
        self.k, self.duplicates = k, duplicates
        self.key = name if k is None else f"{name}@{k}"

    def score_batch(self, batch: Batch) -> np.ndarray:
        return self.compute(judged(batch, self.duplicates))

    @abstractmethod
    def compute(self, j: F.Judged) -> np.ndarray:
        """Per-query values of this metric on a judged batch."""


class Precision(RankingScorer):
    """Precision@k: the share of the top k that is relevant (trec_eval ``P_k``; ``set_P`` without k)."""

    name = "precision"

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.precision(j, self.k, self.params["relevance_level"])


class Recall(RankingScorer):
    """Recall@k: the share of the relevant ids found in the top k (trec_eval ``recall_k``)."""

    name = "recall"

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.recall(j, self.k, self.params["relevance_level"])


class HitRate(RankingScorer):
    """Hit rate@k: 1 when a relevant id is in the top k (trec_eval ``success_k``)."""

    name = "hit_rate"

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.hit_rate(j, self.k, self.params["relevance_level"])


class NDCG(RankingScorer):
    """nDCG@k with linear (trec_eval ``ndcg_cut_k``) or exponential (ranx ``ndcg_burges``) gain."""

    name = "ndcg"
    options = {"gain": "linear"}

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.ndcg(j, self.k, self.params["gain"])


class MAP(RankingScorer):
    """Mean average precision (trec_eval ``map``; ``map_cut_k`` with a cutoff)."""

    name = "map"

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.average_precision(j, self.k, self.params["relevance_level"])


class MRR(RankingScorer):
    """Mean reciprocal rank (trec_eval ``recip_rank``; with a cutoff, of the top k: ir_measures ``RR@k``)."""

    name = "mrr"

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.reciprocal_rank(j, self.k, self.params["relevance_level"])


class RPrecision(RankingScorer):
    """R-precision: precision at R, the query's number of relevant ids (trec_eval ``Rprec``)."""

    name = "r_precision"
    takes_cutoff = False

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.r_precision(j, self.params["relevance_level"])


# --- one judging per batch, shared by all ranking scorers -------------------------------------

def judged(batch: Batch, duplicates: str = "error") -> F.Judged:
    """``functional.judge`` of the batch's ``retrieved_ids`` and ``relevant_ids``, once per batch.

    The scorers of one evaluation (``ndcg@10``, ``map``, ``recall@100``, ...) receive the same
    `Batch`; judging it is the only per-id Python work, so it is memoised on the batch.
    """
    return memo(batch, ("ranking.judged", duplicates),
                lambda: F.judge(batch["retrieved_ids"], batch["relevant_ids"], duplicates))
