"""Classification metrics over `y_true` / `y_pred` labels, identical to scikit-learn.

One example is one sample with one label (an integer, string or bool). Statistics are the true
and predicted labels coded against the vocabulary they carry (`rageval.core.statistics.Coded`),
with the sample weight: shards, batches and systems that saw different labels merge and compare
on the union of their labels, and `reduce` over any subset sees exactly the labels scikit-learn
would see there (``unique_labels`` of that subset's ``y_true`` and ``y_pred``).

Multilabel data (``y_true`` and ``y_pred`` each a 0/1 indicator vector per example, scikit-learn's
"multilabel-indicator") is taken by accuracy (subset accuracy), precision, recall, F, F-beta,
jaccard, the confusion rates, zero-one and Hamming loss: its statistics are `Coded` with no code
column and the float columns ``[weight, y_true..., y_pred...]``, and every label (column) is
scored, as scikit-learn does.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, Scorer, column_sums
from rageval.core.statistics import Coded, Statistics
from rageval.scorers.classic import functional as F
from rageval.scorers.classic import inputs

#: above this many summed-form entries (examples x 4 x labels) resampling reduces each resample
SUMMED_LIMIT = 50_000_000


def check_labels(batch: Batch) -> tuple[list, list]:
    """``y_true`` and ``y_pred`` as plain labels. Raises `FieldError` (field and row) for a missing
    label, an array, a non-integral number (continuous values need a regression metric), or labels
    that mix strings and numbers (scikit-learn refuses those too)."""
    columns = []
    kinds: dict[bool, tuple[str, int]] = {}
    for field in ("y_true", "y_pred"):
        out = []
        for row, v in enumerate(batch[field]):
            if isinstance(v, np.generic):
                v = v.item()
            if isinstance(v, str):
                pass
            elif isinstance(v, bool):
                pass
            elif isinstance(v, numbers.Integral):
                v = int(v)
            elif isinstance(v, numbers.Real) and math.isfinite(v) and float(v).is_integer():
                v = float(v)
            else:
                what = "a missing label" if v is None or (isinstance(v, float) and math.isnan(v)) else \
                    f"{type(v).__name__} {v!r:.40}"
                raise FieldError(field, field, row, f"expected one label (an integer, string or bool), got {what}"
                                 + (" (continuous values need a regression metric)" if isinstance(v, float) else ""))
            kinds.setdefault(isinstance(v, str), (field, row))
            out.append(v)
        columns.append(out)
    if len(kinds) > 1:
        field, row = kinds[True] if kinds[True][1] >= kinds[False][1] else kinds[False]
        raise FieldError(field, field, row, "labels mix strings and numbers (scikit-learn: 'Mix of label input "
                                            "types (string and number)')")
    return columns[0], columns[1]


def integer_codes(batch: Batch) -> tuple[np.ndarray, list] | None:
    """``y_true`` and ``y_pred`` coded against their sorted labels without a Python loop, when
    both columns are integer arrays (or both bool) of one length, with labels in a range under
    2**22: codes ``(n, 2)`` and the vocabulary (Python ints or bools); None otherwise (the
    general path, `check_labels`, then decides)."""
    try:
        t, p = np.asarray(batch["y_true"]), np.asarray(batch["y_pred"])
    except (TypeError, ValueError):
        return None
    if t.ndim != 1 or p.shape != t.shape or not len(t):
        return None
    if t.dtype.kind == p.dtype.kind == "b":
        t, p = t.astype(np.int64), p.astype(np.int64)
        kind = bool
    elif t.dtype.kind in "iu" and p.dtype.kind in "iu":
        kind = int
    else:
        return None
    lo, hi = min(int(t.min()), int(p.min())), max(int(t.max()), int(p.max()))
    if hi - lo >= 1 << 22:
        return None
    seen = np.zeros(hi - lo + 1, bool)
    seen[t - lo] = True
    seen[p - lo] = True
    lookup = np.cumsum(seen) - 1
    vocab = [kind(v) for v in (np.flatnonzero(seen) + lo).tolist()]
    return np.column_stack([lookup[t - lo], lookup[p - lo]]), vocab


def weights_of(batch: Batch, n: int) -> np.ndarray:
    """The batch's ``sample_weight`` column, or ones."""
    w = batch.get("sample_weight")
    return np.ones(n) if w is None else np.asarray(w, np.float64).reshape(n)


def multilabel_stats(batch: Batch) -> Coded | None:
    """A multilabel batch (0/1 indicator vectors in ``y_true`` and ``y_pred``) as `Coded` with no
    code column and values ``[weight, y_true..., y_pred...]``; None when neither field holds
    vectors. `FieldError` when one does and the other does not, or for a bad indicator."""
    mt, mp = inputs.is_matrix(batch["y_true"]), inputs.is_matrix(batch["y_pred"])
    if not (mt or mp):
        return None
    if mt != mp:
        field = "y_pred" if mt else "y_true"
        raise FieldError(field, field, 0, "expected a multilabel indicator vector like the other field (scikit-learn: "
                                          "'Classification metrics can't handle a mix of multilabel-indicator and "
                                          "other targets')")
    t = inputs.indicator_matrix(batch["y_true"], "y_true")
    p = inputs.indicator_matrix(batch["y_pred"], "y_pred", t.shape[1])
    if len(p) != len(t):
        raise FieldError("y_pred", "y_pred", None, f"{len(p)} predictions for {len(t)} examples")
    w = weights_of(batch, len(t))
    return Coded(np.empty((len(t), 0), np.int64), (), np.column_stack([w, t, p]))


def indicators(stats: Coded) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(weight, y_true, y_pred)`` of multilabel statistics (bool ``(n, L)`` matrices), else None."""
    if stats.codes.shape[1] or stats.values.shape[1] < 3:
        return None
    width = (stats.values.shape[1] - 1) // 2
    v = stats.values
    return v[:, 0], v[:, 1:1 + width] > 0, v[:, 1 + width:] > 0


class LabelScorer(Scorer):
    """A scorer over one true and one predicted label per example, with optional sample weights.
    Statistics: `Coded` with code columns ``[y_true, y_pred]`` and value column ``[weight]``
    (multilabel: `multilabel_stats`, where the scorer takes it)."""

    fields: ClassVar[tuple[str, ...]] = ("y_true", "y_pred")
    optional_fields: ClassVar[tuple[str, ...]] = ("sample_weight",)
    stats_kind: ClassVar[type[Statistics]] = Coded
    bounds: ClassVar[tuple[float, float]] = (0.0, 1.0)
    #: whether the scorer takes multilabel indicators (as scikit-learn's function does)
    multilabel: ClassVar[bool] = True
    #: single-label `reduce` reads the weighted counts of each (y_true, y_pred) pair and which labels occur
    summed_codes = True

    def validate(self, batch: Batch) -> None:
        if inputs.is_matrix(batch["y_true"]) or inputs.is_matrix(batch["y_pred"]):
            self.check_multilabel()
            inputs.check_widths(batch, ("y_true", "y_pred"))
        elif integer_codes(batch) is None:
            check_labels(batch)

    def check_multilabel(self) -> None:
        """`ConfigError` where the scorer's settings cannot take multilabel data."""
        if not self.multilabel:
            raise ConfigError(f"{self.key}: multilabel-indicator targets are not supported (as scikit-learn)")

    def stats(self, batch: Batch) -> Coded:
        multi = multilabel_stats(batch)
        if multi is not None:
            self.check_multilabel()
            return multi
        fast = integer_codes(batch)
        if fast is not None:
            return Coded(fast[0], fast[1], weights_of(batch, len(fast[0]))[:, None])
        t, p = check_labels(batch)
        return Coded.encode([t, p], values=weights_of(batch, len(t))[:, None])

    def example_scores(self, stats: Statistics) -> dict[str, np.ndarray]:
        """The metric of each example alone (vectorised through the summed form)."""
        if not len(stats):
            return {k: np.empty(0) for k in self.keys()}
        rows = self.sum_rows(stats)
        if rows is None:
            return super().example_scores(stats)
        return self.reduce_sums(rows, np.ones(len(stats)))

    def reduce(self, stats: Statistics) -> dict[str, float]:
        if not len(stats):
            return self.no_examples()
        self.check_present(stats)
        values = self.reduce_sums(column_sums(self.sum_rows(stats, limit=False))[None, :],
                                  np.array([float(len(stats))]))
        return {k: float(values[k][0]) for k in self.keys()}

    def no_examples(self) -> dict[str, float]:
        """The value of zero examples: NaN for every key (nothing to count; as the regression
        scorers, and as `Results` reports a scorer with no scored example)."""
        return {k: math.nan for k in self.keys()}

    def check_present(self, stats: Coded) -> None:
        """Checks scikit-learn makes on the whole data (not on each resample)."""


class Accuracy(LabelScorer):
    """Share of examples whose predicted label equals the true label (weighted by
    ``sample_weight``); `sklearn.metrics.accuracy_score`. ``normalize=False``: the (weighted)
    count of correct examples instead."""

    name = "accuracy"

    def __init__(self, normalize: bool = True) -> None:
        if not isinstance(normalize, bool):
            raise ConfigError(f"accuracy: normalize must be True or False, got {normalize!r}")
        super().__init__(**({} if normalize else {"normalize": False}))
        self.normalize = normalize
        if not normalize:
            self.bounds = (0.0, math.inf)

    def reduce(self, stats: Statistics) -> dict[str, float]:
        # the two columns of `sum_rows` summed apart (1-D pairwise sums, no n x 2 copy)
        sums = np.array([[column.sum() for column in self.columns(stats)]], np.float64)
        return {self.key: float(self.reduce_sums(sums, np.array([float(len(stats))]))[self.key][0])}

    @staticmethod
    def correct(stats: Coded) -> np.ndarray:
        """Whether each example is right: its label, or (multilabel) every label of it."""
        multi = indicators(stats)
        if multi is not None:
            return (multi[1] == multi[2]).all(axis=1)
        return stats.codes[:, 0] == stats.codes[:, 1]

    def columns(self, stats: Statistics) -> tuple[np.ndarray, np.ndarray]:
        """The summed statistics as two columns: the weight of each right example (0 if wrong),
        and each example's weight."""
        w = stats.values[:, 0] if stats.values.shape[1] else np.zeros(len(stats))
        return np.where(self.correct(stats), w, 0.0), w

    def sum_rows(self, stats: Statistics, limit: bool = True) -> np.ndarray:
        return np.column_stack(self.columns(stats)).reshape(len(stats), 2)

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        if not self.normalize:
            return {self.key: np.where(counts > 0, sums[:, 0], math.nan)}
        with np.errstate(invalid="ignore", divide="ignore"):
            return {self.key: np.where((counts > 0) & (sums[:, 1] != 0), sums[:, 0] / sums[:, 1], math.nan)}


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
