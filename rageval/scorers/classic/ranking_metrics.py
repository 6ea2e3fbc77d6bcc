"""Order-based binary classification metrics over ``y_true`` and a score ``y_score``: ROC AUC and
average precision, identical to scikit-learn's ``roc_auc_score`` and ``average_precision_score``
on binary data.

Statistics are exact per example: ``(y_score, y_true, sample_weight)`` rows, so any subset (a
shard, a batch, a resample) reduces to exactly what scikit-learn computes on that subset. The
numpy core is `rageval.scorers.classic.ranking_functional`; bootstrap resampling takes the
`reduce_draws` hook, which sorts the scores once and scores each resample from its draws with one
`np.bincount` (no sort, no resampled copy).
"""
from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, Scorer
from rageval.core.statistics import Rows, Statistics
from rageval.scorers.classic import ranking_functional as R


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


class BinaryRankingScorer(Scorer):
    """A binary metric of the order of ``y_score`` against ``y_true`` (two numeric labels, or
    bools), with optional ``sample_weight``. Statistics: `Rows` ``[y_score, y_true, weight]``."""

    fields: ClassVar[tuple[str, ...]] = ("y_true", "y_score")
    optional_fields: ClassVar[tuple[str, ...]] = ("sample_weight",)
    bounds: ClassVar[tuple[float, float]] = (0.0, 1.0)
    higher_is_better = True

    def stats(self, batch: Batch) -> Rows:
        score, true = numeric_column(batch, "y_score"), numeric_column(batch, "y_true")
        if len(true) != len(score):
            raise FieldError("y_score", "y_score", None, f"{len(score)} scores for {len(true)} labels")
        w = batch.get("sample_weight")
        w = np.ones(len(true)) if w is None else numeric_column(batch, "sample_weight")
        return Rows(np.column_stack([score, true, w]).reshape(len(true), 3))

    def positive(self, true: np.ndarray) -> np.ndarray:
        """Which examples are positive (the label that counts as positive in these examples)."""
        raise NotImplementedError(f"{type(self).__name__} must define positive(true)")

    def metric(self, neg: np.ndarray, pos: np.ndarray) -> float:
        """The metric from the negatives' and positives' scores; each subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define metric(neg, pos)")

    def reduce(self, stats: Statistics) -> dict[str, float]:
        v = np.asarray(stats, np.float64)
        if not len(v):
            return {self.key: math.nan}
        s = R.Sorted(v[:, 0], self.positive(v[:, 1]))
        return {self.key: self.metric(*s.masses(v[s.order, 2]))}

    def example_scores(self, stats: Statistics) -> dict[str, np.ndarray]:
        """One example alone: ROC AUC is undefined (NaN); average precision is 1 for a positive
        with non-zero weight, else undefined (NaN)."""
        v = np.asarray(stats, np.float64).reshape(len(stats), 3)
        if self.name == "roc_auc":
            return {self.key: np.full(len(v), math.nan)}
        return {self.key: np.where((v[:, 1] == self.pos_label) & (v[:, 2] > 0), 1.0, math.nan)}

    def reduce_draws(self, stats: Statistics, draws: np.ndarray) -> dict[str, np.ndarray]:
        """The metric on each bootstrap resample given by its draws (``(rows, n)`` row indices of
        ``stats``), equal to `reduce` of each resample; NaN where `reduce` would raise. The scores
        are sorted once per statistics."""
        out = np.full(len(draws), math.nan)
        v = np.asarray(stats, np.float64)
        try:
            memo = getattr(self, "_draw_memo", None)
            if memo is None or memo[0] is not stats:
                w = None if np.all(v[:, 2] == 1.0) else v[:, 2]
                memo = self._draw_memo = (stats, R.Sorted(v[:, 0], self.positive(v[:, 1])), w)
        except FieldError:
            return {self.key: out}
        _, s, w = memo
        for r, row in enumerate(draws):
            out[r] = self.metric(*s.masses(s.draw_weights(row, w)))
        return {self.key: out}


class RocAuc(BinaryRankingScorer):
    """Area under the ROC curve, `sklearn.metrics.roc_auc_score` for binary ``y_true``.

    ``AUC = Σ_g P_g · (Σ_{h<g} N_h + N_g / 2) / (P · N)`` over the distinct scores ``g`` in
    ascending order, ``P_g``/``N_g`` the (weighted) positives and negatives scoring ``g``: the
    probability that a positive outscores a negative, ties counting one half — exactly the
    trapezoidal area under scikit-learn's ROC curve. The positive label is the greater of the two
    labels of ``y_true`` (scikit-learn's binary convention). Examples of one label alone give NaN
    (scikit-learn raises "Only one class present in y_true"; a shard or a resample may hold one
    label, so this is no error here); more than two labels raise `FieldError` (multiclass
    ``y_score`` is not supported yet). ``max_fpr`` (partial AUC) is not supported yet.
    """

    name = "roc_auc"

    def __init__(self, max_fpr: Any = None) -> None:
        if max_fpr is not None:
            raise ConfigError("roc_auc: max_fpr (partial AUC) is not supported yet")
        super().__init__()

    def positive(self, true: np.ndarray) -> np.ndarray:
        labels = np.unique(true)
        if len(labels) > 2:
            raise FieldError("y_true", "y_true", None, f"y_true has {len(labels)} labels; multiclass roc_auc is "
                                                       "not supported yet")
        return true == labels[-1] if len(labels) == 2 else np.zeros(len(true), bool)

    def metric(self, neg: np.ndarray, pos: np.ndarray) -> float:
        return R.auc(neg, pos)


class AveragePrecision(BinaryRankingScorer):
    """Average precision, `sklearn.metrics.average_precision_score` for binary ``y_true``.

    ``AP = Σ_k (R_k - R_{k-1}) · P_k`` over the distinct scores in descending order, with ``P_k``
    and ``R_k`` the (weighted) precision and recall of predicting positive at scores ≥ the k-th:
    scikit-learn's step sum, no interpolation. The positive label is ``pos_label`` (default 1);
    ``y_true`` must hold at most two labels. No positive example: NaN (scikit-learn warns and
    returns -0.0).
    """

    name = "average_precision"

    def __init__(self, pos_label: Any = 1) -> None:
        if isinstance(pos_label, bool) or not isinstance(pos_label, numbers.Real):
            raise ConfigError(f"average_precision: pos_label must be a number, got {pos_label!r}")
        super().__init__(**({} if pos_label == 1 else {"pos_label": pos_label}))
        self.pos_label = float(pos_label)

    def positive(self, true: np.ndarray) -> np.ndarray:
        labels = np.unique(true)
        if len(labels) > 2:
            raise FieldError("y_true", "y_true", None, f"y_true has {len(labels)} labels; multiclass "
                                                       "average_precision is not supported yet")
        if len(labels) == 2 and self.pos_label not in labels:
            raise FieldError("y_true", "y_true", None, f"pos_label={self.pos_label:g} is not a valid label. "
                                                       f"It should be one of {labels.tolist()}")
        return true == self.pos_label

    def metric(self, neg: np.ndarray, pos: np.ndarray) -> float:
        return R.average_precision(neg, pos)
