"""Precision, recall, F-beta, jaccard and the confusion rates (specificity, npv, fpr, fdr) over
`y_true` / `y_pred` labels, identical to scikit-learn's, with its ``average``, ``labels``,
``pos_label`` and ``zero_division``: label scorers (`rageval.scorers.classic.classification`,
whose module docstring states the statistics) reduced from per-label counts.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, column_sums
from rageval.core.statistics import Coded, Statistics
from rageval.scorers.classic import functional as F
from rageval.scorers.classic import inputs
from rageval.scorers.classic.classification import SUMMED_LIMIT, LabelScorer, indicators

_AVERAGES = ("binary", "micro", "macro", "weighted", "samples", None)


class PrecisionRecallF(LabelScorer):
    """Precision, recall or F-beta, identical to scikit-learn's ``precision_score``,
    ``recall_score``, ``f1_score`` and ``fbeta_score`` for single-label data.

    Per label, from (weighted) counts: precision ``tp / (tp + fp)``, recall ``tp / (tp + fn)``,
    F-beta ``(1 + β²)·tp / ((1 + β²)·tp + β²·fn + fp)``; a zero denominator gives
    ``zero_division`` (``"warn"`` = 0, 0, 1 or nan). ``average``: ``"binary"`` (the label
    ``pos_label``; at most two labels), ``"micro"`` (counts summed over labels), ``"macro"`` (mean
    over labels), ``"weighted"`` (mean weighted by each label's true count; all-zero weights give
    the plain mean). NaN values are left out of the averages (scikit-learn's ``_nanaverage``).
    Labels: ``labels=`` in that order, else those present in the ``y_true`` or ``y_pred`` of the
    examples reduced. As scikit-learn, ``average="binary"`` refuses more than two labels, and a
    ``pos_label`` that is not among two present labels.

    Multilabel indicators: every label (column) is scored, or the columns ``labels=`` names;
    ``average="samples"`` takes the metric of each example's labels (its counts weighted by its
    sample weight, as scikit-learn) and averages it with the sample weights, NaN left out;
    ``"binary"`` is refused, as there. ``average=None``: one part per label of ``labels=``
    (required then), named by the label; the primary value is their macro average.
    """

    metric: ClassVar[str] = "f"
    higher_is_better = True
    #: averages leave NaN values out (scikit-learn's ``_nanaverage``); jaccard's do not
    nan_ignoring: ClassVar[bool] = True
    #: whether ``zero_division=nan`` is taken (scikit-learn's jaccard_score refuses it)
    nan_zero_division: ClassVar[bool] = True

    def __init__(self, average: str = "binary", pos_label: Any = 1, zero_division: Any = "warn",
                 labels: Sequence[Any] | None = None, **params: Any) -> None:
        if average not in _AVERAGES:
            raise ConfigError(f"{self.name}: average must be one of {_AVERAGES}, got {average!r}")
        if not (zero_division == "warn" or zero_division in (0, 1) or
                (self.nan_zero_division and isinstance(zero_division, float) and math.isnan(zero_division))):
            raise ConfigError(f"{self.name}: zero_division must be 'warn', 0, 1"
                              f"{' or nan' if self.nan_zero_division else ''}, got {zero_division!r}")
        if labels is not None:
            labels = [inputs.plain(x) for x in labels]
            if not labels or len(set(labels)) != len(labels):
                raise ConfigError(f"{self.name}: labels must be distinct and at least one, got {labels!r}")
        if average is None and labels is None:
            raise ConfigError(f"{self.name}: average=None reports one part per label: give labels= (for multilabel "
                              "data, the column indices)")
        super().__init__(average=average, pos_label=pos_label, zero_division=zero_division,
                         **({"labels": labels} if labels is not None else {}), **params)
        self.average, self.pos_label, self.labels = average, pos_label, labels
        self.zero_division = zero_division
        self.zero = 0.0 if zero_division == "warn" else float(zero_division)
        if average is None:
            self.parts = tuple(str(x) for x in labels)

    def check_multilabel(self, width: int | None = None) -> None:
        if self.average == "binary":
            raise ConfigError(f"{self.key}: Target is multilabel-indicator but average='binary'. Please choose another "
                              "average setting, one of [None, 'micro', 'macro', 'weighted', 'samples']")
        if width is not None and self.labels is not None:
            bad = [x for x in self.labels if isinstance(x, bool) or not isinstance(x, numbers.Integral)
                   or not 0 <= x < width]
            if bad:
                raise FieldError("y_true", "y_true", None, f"labels {bad!r:.60} are not column indices: all labels "
                                                           f"must be in [0, {width}) for multilabel targets")

    def stats(self, batch: Batch) -> Coded:
        out = super().stats(batch)
        if indicators(out) is not None:
            self.check_multilabel(indicators(out)[1].shape[1])
        elif self.average == "samples":
            raise ConfigError(f"{self.key}: Samplewise metrics are not available outside of multilabel "
                              "classification (average='samples')")
        return out

    def validate(self, batch: Batch) -> None:
        super().validate(batch)
        if self.average == "samples" and not inputs.is_matrix(batch["y_true"]):
            raise ConfigError(f"{self.key}: Samplewise metrics are not available outside of multilabel "
                              "classification (average='samples')")

    # --- the counts ------------------------------------------------------------------------
    def _columns(self, stats: Coded, multi: tuple | None = None) -> np.ndarray:
        """The vocabulary code of each label scored (-1: not in the data): ``pos_label``, the
        given ``labels``, or every label of the vocabulary (each subset scores those present).
        ``multi``: `indicators` of ``stats`` where the caller has them."""
        multi = indicators(stats) if multi is None else multi
        if multi is not None:
            return np.arange(multi[1].shape[1]) if self.labels is None else np.array(self.labels, np.int64)
        where = {x: i for i, x in enumerate(stats.vocab)}
        if self.average == "binary":
            return np.array([where.get(self.pos_label, -1)])
        if self.labels is not None:
            return np.array([where.get(x, -1) for x in self.labels])
        return np.arange(len(stats.vocab))

    def sum_rows(self, stats: Statistics, limit: bool = True) -> np.ndarray | None:
        """Per example and scored label: weighted tp, true and predicted counts, whether the
        label occurs (unweighted), and the weighted true negatives (neither true nor predicted,
        counted, not subtracted) — ``5 x labels`` columns whose sums give every average."""
        columns = self._columns(stats)
        n, k = len(stats), len(columns)
        if limit and n * 5 * k > SUMMED_LIMIT:
            return None
        multi = indicators(stats)
        if multi is not None:
            return self.multilabel_rows(multi[0], multi[1][:, columns], multi[2][:, columns])
        t, p, w = stats.codes[:, 0], stats.codes[:, 1], stats.values[:, 0]
        tn = ((t[:, None] != columns[None, :]) & (p[:, None] != columns[None, :])) * w[:, None]
        return np.concatenate([F.label_rows(t, p, w, columns), tn], axis=1)

    def multilabel_rows(self, w: np.ndarray, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Summed-form rows of multilabel examples: the per-label blocks of `sum_rows` (every label
        occurs), or for ``average="samples"`` ``[w·v, w, v, 1]`` of each example's value ``v``
        (zeros where ``v`` is NaN and the average leaves NaN out)."""
        weight = w[:, None]
        tp, true, pred, tn = (t & p) * weight, t * weight, p * weight, (~t & ~p) * weight
        if self.average != "samples":
            return np.concatenate([tp, true, pred, np.ones_like(tp), tn], axis=1)
        counts = [tp.sum(axis=1), true.sum(axis=1), pred.sum(axis=1), tn.sum(axis=1)]
        value = self.value(*counts)
        ok = ~np.isnan(value) if self.nan_ignoring else np.ones(len(value), bool)
        return np.column_stack([np.where(ok, w * value, 0.0), np.where(ok, w, 0.0), np.where(ok, value, 0.0),
                                ok.astype(np.float64), *counts])

    def reduce(self, stats: Statistics) -> dict[str, float]:
        if not len(stats):
            return self.no_examples()
        self.check_present(stats)
        multi = indicators(stats)
        if multi is not None and self.average == "samples":
            rows = self.sum_rows(stats, limit=False)
            sums = column_sums(rows)[None, :]  # narrow rows: per column, 2x faster than sum(axis=0)
            if self.zero_division == "warn" and len(rows):
                self.warn_if_ill_defined(rows[:, 4:])
        elif multi is not None:
            columns = self._columns(stats, multi)
            sums = F.multilabel_sums(multi[0], multi[1][:, columns], multi[2][:, columns])
        else:
            sums = F.label_sums(stats.codes[:, 0], stats.codes[:, 1], stats.values[:, 0], self._columns(stats),
                                len(stats.vocab))
        if self.zero_division == "warn" and self.average != "samples" and len(stats):
            self.warn_if_ill_defined(sums)
        values = self.reduce_sums(sums, np.array([float(len(stats))]))
        return {k: float(values[k][0]) for k in self.keys()}

    #: (metric name, what a zero denominator lacks) for scikit-learn's warning; None: no warning
    ill_defined: ClassVar[tuple[str, str] | None] = None

    def warn_if_ill_defined(self, sums: np.ndarray) -> None:
        """scikit-learn's warning for ``zero_division="warn"`` where the metric's denominator is 0
        in a label scored (``sums``: the summed row) or, for ``average="samples"``, in an example
        (``sums``: each example's ``[tp, true, pred, tn]``)."""
        if self.ill_defined is None:
            return
        if self.average == "samples":
            tp, true, pred, tn = (sums[:, j] for j in range(4))
            scored = np.ones(len(tp), bool)
        else:
            k = sums.shape[1] // 5
            tp, true, pred, occurs, tn = (sums[0, j * k:(j + 1) * k] for j in range(5))
            fixed = self.average in ("binary", None) or self.labels is not None
            scored = np.ones(k, bool) if fixed else occurs > 0
            if self.average == "micro":
                tp, true, pred, tn = (np.where(scored, x, 0).sum(keepdims=True) for x in (tp, true, pred, tn))
                scored = np.ones(1, bool)
        den = self.denominator(tp, true, pred, tn)
        if den is not None and np.any(scored & (den == 0)):
            F.warn_ill_defined(self.ill_defined[0], self.ill_defined[1], self.zero, self.average == "samples")

    def denominator(self, tp: np.ndarray, true: np.ndarray, pred: np.ndarray, tn: np.ndarray) -> np.ndarray | None:
        """The metric's denominator per label, as scikit-learn divides (None: it never warns)."""
        beta = self.params.get("beta", 1.0)
        if self.metric == "precision":
            return pred
        if self.metric == "recall":
            return true
        return None if beta == 0 or math.isinf(beta) else beta * beta * true + pred

    def check_present(self, stats: Coded) -> None:
        if self.average != "binary" or not len(stats):
            return
        present = sorted({stats.vocab[c] for c in np.unique(stats.codes[:, :2])})
        if len(present) > 2:
            raise ConfigError(f"{self.key}: the labels are multiclass "
                              f"({present[:5]}{'...' if len(present) > 5 else ''})"
                              " but average='binary'; choose average='micro', 'macro' or 'weighted'")
        if self.pos_label not in present and len(present) == 2:
            raise ConfigError(f"{self.key}: pos_label={self.pos_label!r} is not a valid label; it should be one "
                              f"of {present}")

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        if self.average == "samples":
            wv, w, v, ok = sums[:, 0], sums[:, 1], sums[:, 2], sums[:, 3]
            with np.errstate(invalid="ignore", divide="ignore"):
                out = np.where(w > 0, wv / np.where(w > 0, w, 1.0), np.where(ok > 0, v / np.where(ok > 0, ok, 1.0),
                                                                               math.nan))
            return {self.key: np.where(counts > 0, out, math.nan)}
        k = sums.shape[1] // 5
        tp, true, pred, occurs, tn = (sums[:, j * k:(j + 1) * k] for j in range(5))
        fixed = self.average in ("binary", None) or self.labels is not None
        scored = np.ones_like(occurs, bool) if fixed else occurs > 0
        if self.average == "micro":
            tp, true, pred, tn = (np.where(scored, x, 0).sum(axis=1, keepdims=True) for x in (tp, true, pred, tn))
            scored = np.ones_like(tp, bool)
        value = self.value(tp, true, pred, tn)
        out = self.combine(value, scored, true if self.average == "weighted" else None)
        result = {self.key: np.where(counts > 0, out, math.nan)}
        if self.average is None:
            for j, part in enumerate(self.parts):
                result[f"{self.key}.{part}"] = np.where(counts > 0, value[:, j], math.nan)
        return result

    def combine(self, values: np.ndarray, scored: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        """The average over the ``scored`` labels of each row (``weights``: by them)."""
        return F.nanaverage(values, scored, weights)

    def value(self, tp: np.ndarray, true: np.ndarray, pred: np.ndarray, tn: np.ndarray) -> np.ndarray:
        """The metric per label from its counts."""
        return F.prf(self.metric, tp, true, pred, self.params.get("beta", 1.0), self.zero)


class Precision(PrecisionRecallF):
    """Precision, `sklearn.metrics.precision_score` (see `PrecisionRecallF`)."""

    name = "precision"
    metric = "precision"
    ill_defined = ("Precision", "predicted")


class Recall(PrecisionRecallF):
    """Recall, `sklearn.metrics.recall_score` (see `PrecisionRecallF`)."""

    name = "recall"
    metric = "recall"
    ill_defined = ("Recall", "true")


class F1(PrecisionRecallF):
    """F1 score, `sklearn.metrics.f1_score` (see `PrecisionRecallF`).

    >>> s = F1(average="macro")
    >>> s.reduce(s.stats({"y_true": ["a", "b", "b"], "y_pred": ["a", "b", "a"]}))["f1"]
    0.6666666666666666
    """

    name = "f1"
    ill_defined = ("F-score", "true nor predicted")


class FBeta(PrecisionRecallF):
    """F-beta score, `sklearn.metrics.fbeta_score` (``beta`` required; see `PrecisionRecallF`)."""

    name = "fbeta"
    ill_defined = ("F-score", "true nor predicted")

    def __init__(self, beta: float, average: str = "binary", pos_label: Any = 1, zero_division: Any = "warn",
                 labels: Sequence[Any] | None = None) -> None:
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not beta >= 0:
            raise ConfigError(f"fbeta: beta must be a non-negative number, got {beta!r}")
        super().__init__(average=average, pos_label=pos_label, zero_division=zero_division, labels=labels,
                         beta=float(beta))


class Jaccard(PrecisionRecallF):
    """Jaccard index, `sklearn.metrics.jaccard_score`: per label ``tp / (tp + fp + fn)``;
    ``average="micro"`` sums the counts over labels first. Zero denominator: ``zero_division``.
    Averages, labels, multilabel data and checks as `PrecisionRecallF`, except that a NaN (from
    ``zero_division=nan``) is not left out of an average (scikit-learn's ``_average``)."""

    name = "jaccard"

    nan_ignoring = False
    nan_zero_division = False
    ill_defined = ("Jaccard", "true or predicted")

    def denominator(self, tp: np.ndarray, true: np.ndarray, pred: np.ndarray, tn: np.ndarray) -> np.ndarray | None:
        return true + pred - tp

    def value(self, tp: np.ndarray, true: np.ndarray, pred: np.ndarray, tn: np.ndarray) -> np.ndarray:
        return F.divide(tp, true + pred - tp, self.zero)

    def combine(self, values: np.ndarray, scored: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        """scikit-learn's ``_average`` (a NaN is not left out); weights summing to 0: the plain mean."""
        return F.average(values, scored, weights)


class ConfusionRate(PrecisionRecallF):
    """A rate of the one-vs-rest confusion counts of each label — ``tp``, ``fp = pred - tp``,
    ``fn = true - tp``, and ``tn`` the examples neither true nor predicted as the label, counted
    (weighted; scikit-learn's ``multilabel_confusion_matrix`` subtracts, which can leave rounding
    noise where a 0/0 is due) — averaged exactly as scikit-learn
    averages precision and recall (`PrecisionRecallF`: ``binary`` on ``pos_label``, ``micro`` on
    the counts summed over labels, ``macro``, ``weighted`` by each label's true count, NaN left
    out), with ``zero_division`` for a zero denominator. scikit-learn has no such function; the
    per-label counts are its ``multilabel_confusion_matrix``, and the formulas torchmetrics'
    (``specificity``, ``npv``; ``fpr = 1 - specificity``, ``fdr = 1 - precision``)."""

    higher_is_better = True
    numerator: ClassVar[str]
    denominator: ClassVar[tuple[str, str]]

    def value(self, tp: np.ndarray, true: np.ndarray, pred: np.ndarray, tn: np.ndarray) -> np.ndarray:
        c = {"tp": tp, "fp": pred - tp, "fn": true - tp, "tn": tn}
        return F.divide(c[self.numerator], c[self.denominator[0]] + c[self.denominator[1]], self.zero)


class Specificity(ConfusionRate):
    """Specificity (true negative rate) ``tn / (tn + fp)`` per label (see `ConfusionRate`)."""

    name = "specificity"
    numerator, denominator = "tn", ("tn", "fp")


class NPV(ConfusionRate):
    """Negative predictive value ``tn / (tn + fn)`` per label (see `ConfusionRate`)."""

    name = "npv"
    numerator, denominator = "tn", ("tn", "fn")


class FPR(ConfusionRate):
    """False positive rate ``fp / (fp + tn)`` per label (see `ConfusionRate`)."""

    name = "fpr"
    higher_is_better = False
    numerator, denominator = "fp", ("fp", "tn")


class FDR(ConfusionRate):
    """False discovery rate ``fp / (fp + tp)`` per label (see `ConfusionRate`)."""

    name = "fdr"
    higher_is_better = False
    numerator, denominator = "fp", ("fp", "tp")
