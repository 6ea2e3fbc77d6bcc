"""Classification losses as scorers: ``y_pred`` logits (log-probabilities for ``nll_loss``,
probabilities for ``binary_cross_entropy``), ``y_true`` the target.

One example is one sample: for the class-index losses, ``y_pred`` holds the ``C`` class scores
(or ``(C, d1, ...)`` for a dense map) and ``y_true`` the class index (or a ``(d1, ...)`` map of
them); for the binary and element-wise losses, ``y_true`` has ``y_pred``'s shape. The value over
any subset equals the function's ``reduction="mean"`` on the stacked subset.
"""
from __future__ import annotations

import math
from typing import Any

from rageval import losses
from rageval.scorers.losses.base import LossScorer


class _ClassIndex(LossScorer):
    """Class-index targets whose ``"mean"`` divides by the summed class weights of the targets
    not ignored: statistics ``(Σ w[y]·loss, Σ w[y])``, 0 / 0 for an ignored element."""

    index_fields = ("y_true",)

    def weights(self, loss: Any, input: Any, target: Any, **arguments: Any) -> Any:
        import torch

        weight = self.loss_params.get("weight")
        per_class = torch.ones(input.shape[1], dtype=torch.float64) if weight is None else \
            torch.tensor(weight, dtype=torch.float64)
        keep = target != self.loss_params.get("ignore_index", -100)
        return torch.where(keep, per_class[torch.where(keep, target, 0)], 0.0)


class CrossEntropy(_ClassIndex):
    """Softmax cross-entropy of logits ``y_pred`` ``(C,)`` / ``(C, d1, ...)`` and class indices
    ``y_true``, with ``weight`` (one per class), ``ignore_index`` and ``label_smoothing``;
    `torch.nn.functional.cross_entropy`. Its ``"mean"`` divides by the sum of the targets' class
    weights, so the statistics are (weighted loss, weight); an example whose targets are all
    ``ignore_index`` has statistics 0 / 0 and a NaN example score (as torch's mean of nothing).
    Targets are class indices (for class probabilities, call `rageval.losses.cross_entropy`)."""

    name = "cross_entropy"
    loss = losses.cross_entropy


class NLLLoss(_ClassIndex):
    """Negative log-likelihood of log-probabilities ``y_pred`` and class indices ``y_true``, with
    ``weight`` and ``ignore_index``; `torch.nn.functional.nll_loss` (mean divided by the weights)."""

    name = "nll_loss"
    loss = losses.nll_loss
    bounds = (-math.inf, math.inf)


class BinaryCrossEntropy(LossScorer):
    """Binary cross-entropy of probabilities ``y_pred`` in [0, 1] and targets ``y_true`` of its
    shape, with an element ``weight``; `torch.nn.functional.binary_cross_entropy` (plain mean)."""

    name = "binary_cross_entropy"
    loss = losses.binary_cross_entropy
    same_shape = ("y_true",)


class BCEWithLogits(LossScorer):
    """Binary cross-entropy of logits ``y_pred`` and targets ``y_true`` of its shape, with
    ``weight`` and ``pos_weight`` (one per output); `torch.nn.functional.binary_cross_entropy_with_logits`."""

    name = "bce_with_logits"
    loss = losses.bce_with_logits
    same_shape = ("y_true",)


class KLDiv(LossScorer):
    """Pointwise KL divergence term of log-probabilities ``y_pred`` against probabilities
    ``y_true`` (log-probabilities with ``log_target``); `torch.nn.functional.kl_div` with
    ``reduction="mean"``: the mean over all elements (``"batchmean"``, the mathematical KL, is
    that times the number of classes)."""

    name = "kl_div"
    loss = losses.kl_div
    same_shape = ("y_true",)
    bounds = (-math.inf, math.inf)


class FocalLoss(LossScorer):
    """Focal loss with ``alpha`` and ``gamma`` (`rageval.losses.focal_loss`): binary, torchvision's
    `sigmoid_focal_loss` formula, where ``y_true`` has ``y_pred``'s shape; multi-class, kornia's
    `focal_loss` convention summed over classes, where ``y_true`` is a class index (``y_pred`` with
    one more dimension). Mean over elements."""

    name = "focal_loss"
    loss = losses.focal_loss

    def call(self, input: Any, target: Any) -> Any:
        if target.dim() + 1 == input.dim():
            if not bool((target == target.round()).all()):
                raise ValueError("class-index targets must be integers")
            target = target.long()
        elif target.shape != input.shape:
            raise ValueError(f"y_true must have y_pred's shape or one dimension fewer, got {tuple(target.shape)} "
                             f"for {tuple(input.shape)}")
        return super().call(input=input, target=target)


class Poly1Loss(LossScorer):
    """Poly-1 loss ``CE + epsilon·(1 - p_t)`` of logits ``y_pred`` and class indices ``y_true``
    (Leng et al. 2022); mean over elements."""

    name = "poly1_loss"
    loss = losses.poly1_loss
    index_fields = ("y_true",)


class MultiMarginLoss(LossScorer):
    """Multi-class hinge loss of scores ``y_pred`` ``(C,)`` and class index ``y_true``, with ``p``,
    ``margin`` and ``weight``; `torch.nn.functional.multi_margin_loss` (plain mean over samples)."""

    name = "multi_margin_loss"
    loss = losses.multi_margin_loss
    index_fields = ("y_true",)


class HingeEmbeddingLoss(LossScorer):
    """Hinge embedding loss of distances ``y_pred`` and labels ``y_true`` in {1, -1} of its shape,
    with ``margin``; `torch.nn.functional.hinge_embedding_loss`."""

    name = "hinge_embedding_loss"
    loss = losses.hinge_embedding_loss
    same_shape = ("y_true",)
    bounds = (-math.inf, math.inf)
