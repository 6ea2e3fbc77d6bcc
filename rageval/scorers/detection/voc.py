"""``voc_ap``: Pascal VOC average precision (the VOC devkit / py-faster-rcnn ``voc_eval``)."""
from __future__ import annotations

import math

import numpy as np

from rageval.core.errors import ConfigError
from rageval.core.scorer import Batch, Scorer
from rageval.core.statistics import Ragged, Statistics
from rageval.scorers.detection.coco import read_image
from rageval.scorers.detection.functional import to_xywh


def ap_from_pr(rec: np.ndarray, prec: np.ndarray, use_07_metric: bool = False) -> float:
    """py-faster-rcnn's ``voc_ap``: the 11-point interpolated AP (VOC2007: mean over recall
    thresholds 0, 0.1 ... 1 of the highest precision at recall >= t) or the area under the
    monotone (max-to-the-right) precision envelope (VOC2010+)."""
    if use_07_metric:
        ap = 0.0
        for t in np.arange(0.0, 1.1, 0.1):
            p = 0 if np.sum(rec >= t) == 0 else np.max(prec[rec >= t])
            ap = ap + p / 11.0
        return float(ap)
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def match_voc(pred: np.ndarray, scores: np.ndarray, gt: np.ndarray, difficult: np.ndarray,
              iou_threshold: float) -> np.ndarray:
    """``voc_eval``'s matching for one image and class (``xyxy`` boxes, VOC's +1 pixel widths):
    detections in descending score order (stable) take the ground truth of highest overlap when
    it exceeds ``iou_threshold`` (strictly); 1 = true positive, 0 = false positive (below the
    threshold, or a ground truth already taken), 2 = matched a difficult object (neither)."""
    order = np.argsort(-scores, kind="mergesort")
    flags = np.zeros(len(pred))
    taken = np.zeros(len(gt), bool)
    for d in order:
        if not len(gt):
            break
        bb = pred[d]
        iw = np.maximum(np.minimum(gt[:, 2], bb[2]) - np.maximum(gt[:, 0], bb[0]) + 1.0, 0.0)
        ih = np.maximum(np.minimum(gt[:, 3], bb[3]) - np.maximum(gt[:, 1], bb[1]) + 1.0, 0.0)
        inters = iw * ih
        uni = (bb[2] - bb[0] + 1.0) * (bb[3] - bb[1] + 1.0) + (gt[:, 2] - gt[:, 0] + 1.0) * (
            gt[:, 3] - gt[:, 1] + 1.0) - inters
        overlaps = inters / uni
        j = int(np.argmax(overlaps))
        if overlaps[j] > iou_threshold:
            if difficult[j]:
                flags[d] = 2
            elif not taken[j]:
                flags[d], taken[j] = 1, True
    return flags


class VocAP(Scorer):
    """Pascal VOC mean average precision, as py-faster-rcnn's ``voc_eval`` (the VOC devkit's
    Python port) computes it per class, averaged over the classes with at least one non-difficult
    object. Fields: ``gt_boxes``, ``gt_labels``, ``pred_boxes``, ``pred_scores``, ``pred_labels``
    (``box_format``, default ``"xyxy"`` as VOC's annotations), optional ``gt_ignore`` (VOC's
    ``difficult`` flag; ``difficult=False`` treats them as ordinary objects). Convention: VOC's +1
    pixel box widths; per image, detections in descending score order take the unmatched
    ground truth of highest overlap > ``iou_threshold``; a detection on a difficult object is
    neither true nor false positive; precision ``tp / max(tp + fp, eps)`` over all images'
    detections sorted by score (stable: ties in image order, where ``voc_eval``'s quicksort leaves
    their order unspecified), recall ``tp / npos``; AP by `ap_from_pr` (``use_07_metric``: the
    11-point VOC2007 metric). Per-class AP: `per_class`. Per-image scores are NaN."""

    name = "voc_ap"
    fields = ("gt_boxes", "gt_labels", "pred_boxes", "pred_scores", "pred_labels")
    optional_fields = ("gt_ignore",)
    stats_kind = Ragged
    bounds = (0.0, 1.0)

    def __init__(self, iou_threshold: float = 0.5, use_07_metric: bool = False, difficult: bool = True,
                 box_format: str = "xyxy") -> None:
        if not 0 <= float(iou_threshold) < 1:
            raise ConfigError(f"voc_ap: iou_threshold must be in [0, 1), got {iou_threshold!r}")
        to_xywh(np.zeros((0, 4)), box_format)
        super().__init__(iou_threshold=float(iou_threshold), use_07_metric=bool(use_07_metric),
                         difficult=bool(difficult), box_format=box_format)

    def stats(self, batch: Batch) -> Ragged:
        """Per image: ``[0, label, score, flag]`` per detection, ``[1, label, npos, 0]`` per class."""
        out = []
        for i in range(len(batch["gt_boxes"])):
            r = read_image(batch, i, self.params["box_format"])
            gt = np.c_[r["gt_boxes"][:, :2], r["gt_boxes"][:, :2] + r["gt_boxes"][:, 2:]]
            pred = np.c_[r["pred_boxes"][:, :2], r["pred_boxes"][:, :2] + r["pred_boxes"][:, 2:]]
            hard = (r.get("gt_ignore", np.zeros(len(gt))) != 0) & self.params["difficult"]
            rows = []
            for label in np.unique(np.concatenate([r["gt_labels"], r["pred_labels"]])):
                g, d = r["gt_labels"] == label, np.flatnonzero(r["pred_labels"] == label)
                if g.any():
                    rows.append([1, label, float((~hard[g]).sum()), 0])
                flags = match_voc(pred[d], r["pred_scores"][d], gt[g], hard[g], self.params["iou_threshold"])
                rows.extend([0, label, s, f] for s, f in zip(r["pred_scores"][d], flags))
            out.append(np.array(rows, np.float64).reshape(-1, 4))
        return Ragged.from_arrays(out, width=4)

    def per_class(self, stats: Statistics) -> dict[float, float]:
        """AP per class label with at least one non-difficult object."""
        v = stats.values.reshape(-1, 4)
        gt, dt = v[v[:, 0] == 1], v[v[:, 0] == 0]
        out = {}
        for label in np.unique(gt[:, 1]):
            npos = gt[gt[:, 1] == label, 2].sum()
            if npos == 0:
                continue
            d = dt[dt[:, 1] == label]
            d = d[np.argsort(-d[:, 2], kind="mergesort")]
            tp, fp = np.cumsum(d[:, 3] == 1), np.cumsum(d[:, 3] == 0)
            rec = tp / float(npos)
            prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
            out[float(label)] = ap_from_pr(rec, prec, self.params["use_07_metric"])
        return out

    def reduce(self, stats: Statistics) -> dict[str, float]:
        aps = list(self.per_class(stats).values())
        return {self.key: float(np.mean(aps)) if aps else math.nan}

    def example_scores(self, stats: Statistics) -> dict[str, np.ndarray]:
        return {self.key: np.full(len(stats), math.nan)}
