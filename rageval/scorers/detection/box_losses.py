"""The box losses of `rageval.losses.boxes` as scorers: the mean over all box pairs (or elements)."""
from __future__ import annotations

from rageval.losses import boxes as losses
from rageval.scorers.losses.base import LossScorer


class _BoxLoss(LossScorer):
    arguments = {"pred_boxes": "boxes1", "gt_boxes": "boxes2"}


class IoULoss(_BoxLoss):
    """``1 - I / (U + eps)`` (`rageval.losses.iou_loss`), mean over box pairs (``xyxy``)."""
    name = "iou_loss"
    loss = losses.iou_loss


class GIoULoss(_BoxLoss):
    """``torchvision.ops.generalized_box_iou_loss`` (`rageval.losses.giou_loss`), mean over box pairs."""
    name = "giou_loss"
    loss = losses.giou_loss


class DIoULoss(_BoxLoss):
    """``torchvision.ops.distance_box_iou_loss`` (`rageval.losses.diou_loss`), mean over box pairs."""
    name = "diou_loss"
    loss = losses.diou_loss


class CIoULoss(_BoxLoss):
    """``torchvision.ops.complete_box_iou_loss`` (`rageval.losses.ciou_loss`), mean over box pairs."""
    name = "ciou_loss"
    loss = losses.ciou_loss


class SigmoidFocalLoss(LossScorer):
    """``torchvision.ops.sigmoid_focal_loss`` (`rageval.losses.sigmoid_focal_loss`; ``y_pred`` logits,
    ``y_true`` binary targets of its shape), mean over elements."""
    name = "sigmoid_focal_loss"
    loss = losses.sigmoid_focal_loss
    arguments = {"y_pred": "inputs", "y_true": "targets"}
    same_shape = ("y_true",)
