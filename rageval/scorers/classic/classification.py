"""Classification metrics over `y_true` / `y_pred` labels, identical to scikit-learn: the label
statistics every label scorer shares (`LabelScorer`) and accuracy; precision, recall, F and the
confusion rates are in `rageval.scorers.classic.precision_recall`, the confusion-matrix metrics in
`rageval.scorers.classic.confusion`.

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
from typing import ClassVar

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, Scorer, column_sums
from rageval.core.statistics import Coded, Statistics
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
