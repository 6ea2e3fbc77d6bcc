"""The numpy core of the order-based binary metrics (ROC AUC, average precision), exact on any
weighting of the examples: a whole corpus, a subset, or every bootstrap resample at once.

Both metrics are functions of the (weighted) positive and negative mass at each distinct score.
`Sorted` sorts the scores once; `Sorted.masses` sums any weighting of the examples (in sorted
order) into those groups, and `Sorted.draw_masses` sums a bootstrap resample straight from its
draws (each draw adds its weight to its example's (group, label) bin: one `np.bincount` into
2 × groups bins, no sort, no resampled copy); `auc` and `average_precision` read the metric from
the masses.

With ``P_g``, ``N_g`` the positive and negative mass of score group ``g`` (ascending scores):

* ROC AUC (Mann-Whitney, ties counted one half) ``Σ_g P_g · (Σ_{h<g} N_h + N_g / 2) / (P · N)``,
  which is the trapezoidal area under scikit-learn's ROC curve (``roc_auc_score``);
* average precision ``Σ_g (P_g / P) · TP_g / (TP_g + FP_g)`` with ``TP_g``, ``FP_g`` the mass of
  the groups scoring at least ``g``: scikit-learn's step sum ``Σ (R_k - R_{k-1}) P_k``
  (``average_precision_score``).

>>> s = Sorted(np.array([0.1, 0.4, 0.35, 0.8]), np.array([False, False, True, True]))
>>> neg, pos = s.masses(np.ones(4))
>>> float(auc(neg, pos)), round(float(average_precision(neg, pos)), 4)
(0.75, 0.8333)
"""
from __future__ import annotations

import functools
import math

import numpy as np


class Sorted:
    """Examples sorted once by score (ascending), with the positive flag in that order and where
    each run of tied scores starts (None: no ties). The sort need not be stable: tied scores are
    summed into one group."""

    def __init__(self, score: np.ndarray, positive: np.ndarray) -> None:
        self.order = np.argsort(score)
        n = len(score)
        s = score[self.order]
        self.negative = ~np.asarray(positive, bool)[self.order]
        starts = np.flatnonzero(np.concatenate([[True], s[1:] != s[:-1]])) if n else np.zeros(0, np.int64)
        self.starts = None if len(starts) == n else starts

    def masses(self, weight_sorted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Negative and positive mass per distinct score (ascending), from the examples' weights in
        sorted order."""
        w = np.asarray(weight_sorted, np.float64)
        neg = np.where(self.negative, w, 0.0)
        pos = w - neg
        if self.starts is not None:
            neg, pos = np.add.reduceat(neg, self.starts), np.add.reduceat(pos, self.starts)
        return neg, pos

    @functools.cached_property
    def group_key(self) -> np.ndarray:
        """``2·g + positive`` per example, in the examples' own order (g: its score group)."""
        n = len(self.order)
        bins = 2 * (n if self.starts is None else len(self.starts))
        # the smallest integer type: a resample reads the keys at random, and a small table stays in cache
        dtype = next(t for t in (np.int16, np.int32, np.int64) if bins <= np.iinfo(t).max)
        if self.starts is None:
            group = np.arange(n, dtype=dtype)
        else:
            group = np.repeat(np.arange(len(self.starts), dtype=dtype), np.diff(np.append(self.starts, n)))
        key = np.empty(n, dtype)
        key[self.order] = 2 * group + ~self.negative
        return key

    def draw_masses(self, draws: np.ndarray, weight: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """`masses` of the bootstrap resample given by ``draws`` (example indices with repeats):
        each draw adds its ``weight`` (None: 1) to its example's group and label."""
        groups = len(self.order) if self.starts is None else len(self.starts)
        m = np.bincount(self.group_key[draws], weights=None if weight is None else weight[draws],
                        minlength=2 * groups).astype(np.float64, copy=False)
        return m[0::2], m[1::2]


def auc(neg: np.ndarray, pos: np.ndarray) -> float:
    """ROC AUC from the masses per distinct score (ascending); NaN without positive or negative
    mass."""
    p, n = pos.sum(), neg.sum()
    if not (p > 0 and n > 0):
        return math.nan
    below = np.cumsum(neg) - neg
    # products summed by numpy, not BLAS: a BLAS dot's threads stall on a busy machine
    return float((np.sum(pos * below) + 0.5 * np.sum(pos * neg)) / (p * n))


def average_precision(neg: np.ndarray, pos: np.ndarray) -> float:
    """Average precision from the masses per distinct score (ascending; scikit-learn's step sum);
    NaN without positive mass (scikit-learn warns and returns -0.0)."""
    tp, fp = np.cumsum(pos[::-1]), np.cumsum(neg[::-1])
    p = tp[-1] if len(tp) else 0.0
    if not p > 0:
        return math.nan
    total = tp + fp
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(total > 0, tp / np.where(total > 0, total, 1.0), 0.0)
    return float(np.sum(pos[::-1] * precision) / p)
