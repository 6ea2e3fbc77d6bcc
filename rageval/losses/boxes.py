"""Box regression losses and the sigmoid focal loss, with torchvision.ops' argument names, formulas
and reductions (``"none"``, ``"mean"`` — 0 for an empty input —, ``"sum"``).

Boxes are ``(..., 4)`` tensors ``(x1, y1, x2, y2)`` with ``x1 <= x2``, ``y1 <= y2``; inputs other
than float32 / float64 (integers, float16, bfloat16) are computed in float32, as torchvision's
``_upcast_non_float``. Every operation is torchvision's, in its order, so float32 results are
torchvision's bit for bit (its float32 drift from the float64 formula, up to ~5e-7 absolute, is
float32 rounding, mostly of ``1 - IoU``). With the intersection ``I`` (0 for disjoint boxes), union ``U``, the
smallest enclosing box ``C`` (area ``|C|``, squared diagonal ``c²``), the squared distance of the
centres ``ρ²`` and ``eps`` (torchvision's 1e-7):

* ``iou_loss = 1 - I / (U + eps)``;
* ``giou_loss = 1 - (I / (U + eps) - (|C| - U) / (|C| + eps))`` (Rezatofighi et al. 2019;
  ``torchvision.ops.generalized_box_iou_loss``);
* ``diou_loss = 1 - I / (U + eps) + ρ² / (c² + eps)`` (Zheng et al. 2020; ``distance_box_iou_loss``);
* ``ciou_loss = diou_loss + α v`` with ``v = 4/π² (atan(w_gt/h_gt) - atan(w/h))²`` and
  ``α = v / (1 - IoU + v + eps)`` taken without gradient (``complete_box_iou_loss``; as there,
  ``eps`` reaches ``α`` only: the DIoU part keeps its default 1e-7);
* ``sigmoid_focal_loss = α_t (1 - p_t)^γ BCE(inputs, targets)`` with ``p = sigmoid(inputs)``,
  ``p_t = p t + (1 - p)(1 - t)``, ``α_t = α t + (1 - α)(1 - t)`` (no ``α`` weighting for
  ``alpha < 0``) (Lin et al. 2017; ``torchvision.ops.sigmoid_focal_loss``).

The box smooth-L1 loss is `rageval.losses.smooth_l1_loss` (torch's, as torchvision's detectors call it).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from rageval.losses._reduction import REDUCTIONS


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction!r} is not a valid value for reduction: use one of {', '.join(REDUCTIONS)}")


def _float(t: torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(t)
    return t if t.is_floating_point() else t.float()


def _upcast(t: torch.Tensor) -> torch.Tensor:
    """torchvision's ``_upcast_non_float``: float32 unless float32 or float64."""
    t = torch.as_tensor(t)
    return t if t.dtype in (torch.float32, torch.float64) else t.float()


def _inter_union(boxes1: torch.Tensor, boxes2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xkis1, ykis1 = torch.max(x1, x1g), torch.max(y1, y1g)
    xkis2, ykis2 = torch.min(x2, x2g), torch.min(y2, y2g)
    inter = torch.zeros_like(x1)
    mask = (ykis2 > ykis1) & (xkis2 > xkis1)
    inter[mask] = (xkis2[mask] - xkis1[mask]) * (ykis2[mask] - ykis1[mask])
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
    return inter, union


def _enclosing(boxes1: torch.Tensor, boxes2: torch.Tensor) -> tuple[torch.Tensor, ...]:
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    return torch.min(x1, x1g), torch.min(y1, y1g), torch.max(x2, x2g), torch.max(y2, y2g)


def iou_loss(boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: str = "none", eps: float = 1e-7) -> torch.Tensor:
    """``1 - I / (U + eps)`` per box pair (see the module docstring)."""
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    inter, union = _inter_union(boxes1, boxes2)
    return _reduce(1 - inter / (union + eps), reduction)


def giou_loss(boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: str = "none", eps: float = 1e-7) -> torch.Tensor:
    """``1 - GIoU`` per box pair, as ``torchvision.ops.generalized_box_iou_loss``."""
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / (union + eps)
    xc1, yc1, xc2, yc2 = _enclosing(boxes1, boxes2)
    area_c = (xc2 - xc1) * (yc2 - yc1)
    return _reduce(1 - (iou - ((area_c - union) / (area_c + eps))), reduction)


def _diou_iou(boxes1: torch.Tensor, boxes2: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / (union + eps)
    xc1, yc1, xc2, yc2 = _enclosing(boxes1, boxes2)
    diagonal = ((xc2 - xc1) ** 2) + ((yc2 - yc1) ** 2) + eps
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    centres = ((x2 + x1) / 2 - (x1g + x2g) / 2) ** 2 + ((y2 + y1) / 2 - (y1g + y2g) / 2) ** 2
    return 1 - iou + (centres / diagonal), iou


def diou_loss(boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: str = "none", eps: float = 1e-7) -> torch.Tensor:
    """``1 - IoU + ρ² / (c² + eps)`` per box pair, as ``torchvision.ops.distance_box_iou_loss``."""
    loss, _ = _diou_iou(_upcast(boxes1), _upcast(boxes2), eps)
    return _reduce(loss, reduction)


def ciou_loss(boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: str = "none", eps: float = 1e-7) -> torch.Tensor:
    """``diou_loss + α v`` per box pair, as ``torchvision.ops.complete_box_iou_loss``."""
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    diou, iou = _diou_iou(boxes1, boxes2, 1e-7)  # torchvision calls _diou_iou_loss(boxes1, boxes2): its default eps
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    v = (4 / (math.pi ** 2)) * torch.pow(torch.atan((x2g - x1g) / (y2g - y1g)) - torch.atan((x2 - x1) / (y2 - y1)), 2)
    with torch.no_grad():
        alpha = v / (1 - iou + v + eps)
    return _reduce(diou + alpha * v, reduction)


def sigmoid_focal_loss(inputs: torch.Tensor, targets: torch.Tensor, alpha: float = 0.25, gamma: float = 2,
                       reduction: str = "none") -> torch.Tensor:
    """The focal loss of logits ``inputs`` against binary ``targets``, as ``torchvision.ops.sigmoid_focal_loss``."""
    inputs, targets = _float(inputs), _float(targets).to(_float(inputs).dtype)
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return _reduce(loss, reduction)
