"""The numpy core of the order-based metrics beyond one binary column: ROC AUC with a ``max_fpr``
(McClish's standardised partial AUC), and scikit-learn's averages of a binary metric over the
columns of a multilabel or one-vs-rest multiclass problem (``_average_binary_score``) and over the
class pairs of a one-vs-one multiclass problem (Hand & Till, ``_average_multiclass_ovo_score``).

A binary metric here is ``metric(truth, score, weight) -> float`` on one column: ``truth`` a bool
array, ``score`` and ``weight`` float arrays (zero weights count for nothing, as scikit-learn
drops them). `binary_auc` and `binary_ap` are the two, identical to scikit-learn's
``_binary_roc_auc_score`` and ``_binary_uninterpolated_average_precision``, with the same
warnings (``warn=False`` silences them, for bootstrap resamples).

>>> t = np.array([False, False, True, True])
>>> round(binary_auc(t, np.array([0.1, 0.4, 0.35, 0.8]), np.ones(4), max_fpr=0.5), 6)
0.666667
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from itertools import combinations

import numpy as np

from rageval.scorers.classic import ranking_functional as R
from rageval.scorers.classic.functional import UndefinedMetricWarning

__all__ = ["UndefinedMetricWarning", "average_binary", "average_ovo", "binary_ap", "binary_auc", "binned_ap",
           "binned_auroc", "partial_auc", "threshold_grid"]

BinaryMetric = Callable[[np.ndarray, np.ndarray, np.ndarray], float]


def masses(truth: np.ndarray, score: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Negative and positive mass per distinct score, ascending (`ranking_functional.Sorted`)."""
    s = R.Sorted(score, truth)
    return s.masses(weight[s.order])


def partial_auc(neg: np.ndarray, pos: np.ndarray, max_fpr: float | None) -> float:
    """ROC AUC from the masses per distinct score (ascending); with ``max_fpr`` in (0, 1), the
    area up to that false positive rate, standardised by McClish's correction
    ``(1 + (A - max_fpr²/2) / (max_fpr - max_fpr²/2)) / 2`` — scikit-learn's ``roc_curve`` (with
    its ``drop_intermediate``), a point interpolated at ``max_fpr`` and the trapezoidal area."""
    if max_fpr is None or max_fpr == 1:
        return R.auc(neg, pos)
    if not (pos.sum() > 0 and neg.sum() > 0):
        return math.nan
    keep = (neg + pos) > 0  # scikit-learn drops zero-weight examples: their scores are no thresholds
    fps, tps = np.cumsum(neg[keep][::-1]), np.cumsum(pos[keep][::-1])
    optimal = np.flatnonzero(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])
    fps, tps = np.r_[0, fps[optimal]], np.r_[0, tps[optimal]]
    fpr, tpr = fps / fps[-1], tps / tps[-1]
    stop = np.searchsorted(fpr, max_fpr, "right")
    x_interp, y_interp = [fpr[stop - 1], fpr[stop]], [tpr[stop - 1], tpr[stop]]
    tpr = np.append(tpr[:stop], np.interp(max_fpr, x_interp, y_interp))
    fpr = np.append(fpr[:stop], max_fpr)
    area = float(np.trapezoid(tpr, fpr))
    min_area, max_area = 0.5 * max_fpr ** 2, max_fpr
    return 0.5 * (1 + (area - min_area) / (max_area - min_area))


def binary_auc(truth: np.ndarray, score: np.ndarray, weight: np.ndarray, max_fpr: float | None = None,
               warn: bool = True) -> float:
    """ROC AUC of one column; one class in ``truth`` (counting zero-weight examples, as
    scikit-learn): NaN with an `UndefinedMetricWarning`."""
    truth = np.asarray(truth, bool)
    if truth.all() or not truth.any():
        if warn:
            warnings.warn("Only one class is present in y_true. ROC AUC score is not defined in that case.",
                          UndefinedMetricWarning, stacklevel=2)
        return math.nan
    return partial_auc(*masses(truth, score, weight), max_fpr)


def binary_ap(truth: np.ndarray, score: np.ndarray, weight: np.ndarray, warn: bool = True) -> float:
    """Average precision of one column; no positive mass: 0.0 with a warning, as scikit-learn."""
    neg, pos = masses(np.asarray(truth, bool), score, weight)
    if not pos.sum() > 0:
        if warn:
            warnings.warn("No positive class found in y_true, recall is set to one for all thresholds.",
                          UserWarning, stacklevel=2)
        return 0.0
    return R.average_precision(neg, pos)


def average_binary(metric: BinaryMetric, truth: np.ndarray, score: np.ndarray, weight: np.ndarray,
                   average: str | None) -> float | np.ndarray:
    """scikit-learn's ``_average_binary_score`` over the columns of ``truth`` / ``score``
    ``(n, L)``: ``"micro"`` the metric of all cells at once (each cell weighted by its example),
    ``"macro"`` the mean over columns (NaN if one is NaN), ``"weighted"`` the mean weighted by each
    column's (weighted) positives (0 where they sum to ~0; a NaN of a zero-weight column counts
    0), ``"samples"`` the metric of each example's row, averaged with the sample weights, None the
    value per column."""
    n, width = truth.shape
    if average == "micro":
        return metric(truth.ravel(), score.ravel(), np.repeat(weight, width))
    average_weight = None
    if average == "weighted":
        average_weight = (truth * weight[:, None]).sum(axis=0)
        if abs(average_weight.sum()) <= 1e-8:  # xpx.isclose(sum, 0)
            return 0.0
    if average == "samples":
        values = np.array([metric(truth[i], score[i], np.ones(width)) for i in range(n)])
        average_weight = weight
        if not weight.sum() > 0:
            return math.nan
    else:
        values = np.array([metric(truth[:, c], score[:, c], weight) for c in range(width)])
    if average is None:
        return values
    if average_weight is not None:
        values[average_weight == 0] = 0
    return float(np.average(values, weights=average_weight))


def average_ovo(metric: BinaryMetric, column: np.ndarray, score: np.ndarray, average: str) -> float:
    """scikit-learn's ``_average_multiclass_ovo_score`` (Hand & Till 2001): for each pair of
    classes ``a < b`` present in ``column``, the mean of the metric of ``a`` against ``b`` on score
    column ``a`` and of ``b`` against ``a`` on column ``b``, over the examples of either class;
    averaged over pairs, ``"weighted"`` by each pair's share of the examples. No pair: NaN."""
    present = np.unique(column)
    pairs, prevalence = [], []
    for a, b in combinations(present.tolist(), 2):
        mask = (column == a) | (column == b)
        ones = np.ones(int(mask.sum()))
        pairs.append((metric(column[mask] == a, score[mask, a], ones) +
                      metric(column[mask] == b, score[mask, b], ones)) / 2)
        prevalence.append(mask.mean())
    if not pairs:
        return math.nan
    return float(np.average(pairs, weights=prevalence if average == "weighted" else None))


# --- binned mode (torchmetrics' thresholds=) ----------------------------------------------------
def threshold_grid(thresholds: int | list[float]) -> np.ndarray:
    """torchmetrics' thresholds as float64: ``int`` -> ``torch.linspace(0, 1, n)`` and a list ->
    ``torch.tensor(list)``, both float32 in torch (so float32-rounded here too)."""
    if isinstance(thresholds, int):
        import torch

        return torch.linspace(0, 1, thresholds).numpy().astype(np.float64)
    return np.asarray(thresholds, np.float32).astype(np.float64)


def binned_counts(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per threshold ``j`` (ascending) the true/false positives and false/true negatives, from the
    positive and negative mass per bin ``(rows, T + 1)`` (bin ``b``: scores clearing ``b``
    thresholds): a score is predicted positive at threshold ``j`` when its bin is above ``j``."""
    tps = np.cumsum(pos[:, ::-1], axis=1)[:, ::-1][:, 1:]
    fps = np.cumsum(neg[:, ::-1], axis=1)[:, ::-1][:, 1:]
    fns, tns = np.cumsum(pos, axis=1)[:, :-1], np.cumsum(neg, axis=1)[:, :-1]
    return tps, fps, fns, tns


def _divide(num: np.ndarray, den: np.ndarray, zero: float) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den == 0, zero, num / np.where(den == 0, 1.0, den))


def binned_auroc(pos: np.ndarray, neg: np.ndarray, max_fpr: float | None) -> np.ndarray:
    """torchmetrics' ``_binary_auroc_compute`` on a multi-threshold confusion matrix, per row:
    ``tpr = tps / (tps + fns)``, ``fpr = fps / (fps + tns)`` (0 where undefined), flipped to
    descending thresholds, the trapezoidal area; with ``max_fpr`` (unless the rates sum to 0) the
    curve cut at ``max_fpr`` by linear interpolation (torch's ``lerp``) and McClish's correction;
    NaN with a warning where the curve ends before ``max_fpr`` (torchmetrics raises there)."""
    tps, fps, fns, tns = binned_counts(pos, neg)
    tpr, fpr = _divide(tps, tps + fns, 0.0)[:, ::-1], _divide(fps, fps + tns, 0.0)[:, ::-1]
    out = np.empty(len(tpr))
    for r in range(len(tpr)):
        x, y = fpr[r], tpr[r]
        if max_fpr is None or max_fpr == 1 or x.sum() == 0 or y.sum() == 0:
            out[r] = np.trapezoid(y, x)
            continue
        top = np.float32(max_fpr)  # torchmetrics holds max_fpr in a float32 tensor, and computes with it there
        stop = int(np.searchsorted(x, float(top), "right"))
        if stop == len(x):  # the binned curve ends before max_fpr (torchmetrics: an IndexError)
            warnings.warn(f"the ROC curve at these thresholds ends at a false positive rate of {x[-1]:.4g}, below "
                          f"max_fpr={max_fpr}: the partial AUC is undefined (NaN)", UndefinedMetricWarning,
                          stacklevel=4)
            out[r] = math.nan
            continue
        a, b = y[stop - 1], y[stop]
        weight = (float(top) - x[stop - 1]) / (x[stop] - x[stop - 1])
        interp = (weight - 1) * (b - a) + b if weight >= 0.5 else weight * (b - a) + a
        area = np.trapezoid(np.append(y[:stop], interp), np.append(x[:stop], float(top)))
        min_area = np.float32(0.5) * top ** 2
        out[r] = 0.5 * (1 + (area - float(min_area)) / float(top - min_area))
    return out


def binned_ap(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """torchmetrics' ``_binary_average_precision_compute`` on a multi-threshold confusion matrix,
    per row: precision ``tps / (tps + fps)`` and recall ``tps / (tps + fns)`` per threshold
    (ascending; NaN where undefined, then 0), a final point (recall 0, precision 1), and
    ``-Σ (recall[k+1] - recall[k]) · precision[k]``."""
    tps, fps, fns, _ = binned_counts(pos, neg)
    n = len(tps)
    precision = np.concatenate([_divide(tps, tps + fps, math.nan), np.ones((n, 1))], axis=1)
    recall = np.concatenate([_divide(tps, tps + fns, math.nan), np.zeros((n, 1))], axis=1)
    precision, recall = np.nan_to_num(precision, nan=0.0), np.nan_to_num(recall, nan=0.0)
    return -np.sum((recall[:, 1:] - recall[:, :-1]) * precision[:, :-1], axis=1)
