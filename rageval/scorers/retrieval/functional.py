"""Ranking metrics over judged rankings, computed exactly as trec_eval computes them (pure numpy).

A batch of rankings is first *judged* (`judge`): every retrieved id gets the grade its query's
judgements (qrels) give it, in a rank-major matrix. Every metric is then a few vectorised
operations on that matrix, and all metrics of a batch can share one judging.

Conventions (trec_eval 9, as run by ``pytrec_eval``; ``level`` is trec_eval's ``-l``):

* a retrieved id is *relevant* when the qrels grade it ``>= level`` (a positive number, default
  1); ids absent from the qrels, and ids graded below 0 (trec_eval: "in the pool but unjudged"),
  are never relevant and have gain 0; ``R`` is the number of qrels ids graded ``>= level``;
* the ranking order is the order given (trec_eval orders by score, then by docno: pass the ranking
  already in that order); a duplicate id is an error, as in trec_eval, or, with
  ``duplicates="first"``, keeps its first (best) rank and its later occurrences are dropped;
* ``k`` is a cutoff: only the first ``k`` ranks count; ``k=None`` means the whole ranking, and a
  ``k`` beyond the ranking's length is allowed (precision still divides by ``k``);
* a value trec_eval leaves undefined (no relevant id, ``R = 0``; an empty ranking) is 0, which is
  what trec_eval reports for a judged query without relevant documents or without results.
  trec_eval *drops* a query whose qrels are empty; here it stays, with value 0;
* grades may be any finite numbers (trec_eval reads integers); the formulas are unchanged.

The matrices are as deep as the batch's longest ranking. Reuse, e.g. for id-based RAG scores:

>>> j = judge([["d3", "d1", "d7"]], [["d1", "d2"]])        # a list of ids: grade 1 each
>>> precision(j, 2).tolist(), recall(j).tolist(), reciprocal_rank(j).tolist()
([0.5], [0.5], [0.5])
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from operator import attrgetter

import numpy as np

from rageval.core.errors import FieldError
from rageval.core.fields import TEXT_TYPES, check_id_list, check_relevance

DUPLICATES = ("error", "first")
GAINS = ("linear", "exponential")


@dataclass(frozen=True)
class Judged:
    """A batch of judged rankings.

    ``grades[r, q]`` is the grade of the id at rank ``r`` (0-based) of query ``q``: NaN where the
    id is unjudged (absent from the qrels, or graded below 0) and past the end of the ranking.
    ``qrels[j, q]`` holds query ``q``'s non-negative qrels grades in decreasing order, NaN-padded
    (the ideal ranking). ``lengths[q]`` is the number of ranked ids. ``unsampled[r, q]`` is True
    where the id at rank r is in the qrels with a grade below 0 (trec_eval's "in the pool but
    unjudged", which `infap` tells apart from ids absent from the qrels).
    """

    grades: np.ndarray
    qrels: np.ndarray
    lengths: np.ndarray
    unsampled: np.ndarray
    #: what several metrics of the batch share (cumulative hits, DCG), computed once: see `_cached`
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.lengths)


def judge(retrieved_ids: Sequence[Sequence[str]], relevant_ids: Sequence[Mapping[str, float] | Sequence[str]],
          duplicates: str = "error", checked: bool = False) -> Judged:
    """Judge ranked lists of ids against graded qrels, one query per row.

    ``retrieved_ids[q]`` is query ``q``'s ranking (best first); ``relevant_ids[q]`` its qrels, a
    dict id -> grade, or a list of ids (grade 1 each). ``duplicates``: ``"error"`` (trec_eval's
    "duplicate docs" error) or ``"first"`` (keep an id's first rank). Ids are strings, or integers
    (read as their strings). Bad input raises `FieldError` naming the field and the row
    (`rageval.core.fields`' checks); ``checked``: the columns already passed those checks (an
    `evaluate` batch), so they are taken as they are.

    >>> judge([["a", "b", "c"]], [{"c": 2, "a": 0}]).grades[:, 0].tolist()
    [0.0, nan, 2.0]
    """
    if duplicates not in DUPLICATES:
        raise ValueError(f"duplicates must be one of {DUPLICATES}, got {duplicates!r}")
    canonical_qrels = checked or _canonical(relevant_ids, dict) and _numbers(relevant_ids)
    retrieved = retrieved_ids if checked or _canonical(retrieved_ids, list) else check_id_list(
        "retrieved_ids", "retrieved_ids", retrieved_ids)
    relevant = relevant_ids if canonical_qrels else check_relevance("relevant_ids", "relevant_ids", relevant_ids)
    if len(retrieved) != len(relevant):
        raise ValueError(f"retrieved_ids has {len(retrieved)} rows and relevant_ids {len(relevant)}: "
                         "one of each per query")
    retrieved = _without_duplicates(retrieved, duplicates)
    n = len(retrieved)

    lengths = np.fromiter(map(len, retrieved), np.int64, count=n)
    # each query's ids looked up in its own qrels by the bound dict.get, one C-level map per query
    looked_up = chain.from_iterable(map(map, map(attrgetter("get"), relevant), retrieved, repeat(repeat(math.nan))))
    grades = np.fromiter(looked_up, np.float64, count=int(lengths.sum()))
    negative = grades < 0
    if negative.any():  # trec_eval: graded below 0 = in the pool but unjudged
        grades[negative] = math.nan
        unsampled = _rank_major(negative.astype(np.float64), lengths) > 0  # NaN padding > 0 is False
    else:
        unsampled = np.zeros((int(lengths.max()) if n else 0, n), dtype=bool)

    qrel_counts = np.fromiter(map(len, relevant), np.int64, count=n)
    qrel_grades = np.fromiter(chain.from_iterable(map(dict.values, relevant)), np.float64, count=int(qrel_counts.sum()))
    if canonical_qrels and not np.isfinite(qrel_grades).all():
        check_relevance("relevant_ids", "relevant_ids", relevant)  # raises, naming the row
    qrel_grades[qrel_grades < 0] = math.nan
    # within each query, non-negative grades first in decreasing order (the ideal ranking), then NaN
    query = np.repeat(np.arange(n), qrel_counts)
    order = np.lexsort((-np.nan_to_num(qrel_grades, nan=-1.0), query))
    judged = Judged(grades=_rank_major(grades, lengths), qrels=_rank_major(qrel_grades[order], qrel_counts),
                    lengths=lengths, unsampled=unsampled)
    for array in (judged.grades, judged.qrels, judged.lengths, judged.unsampled):
        array.flags.writeable = False  # shared by every metric of the batch
    return judged


# --- metrics: each returns one float64 value per query -----------------------------------------

def precision(judged: Judged, k: int | None = None, level: float = 1) -> np.ndarray:
    """P@k = |relevant in the top k| / k (trec_eval ``P_k``); with ``k=None``, |relevant retrieved| /
    |retrieved| (trec_eval ``set_P``; 0 for an empty ranking)."""
    hits = _hits_at(judged, k, level)
    if k is not None:
        return hits / k
    return _ratio(hits, judged.lengths)


def recall(judged: Judged, k: int | None = None, level: float = 1) -> np.ndarray:
    """Recall@k = |relevant in the top k| / R (trec_eval ``recall_k``; ``set_recall`` with
    ``k=None``); 0 when R = 0."""
    return _ratio(_hits_at(judged, k, level), num_relevant(judged, level))


def hit_rate(judged: Judged, k: int | None = None, level: float = 1) -> np.ndarray:
    """1 when a relevant id is in the top k, else 0 (trec_eval ``success_k``)."""
    return (_hits_at(judged, k, level) > 0).astype(np.float64)


def reciprocal_rank(judged: Judged, k: int | None = None, level: float = 1) -> np.ndarray:
    """1 / rank of the first relevant id, 0 when there is none (trec_eval ``recip_rank``). With a
    cutoff, only the top k count, as ir_measures' ``RR@k``: trec_eval ``recip_rank`` of the
    ranking truncated to its first k ids."""
    rel = _relevant(judged, k, level)
    if rel.shape[0] == 0:
        return np.zeros(rel.shape[1])
    first = rel.argmax(axis=0)
    return np.where(rel.any(axis=0), 1.0 / (first + 1.0), 0.0)


def average_precision(judged: Judged, k: int | None = None, level: float = 1) -> np.ndarray:
    """AP@k = sum over relevant ids in the top k of (precision at their rank) / R (trec_eval
    ``map``, ``map_cut_k`` with a cutoff); 0 when R = 0. Summed rank by rank, as trec_eval does."""
    rel = _relevant(judged, k, level)
    ranks = np.arange(1, rel.shape[0] + 1, dtype=np.float64)[:, None]
    precision_at = _hits(judged, level)[:k] / ranks
    total = np.where(rel, precision_at, 0.0).sum(axis=0)
    return _ratio(total, num_relevant(judged, level))


def r_precision(judged: Judged, level: float = 1) -> np.ndarray:
    """R-precision = |relevant in the top R| / R (trec_eval ``Rprec``); 0 when R = 0."""
    r = num_relevant(judged, level)
    hits_at = _hits(judged, level)
    if hits_at.shape[0] == 0:
        return np.zeros(len(r))
    row = np.clip(r, 1, hits_at.shape[0]).astype(np.int64) - 1
    return _ratio(hits_at[row, np.arange(len(r))], r)


def ndcg(judged: Judged, k: int | None = None, gain: str = "linear",
         gains: Mapping[float, float] | None = None) -> np.ndarray:
    """nDCG@k = DCG@k / ideal DCG@k, DCG@k = sum over ranks i <= k of gain(grade_i) / log2(i + 1).

    ``gain="linear"``: the grade itself (trec_eval ``ndcg_cut_k``, ``ndcg`` with ``k=None``);
    ``"exponential"``: 2^grade - 1 (Burges et al.; ranx ``ndcg_burges``). Ungraded, unjudged and
    negatively graded ids gain 0. The ideal DCG ranks *all* the query's judged ids by gain, so
    ids missing from the ranking count against it. trec_eval applies no relevance level to nDCG:
    every positive grade gains. 0 when no id has a positive grade.

    ``gains``: trec_eval's per-level gains (``-m ndcg.1=3,2=9,4=4.5`` is ``gains={1: 3, 2: 9, 4:
    4.5}``): a grade listed there gains its value, other grades gain themselves; gains may be 0 or
    negative and level 0 may be given one. As in trec_eval, every ranked id's non-zero gain counts
    in the DCG, the ideal ranking orders the judged ids by gain and counts the positive ones.
    """
    if gain not in GAINS:
        raise ValueError(f"gain must be one of {GAINS}, got {gain!r}")
    if gains:
        ranked, ideal = _regain(judged.grades, gains), _regain(judged.qrels, gains)
        ideal = -np.sort(-ideal, axis=0)  # by gain, decreasing; NaN (no id) last
        discount = np.log2(np.arange(2, ranked.shape[0] + 2, dtype=np.float64))[:, None]
        dcg = (np.nan_to_num(ranked[:k], nan=0.0) / discount[:k]).sum(axis=0)
        return _ratio(dcg, _dcg(ideal[:k], "linear"))
    dcg = _cached(judged, ("dcg", gain), lambda: _cumulative_dcg(judged.grades, gain))
    ideal = _cached(judged, ("ideal dcg", gain), lambda: _cumulative_dcg(judged.qrels, gain))
    return _ratio(_at(dcg, k), _at(ideal, k))


def _regain(grades: np.ndarray, gains: Mapping[float, float]) -> np.ndarray:
    """Grades as gains: a grade listed in ``gains`` takes its gain, any other keeps its value."""
    out = grades.copy()
    for grade, value in gains.items():
        out[grades == float(grade)] = float(value)
    return out


def num_relevant(judged: Judged, level: float = 1) -> np.ndarray:
    """R per query: the number of qrels ids graded ``>= level`` (trec_eval ``num_rel``)."""
    return _cached(judged, ("R", level), lambda: (judged.qrels >= level).sum(axis=0, dtype=np.float64))


def counts(judged: Judged, level: float = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per query: ``num_ret`` (ids ranked), ``num_rel`` (R) and ``num_rel_ret`` (relevant ids ranked),
    trec_eval's counts of the same names."""
    return judged.lengths.astype(np.float64), num_relevant(judged, level), _hits_at(judged, None, level)


def set_f(judged: Judged, beta: float = 1.0, level: float = 1) -> np.ndarray:
    """trec_eval ``set_F``: ``(β + 1)·P·R / (β·P + R)`` over the whole ranking, with P = set_P and
    R = set_recall, and β as trec_eval uses its parameter (not squared: ``set_F.0.5`` weighs
    precision by 0.5); 0 when no relevant id is ranked."""
    num_ret, num_rel, rel_ret = counts(judged, level)
    p, r = _ratio(rel_ret, num_ret), _ratio(rel_ret, num_rel)
    return np.where(rel_ret > 0, _ratio((beta + 1.0) * p * r, beta * p + r), 0.0)


def set_map(judged: Judged, level: float = 1) -> np.ndarray:
    """trec_eval ``set_map``: ``num_rel_ret² / (num_ret · R)`` (set precision times set recall); 0
    for an empty ranking or R = 0."""
    num_ret, num_rel, rel_ret = counts(judged, level)
    return _ratio(rel_ret * rel_ret, num_ret * num_rel)


def set_relative_precision(judged: Judged, level: float = 1) -> np.ndarray:
    """trec_eval ``set_relative_P``: ``num_rel_ret / min(num_ret, R)``, precision over the best
    precision a ranking of that size could have; 0 for an empty ranking or R = 0."""
    num_ret, num_rel, rel_ret = counts(judged, level)
    return _ratio(rel_ret, np.minimum(num_ret, num_rel))


def relative_precision(judged: Judged, k: int, level: float = 1) -> np.ndarray:
    """trec_eval ``relative_P_k``: |relevant in the top k| / min(k, R); 0 when R = 0."""
    return _ratio(_hits_at(judged, k, level), np.minimum(float(k), num_relevant(judged, level)))


def bpref(judged: Judged, level: float = 1) -> np.ndarray:
    """trec_eval ``bpref`` (Buckley and Voorhees 2004): the mean over the R relevant ids of
    ``1 - min(n, R) / min(N, R)`` for each relevant id *ranked*, where n counts the judged
    non-relevant ids ranked above it and N the query's judged non-relevant ids (qrels grade in
    [0, level)); an id with n = 0 contributes 1, unranked relevant ids 0. Ids absent from the qrels or
    graded below 0 are skipped, as trec_eval skips unjudged documents. 0 when R = 0."""
    grades = judged.grades
    nonrel = (grades >= 0) & (grades < level)
    num_rel = num_relevant(judged, level)
    num_nonrel = ((judged.qrels >= 0) & (judged.qrels < level)).sum(axis=0, dtype=np.float64)
    above = np.cumsum(nonrel, axis=0, dtype=np.float64)  # a relevant id's own row adds nothing
    with np.errstate(invalid="ignore", divide="ignore"):
        share = 1.0 - np.minimum(above, num_rel) / np.minimum(num_nonrel, num_rel)
    total = np.where(grades >= level, np.where(above > 0, share, 1.0), 0.0).sum(axis=0)
    return _ratio(total, num_rel)


#: trec_eval's lower bound on a query's value before the logarithm of a geometric mean
MIN_GEO_MEAN = 0.00001


def log_average_precision(judged: Judged, level: float = 1) -> np.ndarray:
    """``log(max(AP, 0.00001))`` per query: trec_eval's ``gm_map`` statistic (the geometric mean over
    queries is ``exp`` of its mean)."""
    return np.log(np.maximum(average_precision(judged, None, level), MIN_GEO_MEAN))


#: trec_eval's recall points for ``iprec_at_recall`` and ``11pt_avg`` (literals, as in its C source)
RECALL_POINTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: trec_eval's fractions of R for ``Rprec_mult``
R_MULTIPLES = (0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0)


#: how the number of relevant ids at recall point x is rounded: trec_eval 9 (pytrec_eval) adds 0.9 and
#: truncates; trec_eval 10 rounds to nearest (its ``lround``)
ROUNDINGS = ("trec_eval9", "nearest")


def interpolated_precision(judged: Judged, points: Sequence[float] = RECALL_POINTS, level: float = 1,
                           rounding: str = "trec_eval9") -> np.ndarray:
    """trec_eval ``iprec_at_recall``: (queries, points) interpolated precision, the highest precision
    at any rank at or below the rank where the ranking reaches ``c`` relevant ids (the first
    relevant id for c = 0), where c for recall point x is ``(long)(x·R + 0.9)`` with
    ``rounding="trec_eval9"`` (trec_eval 9, which pytrec_eval runs; the default) or ``lround(x·R)``
    with ``"nearest"`` (trec_eval 10 and its test outputs); 0 where the ranking holds fewer than c
    relevant ids, and for an empty ranking (trec_eval: 0/0 at recall 0)."""
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {ROUNDINGS}, got {rounding!r}")
    scaled = np.multiply.outer(num_relevant(judged, level), np.asarray(points, np.float64))
    return _interpolated(judged, np.floor(scaled + (0.9 if rounding == "trec_eval9" else 0.5)), level)


def eleven_point_average(judged: Judged, level: float = 1, rounding: str = "trec_eval9") -> np.ndarray:
    """trec_eval ``11pt_avg``: the mean of `interpolated_precision` at the 11 recall points 0, 0.1,
    ..., 1 (``rounding`` as there), summed from the last point to the first as trec_eval does, so the
    value is bit-identical."""
    return point_average(interpolated_precision(judged, RECALL_POINTS, level, rounding))


def point_average(values: np.ndarray) -> np.ndarray:
    """The mean over the columns of a (queries, points) array, summed from the last column to the
    first as trec_eval's ``11pt_avg`` sums its recall points."""
    total = np.zeros(len(values))
    for column in values.T[::-1]:
        total += column
    return total / values.shape[1]


def _interpolated(judged: Judged, cutoffs: np.ndarray, level: float) -> np.ndarray:
    """(queries, points): the highest precision at or below the rank of the ``cutoffs[q, p]``-th
    relevant id (the first for a cutoff of 0); 0 where the ranking holds fewer relevant ids."""
    rel = _relevant(judged, None, level)
    num_ret, _, rel_ret = counts(judged, level)
    ranks = np.arange(1, rel.shape[0] + 1, dtype=np.float64)[:, None]
    cum = _hits(judged, level)
    precision_at = np.where(ranks <= num_ret, cum / ranks, 0.0)
    best_below = np.maximum.accumulate(precision_at[::-1], axis=0)[::-1]  # max over ranks >= r
    out = np.zeros(cutoffs.shape)
    if rel.shape[0] == 0 or cutoffs.shape[1] == 0:
        return out
    reached = (cutoffs <= rel_ret[:, None]) & (rel_ret[:, None] > 0)
    target = np.maximum(cutoffs, 1.0)  # c = 0 takes the value at the first relevant id
    if not reached.any():
        return out
    # the rank of each query's target-th relevant id, read from the ranks of all relevant ids listed
    # query by query (no (queries, ranks, points) array)
    relevant_ranks = np.nonzero(rel.T)[1]
    first = np.cumsum(rel_ret) - rel_ret  # where each query's relevant ranks start in that list
    rows = np.where(reached, relevant_ranks[np.where(reached, first[:, None] + target - 1, 0).astype(np.int64)], 0)
    q_index = np.broadcast_to(np.arange(len(num_ret))[:, None], out.shape)
    return np.where(reached, best_below[np.minimum(rows, rel.shape[0] - 1), q_index], 0.0)


def r_precision_multiples(judged: Judged, fractions: Sequence[float] = R_MULTIPLES, level: float = 1) -> np.ndarray:
    """trec_eval ``Rprec_mult``: (queries, fractions) precision at rank ``c = (long)(f·R + 0.9)`` for
    each fraction f of R, |relevant in the top c| / c (a ranking shorter than c: num_rel_ret / c);
    0 when R = 0 or the ranking is empty."""
    rel = _relevant(judged, None, level)
    num_ret, num_rel, rel_ret = counts(judged, level)
    cum = np.vstack([np.zeros((1, rel.shape[1])), _hits(judged, level)])
    cutoffs = np.floor(np.multiply.outer(num_rel, np.asarray(fractions, np.float64)) + 0.9)
    rows = np.minimum(cutoffs, num_ret[:, None]).astype(np.int64)
    hits = cum[rows, np.arange(len(num_ret))[:, None]]
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(cutoffs > 0, hits / np.where(cutoffs > 0, cutoffs, 1.0), 0.0)
    return np.where(((num_rel > 0) & (num_ret > 0))[:, None], value, 0.0)


def unjudged(judged: Judged, k: int) -> np.ndarray:
    """trec_eval ``unj_k`` (ir_measures ``1 - Judged@k``): the share of the top k that the qrels do not
    judge (ids absent from them or graded below 0), over k."""
    top = judged.grades[:k]
    ranked = np.arange(top.shape[0])[:, None] < judged.lengths[None, :]
    return (np.isnan(top) & ranked).sum(axis=0, dtype=np.float64) / k


def utility(judged: Judged, a: float = 1.0, b: float = -1.0, c: float = 0.0, d: float = 0.0, num_docs: int = 0,
            level: float = 1) -> np.ndarray:
    """trec_eval ``utility.a,b,c,d``: ``a·rel_ret + b·nonrel_ret + c·rel_not_ret + d·nonrel_not_ret``,
    with ``nonrel_not_ret = num_docs + rel_ret - num_ret - R`` (``num_docs``: the collection size,
    trec_eval's ``-N``, 0 by default)."""
    num_ret, num_rel, rel_ret = counts(judged, level)
    nonrel_not_ret = num_docs + rel_ret - num_ret - num_rel
    return a * rel_ret + b * (num_ret - rel_ret) + c * (num_rel - rel_ret) + d * nonrel_not_ret


#: trec_eval's ``INFAP_EPSILON``, which keeps infAP's ratio defined with no judged id above
INFAP_EPSILON = 0.00001


def infap(judged: Judged, level: float = 1) -> np.ndarray:
    """trec_eval ``infAP``, inferred average precision (Yilmaz and Aslam, CIKM 2006), for qrels
    judged on a random sample of the pool: a qrels grade below 0 (trec_eval uses -1) marks an id
    *in the pool but not sampled*; an id absent from the qrels is *outside the pool*.

    For the relevant id at 0-based rank j > 0, with ``r`` relevant ids down to it (itself
    included), and ``n`` judged non-relevant and ``u`` unsampled ids above it (ids outside the
    pool count in j only)::

        1/(j+1) + j/(j+1) · (r-1 + n + u)/j · (r-1 + ε)/(r-1 + n + 2ε),   ε = 0.00001

    and 1 at rank 0; infAP is their sum over the ranked relevant ids divided by R (0 when R = 0).
    With every pooled id judged (no grade below 0) and every ranked id in the pool, this is AP up
    to ε. Computed in trec_eval's order of operations (``m_infap.c``), rank by rank.
    """
    grades = judged.grades
    rel = grades >= level
    nonrel_above = np.cumsum((grades >= 0) & (grades < level), axis=0, dtype=np.float64)  # a relevant
    unsampled_above = np.cumsum(judged.unsampled, axis=0, dtype=np.float64)  # row adds nothing itself
    rel_before = _hits(judged, level) - 1.0
    j = np.arange(grades.shape[0], dtype=np.float64)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        term = (1.0 / (j + 1.0) + (j / (j + 1.0)) * ((rel_before + nonrel_above + unsampled_above) / j)
                * ((rel_before + INFAP_EPSILON) / (rel_before + nonrel_above + 2 * INFAP_EPSILON)))
    term[:1] = 1.0
    return _ratio(np.where(rel, term, 0.0).sum(axis=0), num_relevant(judged, level))


def _cumulative_gains(judged: Judged, depth: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(gains, dcg, ideal dcg) as (depth, queries) matrices: the ranked ids' gains (the positive
    grade, else 0), the DCG down to each rank and the ideal DCG down to each rank (the judged ids
    by grade), zero-padded to ``depth`` ranks, summed rank by rank as trec_eval sums."""
    def padded(values: np.ndarray) -> np.ndarray:
        out = np.zeros((depth, values.shape[1]))
        out[:values.shape[0]] = np.where(values > 0, values, 0.0)  # NaN > 0 is False
        return out

    gains, ideal = padded(judged.grades), padded(judged.qrels)
    discount = np.log2(np.arange(2, depth + 2, dtype=np.float64))[:, None]
    return gains, np.cumsum(gains / discount, axis=0), np.cumsum(ideal / discount, axis=0)


def rndcg(judged: Judged, level: float = 1) -> np.ndarray:
    """trec_eval ``Rndcg``: nDCG averaged at the "R levels", the ranks where the ideal ranking's
    gain drops (the judged ids sorted by grade; gain = grade, as trec_eval's default gains).

    With ``R+`` judged ids of positive grade and ``g*_1 >= g*_2 >= ...`` their grades, the points
    are every i in 1..R+ with ``g*_{i+1} != g*_i`` (``g*_{R+ + 1} = 0``), and, when the ranking
    holds at least R+ + 2 ids, its end. At a point i the value is ``DCG@min(i, num_ret) / IDCG@i``
    (at the ranking's end ``DCG@num_ret / IDCG@R+``); Rndcg is their mean. 0 when no id is graded
    ``>= level`` (trec_eval's only use of ``-l`` here). Order of operations as ``m_Rndcg.c``.
    """
    depth = max(judged.grades.shape[0], judged.qrels.shape[0]) + 1
    _, dcg, idcg = _cumulative_gains(judged, depth)
    ideal = np.zeros((depth + 1, len(judged)))
    ideal[:judged.qrels.shape[0]] = np.where(judged.qrels > 0, judged.qrels, 0.0)
    points = (ideal[1:] != ideal[:-1]) & (ideal[:-1] > 0)  # row i-1: the gain changes after rank i
    with np.errstate(invalid="ignore", divide="ignore"):
        at_points = np.where(points, dcg / idcg, 0.0).sum(axis=0)
    num_points = points.sum(axis=0, dtype=np.float64)
    positive = (ideal > 0).sum(axis=0)
    columns = np.arange(len(judged))
    tail = judged.lengths >= positive + 2
    idcg_all = idcg[np.maximum(positive - 1, 0), columns]
    with np.errstate(invalid="ignore", divide="ignore"):
        at_points = np.where(tail, at_points + dcg[-1] / idcg_all, at_points)
    num_points += tail
    value = np.divide(at_points, num_points, out=np.zeros(len(judged)), where=num_points > 0)
    return np.where(num_relevant(judged, level) > 0, value, 0.0)


def ndcg_rel(judged: Judged) -> np.ndarray:
    """trec_eval ``ndcg_rel``: nDCG averaged over the relevant ids (positive grade; gain = grade,
    no relevance level). A ranked relevant id at rank i contributes ``DCG@i / IDCG@min(i, R+)``,
    each of the ``R+ - (relevant ranked)`` unranked ones ``DCG@num_ret / IDCG@R+``; the sum is
    divided by R+ (0 when R+ = 0). Order of operations as ``m_ndcg_rel.c``."""
    depth = max(judged.grades.shape[0], judged.qrels.shape[0], 1)
    gains, dcg, idcg = _cumulative_gains(judged, depth)
    positive = (judged.qrels > 0).sum(axis=0)
    columns = np.arange(len(judged))
    rank = np.arange(depth)[:, None]
    denominator = idcg[np.minimum(rank, np.maximum(positive - 1, 0)), columns]
    relevant = gains > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.where(relevant, dcg / denominator, 0.0).sum(axis=0)
        total = total + (positive - relevant.sum(axis=0)) * dcg[-1] / denominator[-1]
    return np.divide(total, positive, out=np.zeros(len(judged)), where=total > 0)


def rbp(judged: Judged, p: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """trec_eval ``rbp`` and ``rbp_resid`` (Moffat and Zobel 2008), per query.

    ``rbp = (1 - p) · sum over ranks i >= 1 of gain_i · p^(i-1)``: with 0/1 grades, Moffat and
    Zobel's formula (and ir_measures' / ranx's ``RBP``); graded qrels gain their grade divided by
    the query's highest grade when that exceeds 1 (trec_eval normalises gains into [0, 1]). The
    residual, the most rbp could rise if every unjudged ranked id (absent from the qrels or graded
    below 0) were fully relevant and the ranking continued with relevant ids, is
    ``p^num_ret + (1 - p) · sum over unjudged ranks of p^(i-1)``, and 0 when no ranked id is
    unjudged (as trec_eval). Powers of p are formed by repeated multiplication, as trec_eval.
    """
    grades = judged.grades
    powers = np.cumprod(np.concatenate([[1.0], np.full(grades.shape[0], float(p))]))[:, None]
    top = judged.qrels[0] if judged.qrels.shape[0] else np.zeros(len(judged))
    scale = np.where(top > 1, top, 1.0)  # NaN > 1 is False
    with np.errstate(invalid="ignore"):
        gains = np.where(grades > 0, grades / scale, 0.0)
    value = (1.0 - p) * (gains * powers[:-1]).sum(axis=0)
    ranked = np.arange(grades.shape[0])[:, None] < judged.lengths
    unjudged_ranked = np.isnan(grades) & ranked
    residual = powers[judged.lengths, 0] + (1.0 - p) * np.where(unjudged_ranked, powers[:-1], 0.0).sum(axis=0)
    return value, np.where(unjudged_ranked.any(axis=0), residual, 0.0)


# --- helpers ------------------------------------------------------------------------------------

def _relevant(judged: Judged, k: int | None, level: float) -> np.ndarray:
    """Boolean (ranks, queries): relevant at each rank of the top k (NaN grades compare False)."""
    return judged.grades[:k] >= level


def _dcg(grades: np.ndarray, gain: str) -> np.ndarray:
    return _at(_cumulative_dcg(grades, gain), None)


def _cumulative_dcg(grades: np.ndarray, gain: str) -> np.ndarray:
    """(ranks, queries): DCG down to each rank, summed rank by rank in trec_eval's order."""
    positive = np.where(grades > 0, grades, 0.0)  # NaN > 0 is False
    gains = positive if gain == "linear" else np.exp2(positive) - 1.0
    discount = np.log2(np.arange(2, grades.shape[0] + 2, dtype=np.float64))[:, None]
    return np.cumsum(gains / discount, axis=0)


def _at(cumulative: np.ndarray, k: int | None) -> np.ndarray:
    """Row ``k - 1`` of a (ranks, queries) cumulative matrix (its last row for ``k=None`` or a ``k``
    beyond it; 0 when it has no rows)."""
    if cumulative.shape[0] == 0:
        return np.zeros(cumulative.shape[1])
    return cumulative[(cumulative.shape[0] if k is None else min(k, cumulative.shape[0])) - 1]


def _cached(judged: Judged, key: tuple, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """``compute()``, once per judged batch and ``key``: the metrics of one batch share it (read-only)."""
    if key not in judged.cache:
        value = compute()
        value.flags.writeable = False
        judged.cache[key] = value
    return judged.cache[key]


def _hits(judged: Judged, level: float) -> np.ndarray:
    """(ranks, queries): the number of relevant ids down to each rank."""
    return _cached(judged, ("hits", level), lambda: np.cumsum(judged.grades >= level, axis=0, dtype=np.float64))


def _hits_at(judged: Judged, k: int | None, level: float) -> np.ndarray:
    """Per query: the number of relevant ids in the top k (in the whole ranking for ``k=None``)."""
    return _at(_hits(judged, level), k)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, and 0 where den is 0 (trec_eval's value for an undefined ratio)."""
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros(len(den)), where=den > 0)


def _rank_major(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Flat per-query values -> a (max length, queries) matrix, NaN-padded."""
    width = int(lengths.max()) if len(lengths) else 0
    if (lengths == width).all():  # the usual case: every ranking as deep
        return np.ascontiguousarray(values.reshape(len(lengths), width).T)
    out = np.full((len(lengths), width), math.nan)
    out[np.arange(width) < lengths[:, None]] = values
    return np.ascontiguousarray(out.T)


def _canonical(rows: Sequence, kind: type) -> bool:
    """True when ``rows`` is a list of ``kind`` (list or dict) holding ``str`` ids (``numpy.str_``
    included, which the field checks keep as text): the canonical form `rageval.evaluate` hands over,
    already checked, taken as it is; anything else goes through `rageval.core.fields`' checks, which
    convert it or name the bad row."""
    return (type(rows) is list and not set(map(type, rows)) - {kind}
            and not set(map(type, chain.from_iterable(rows))) - TEXT_TYPES)


def _numbers(rows: list[dict]) -> bool:
    """True when every grade is an int or a float (their finiteness is checked on the array)."""
    return not set(map(type, chain.from_iterable(map(dict.values, rows)))) - {int, float}


def _without_duplicates(rows: list, duplicates: str) -> list:
    """The rankings, each id at its first rank only; a duplicate is an error unless ``"first"``."""
    if all(map(int.__eq__, map(len, map(set, rows)), map(len, rows))):
        return rows
    out = []
    for i, r in enumerate(rows):
        unique = list(dict.fromkeys(r))
        if len(unique) < len(r) and duplicates == "error":
            seen: dict[str, int] = {}
            for rank, x in enumerate(r, 1):
                if x in seen:
                    raise FieldError("retrieved_ids", "retrieved_ids", i,
                                     f"id {x!r:.60} is ranked twice (ranks {seen[x]} and {rank}); trec_eval "
                                     "rejects duplicate ids; pass duplicates='first' to keep each id's best rank")
                seen[x] = rank
        out.append(unique)
    return out
