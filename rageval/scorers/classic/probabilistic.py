"""Probabilistic losses and the hinge loss over ``y_true`` and ``y_score``: ``log_loss``,
``brier`` and ``hinge_loss``, identical to scikit-learn's ``log_loss``, ``brier_score_loss`` and
``hinge_loss``. Each is a (weighted) mean of a per-example loss, so its statistics are that loss
and the weight (`WeightedMeanScorer`): any subset reduces exactly and bootstrap resamples reduce
with one matrix product.

Binary: ``y_true`` 0/1 (or bools; the hinge loss also -1/1) and one number per example (the
probability of label 1, or the decision value). Multiclass: one label and one vector per example
(probabilities, or decision values for the hinge loss), column ``j`` for the ``j``-th class in
sorted order (`rageval.scorers.classic.inputs.class_columns`: integer labels ``0 .. C-1`` are
their own column; other labels need ``labels=``). Multilabel (``log_loss`` and ``brier``, as
scikit-learn 1.9.1 takes them): ``y_true`` one 0/1 indicator vector of ``L ≥ 2`` labels per
example and ``y_score`` one probability per label, not normalised (scikit-learn warns that the
rows do not sum to one, and so do we); no ``labels=`` there (scikit-learn's ValueError, here a
`FieldError`).

Unlike scikit-learn, a subset holding one label, or fewer classes than score columns, is no error
(scikit-learn asks for ``labels=`` there): each example's column is fixed by its label, so the
positive label is always 1 in binary data and shards that saw different classes merge exactly.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import xlogy

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, WeightedMeanScorer
from rageval.scorers.classic import inputs
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


def probability_matrix(batch: Batch) -> np.ndarray:
    """``y_score`` as probability vectors ``(n, C)`` in [0, 1], one per ``y_true``; scikit-learn's
    warning when a row does not sum to one within ``sqrt(eps)``, without normalising (scikit-learn
    1.9)."""
    prob = inputs.float_matrix(batch["y_score"], "y_score")
    n = len(prob)
    if len(batch["y_true"]) != n:
        raise FieldError("y_score", "y_score", None, f"{n} probability vectors for {len(batch['y_true'])} labels")
    if prob.size and (prob.min() < 0 or prob.max() > 1):  # whole-array reductions first; the row only then
        bad = int(np.flatnonzero(((prob < 0) | (prob > 1)).any(axis=1))[0])
        raise FieldError("y_score", "y_score", bad, f"expected probabilities in [0, 1], got {prob[bad].tolist()!r:.60}")
    total = prob.sum(axis=1)
    if not np.all(np.abs(total - 1) <= np.sqrt(np.finfo(np.float64).eps) * np.abs(total)):
        warnings.warn("The y_prob values do not sum to one. Make sure to pass probabilities.", UserWarning,
                      stacklevel=4)
    return prob


def class_probabilities(batch: Batch, labels: list | None) -> tuple[np.ndarray, np.ndarray]:
    """A multiclass batch: the probability vectors ``(n, C)`` (`probability_matrix`) and each
    example's class column."""
    prob = probability_matrix(batch)
    width = prob.shape[1]
    if labels is not None and len(labels) != width:
        raise FieldError("y_score", "y_score", None, f"The number of classes in labels ({len(labels)}) is different "
                                                     f"from that in y_prob ({width})")
    return prob, inputs.class_columns(batch["y_true"], labels, width)


def multilabel_probabilities(batch: Batch, labels: list | None, one_column: bool) -> tuple[np.ndarray, np.ndarray]:
    """A multilabel batch (``y_true`` one 0/1 vector per example): the indicators ``(n, L)`` as
    float64 and the probability vectors ``(n, L)``, with scikit-learn 1.9.1's rules: no
    ``labels=`` ("The object was not fitted with multilabel input."), as many probabilities as
    labels; ``one_column`` (log_loss): one probability ``p`` per example stands for ``[1 - p, p]``."""
    if labels is not None:
        raise FieldError("y_true", "y_true", None, "multilabel indicators take no labels= (scikit-learn: 'The object "
                                                   "was not fitted with multilabel input.')")
    truth = inputs.indicator_matrix(batch["y_true"], "y_true").astype(np.float64)
    n, width = truth.shape
    if inputs.is_matrix(batch["y_score"]):
        prob = probability_matrix(batch)
    elif one_column:
        p = binary_inputs({"y_true": np.zeros(n), "y_score": batch["y_score"]})[1]  # its checks of y_score
        prob = np.column_stack([1 - p, p])
    else:
        raise FieldError("y_true", "y_true", None, f"y should be a 1d array, got an array of shape ({n}, {width}) "
                                                   "instead (scikit-learn, with one y_score per example)")
    if prob.shape[1] != width:
        raise FieldError("y_score", "y_score", None, f"y_true and y_prob contain different number of classes: "
                                                     f"{width} vs {prob.shape[1]}")
    return truth, prob


def lexicographic_labels(name: str, labels: Sequence[Any] | None) -> list | None:
    """``labels=`` of a probabilistic loss: columns follow their sorted order (scikit-learn's
    ``LabelBinarizer``, which warns when they were given otherwise; so do we)."""
    labels = inputs.check_labels_param(name, labels, ordered=False)
    if labels is not None and labels != sorted(labels):
        warnings.warn(f"{name}: labels passed were {labels!r:.80}, but the columns of y_score follow their sorted "
                      f"order {sorted(labels)!r:.80} (as scikit-learn's)", UserWarning, stacklevel=3)
    return labels


class VectorLoss(WeightedMeanScorer):
    """A loss over ``y_score`` that is one number or one vector per example."""

    def validate(self, batch: Batch) -> None:
        inputs.check_widths(batch, ("y_score",))
        inputs.check_widths(batch, ("y_true",))


class LogLoss(VectorLoss):
    """Log loss (binary cross-entropy), `sklearn.metrics.log_loss` with a 1-D ``y_pred``:
    ``-Σ w·(y·log p̂ + (1 - y)·log q̂) / Σ w`` with ``p̂ = clip(p, ε, 1 - ε)`` and
    ``q̂ = clip(1 - p, ε, 1 - ε)``, ``ε`` float64's machine epsilon (scikit-learn's clipping of
    both probability columns), so a certain wrong prediction costs ``-log ε ≈ 36.04``.
    Multiclass (a probability vector per example): ``-Σ w·log clip(p_{y}, ε, 1 - ε) / Σ w``, the
    clipped probability of the true class (scikit-learn's ``-Σ_j xlogy(onehot_j, clip(p_j))``);
    ``labels``: the classes of the columns (sorted). Multilabel (a 0/1 vector per example):
    ``-Σ w·Σ_j xlogy(y_j, clip(p_j, ε, 1 - ε)) / Σ w``, the same sum with the indicators in place of
    the one-hot rows (the probabilities of the labels that are off do not count, as there); one
    probability ``p`` per example with two labels is ``[1 - p, p]``, as there."""

    name = "log_loss"
    fields = ("y_true", "y_score")
    higher_is_better = False
    bounds = (0.0, float("inf"))

    def __init__(self, labels: Sequence[Any] | None = None) -> None:
        labels = lexicographic_labels(self.name, labels)
        super().__init__(**({} if labels is None else {"labels": labels}))
        self.labels = None if labels is None else sorted(labels)

    def score_batch(self, batch: Batch) -> np.ndarray:
        eps = np.finfo(np.float64).eps
        if inputs.is_matrix(batch["y_true"]):  # multilabel: scikit-learn's -Σ_j xlogy(y_j, clip(p_j))
            truth, prob = multilabel_probabilities(batch, self.labels, one_column=True)
            return -np.sum(xlogy(truth, np.clip(prob, eps, 1 - eps)), axis=1)
        if inputs.is_matrix(batch["y_score"]):
            prob, column = class_probabilities(batch, self.labels)
            return -np.log(np.clip(prob[np.arange(len(prob)), column], eps, 1 - eps))
        y, p = binary_inputs(batch)
        return -(xlogy(y, np.clip(p, eps, 1 - eps)) + xlogy(1 - y, np.clip(1 - p, eps, 1 - eps)))


class Brier(VectorLoss):
    """Brier score, `sklearn.metrics.brier_score_loss` (scikit-learn 1.9's multiclass form).
    Binary (``pos_label`` 1): ``Σ w·(y - p)² / Σ w``. Multiclass (a probability vector per
    example): ``Σ w·Σ_j (onehot_j - p_j)² / Σ w``, halved when ``scale_by_half`` (``"auto"``:
    with fewer than 3 columns, which makes two columns equal the binary score); ``labels``: the
    classes of the columns (sorted). Multilabel (a 0/1 vector per example and one probability per
    label): the same ``Σ_j (y_j - p_j)²`` with the indicators in place of the one-hot rows."""

    name = "brier"
    fields = ("y_true", "y_score")
    higher_is_better = False
    bounds = (0.0, float("inf"))  # at most 2 on probability vectors summing to one; up to L on L labels

    def __init__(self, labels: Sequence[Any] | None = None, scale_by_half: Any = "auto") -> None:
        if scale_by_half not in ("auto", True, False) or isinstance(scale_by_half, int) and \
                not isinstance(scale_by_half, bool):
            raise ConfigError(f"brier: scale_by_half must be 'auto', True or False, got {scale_by_half!r}")
        labels = lexicographic_labels(self.name, labels)
        super().__init__(**({} if labels is None else {"labels": labels}),
                         **({} if scale_by_half == "auto" else {"scale_by_half": scale_by_half}))
        self.labels = None if labels is None else sorted(labels)
        self.scale_by_half = scale_by_half

    def score_batch(self, batch: Batch) -> np.ndarray:
        if inputs.is_matrix(batch["y_true"]) or inputs.is_matrix(batch["y_score"]):
            if inputs.is_matrix(batch["y_true"]):  # multilabel: the indicators in place of the one-hot rows
                onehot, prob = multilabel_probabilities(batch, self.labels, one_column=False)
            else:
                prob, column = class_probabilities(batch, self.labels)
                onehot = column[:, None] == np.arange(prob.shape[1])[None, :]
            loss = ((onehot - prob) ** 2).sum(axis=1)
            half = prob.shape[1] < 3 if self.scale_by_half == "auto" else self.scale_by_half
            return loss * 0.5 if half else loss
        y, p = binary_inputs(batch)
        return (y - p) ** 2 if self.scale_by_half in ("auto", True) else 2 * (y - p) ** 2


class HingeLoss(VectorLoss):
    """Hinge loss, `sklearn.metrics.hinge_loss` on binary data: ``y_score`` is the decision value
    ``d`` and ``y`` is +1 for label 1 and -1 for the other label (0 or -1), the loss
    ``Σ w·max(0, 1 - y·d) / Σ w``. scikit-learn takes the greater label of ``y_true`` as positive;
    here label 1 is always positive, so a subset holding one label is no error.

    Multiclass (a vector of ``C ≥ 3`` decision values per example; Crammer-Singer): the margin is
    the true class's value less the greatest other one, the loss ``Σ w·max(0, 1 - margin) / Σ w``;
    ``labels``: the classes of the columns (sorted, as scikit-learn's ``LabelEncoder``)."""

    name = "hinge_loss"
    fields = ("y_true", "y_score")
    higher_is_better = False
    bounds = (0.0, float("inf"))

    def __init__(self, labels: Sequence[Any] | None = None) -> None:
        labels = inputs.check_labels_param(self.name, labels, ordered=False)
        super().__init__(**({} if labels is None else {"labels": labels}))
        self.labels = None if labels is None else sorted(labels)

    def score_batch(self, batch: Batch) -> np.ndarray:
        if inputs.is_matrix(batch["y_score"]):
            d = inputs.float_matrix(batch["y_score"], "y_score")
            n, width = d.shape
            if width < 3 or (self.labels is not None and len(self.labels) != width):
                raise FieldError("y_score", "y_score", None, f"{width} decision values per example: multiclass "
                                 "y_score needs one per class (at least 3" + (f", here {len(self.labels)}"
                                                                              if self.labels else "") + ")")
            if len(batch["y_true"]) != n:
                raise FieldError("y_score", "y_score", None, f"{n} score vectors for {len(batch['y_true'])} labels")
            column = inputs.class_columns(batch["y_true"], self.labels, width)
            rows = np.arange(n)
            others = d.copy()
            others[rows, column] = -np.inf
            return np.maximum(0.0, 1 - (d[rows, column] - others.max(axis=1)))
        y, d = numeric_column(batch, "y_true"), numeric_column(batch, "y_score")
        if len(d) != len(y):
            raise FieldError("y_score", "y_score", None, f"{len(d)} scores for {len(y)} labels")
        bad = np.flatnonzero((y != 0) & (y != 1) & (y != -1))
        if len(bad):
            raise FieldError("y_true", "y_true", int(bad[0]), f"expected a binary label (1 against 0 or -1), "
                                                              f"got {y[bad[0]]!r}")
        return np.maximum(0.0, 1 - np.where(y == 1, 1.0, -1.0) * d)
