"""Metrics of the whole confusion matrix, identical to scikit-learn on single-label data:
``balanced_accuracy``, ``mcc``, ``cohen_kappa``, ``confusion_matrix`` (accuracy as its value, the
matrix from `ConfusionMatrix.matrix`), and the error rates ``hamming_loss`` and ``zero_one_loss``.

Statistics are `Coded` labels with the sample weight (`LabelScorer`). The summed form is the
weighted confusion matrix flattened (``K²`` columns for a vocabulary of ``K`` labels) plus, per
label, whether it occurs (unweighted: scikit-learn's present labels), so any subset, shard or
bootstrap resample reduces exactly; `reduce` builds the matrix with one `np.bincount`.
Examples whose weights are all zero give NaN (scikit-learn raises "Sample weights must contain at
least one non-zero number"; a shard or a resample may hold such examples).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from rageval.core.errors import ConfigError
from rageval.core.statistics import Coded, Statistics
from rageval.scorers.classic.classification import SUMMED_LIMIT, Accuracy, LabelScorer, indicators


class ConfusionScorer(LabelScorer):
    """A metric of the weighted confusion matrix over the labels present in the examples reduced
    (or ``labels=``, in that order, where the metric takes it)."""

    labels: Sequence[Any] | None = None
    multilabel = False

    def sum_rows(self, stats: Statistics, limit: bool = True) -> np.ndarray | None:
        k = len(stats.vocab)
        n = len(stats)
        if limit and n * (k * k + k) > SUMMED_LIMIT:
            return None
        t, p, w = stats.codes[:, 0], stats.codes[:, 1], stats.values[:, 0]
        out = np.zeros((n, k * k + k))
        rows = np.arange(n)
        out[rows, t * k + p] = w
        out[rows, k * k + t] = 1.0
        out[rows, k * k + p] = 1.0
        return out

    def reduce(self, stats: Statistics) -> dict[str, float]:
        if not len(stats):
            return self.no_examples()
        self.check_present(stats)
        k = len(stats.vocab)
        t, p, w = stats.codes[:, 0], stats.codes[:, 1], stats.values[:, 0]
        sums = np.concatenate([np.bincount(t * k + p, weights=w, minlength=k * k),
                               np.bincount(np.concatenate([t, p]), minlength=k) > 0])
        values = self.reduce_sums(sums[None, :].astype(np.float64), np.array([float(len(stats))]))
        return {key: float(values[key][0]) for key in self.keys()}

    def matrices(self, sums: np.ndarray, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
        """The confusion matrices ``(rows, L, L)`` over the labels scored, and which of those
        labels are present ``(rows, L)``: ``labels=`` in its order (absent ones stay, as
        scikit-learn's ``labels``), else the whole vocabulary (absent labels give zero rows and
        columns; metrics that depend on the labels' positions use the present mask)."""
        k = vocab_size
        cm = sums[:, :k * k].reshape(-1, k, k)
        present = sums[:, k * k:] > 0
        return cm, present

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        k = int(round((-1 + math.sqrt(1 + 4 * sums.shape[1])) / 2))
        cm, present = self.matrices(sums, k)
        if self.labels is not None:
            index = np.array([self._where.get(x, -1) for x in self.labels])
            at, sub = np.flatnonzero(index >= 0), index[index >= 0]
            full = np.zeros((len(sums), len(index), len(index)))
            full[:, at[:, None], at[None, :]] = cm[:, sub[:, None], sub[None, :]]
            cm, present = full, np.ones((len(sums), len(index)), bool)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = self.metric(cm, present)
        return {self.key: np.where(counts > 0, value, math.nan)}

    def metric(self, cm: np.ndarray, present: np.ndarray) -> np.ndarray:
        """The metric of each confusion matrix ``cm[i]`` (labels ``present[i]``); each subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define metric(cm, present)")


class BalancedAccuracy(ConfusionScorer):
    """Balanced accuracy, `sklearn.metrics.balanced_accuracy_score`: the mean over labels with a
    non-zero (weighted) true count of their recall ``C[i, i] / Σ_j C[i, j]``. ``adjusted=True``:
    ``(score - 1/L) / (1 - 1/L)`` with ``L`` the labels averaged (chance is 0)."""

    name = "balanced_accuracy"

    def __init__(self, adjusted: bool = False) -> None:
        if not isinstance(adjusted, bool):
            raise ConfigError(f"balanced_accuracy: adjusted must be True or False, got {adjusted!r}")
        super().__init__(**({"adjusted": True} if adjusted else {}))
        self.adjusted = adjusted
        if adjusted:
            self.bounds = (-math.inf, 1.0)

    def metric(self, cm: np.ndarray, present: np.ndarray) -> np.ndarray:
        support = cm.sum(axis=2)
        used = support > 0
        recall = np.diagonal(cm, axis1=1, axis2=2) / np.where(used, support, 1.0)
        n = used.sum(axis=1)
        score = np.where(used, recall, 0.0).sum(axis=1) / n
        if self.adjusted:
            chance = 1 / n
            score = (score - chance) / (1 - chance)
        return score


class MCC(ConfusionScorer):
    """Matthews correlation coefficient, `sklearn.metrics.matthews_corrcoef` (multiclass:
    Gorodkin's R_K): with ``t``, ``p`` the true and predicted totals per label, ``c`` the
    correct total and ``s`` the total weight, ``(c·s - t·p) / sqrt((s² - p·p)(s² - t·t))``;
    0 where the denominator is 0 (scikit-learn's convention); NaN where all weights are 0
    (scikit-learn raises)."""

    name = "mcc"
    bounds: ClassVar[tuple[float, float]] = (-1.0, 1.0)

    def metric(self, cm: np.ndarray, present: np.ndarray) -> np.ndarray:
        t, p = cm.sum(axis=2), cm.sum(axis=1)
        correct = np.trace(cm, axis1=1, axis2=2)
        s = p.sum(axis=1)
        cov_tp = correct * s - np.einsum("rk,rk->r", t, p)
        cov_pp = s ** 2 - np.einsum("rk,rk->r", p, p)
        cov_tt = s ** 2 - np.einsum("rk,rk->r", t, t)
        den = cov_pp * cov_tt
        value = np.where(den == 0, 0.0, cov_tp / np.sqrt(np.where(den == 0, 1.0, den)))
        return np.where(s == 0, math.nan, value)


class CohenKappa(ConfusionScorer):
    """Cohen's kappa, `sklearn.metrics.cohen_kappa_score` (``y1`` = ``y_true``, ``y2`` =
    ``y_pred``): ``1 - Σ W∘C / Σ W∘E`` with ``E = outer(col sums, row sums) / total`` and the
    disagreement weights ``W`` over the labels' positions ``i, j`` (sorted present labels, or
    ``labels=``): ``weights=None`` ``[i != j]``, ``"linear"`` ``|i - j|``, ``"quadratic"``
    ``(i - j)²``. An undefined kappa (zero total, or zero expected disagreement) gives
    ``replace_undefined_by`` (default NaN), as scikit-learn."""

    name = "cohen_kappa"
    bounds: ClassVar[tuple[float, float]] = (-1.0, 1.0)

    def __init__(self, weights: str | None = None, labels: Sequence[Any] | None = None,
                 replace_undefined_by: float = math.nan) -> None:
        if weights not in (None, "linear", "quadratic"):
            raise ConfigError(f"cohen_kappa: weights must be None, 'linear' or 'quadratic', got {weights!r}")
        if labels is not None:
            labels = list(labels)
            if not labels or len(set(labels)) != len(labels):
                raise ConfigError(f"cohen_kappa: labels must be distinct and at least one, got {labels!r}")
        params: dict[str, Any] = {"weights": weights} if weights else {}
        if labels is not None:
            params["labels"] = labels
        if not (isinstance(replace_undefined_by, float) and math.isnan(replace_undefined_by)):
            params["replace_undefined_by"] = float(replace_undefined_by)
        super().__init__(**params)
        self.weights, self.labels, self.replace = weights, labels, float(replace_undefined_by)

    def check_present(self, stats: Coded) -> None:
        self._where = {x: i for i, x in enumerate(stats.vocab)}
        if self.labels is not None and len(stats):
            true = {stats.vocab[c] for c in np.unique(stats.codes[:, 0])}
            if not true & set(self.labels):
                raise ConfigError("cohen_kappa: at least one label in `labels` must be present in `y1` "
                                  "(y_true)")

    def sum_rows(self, stats: Statistics, limit: bool = True) -> np.ndarray | None:
        self._where = {x: i for i, x in enumerate(stats.vocab)}
        return super().sum_rows(stats, limit)

    def metric(self, cm: np.ndarray, present: np.ndarray) -> np.ndarray:
        sum0, sum1 = cm.sum(axis=1), cm.sum(axis=2)
        total = sum0.sum(axis=1)
        expected = sum0[:, :, None] * sum1[:, None, :] / np.where(total > 0, total, 1.0)[:, None, None]
        pos = np.cumsum(present, axis=1) - 1.0  # each label's position among the present ones
        d = pos[:, :, None] - pos[:, None, :]
        w = (d != 0).astype(np.float64) if self.weights is None else np.abs(d) if self.weights == "linear" else d * d
        w = w * (present[:, :, None] & present[:, None, :])
        num, den = (w * cm).sum(axis=(1, 2)), (w * expected).sum(axis=(1, 2))
        k = 1 - num / np.where(den == 0, 1.0, den)
        return np.where((total == 0) | (den == 0), self.replace, k)


class ConfusionMatrix(ConfusionScorer):
    """The confusion matrix, `sklearn.metrics.confusion_matrix` (``C[i, j]``: weighted count of
    true label ``i`` predicted ``j``, labels sorted or ``labels=``): its value is the accuracy
    ``trace(C) / sum(C)`` over the labels scored; `matrix` gives the labels and the matrix."""

    name = "confusion_matrix"

    def __init__(self, labels: Sequence[Any] | None = None) -> None:
        if labels is not None:
            labels = list(labels)
            if not labels or len(set(labels)) != len(labels):
                raise ConfigError(f"confusion_matrix: labels must be distinct and at least one, got {labels!r}")
        super().__init__(**({"labels": labels} if labels is not None else {}))
        self.labels = labels

    def check_present(self, stats: Coded) -> None:
        self._where = {x: i for i, x in enumerate(stats.vocab)}

    def sum_rows(self, stats: Statistics, limit: bool = True) -> np.ndarray | None:
        self._where = {x: i for i, x in enumerate(stats.vocab)}
        return super().sum_rows(stats, limit)

    def matrix(self, stats: Coded) -> tuple[list, np.ndarray]:
        """The labels (present ones sorted, or ``labels=``) and the weighted confusion matrix."""
        k = len(stats.vocab)
        t, p, w = stats.codes[:, 0], stats.codes[:, 1], stats.values[:, 0]
        cm = np.bincount(t * k + p, weights=w, minlength=k * k).reshape(k, k)
        if self.labels is not None:
            where = {x: i for i, x in enumerate(stats.vocab)}
            index = [where.get(x, -1) for x in self.labels]
            out = np.zeros((len(index), len(index)))
            for a, i in enumerate(index):
                for b, j in enumerate(index):
                    if i >= 0 and j >= 0:
                        out[a, b] = cm[i, j]
            return list(self.labels), out
        present = np.flatnonzero(np.bincount(np.concatenate([t, p]), minlength=k))
        return [stats.vocab[i] for i in present], cm[np.ix_(present, present)]

    def metric(self, cm: np.ndarray, present: np.ndarray) -> np.ndarray:
        total = cm.sum(axis=(1, 2))
        return np.trace(cm, axis1=1, axis2=2) / total


class ZeroOneLoss(Accuracy):
    """Zero-one loss, `sklearn.metrics.zero_one_loss`: the (weighted) share of examples whose
    predicted label differs from the true one, ``1 - accuracy``; ``normalize=False``: their
    (weighted) count."""

    name = "zero_one_loss"
    higher_is_better = False

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        wrong = sums[:, 1] - sums[:, 0]
        if not self.normalize:
            return {self.key: np.where(counts > 0, wrong, math.nan)}
        with np.errstate(invalid="ignore", divide="ignore"):
            return {self.key: np.where((counts > 0) & (sums[:, 1] != 0), wrong / sums[:, 1], math.nan)}


class HammingLoss(ZeroOneLoss):
    """Hamming loss, `sklearn.metrics.hamming_loss`: the (weighted) share of wrong labels,
    ``Σ w·[y ≠ ŷ] / Σ w`` for single-label data (the zero-one loss there) and
    ``Σ_i w_i·d_i / (L·Σ w)`` for multilabel indicators, ``d_i`` the labels example ``i`` gets wrong
    out of ``L``. Statistics summed: ``(w·d, w·L)`` (single-label: ``L = 1``)."""

    name = "hamming_loss"

    def __init__(self) -> None:
        super().__init__()

    def columns(self, stats: Statistics) -> tuple[np.ndarray, np.ndarray]:
        """``w·d`` (the weight of each wrong label) and ``w·L``."""
        multi = indicators(stats)
        if multi is None:
            w = stats.values[:, 0] if stats.values.shape[1] else np.zeros(len(stats))
            return np.where(self.correct(stats), 0.0, w), w
        w, t, p = multi
        return w * (t != p).sum(axis=1), w * t.shape[1]

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        with np.errstate(invalid="ignore", divide="ignore"):
            return {self.key: np.where((counts > 0) & (sums[:, 1] != 0), sums[:, 0] / sums[:, 1], math.nan)}
