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
        for option, default in self.options.items():  # numeric options: finite plain numbers
            value = options[option]
            if isinstance(default, (int, float)) and option != "relevance_level":
                if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                    raise ValueError(f"{name}: {option} must be a finite number, got {value!r}")
                options[option] = int(value) if isinstance(default, int) else float(value)
        if options.get("rounding", "trec_eval9") not in F.ROUNDINGS:
            raise ValueError(f"{name}: rounding must be one of {F.ROUNDINGS}, got {options['rounding']!r}")
        if options.get("gain", "linear") not in F.GAINS:
            raise ValueError(f"{name}: gain must be one of {F.GAINS}, got {options['gain']!r}")
        k = None if k is None else int(k)
        options = {key: value for key, value in options.items() if value is not None}  # unset: not in the signature
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
    """nDCG@k with linear (trec_eval ``ndcg_cut_k``) or exponential (ranx ``ndcg_burges``) gain, or
    trec_eval's per-level ``gains`` (``-m ndcg.1=3,2=9``: ``gains={1: 3, 2: 9}``; keys may be numbers
    or their strings, as a saved manifest holds them). See `functional.ndcg`."""

    name = "ndcg"
    options = {"gain": "linear", "gains": None}

    def __init__(self, k: int | None = None, duplicates: str = "error", **given: Any) -> None:
        gains = given.get("gains")
        if gains is not None:
            try:
                parsed = {float(g): float(v) for g, v in dict(gains).items()}
                ok = all(map(math.isfinite, [*parsed, *parsed.values()]))
            except (TypeError, ValueError):
                ok = False
            if not ok or given.get("gain", "linear") != "linear":
                raise ValueError(f"ndcg: gains must map grades to finite gains (trec_eval ndcg.1=3,2=9), with the "
                                 f"linear gain, got {gains!r}")
            given["gains"] = {_number(g): _number(v) for g, v in sorted(parsed.items())}
        super().__init__(k, duplicates, **given)

    def compute(self, j: F.Judged) -> np.ndarray:
        gains = self.params.get("gains")
        levels = None if gains is None else {float(g): v for g, v in gains.items()}
        return F.ndcg(j, self.k, self.params["gain"], levels)


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


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


# --- trec_eval's further measures (names as trec_eval writes them) -------------------------------

class SetP(RankingScorer):
    """trec_eval ``set_P``: relevant retrieved / retrieved, over the whole ranking."""

    name = "set_P"
    takes_cutoff = False

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.precision(j, None, self.params["relevance_level"])


class SetRecall(RankingScorer):
    """trec_eval ``set_recall``: relevant retrieved / R, over the whole ranking."""

    name = "set_recall"
    takes_cutoff = False

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.recall(j, None, self.params["relevance_level"])


class SetF(RankingScorer):
    """trec_eval ``set_F`` (``beta`` as trec_eval's parameter, default 1): see `functional.set_f`."""

    name = "set_F"
    takes_cutoff = False
    options = {"relevance_level": 1, "beta": 1.0}

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.set_f(j, self.params["beta"], self.params["relevance_level"])


class SetMAP(RankingScorer):
    """trec_eval ``set_map``: num_rel_ret² / (num_ret · R)."""

    name = "set_map"
    takes_cutoff = False

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.set_map(j, self.params["relevance_level"])


class SetRelativeP(RankingScorer):
    """trec_eval ``set_relative_P``: num_rel_ret / min(num_ret, R)."""

    name = "set_relative_P"
    takes_cutoff = False

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.set_relative_precision(j, self.params["relevance_level"])


class RelativeP(RankingScorer):
    """trec_eval ``relative_P_k``: |relevant in the top k| / min(k, R) (a cutoff is required)."""

    name = "relative_P"

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.relative_precision(j, self.k, self.params["relevance_level"])


class Bpref(RankingScorer):
    """trec_eval ``bpref`` (Buckley and Voorhees 2004): see `functional.bpref`."""

    name = "bpref"
    takes_cutoff = False

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.bpref(j, self.params["relevance_level"])


class GMMAP(RankingScorer):
    """trec_eval ``gm_map``: the geometric mean over queries of ``max(AP, 0.00001)``.

    Statistics: ``log(max(AP, 0.00001))`` per query (trec_eval's per-query value), so the value of
    any subset is ``exp`` of their mean, exactly; a query's own score is ``max(AP, 0.00001)``."""

    name = "gm_map"
    takes_cutoff = False

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.log_average_precision(j, self.params["relevance_level"])

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        return {k: np.exp(v) for k, v in super().reduce_sums(sums, counts).items()}

    def example_scores(self, stats: Any) -> dict[str, np.ndarray]:
        return {k: np.exp(v) for k, v in super().example_scores(stats).items()}


def _point(x: float) -> str:
    return f"{x:.2f}"


class IPrecAtRecall(RankingScorer):
    """trec_eval ``iprec_at_recall``: interpolated precision at the recall points 0.0, 0.1, ..., 1.0,
    one part each (``iprec_at_recall.0.10``); the primary value is their mean, ``11pt_avg``.
    ``rounding``: ``"trec_eval9"`` (pytrec_eval, the default) or ``"nearest"`` (trec_eval 10); see
    `functional.interpolated_precision` for the conventions."""

    name = "iprec_at_recall"
    takes_cutoff = False
    parts = tuple(map(_point, F.RECALL_POINTS))
    options = {"relevance_level": 1, "rounding": "trec_eval9"}

    def compute(self, j: F.Judged) -> np.ndarray:
        level, rounding = self.params["relevance_level"], self.params["rounding"]
        points = F.interpolated_precision(j, F.RECALL_POINTS, level, rounding)
        return np.column_stack([F.point_average(points), points])


class ElevenPointAverage(RankingScorer):
    """trec_eval ``11pt_avg``: see `functional.eleven_point_average` (``rounding="trec_eval9"``, as
    pytrec_eval, or ``"nearest"``, as trec_eval 10)."""

    name = "11pt_avg"
    takes_cutoff = False
    options = {"relevance_level": 1, "rounding": "trec_eval9"}

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.eleven_point_average(j, self.params["relevance_level"], self.params["rounding"])


class RPrecMult(RankingScorer):
    """trec_eval ``Rprec_mult``: precision at 0.2R, 0.4R, ..., 2.0R, one part each
    (``Rprec_mult.1.00`` is R-precision); the primary value is their mean."""

    name = "Rprec_mult"
    takes_cutoff = False
    parts = tuple(map(_point, F.R_MULTIPLES))

    def compute(self, j: F.Judged) -> np.ndarray:
        values = F.r_precision_multiples(j, F.R_MULTIPLES, self.params["relevance_level"])
        return np.column_stack([values.mean(axis=1), values])


class Unjudged(RankingScorer):
    """trec_eval ``unj_k``: the share of the top k that the qrels do not judge (a cutoff is required).
    Lower is better: a high value says the measures above rest on unjudged ids."""

    name = "unjudged"
    higher_is_better = False
    options: ClassVar[dict[str, Any]] = {}

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.unjudged(j, self.k)


class Utility(RankingScorer):
    """trec_eval ``utility.a,b,c,d``: see `functional.utility` (parameters ``a``, ``b``, ``c``,
    ``d``, ``num_docs``); averaged over queries, as trec_eval averages it. Unbounded."""

    name = "utility"
    takes_cutoff = False
    bounds = (-math.inf, math.inf)
    options = {"relevance_level": 1, "a": 1.0, "b": -1.0, "c": 0.0, "d": 0.0, "num_docs": 0}

    def compute(self, j: F.Judged) -> np.ndarray:
        p = self.params
        return F.utility(j, p["a"], p["b"], p["c"], p["d"], p["num_docs"], p["relevance_level"])


class InfAP(RankingScorer):
    """trec_eval ``infAP``, inferred AP (Yilmaz and Aslam 2006) for sampled judgements: qrels grade
    -1 (any grade below 0) marks a pooled id left unsampled. See `functional.infap`."""

    name = "infAP"
    takes_cutoff = False

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.infap(j, self.params["relevance_level"])


class RNDCG(RankingScorer):
    """trec_eval ``Rndcg``: nDCG averaged at the ranks where the ideal gain drops. See
    `functional.rndcg` (``relevance_level`` only decides whether a query scores 0, as in trec_eval)."""

    name = "Rndcg"
    takes_cutoff = False

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.rndcg(j, self.params["relevance_level"])


class NDCGRel(RankingScorer):
    """trec_eval ``ndcg_rel``: nDCG averaged over the relevant ids (gain = grade, no relevance level,
    as trec_eval's nDCG). See `functional.ndcg_rel`."""

    name = "ndcg_rel"
    takes_cutoff = False
    options: ClassVar[dict[str, Any]] = {}

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.ndcg_rel(j)


class RBP(RankingScorer):
    """trec_eval ``rbp`` (Moffat and Zobel 2008), persistence ``p`` (trec_eval's ``rbp.p=``, default
    0.9), with trec_eval's ``rbp_resid`` as the part ``residual``: see `functional.rbp`. Gains are
    the grades (scaled into [0, 1] by the query's highest grade), no relevance level, as trec_eval."""

    name = "rbp"
    takes_cutoff = False
    parts = ("residual",)
    options: ClassVar[dict[str, Any]] = {"p": 0.9}

    def __init__(self, k: int | None = None, duplicates: str = "error", **given: Any) -> None:
        p = given.get("p", 0.9)
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p < 1:
            raise ValueError(f"rbp: the persistence p must be a number in [0, 1), got {p!r}")
        super().__init__(k, duplicates, **given)

    def compute(self, j: F.Judged) -> np.ndarray:
        return np.column_stack(F.rbp(j, self.params["p"]))


class Count(RankingScorer):
    """trec_eval's counts: per query the count, over queries their *sum* (trec_eval's "all" line
    sums them rather than averaging)."""

    takes_cutoff = False
    bounds = (0.0, math.inf)
    column: ClassVar[int]

    def compute(self, j: F.Judged) -> np.ndarray:
        return F.counts(j, self.params["relevance_level"])[self.column]

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        return {self.key: np.where(counts > 0, sums[:, 0], 0.0)}


class NumRet(Count):
    """trec_eval ``num_ret``: ids ranked."""

    name = "num_ret"
    column = 0
    options: ClassVar[dict[str, Any]] = {}

    def compute(self, j: F.Judged) -> np.ndarray:
        return j.lengths.astype(np.float64)


class NumRel(Count):
    """trec_eval ``num_rel``: qrels ids graded at least ``relevance_level`` (R)."""

    name = "num_rel"
    column = 1


class NumRelRet(Count):
    """trec_eval ``num_rel_ret``: relevant ids ranked."""

    name = "num_rel_ret"
    column = 2


class NumQ(Count):
    """trec_eval ``num_q``: the number of queries (1 per row)."""

    name = "num_q"
    options: ClassVar[dict[str, Any]] = {}

    def compute(self, j: F.Judged) -> np.ndarray:
        return np.ones(len(j))


# --- one judging per batch, shared by all ranking scorers -------------------------------------

def judged(batch: Batch, duplicates: str = "error") -> F.Judged:
    """``functional.judge`` of the batch's ``retrieved_ids`` and ``relevant_ids``, once per batch.

    The scorers of one evaluation (``ndcg@10``, ``map``, ``recall@100``, ...) receive the same
    `Batch`; judging it is the only per-id Python work, so it is memoised on the batch.
    """
    return memo(batch, ("ranking.judged", duplicates),
                lambda: F.judge(batch["retrieved_ids"], batch["relevant_ids"], duplicates,
                                getattr(batch, "checked", False)))
