"""Order-based classification metrics over ``y_true`` and a score ``y_score``: ROC AUC and average
precision, identical to scikit-learn's ``roc_auc_score`` and ``average_precision_score``.

Three input shapes, as scikit-learn takes them:

* binary: one label and one score per example;
* multiclass: one label and one vector of class scores per example (column ``j`` scores the
  ``j``-th class in sorted order: `rageval.scorers.classic.inputs.class_columns`); ROC AUC
  one-vs-rest or one-vs-one (``multi_class``), average precision one-vs-rest;
* multilabel: one 0/1 indicator vector and one score vector per example.

Statistics are exact per example, so any subset (a shard, a batch, a resample) reduces to exactly
what scikit-learn computes on that subset: binary ``(y_score, y_true, sample_weight)`` rows;
vector inputs ``(tag, scores..., class column | indicators..., sample_weight)`` rows (tag 1:
multiclass, 2: multilabel). The numpy core is `ranking_functional` (binary) and `ranking_average`
(partial AUC, the averages over columns and pairs); binary bootstrap resampling takes the
`reduce_draws` hook, which sorts the scores once and scores each resample from its draws with one
`np.bincount` (no sort, no resampled copy).

Binned mode (``thresholds=``, binary data only): torchmetrics' ``BinaryAUROC`` /
``BinaryAveragePrecision`` with that argument — each score counts at the fixed thresholds it
clears, so the statistics reduce through their column sums (positive and negative mass per bin:
``2 (T + 1)`` numbers for ``T`` thresholds, whatever the number of examples; resamples reduce as
one matrix product) and no sort is needed. Its documented error: the curve is known only at the
thresholds, so the value differs from the exact one by up to the area between them.

A subset where the metric is undefined is no error (a shard may hold one class): ROC AUC is NaN
with an `UndefinedMetricWarning` where scikit-learn warns too (one class in a column), and also
where scikit-learn raises because ``y_true`` lacks classes that have score columns (without
``labels=``); average precision without positives is 0.0 with scikit-learn's warning.
"""
from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, Scorer
from rageval.core.statistics import Rows, Statistics
from rageval.scorers.classic import inputs
from rageval.scorers.classic import ranking_average as A
from rageval.scorers.classic import ranking_functional as R
from rageval.scorers.classic.classification import SUMMED_LIMIT
from rageval.scorers.classic.ranking_average import UndefinedMetricWarning

MULTICLASS, MULTILABEL = 1.0, 2.0


def numeric_column(batch: Batch, field: str) -> np.ndarray:
    """``batch[field]`` as float64, one finite number per example; `FieldError` naming the row of
    the first value that is missing, not a number, or not finite."""
    values = batch[field]
    try:
        out = np.asarray(values, dtype=np.float64)
        if out.ndim != 1:
            raise ValueError
    except (TypeError, ValueError):
        for row, v in enumerate(values):
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.generic)) or np.ndim(v):
                raise FieldError(field, field, row, f"expected one number, got {type(v).__name__} {v!r:.40}") \
                    from None
        raise FieldError(field, field, None, "expected one number per example") from None
    bad = np.flatnonzero(~np.isfinite(out))
    if len(bad):
        raise FieldError(field, field, int(bad[0]), f"expected a finite number, got {out[bad[0]]!r}")
    return out


def binary_labels(true: np.ndarray, name: str) -> np.ndarray:
    """The (at most two) labels of binary ``y_true``, ascending, found with a min and a max (no
    sort); more than two: `FieldError`."""
    if not len(true):
        return np.zeros(0)
    lo, hi = true.min(), true.max()
    if lo != hi and not ((true == lo) | (true == hi)).all():
        raise FieldError("y_true", "y_true", None, f"y_true has {len(np.unique(true))} labels but one score per "
                                                   f"example: multiclass {name} takes a vector of class scores")
    return np.array([lo] if lo == hi else [lo, hi])


def check_thresholds(name: str, thresholds: Any) -> int | list[float] | None:
    """torchmetrics' ``thresholds``: None, an int > 1 (``linspace(0, 1, n)``) or a list of floats
    in [0, 1] (ascending here: torchmetrics reads the curve in the list's order)."""
    if thresholds is None:
        return None
    if isinstance(thresholds, numbers.Integral) and not isinstance(thresholds, bool):
        if thresholds < 2:
            raise ConfigError(f"{name}: an integer thresholds must be larger than 1, got {thresholds}")
        return int(thresholds)
    try:
        grid = [float(x) for x in thresholds]
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: thresholds must be an int or a list of floats, got {thresholds!r:.60}") from None
    if not grid or not all(0 <= x <= 1 for x in grid) or any(b <= a for a, b in zip(grid, grid[1:])):
        raise ConfigError(f"{name}: thresholds must be floats in [0, 1] in ascending order, got {grid!r:.60}")
    return grid


def check_binned(score: np.ndarray, true: np.ndarray) -> None:
    """Binned mode inputs, as torchmetrics takes them: labels 0/1 and probabilities in [0, 1]
    (torchmetrics would pass scores outside [0, 1] through a sigmoid, for the whole batch)."""
    bad = np.flatnonzero((true != 0) & (true != 1))
    if len(bad):
        raise FieldError("y_true", "y_true", int(bad[0]), f"thresholds= takes binary labels 0/1, got {true[bad[0]]!r}")
    bad = np.flatnonzero((score < 0) | (score > 1))
    if len(bad):
        raise FieldError("y_score", "y_score", int(bad[0]), f"thresholds= takes probabilities in [0, 1], got "
                                                            f"{score[bad[0]]!r}")


class BinaryRankingScorer(Scorer):
    """A metric of the order of ``y_score`` against ``y_true``, with optional ``sample_weight``:
    binary, multiclass or multilabel (module docstring). ``average`` (``"micro"``, ``"macro"``,
    ``"weighted"``, ``"samples"``, None) combines the columns of vector inputs as scikit-learn's
    ``_average_binary_score``; None reports one part per label of ``labels=`` (required then:
    the classes, or names of the multilabel columns, in column order), the primary value being
    their mean. Statistics: `Rows` (module docstring)."""

    fields: ClassVar[tuple[str, ...]] = ("y_true", "y_score")
    optional_fields: ClassVar[tuple[str, ...]] = ("sample_weight",)
    bounds: ClassVar[tuple[float, float]] = (0.0, 1.0)
    higher_is_better = True
    averages: ClassVar[tuple[Any, ...]] = ("micro", "macro", "weighted", "samples", None)

    def __init__(self, average: str | None = "macro", labels: Sequence[Any] | None = None,
                 thresholds: int | Sequence[float] | None = None, **params: Any) -> None:
        thresholds = check_thresholds(self.name, thresholds)
        params["thresholds"] = thresholds
        if average not in self.averages:
            raise ConfigError(f"{self.name}: average must be one of {self.averages}, got {average!r}")
        labels = inputs.check_labels_param(self.name, labels, ordered=True)
        if average is None and labels is None:
            raise ConfigError(f"{self.name}: average=None reports one part per label: give labels= (the classes, "
                              "or names of the multilabel columns, in column order)")
        given = {k: v for k, v in params.items() if v is not None}
        super().__init__(**({} if average == "macro" else {"average": average}),
                         **({} if labels is None else {"labels": labels}), **given)
        self.average, self.labels = average, labels
        self.grid = None if thresholds is None else A.threshold_grid(thresholds)
        if average is None:
            self.parts = tuple(str(x) for x in labels)

    # --- statistics ----------------------------------------------------------------------
    def stats(self, batch: Batch) -> Rows:
        if inputs.is_matrix(batch["y_score"]):
            return self.vector_stats(batch)
        score, true = numeric_column(batch, "y_score"), numeric_column(batch, "y_true")
        if len(true) != len(score):
            raise FieldError("y_score", "y_score", None, f"{len(score)} scores for {len(true)} labels")
        if self.grid is not None:
            check_binned(score, true)
        return Rows(np.column_stack([score, true, self.weights(batch, len(true))]).reshape(len(true), 3))

    def weights(self, batch: Batch, n: int) -> np.ndarray:
        return np.ones(n) if batch.get("sample_weight") is None else numeric_column(batch, "sample_weight")

    def vector_stats(self, batch: Batch) -> Rows:
        score = inputs.float_matrix(batch["y_score"], "y_score")
        n, width = score.shape
        if len(batch["y_true"]) != n:
            raise FieldError("y_score", "y_score", None, f"{n} score vectors for {len(batch['y_true'])} labels")
        if self.labels is not None and len(self.labels) != width:
            raise FieldError("y_score", "y_score", None, f"Number of given labels, {len(self.labels)}, not equal "
                                                         f"to the number of columns in 'y_score', {width}")
        if inputs.is_matrix(batch["y_true"]):
            self.check_vector_config(batch, multiclass=False)
            truth = inputs.indicator_matrix(batch["y_true"], "y_true", width)
            return Rows(np.column_stack([np.full(n, MULTILABEL), score, truth, self.weights(batch, n)]))
        self.check_multiclass(batch, width)
        self.check_vector_config(batch, multiclass=True)
        column = inputs.class_columns(batch["y_true"], self.labels, width)
        return Rows(np.column_stack([np.full(n, MULTICLASS), score, column, self.weights(batch, n)]))

    def check_multiclass(self, batch: Batch, width: int) -> None:
        """Checks of a multiclass batch (class scores, one label per example)."""
        if width < 3:
            raise FieldError("y_score", "y_score", None, f"{width} scores per example for binary labels: give the "
                                                         "positive class's score alone (scikit-learn: y should be a "
                                                         "1d array)")

    def validate(self, batch: Batch) -> None:
        inputs.check_widths(batch, ("y_score", "y_true"))
        if inputs.is_matrix(batch["y_score"]):
            self.check_vector_config(batch, multiclass=not inputs.is_matrix(batch["y_true"]))

    def check_vector_config(self, batch: Batch, multiclass: bool) -> None:
        """Settings that cannot take vector data (`ConfigError`, before scoring starts)."""
        if self.grid is not None:
            raise ConfigError(f"{self.key}: thresholds= (the binned mode) takes binary data: one score per example")
        if multiclass and self.average == "samples":
            raise ConfigError(f"{self.key}: average='samples' is for multilabel data, not multiclass")

    # --- reduce --------------------------------------------------------------------------
    def binary(self, truth: np.ndarray, score: np.ndarray, weight: np.ndarray, warn: bool) -> float:
        """The metric of one binary column (each subclass defines it)."""
        raise NotImplementedError(f"{type(self).__name__} must define binary(truth, score, weight, warn)")

    def positive(self, true: np.ndarray) -> np.ndarray:
        """Which examples of binary ``y_true`` are positive (each subclass defines it)."""
        raise NotImplementedError(f"{type(self).__name__} must define positive(true)")

    def reduce(self, stats: Statistics) -> dict[str, float]:
        return self.reduce_rows(np.asarray(stats, np.float64), warn=True)

    # --- binned mode: column sums ----------------------------------------------------------
    def bins(self, v: np.ndarray) -> np.ndarray:
        """Each example's bin: how many thresholds its score clears (``score >= threshold``)."""
        return np.searchsorted(self.grid, v[:, 0], side="right")

    def sum_rows(self, stats: Statistics, limit: bool = True) -> np.ndarray | None:
        """Binned mode: per example its weight in its bin, positives then negatives
        (``2 (T + 1)`` columns); None in the exact mode (the metric is no function of sums)."""
        v = np.asarray(stats, np.float64)
        if self.grid is None or (limit and len(v) * 2 * (len(self.grid) + 1) > SUMMED_LIMIT):
            return None
        width = len(self.grid) + 1
        out = np.zeros((len(v), 2 * width))
        out[np.arange(len(v)), self.bins(v) + np.where(v[:, 1] == 1, 0, width)] = v[:, 2]
        return out

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        width = len(self.grid) + 1
        value = self.binned(sums[:, :width], sums[:, width:])
        return {self.key: np.where(counts > 0, value, math.nan), **{f"{self.key}.{p}": np.full(len(sums), math.nan)
                                                                     for p in self.parts}}

    def binned(self, pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
        """The binned metric of each row of masses per bin (each subclass defines it)."""
        raise NotImplementedError(f"{type(self).__name__} must define binned(pos, neg)")

    def reduce_rows(self, v: np.ndarray, warn: bool) -> dict[str, float]:
        if not len(v):
            return dict.fromkeys(self.keys(), math.nan)
        if self.grid is not None:
            width = len(self.grid) + 1
            sums = np.bincount(self.bins(v) + np.where(v[:, 1] == 1, 0, width), weights=v[:, 2], minlength=2 * width)
            return {k: float(x[0]) for k, x in self.reduce_sums(sums[None, :], np.array([float(len(v))])).items()}
        if v.shape[1] == 3:
            value = self.binary(self.positive(v[:, 1]), v[:, 0], v[:, 2], warn)
            return {self.key: value, **{f"{self.key}.{p}": math.nan for p in self.parts}}
        with warnings.catch_warnings():
            if not warn:
                warnings.simplefilter("ignore")
            value = self.vector(v)
        if self.average is None:
            parts = np.full(len(self.parts), math.nan) if np.ndim(value) == 0 else np.asarray(value, np.float64)
            return {self.key: float(np.mean(parts)), **{f"{self.key}.{p}": float(x) for p, x in zip(self.parts, parts)}}
        return {self.key: float(value)}

    def vector(self, v: np.ndarray) -> float | np.ndarray:
        """The metric of vector rows (multiclass or multilabel)."""
        w = v[:, -1]
        if v[0, 0] == MULTILABEL:
            width = (v.shape[1] - 2) // 2
            score, truth = v[:, 1:1 + width], v[:, 1 + width:1 + 2 * width] > 0
            return A.average_binary(self.binary_warned, truth, score, w, self.average)
        width = v.shape[1] - 3
        score, column = v[:, 1:1 + width], v[:, 1 + width].astype(np.int64)
        return self.multiclass(score, column, w)

    def binary_warned(self, truth: np.ndarray, score: np.ndarray, weight: np.ndarray) -> float:
        return self.binary(truth, score, weight, True)

    def multiclass(self, score: np.ndarray, column: np.ndarray, weight: np.ndarray) -> float | np.ndarray:
        """The one-vs-rest average over the class columns (classes: ``labels=``, else every column's
        class must occur in ``y_true``, as scikit-learn requires; NaN with a warning otherwise)."""
        width = score.shape[1]
        if self.labels is None and len(np.unique(column)) != width:
            warnings.warn(f"{self.key}: the number of classes in y_true ({len(np.unique(column))}) is not the number "
                          f"of columns in y_score ({width}); the value is NaN (scikit-learn raises; give labels=)",
                          UndefinedMetricWarning, stacklevel=3)
            return math.nan if self.average is not None else np.full(width, math.nan)
        truth = column[:, None] == np.arange(width)[None, :]
        return A.average_binary(self.binary_warned, truth, score, weight, self.average)

    def example_scores(self, stats: Statistics) -> dict[str, np.ndarray]:
        """One example alone: ROC AUC is undefined (NaN); average precision is 1 for a positive
        with non-zero weight, 0 for a negative one (as scikit-learn), NaN at zero weight; NaN in
        the binned mode."""
        v = np.asarray(stats, np.float64)
        if self.grid is not None:  # binned mode: a curve of one example says nothing
            return {k: np.full(len(v), math.nan) for k in self.keys()}
        if len(v) and v.shape[1] != 3:
            rows = [self.reduce_rows(v[i:i + 1], warn=False) for i in range(len(v))]
            return {k: np.array([r[k] for r in rows]) for k in self.keys()}
        out = {k: np.full(len(v), math.nan) for k in self.keys()}
        if self.name != "roc_auc" and len(v):
            out[self.key] = np.where(v[:, 2] > 0, self.positive(v[:, 1]).astype(np.float64), math.nan)
        return out

    def reduce_draws(self, stats: Statistics, draws: np.ndarray) -> dict[str, np.ndarray]:
        """The metric on each bootstrap resample given by its draws (``(rows, n)`` row indices of
        ``stats``), equal to `reduce` of each resample (without its warnings); NaN where `reduce`
        would raise. Binary scores are sorted once per statistics."""
        v = np.asarray(stats, np.float64)
        out = {k: np.full(len(draws), math.nan) for k in self.keys()}
        if len(v) and v.shape[1] != 3 and self.grid is None and getattr(self, "multi_class", "ovr") != "ovo":
            memo = getattr(self, "_vector_memo", None)
            if memo is None or memo[0] is not stats:
                memo = self._vector_memo = (stats, VectorDraws(self, v))
            for r, row in enumerate(draws):
                value = memo[1].value(row)
                if self.average is None:
                    parts = np.atleast_1d(value) if np.ndim(value) else np.full(len(self.parts), math.nan)
                    out[self.key][r] = np.mean(parts)
                    for p, x in zip(self.parts, parts):
                        out[f"{self.key}.{p}"][r] = x
                else:
                    out[self.key][r] = value
            return out
        if len(v) and (v.shape[1] != 3 or self.grid is not None):
            for r, row in enumerate(draws):
                try:
                    for k, x in self.reduce_rows(v[row], warn=False).items():
                        out[k][r] = x
                except FieldError:
                    pass
            return out
        try:
            memo = getattr(self, "_draw_memo", None)
            if memo is None or memo[0] is not stats:
                w = None if np.all(v[:, 2] == 1.0) else v[:, 2]
                memo = self._draw_memo = (stats, R.Sorted(v[:, 0], self.positive(v[:, 1])), w)
        except FieldError:
            return out
        _, s, w = memo
        for r, row in enumerate(draws):
            out[self.key][r] = self.metric(*s.draw_masses(row, w))
        return out

    def metric(self, neg: np.ndarray, pos: np.ndarray) -> float:
        """The binary metric from the masses per distinct score (each subclass defines it)."""
        raise NotImplementedError(f"{type(self).__name__} must define metric(neg, pos)")


class VectorDraws:
    """Vector rows (multiclass one-vs-rest or multilabel) with each score column sorted once, so a
    bootstrap resample is scored from its draws (one `np.bincount` per column, no sort): equal to
    the scorer's `reduce` of the resampled rows, without its warnings."""

    def __init__(self, scorer: BinaryRankingScorer, v: np.ndarray) -> None:
        self.scorer, self.w = scorer, v[:, -1]
        self.unit = bool(np.all(self.w == 1.0))  # unit weights: each draw counts 1 (a faster bincount)
        if v[0, 0] == MULTILABEL:
            width = (v.shape[1] - 2) // 2
            self.score, self.truth, self.column = v[:, 1:1 + width], v[:, 1 + width:1 + 2 * width] > 0, None
        else:
            width = v.shape[1] - 3
            self.column = v[:, 1 + width].astype(np.int64)
            self.score, self.truth = v[:, 1:1 + width], self.column[:, None] == np.arange(width)[None, :]
        self.width = width
        average = scorer.average
        if average == "micro":
            self.sorted = [R.Sorted(self.score.ravel(), self.truth.ravel())]
        elif average == "samples":  # each example's value does not depend on the others
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.values = np.array([scorer.binary(self.truth[i], self.score[i], np.ones(width), False)
                                        for i in range(len(v))])
        else:
            self.sorted = [R.Sorted(self.score[:, c], self.truth[:, c]) for c in range(width)]

    def binary(self, s: R.Sorted, draws: np.ndarray, weight: np.ndarray | None, positives: int, drawn: int) -> float:
        """The scorer's binary metric of one sorted column on the resample."""
        if self.scorer.name == "roc_auc" and positives in (0, drawn):  # one class: NaN, as `binary_auc`
            return math.nan
        return self.scorer.metric(*s.draw_masses(draws, weight))

    def value(self, draws: np.ndarray) -> float | np.ndarray:
        """The metric of the resample given by ``draws`` (row indices, with repeats)."""
        width, average = self.width, self.scorer.average
        if self.column is not None and self.scorer.labels is None and \
                np.count_nonzero(np.bincount(self.column[draws], minlength=width)) != width:
            return math.nan if average is not None else np.full(width, math.nan)
        w = self.w[draws]
        if average == "samples":
            values = np.where(w == 0, 0.0, self.values[draws])
            return float(np.average(values, weights=w)) if w.sum() > 0 else math.nan
        truth = self.truth[draws]
        if average == "micro":
            cells = (draws[:, None] * width + np.arange(width)[None, :]).ravel()
            return self.binary(self.sorted[0], cells, None if self.unit else np.repeat(self.w, width),
                               int(truth.sum()), truth.size)
        positives = truth.sum(axis=0)
        values = np.array([self.binary(self.sorted[c], draws, None if self.unit else self.w, int(positives[c]),
                                       len(draws))
                           for c in range(width)])
        if average is None:
            return values
        if average == "weighted":
            weights = (truth * w[:, None]).sum(axis=0)
            if abs(weights.sum()) <= 1e-8:
                return 0.0
            values[weights == 0] = 0
            return float(np.average(values, weights=weights))
        return float(np.mean(values))


class RocAuc(BinaryRankingScorer):
    """Area under the ROC curve, `sklearn.metrics.roc_auc_score`.

    Binary: ``AUC = Σ_g P_g · (Σ_{h<g} N_h + N_g / 2) / (P · N)`` over the distinct scores ``g``
    in ascending order, ``P_g``/``N_g`` the (weighted) positives and negatives scoring ``g``: the
    probability that a positive outscores a negative, ties counting one half — exactly the
    trapezoidal area under scikit-learn's ROC curve. The positive label is the greater of the two
    labels of ``y_true`` (scikit-learn's binary convention). ``max_fpr`` in (0, 1): the area up to
    that false positive rate standardised by McClish's correction (binary and multilabel only, as
    scikit-learn). One label alone: NaN with an `UndefinedMetricWarning` (as scikit-learn; a shard
    or a resample may hold one label); more than two labels with one score each raise `FieldError`.

    Multiclass (a vector of class probabilities per example, each summing to 1 as scikit-learn
    checks): ``multi_class="ovr"`` averages the binary AUC of each class against the rest
    (``average`` micro, macro, weighted by class prevalence, or None: parts), ``"ovo"`` the
    pairwise AUCs of Hand & Till (2001) (``average`` macro or weighted by pair prevalence; no
    sample weights, as scikit-learn). ``multi_class="raise"`` (the default) refuses multiclass
    data as scikit-learn does. ``labels``: the classes of the score columns, ordered. Multilabel
    (0/1 vectors): the averaged binary AUC of each column, ``average="samples"`` included.
    """

    name = "roc_auc"

    def __init__(self, average: str | None = "macro", max_fpr: float | None = None, multi_class: str = "raise",
                 labels: Sequence[Any] | None = None, thresholds: int | Sequence[float] | None = None) -> None:
        if max_fpr is not None and (isinstance(max_fpr, bool) or not isinstance(max_fpr, numbers.Real)
                                    or not 0 < max_fpr <= 1):
            raise ConfigError(f"roc_auc: max_fpr must be in (0, 1], got {max_fpr!r}")
        if multi_class not in ("raise", "ovr", "ovo"):
            raise ConfigError(f"roc_auc: multi_class must be 'raise', 'ovr' or 'ovo', got {multi_class!r}")
        super().__init__(average=average, labels=labels, thresholds=thresholds,
                         max_fpr=None if max_fpr is None else float(max_fpr),
                         multi_class=None if multi_class == "raise" else multi_class)
        self.max_fpr = None if max_fpr is None else float(max_fpr)
        self.multi_class = multi_class

    def check_vector_config(self, batch: Batch, multiclass: bool) -> None:
        super().check_vector_config(batch, multiclass)
        if not multiclass:
            return
        if self.max_fpr is not None and self.max_fpr != 1.0:
            raise ConfigError(f"roc_auc: Partial AUC computation not available in multiclass setting, 'max_fpr' "
                              f"must be set to `None`, received `max_fpr={self.max_fpr}` instead")
        if self.multi_class == "raise":
            raise ConfigError("roc_auc: multi_class must be in ('ovo', 'ovr') for multiclass y_score "
                              "(scikit-learn's default multi_class='raise')")
        options = ("micro", "macro", "weighted", None) if self.multi_class == "ovr" else ("macro", "weighted")
        if self.average not in options:
            raise ConfigError(f"roc_auc: average must be one of {options} for multiclass problems"
                              + (" (average=None is not implemented for multi_class='ovo')"
                                 if self.average is None else ""))
        if self.multi_class == "ovo" and batch.get("sample_weight") is not None:
            raise ConfigError("roc_auc: sample_weight is not supported for multiclass one-vs-one ROC AUC "
                              "(scikit-learn: 'sample_weight' must be None in this case)")

    def check_multiclass(self, batch: Batch, width: int) -> None:
        super().check_multiclass(batch, width)
        score = inputs.float_matrix(batch["y_score"], "y_score")
        total = score.sum(axis=1)
        bad = np.flatnonzero(~(np.abs(1 - total) <= 1e-8 + 1e-5 * np.abs(total)))  # np.allclose(1, total)
        if len(bad):
            raise FieldError("y_score", "y_score", int(bad[0]), f"scores summing to {total[bad[0]]!r}: target scores "
                                                                "need to be probabilities for multiclass roc_auc, "
                                                                "i.e. they should sum up to 1.0 over classes")

    def positive(self, true: np.ndarray) -> np.ndarray:
        labels = binary_labels(true, "roc_auc")
        return true == labels[-1] if len(labels) == 2 else np.zeros(len(true), bool)

    def binary(self, truth: np.ndarray, score: np.ndarray, weight: np.ndarray, warn: bool) -> float:
        return A.binary_auc(truth, score, weight, self.max_fpr, warn)

    def metric(self, neg: np.ndarray, pos: np.ndarray) -> float:
        return A.partial_auc(neg, pos, self.max_fpr)

    def binned(self, pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
        return A.binned_auroc(pos, neg, self.max_fpr)

    def multiclass(self, score: np.ndarray, column: np.ndarray, weight: np.ndarray) -> float | np.ndarray:
        if self.multi_class == "ovo":
            if self.labels is None and len(np.unique(column)) != score.shape[1]:
                return super().multiclass(score, column, weight)  # NaN with the warning
            return A.average_ovo(self.binary_warned, column, score, self.average)
        return super().multiclass(score, column, weight)


class AveragePrecision(BinaryRankingScorer):
    """Average precision, `sklearn.metrics.average_precision_score`.

    Binary: ``AP = Σ_k (R_k - R_{k-1}) · P_k`` over the distinct scores in descending order, with
    ``P_k`` and ``R_k`` the (weighted) precision and recall of predicting positive at scores ≥ the
    k-th: scikit-learn's step sum, no interpolation. The positive label is ``pos_label``
    (default 1); ``y_true`` must hold at most two labels. No positive example: 0.0 with
    scikit-learn's warning. Multiclass (a vector of class scores per example; one-vs-rest) and
    multilabel (0/1 vectors): the binary AP of each column, averaged by ``average`` (micro,
    macro, weighted, samples for multilabel, None: parts; ``pos_label`` must stay 1, as
    scikit-learn). ``labels`` (no scikit-learn counterpart): the classes of the score columns,
    ordered, for labels that are not ``0 .. C-1`` and for the parts of ``average=None``.
    """

    name = "average_precision"

    def __init__(self, average: str | None = "macro", pos_label: Any = 1,
                 labels: Sequence[Any] | None = None, thresholds: int | Sequence[float] | None = None) -> None:
        if isinstance(pos_label, bool) or not isinstance(pos_label, numbers.Real):
            raise ConfigError(f"average_precision: pos_label must be a number, got {pos_label!r}")
        if thresholds is not None and pos_label != 1:
            raise ConfigError("average_precision: thresholds= (torchmetrics' binned mode) takes pos_label 1")
        super().__init__(average=average, labels=labels, thresholds=thresholds,
                         pos_label=None if pos_label == 1 else pos_label)
        self.pos_label = float(pos_label)

    def check_vector_config(self, batch: Batch, multiclass: bool) -> None:
        super().check_vector_config(batch, multiclass)
        if self.pos_label != 1:
            raise ConfigError("average_precision: Parameter pos_label is fixed to 1 for multilabel-indicator and "
                              "multiclass y_true. Do not set pos_label or set pos_label to 1.")

    def positive(self, true: np.ndarray) -> np.ndarray:
        labels = binary_labels(true, "average_precision")
        if len(labels) == 2 and self.pos_label not in labels:
            raise FieldError("y_true", "y_true", None, f"pos_label={self.pos_label:g} is not a valid label. "
                                                       f"It should be one of {labels.tolist()}")
        return true == self.pos_label

    def binary(self, truth: np.ndarray, score: np.ndarray, weight: np.ndarray, warn: bool) -> float:
        return A.binary_ap(truth, score, weight, warn)

    def metric(self, neg: np.ndarray, pos: np.ndarray) -> float:
        return R.average_precision(neg, pos) if pos.sum() > 0 else 0.0

    def binned(self, pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
        return A.binned_ap(pos, neg)
