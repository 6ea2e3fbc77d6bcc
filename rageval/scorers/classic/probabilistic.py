"""Binary probabilistic losses over ``y_true`` (0/1, or bools) and ``y_score`` (the predicted
probability of label 1): ``log_loss`` and ``brier``, identical to scikit-learn's ``log_loss`` and
``brier_score_loss`` on binary data. Each is a (weighted) mean of a per-example loss, so its
statistics are that loss and the weight (`WeightedMeanScorer`): any subset reduces exactly and
bootstrap resamples reduce with one matrix product.

Multiclass probability vectors are not supported yet. Unlike scikit-learn, a subset holding one
label is no error (scikit-learn asks for ``labels=`` there): the positive label is always 1.
"""
from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from rageval.core.errors import FieldError
from rageval.core.scorer import Batch, WeightedMeanScorer
from rageval.scorers.classic.ranking_metrics import numeric_column


def binary_inputs(batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    """``y_true`` as 0/1 and ``y_score`` as probabilities in [0, 1]; `FieldError` naming the row
    otherwise."""
    y, prob = numeric_column(batch, "y_true"), numeric_column(batch, "y_score")
    if len(prob) != len(y):
        raise FieldError("y_score", "y_score", None, f"{len(prob)} scores for {len(y)} labels")
    bad = np.flatnonzero((y != 0) & (y != 1))
    if len(bad):
        raise FieldError("y_true", "y_true", int(bad[0]), f"expected a binary label 0 or 1, got {y[bad[0]]!r}")
    bad = np.flatnonzero((prob < 0) | (prob > 1))
    if len(bad):
        raise FieldError("y_score", "y_score", int(bad[0]), f"expected a probability in [0, 1], got {prob[bad[0]]!r}"
                                                            " (scikit-learn: 'y_prob contains values outside [0, 1]')")
    return y, prob


class LogLoss(WeightedMeanScorer):
    """Log loss (binary cross-entropy), `sklearn.metrics.log_loss` with a 1-D ``y_pred``:
    ``-Σ w·(y·log p̂ + (1 - y)·log q̂) / Σ w`` with ``p̂ = clip(p, ε, 1 - ε)`` and
    ``q̂ = clip(1 - p, ε, 1 - ε)``, ``ε`` float64's machine epsilon (scikit-learn's clipping of
    both probability columns), so a certain wrong prediction costs ``-log ε ≈ 36.04``."""

    name = "log_loss"
    fields = ("y_true", "y_score")
    higher_is_better = False
    bounds = (0.0, float("inf"))

    def score_batch(self, batch: Batch) -> np.ndarray:
        y, p = binary_inputs(batch)
        eps = np.finfo(np.float64).eps
        return -(xlogy(y, np.clip(p, eps, 1 - eps)) + xlogy(1 - y, np.clip(1 - p, eps, 1 - eps)))


class Brier(WeightedMeanScorer):
    """Brier score, `sklearn.metrics.brier_score_loss` on binary data (``pos_label`` 1):
    ``Σ w·(y - p)² / Σ w``."""

    name = "brier"
    fields = ("y_true", "y_score")
    higher_is_better = False
    bounds = (0.0, 1.0)

    def score_batch(self, batch: Batch) -> np.ndarray:
        y, p = binary_inputs(batch)
        return (y - p) ** 2


class HingeLoss(WeightedMeanScorer):
    """Hinge loss, `sklearn.metrics.hinge_loss` on binary data: ``y_score`` is the decision value
    ``d`` and ``y`` is +1 for label 1 and -1 for the other label (0 or -1), the loss
    ``Σ w·max(0, 1 - y·d) / Σ w``. scikit-learn takes the greater label of ``y_true`` as positive;
    here label 1 is always positive, so a subset holding one label is no error."""

    name = "hinge_loss"
    fields = ("y_true", "y_score")
    higher_is_better = False
    bounds = (0.0, float("inf"))

    def score_batch(self, batch: Batch) -> np.ndarray:
        y, d = numeric_column(batch, "y_true"), numeric_column(batch, "y_score")
        if len(d) != len(y):
            raise FieldError("y_score", "y_score", None, f"{len(d)} scores for {len(y)} labels")
        bad = np.flatnonzero((y != 0) & (y != 1) & (y != -1))
        if len(bad):
            raise FieldError("y_true", "y_true", int(bad[0]), f"expected a binary label (1 against 0 or -1), "
                                                              f"got {y[bad[0]]!r}")
        return np.maximum(0.0, 1 - np.where(y == 1, 1.0, -1.0) * d)
