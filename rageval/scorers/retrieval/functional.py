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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, repeat

import numpy as np

from rageval.core.errors import FieldError
from rageval.core.fields import check_id_list, check_relevance

DUPLICATES = ("error", "first")
GAINS = ("linear", "exponential")


@dataclass(frozen=True)
class Judged:
    """A batch of judged rankings.

    ``grades[r, q]`` is the grade of the id at rank ``r`` (0-based) of query ``q``: NaN where the
    id is unjudged (absent from the qrels, or graded below 0) and past the end of the ranking.
    ``qrels[j, q]`` holds query ``q``'s non-negative qrels grades in decreasing order, NaN-padded
    (the ideal ranking). ``lengths[q]`` is the number of ranked ids.
    """

    grades: np.ndarray
    qrels: np.ndarray
    lengths: np.ndarray

    def __len__(self) -> int:
        return len(self.lengths)


def judge(retrieved_ids: Sequence[Sequence[str]], relevant_ids: Sequence[Mapping[str, float] | Sequence[str]],
          duplicates: str = "error") -> Judged:
    """Judge ranked lists of ids against graded qrels, one query per row.

    ``retrieved_ids[q]`` is query ``q``'s ranking (best first); ``relevant_ids[q]`` its qrels, a
    dict id -> grade, or a list of ids (grade 1 each). ``duplicates``: ``"error"`` (trec_eval's
    "duplicate docs" error) or ``"first"`` (keep an id's first rank). Ids are strings, or integers
    (read as their strings). Bad input raises `FieldError` naming the field and the row
    (`rageval.core.fields`' checks).

    >>> judge([["a", "b", "c"]], [{"c": 2, "a": 0}]).grades[:, 0].tolist()
    [0.0, nan, 2.0]
    """
    if duplicates not in DUPLICATES:
        raise ValueError(f"duplicates must be one of {DUPLICATES}, got {duplicates!r}")
    retrieved = check_id_list("retrieved_ids", "retrieved_ids", retrieved_ids)
    relevant = check_relevance("relevant_ids", "relevant_ids", relevant_ids)
    if len(retrieved) != len(relevant):
        raise ValueError(f"retrieved_ids has {len(retrieved)} rows and relevant_ids {len(relevant)}: "
                         "one of each per query")
    retrieved = _without_duplicates(retrieved, duplicates)
    n = len(retrieved)

    lengths = np.fromiter(map(len, retrieved), np.int64, count=n)
    ranked = list(chain.from_iterable(retrieved))
    looked_up = map(dict.get, chain.from_iterable(map(repeat, relevant, lengths.tolist())), ranked, repeat(math.nan))
    grades = np.fromiter(looked_up, np.float64, count=len(ranked))
    grades[grades < 0] = math.nan  # trec_eval: graded below 0 = in the pool but unjudged

    qrel_counts = np.fromiter(map(len, relevant), np.int64, count=n)
    qrel_grades = np.fromiter(chain.from_iterable(map(dict.values, relevant)), np.float64, count=int(qrel_counts.sum()))
    qrel_grades[qrel_grades < 0] = math.nan
    # within each query, non-negative grades first in decreasing order (the ideal ranking), then NaN
    query = np.repeat(np.arange(n), qrel_counts)
    order = np.lexsort((-np.nan_to_num(qrel_grades, nan=-1.0), query))
    judged = Judged(grades=_rank_major(grades, lengths), qrels=_rank_major(qrel_grades[order], qrel_counts),
                    lengths=lengths)
    for array in (judged.grades, judged.qrels, judged.lengths):
        array.flags.writeable = False  # shared by every metric of the batch
    return judged


# --- metrics: each returns one float64 value per query -----------------------------------------

def precision(judged: Judged, k: int | None = None, level: float = 1) -> np.ndarray:
    """P@k = |relevant in the top k| / k (trec_eval ``P_k``); with ``k=None``, |relevant retrieved| /
    |retrieved| (trec_eval ``set_P``; 0 for an empty ranking)."""
    hits = _relevant(judged, k, level).sum(axis=0, dtype=np.float64)
    if k is not None:
        return hits / k
    return _ratio(hits, judged.lengths)


def recall(judged: Judged, k: int | None = None, level: float = 1) -> np.ndarray:
    """Recall@k = |relevant in the top k| / R (trec_eval ``recall_k``; ``set_recall`` with
    ``k=None``); 0 when R = 0."""
    hits = _relevant(judged, k, level).sum(axis=0, dtype=np.float64)
    return _ratio(hits, num_relevant(judged, level))


def hit_rate(judged: Judged, k: int | None = None, level: float = 1) -> np.ndarray:
    """1 when a relevant id is in the top k, else 0 (trec_eval ``success_k``)."""
    return _relevant(judged, k, level).any(axis=0).astype(np.float64)


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
    precision_at = np.cumsum(rel, axis=0, dtype=np.float64) / ranks
    total = np.where(rel, precision_at, 0.0).sum(axis=0)
    return _ratio(total, num_relevant(judged, level))


def r_precision(judged: Judged, level: float = 1) -> np.ndarray:
    """R-precision = |relevant in the top R| / R (trec_eval ``Rprec``); 0 when R = 0."""
    r = num_relevant(judged, level)
    rel = _relevant(judged, None, level)
    hits_at = np.cumsum(rel, axis=0, dtype=np.float64)
    if hits_at.shape[0] == 0:
        return np.zeros(len(r))
    row = np.clip(r, 1, hits_at.shape[0]).astype(np.int64) - 1
    return _ratio(hits_at[row, np.arange(len(r))], r)


def ndcg(judged: Judged, k: int | None = None, gain: str = "linear") -> np.ndarray:
    """nDCG@k = DCG@k / ideal DCG@k, DCG@k = sum over ranks i <= k of gain(grade_i) / log2(i + 1).

    ``gain="linear"``: the grade itself (trec_eval ``ndcg_cut_k``, ``ndcg`` with ``k=None``);
    ``"exponential"``: 2^grade - 1 (Burges et al.; ranx ``ndcg_burges``). Ungraded, unjudged and
    negatively graded ids gain 0. The ideal DCG ranks *all* the query's judged ids by gain, so
    ids missing from the ranking count against it. trec_eval applies no relevance level to nDCG:
    every positive grade gains. 0 when no id has a positive grade.
    """
    if gain not in GAINS:
        raise ValueError(f"gain must be one of {GAINS}, got {gain!r}")
    dcg = _dcg(judged.grades[:k], gain)
    ideal = _dcg(judged.qrels[:k], gain)
    return _ratio(dcg, ideal)


def num_relevant(judged: Judged, level: float = 1) -> np.ndarray:
    """R per query: the number of qrels ids graded ``>= level`` (trec_eval ``num_rel``)."""
    return (judged.qrels >= level).sum(axis=0, dtype=np.float64)


# --- helpers ------------------------------------------------------------------------------------

def _relevant(judged: Judged, k: int | None, level: float) -> np.ndarray:
    """Boolean (ranks, queries): relevant at each rank of the top k (NaN grades compare False)."""
    return judged.grades[:k] >= level


def _dcg(grades: np.ndarray, gain: str) -> np.ndarray:
    positive = np.where(grades > 0, grades, 0.0)  # NaN > 0 is False
    gains = positive if gain == "linear" else np.exp2(positive) - 1.0
    discount = np.log2(np.arange(2, grades.shape[0] + 2, dtype=np.float64))[:, None]
    # reduced over axis 0 of a C-ordered array: summed rank by rank, in trec_eval's order
    return (gains / discount).sum(axis=0)


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
