"""Matched-box metrics: ``box_iou``, ``giou``, ``diou``, ``ciou`` over paired boxes, mean over pairs."""
from __future__ import annotations

import math

import numpy as np

from rageval.core.errors import FieldError
from rageval.core.scorer import Batch, SummedScorer
from rageval.core.statistics import Rows
from rageval.scorers.detection.functional import to_xywh


def pair_metrics(pred: np.ndarray, gt: np.ndarray) -> dict[str, np.ndarray]:
    """IoU, GIoU, DIoU and CIoU of paired ``xyxy`` boxes in float64, by the published formulas
    without ``eps``: ``IoU = I / U`` (pycocotools' box IoU: 0 when the boxes do not overlap with
    positive area, and 0 for ``U = 0``); ``GIoU = IoU - (|C| - U) / |C|`` (Rezatofighi et al. 2019;
    the term is 0 for ``|C| = 0``); ``DIoU = IoU - ρ² / c²`` (Zheng et al. 2020; 0 for ``c² = 0``);
    ``CIoU = DIoU - α v`` with ``v = 4/π² (atan2(w_gt, h_gt) - atan2(w, h))²`` (``atan(w/h)``, and 0 for
    a 0 x 0 box) and ``α = v / (1 - IoU + v)`` (0 when ``v = 0``)."""
    x1, y1, x2, y2 = pred.T
    gx1, gy1, gx2, gy2 = gt.T
    w, h = np.minimum(x2, gx2) - np.maximum(x1, gx1), np.minimum(y2, gy2) - np.maximum(y1, gy1)
    inter = np.where((w > 0) & (h > 0), w * h, 0.0)
    union = (x2 - x1) * (y2 - y1) + (gx2 - gx1) * (gy2 - gy1) - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, inter / union, 0.0)
        cw, ch = np.maximum(x2, gx2) - np.minimum(x1, gx1), np.maximum(y2, gy2) - np.minimum(y1, gy1)
        area_c, diag = cw * ch, cw ** 2 + ch ** 2
        giou = iou - np.where(area_c > 0, (area_c - union) / area_c, 0.0)
        rho = ((x1 + x2) / 2 - (gx1 + gx2) / 2) ** 2 + ((y1 + y2) / 2 - (gy1 + gy2) / 2) ** 2
        diou = iou - np.where(diag > 0, rho / diag, 0.0)
        v = 4 / math.pi ** 2 * (np.arctan2(gx2 - gx1, gy2 - gy1) - np.arctan2(x2 - x1, y2 - y1)) ** 2
        alpha = np.where(v > 0, v / (1 - iou + v), 0.0)
    return {"box_iou": iou, "giou": giou, "diou": diou, "ciou": diou - alpha * v}


class _PairScorer(SummedScorer):
    """Mean of the metric over all box pairs of the examples (row ``i`` of ``pred_boxes`` with row
    ``i`` of ``gt_boxes``); ``box_format`` ``"xyxy"`` (default, torchvision's), ``"xywh"``, ``"cxcywh"``."""

    fields = ("pred_boxes", "gt_boxes")
    bounds = (-1.0, 1.0)

    def __init__(self, box_format: str = "xyxy") -> None:
        to_xywh(np.zeros((0, 4)), box_format)
        super().__init__(box_format=box_format)

    def stats(self, batch: Batch) -> Rows:
        rows = []
        for i, (p, g) in enumerate(zip(batch["pred_boxes"], batch["gt_boxes"])):
            boxes = []
            for field, value in (("pred_boxes", p), ("gt_boxes", g)):
                try:
                    b = to_xywh(np.asarray(value, np.float64), self.params["box_format"])
                except (TypeError, ValueError):
                    raise FieldError(field, field, i, "expected an (n, 4) array of numbers") from None
                if np.asarray(value).size % 4 or not np.isfinite(b).all() or (b[:, 2:] < 0).any():
                    raise FieldError(field, field, i, "boxes must be n x 4 finite numbers with x1 <= x2, y1 <= y2")
                boxes.append(np.c_[b[:, :2], b[:, :2] + b[:, 2:]])
            if len(boxes[0]) != len(boxes[1]):
                raise FieldError("gt_boxes", "gt_boxes", i, f"{len(boxes[1])} boxes for {len(boxes[0])} predicted")
            values = pair_metrics(*boxes)[self.name]
            rows.append([values.sum(), len(values)])
        return Rows(np.array(rows, np.float64).reshape(-1, 2))

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        with np.errstate(invalid="ignore", divide="ignore"):
            return {self.key: sums[:, 0] / np.where(sums[:, 1] > 0, sums[:, 1], np.nan)}

    def example_scores(self, stats):
        return self.reduce_sums(np.asarray(stats, np.float64), np.ones(len(stats)))


class BoxIoU(_PairScorer):
    __doc__ = "Intersection over union of paired boxes. " + _PairScorer.__doc__ + pair_metrics.__doc__
    name = "box_iou"
    bounds = (0.0, 1.0)


class GIoU(_PairScorer):
    __doc__ = "Generalized IoU of paired boxes. " + _PairScorer.__doc__ + pair_metrics.__doc__
    name = "giou"


class DIoU(_PairScorer):
    __doc__ = "Distance IoU of paired boxes. " + _PairScorer.__doc__ + pair_metrics.__doc__
    name = "diou"


class CIoU(_PairScorer):
    __doc__ = "Complete IoU of paired boxes. " + _PairScorer.__doc__ + pair_metrics.__doc__
    name = "ciou"
