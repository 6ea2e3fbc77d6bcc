"""``coco_map``: COCO detection AP / AR (``COCOeval``) from per-image statistics."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, Scorer
from rageval.core.statistics import Ragged, Statistics
from rageval.scorers.detection import functional as F

PARTS = ("50", "75", "small", "medium", "large", "ar1", "ar10", "ar100", "ar_small", "ar_medium", "ar_large")


def _column(batch: Batch, field: str, i: int, shape: tuple[int, ...] | None = None, kind: str = "f") -> np.ndarray:
    try:
        value = np.asarray(batch[field][i], dtype=np.float64)
    except (TypeError, ValueError):
        raise FieldError(field, field, i, "not a numeric array") from None
    if shape is not None:
        if value.size == 0:
            value = value.reshape((0,) + shape[1:])
        if value.ndim != len(shape) or any(s is not None and s != v for s, v in zip(shape, value.shape)):
            raise FieldError(field, field, i, f"expected shape {tuple('n' if s is None else s for s in shape)}, "
                                              f"got {value.shape}")
    if not np.isfinite(value).all():
        raise FieldError(field, field, i, "a NaN or infinite value")
    return value


def read_image(batch: Batch, i: int, box_format: str) -> dict[str, np.ndarray]:
    """Row ``i``'s detection fields, checked (``FieldError`` naming the field and the row)."""
    gt = F.to_xywh(_column(batch, "gt_boxes", i, (None, 4)), box_format)
    pred = F.to_xywh(_column(batch, "pred_boxes", i, (None, 4)), box_format)
    n, m = len(gt), len(pred)
    out = {"gt_boxes": gt, "pred_boxes": pred}
    for field, size in (("gt_labels", n), ("pred_labels", m), ("pred_scores", m)):
        out[field] = _column(batch, field, i, (size,))
    for field, size in (("gt_iscrowd", n), ("gt_ignore", n), ("gt_area", n), ("pred_area", m)):
        if field in batch and batch[field][i] is not None:
            out[field] = _column(batch, field, i, (size,))
    for field, boxes in (("gt_boxes", gt), ("pred_boxes", pred)):
        if (boxes[:, 2:] < 0).any():
            raise FieldError(field, field, i, "a box with negative width or height")
    return out


def _mask_ious(batch: Batch, i: int, n_gt: int, n_det: int,
               crowd: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``iou_type="segm"``: pycocotools' mask IoU (crowd: intersection over the detection's mask
    area), the detections' and ground truths' mask areas (``maskUtils.area``)."""
    from pycocotools import mask as mask_utils

    rles = []
    for field, n in (("pred_masks", n_det), ("gt_masks", n_gt)):
        if field not in batch or batch[field][i] is None:
            raise FieldError(field, field, i, "iou_type='segm' needs the masks")
        rles.append(to_rles(batch[field][i], field, i))
        if len(rles[-1]) != n:
            raise FieldError(field, field, i, f"{len(rles[-1])} masks for {n} boxes")
    d, g = rles
    ious = np.asarray(mask_utils.iou(d, g, crowd.astype(np.uint8)), np.float64).reshape(n_det, n_gt) if d and g \
        else np.zeros((n_det, n_gt))
    area = [np.asarray(mask_utils.area(x), np.float64).reshape(-1) if x else np.zeros(0) for x in (d, g)]
    return ious, area[0], area[1]


def to_rles(masks: object, field: str, i: int) -> list:
    """COCO compressed RLE dicts (``{"size", "counts"}``) or an ``(n, H, W)`` / list of ``H x W``
    boolean arrays, as compressed RLEs (polygons need the image size: `rageval.data.from_coco`
    converts them)."""
    from pycocotools import mask as mask_utils

    if isinstance(masks, np.ndarray) and masks.ndim == 3:
        masks = list(masks)
    out = []
    for m in masks:
        if isinstance(m, dict) and "size" in m and "counts" in m:
            out.append(mask_utils.frPyObjects(m, *m["size"]) if isinstance(m["counts"], list) else m)
        else:
            a = np.asarray(m)
            if a.ndim != 2 or a.dtype.kind not in "biuf":
                raise FieldError(field, field, i, "a mask must be a COCO RLE dict or an H x W array")
            out.append(mask_utils.encode(np.asfortranarray(a != 0, dtype=np.uint8)))
    return out


class CocoMAP(Scorer):
    """COCO mean average precision and recall, the 12 numbers of pycocotools' ``COCOeval.summarize``.

    One row per image: ``gt_boxes`` (n x 4), ``gt_labels``, ``pred_boxes`` (m x 4), ``pred_scores``,
    ``pred_labels``; optional ``gt_iscrowd`` (COCO ``iscrowd``: an ignored region whose IoU is the
    intersection over the detection's area and which any number of detections may match),
    ``gt_area`` (COCO ``area``, used for the area ranges; default the box area) and ``gt_ignore``
    (ignored objects that are not crowds; pycocotools itself drops an ``ignore`` key). Convention,
    as ``COCOeval`` (``iouType="bbox"``): per image and class the detections sorted by score (stable)
    and cut to ``maxDets[-1]``; greedy matching in score order to the free ground truth of highest
    IoU >= each threshold (ties to the later one; non-ignored before ignored); ground truths
    outside an area range ignored, unmatched detections outside it ignored; per class the
    precision at the 101 recall thresholds (interpolated: the maximum at any higher recall) over
    all images' detections sorted by score (stable, images in row order), ``-1`` for a class
    without ground truth, and the means over valid entries. The value is AP@[.5:.95]
    (``stats[0]``), the parts ``50``, ``75``, ``small``, ``medium``, ``large``, ``ar1``, ``ar10``,
    ``ar100``, ``ar_small``, ``ar_medium``, ``ar_large`` are ``stats[1:12]``. Identical to
    pycocotools 2.0 (to 1e-12) over images given in ascending id order (its order).

    ``iou_type="segm"``: the IoU of ``pred_masks`` and ``gt_masks`` (COCO RLE dicts or H x W arrays;
    pycocotools' mask utils, extra ``[vision]``) and the detections' mask areas, as COCOeval's
    ``iouType="segm"``; the boxes are still read (from_coco fills them). Optional ``pred_area``: the
    detections' areas for the area ranges instead of their mask areas; `rageval.data.from_coco` sets
    it as pycocotools' ``loadRes`` does: a result that has a ``bbox`` gets its box area, even
    evaluated as ``segm`` (a quirk kept: COCO numbers depend on it), one without gets its mask area.

    Parameters (``COCOeval.params``' names in brackets): ``iou_thresholds`` [iouThrs],
    ``rec_thresholds`` [recThrs], ``max_dets`` [maxDets], ``area_ranges`` [areaRng; all, small,
    medium, large], ``use_cats`` [useCats], ``box_format`` (``"xywh"`` COCO, ``"xyxy"``,
    ``"cxcywh"``). ``fix_max_dets=True`` reads AP@[.5:.95] at ``max_dets[-1]`` instead of at 100
    (pycocotools prints -1 when 100 is not among ``maxDets``). Per-class AP: `per_class`.
    Per-image scores are NaN: mAP is defined over a set of images.
    """

    name = "coco_map"
    fields = ("gt_boxes", "gt_labels", "pred_boxes", "pred_scores", "pred_labels")
    optional_fields = ("gt_iscrowd", "gt_area", "gt_ignore", "gt_masks", "pred_masks", "pred_area")
    stats_kind = Ragged
    parts = PARTS
    bounds = (-1.0, 1.0)
    version = "1"

    def __init__(self, iou_type: str = "bbox", iou_thresholds: Any = None, rec_thresholds: Any = None,
                 max_dets: Any = F.MAX_DETS, area_ranges: Any = F.AREA_RANGES, use_cats: bool = True,
                 box_format: str = "xywh", fix_max_dets: bool = False) -> None:
        if iou_type not in ("bbox", "segm"):
            raise ConfigError(f"coco_map: iou_type must be 'bbox' or 'segm', got {iou_type!r}")
        iou = F.IOU_THRESHOLDS if iou_thresholds is None else np.asarray(iou_thresholds, np.float64)
        rec = F.REC_THRESHOLDS if rec_thresholds is None else np.asarray(rec_thresholds, np.float64)
        max_dets = [int(m) for m in max_dets]
        area_ranges = [[float(a), float(b)] for a, b in area_ranges]
        if len(area_ranges) != 4 or not len(max_dets) or not len(iou):
            raise ConfigError("coco_map: need 4 area ranges (all, small, medium, large), max_dets and thresholds")
        F.to_xywh(np.zeros((0, 4)), box_format)  # refuses an unknown format here
        super().__init__(iou_type=iou_type, iou_thresholds=iou.tolist(), rec_thresholds=rec.tolist(),
                         max_dets=max_dets, area_ranges=area_ranges, use_cats=bool(use_cats),
                         box_format=box_format, fix_max_dets=bool(fix_max_dets))
        self.iou, self.rec = iou, rec

    def stats(self, batch: Batch) -> Ragged:
        if self.params["iou_type"] == "bbox":
            return self._box_stats(batch)
        p = self.params
        rows = []
        for i in range(len(batch["gt_boxes"])):
            r = read_image(batch, i, p["box_format"])
            crowd = r.get("gt_iscrowd", np.zeros(len(r["gt_boxes"]))) != 0
            ignore = crowd | (r.get("gt_ignore", np.zeros(len(crowd))) != 0)
            gt_area = r.get("gt_area", r["gt_boxes"][:, 2] * r["gt_boxes"][:, 3])
            det_area = r["pred_boxes"][:, 2] * r["pred_boxes"][:, 3]
            if p["iou_type"] == "segm":
                ious, det_area, mask_area = _mask_ious(batch, i, len(gt_area), len(det_area), crowd)
                gt_area, det_area = r.get("gt_area", mask_area), r.get("pred_area", det_area)
            gl, pl = r["gt_labels"], r["pred_labels"]
            if not p["use_cats"]:  # COCOeval concatenates the classes' objects in class order
                go, po = np.argsort(gl, kind="mergesort"), np.argsort(pl, kind="mergesort")
                r = {**r, "gt_boxes": r["gt_boxes"][go], "pred_boxes": r["pred_boxes"][po],
                     "pred_scores": r["pred_scores"][po]}
                crowd, ignore, gt_area = crowd[go], ignore[go], gt_area[go]
                gl, pl = np.zeros_like(gl), np.zeros_like(pl)
            if p["iou_type"] == "bbox":
                ious = F.coco_box_iou(r["pred_boxes"], r["gt_boxes"], crowd)
                det_area = r["pred_boxes"][:, 2] * r["pred_boxes"][:, 3]
            else:
                ious = ious[np.ix_(po, go)] if not p["use_cats"] else ious
                det_area = det_area[po] if not p["use_cats"] else det_area
            rows.append(F.match_image(ious, pl, r["pred_scores"], det_area,
                                      gl, gt_area, ignore, crowd, self.iou, p["area_ranges"], p["max_dets"][-1]))
        width = 4 + 4 * len(self.iou)
        return Ragged.from_arrays(rows, width=width)

    def _box_stats(self, batch: Batch) -> Ragged:
        """bbox: every image's objects in flat arrays, matched at once (`functional.match_boxes`)."""
        p = self.params
        n = len(batch["gt_boxes"])
        parts = {k: [] for k in ("gi", "gb", "gl", "ga", "gig", "gc", "di", "db", "dl", "ds")}
        for i in range(n):
            r = read_image(batch, i, p["box_format"])
            ng, nd = len(r["gt_boxes"]), len(r["pred_boxes"])
            crowd = r.get("gt_iscrowd", np.zeros(ng)) != 0
            gl, dl = r["gt_labels"], r["pred_labels"]
            go, do = np.arange(ng), np.arange(nd)
            if not p["use_cats"]:  # COCOeval concatenates the classes' objects in class order
                go, do = np.argsort(gl, kind="mergesort"), np.argsort(dl, kind="mergesort")
                gl, dl = np.zeros(ng), np.zeros(nd)
            parts["gi"].append(np.full(ng, i))
            parts["gb"].append(r["gt_boxes"][go])
            parts["gl"].append(gl)
            parts["ga"].append(r.get("gt_area", r["gt_boxes"][:, 2] * r["gt_boxes"][:, 3])[go])
            parts["gig"].append((crowd | (r.get("gt_ignore", np.zeros(ng)) != 0))[go])
            parts["gc"].append(crowd[go])
            parts["di"].append(np.full(nd, i))
            parts["db"].append(r["pred_boxes"][do])
            parts["dl"].append(dl)
            parts["ds"].append(r["pred_scores"][do])
        c = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
        rows, owner = F.match_boxes(c["di"].astype(np.int64), c["db"].reshape(-1, 4), c["dl"], c["ds"],
                                    c["gi"].astype(np.int64), c["gb"].reshape(-1, 4), c["gl"], c["ga"], c["gig"],
                                    c["gc"], n, self.iou, p["area_ranges"], p["max_dets"][-1])
        offsets = np.searchsorted(owner, np.arange(n + 1), "left")
        return Ragged(rows, offsets)

    def accumulate(self, stats: Statistics) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``COCOeval.accumulate``: precision (T, R, K, A, M), recall (T, K, A, M), class labels (K)."""
        values = stats.values if len(stats.values) else np.empty((0, 4 + 4 * len(self.iou)))
        return F.accumulate(values, 4, len(self.iou), self.rec, self.params["max_dets"])

    def reduce(self, stats: Statistics) -> dict[str, float]:
        precision, recall, _ = self.accumulate(stats)
        s = F.summarize(precision, recall, self.iou, self.params["max_dets"], fix_max_dets=self.params["fix_max_dets"])
        return {self.key: s[0], **{f"{self.key}.{k}": v for k, v in zip(PARTS, s[1:])}}

    def reduce_draws(self, stats: Statistics, draws: np.ndarray) -> dict[str, np.ndarray]:
        """`reduce` of each bootstrap resample given by its draws (``(rows, n)`` row indices of
        ``stats``), its images in ascending order with copies adjacent (`reduce` of
        ``stats.take(np.sort(row))``), from one sort of all detections (`resample.DrawReducer`)."""
        from rageval.scorers.detection.resample import DrawReducer

        memo = getattr(self, "_draw_memo", None)
        if memo is None or memo[0] is not stats:
            values = stats.values if len(stats.values) else np.empty((0, 4 + 4 * len(self.iou)))
            memo = self._draw_memo = (stats, DrawReducer(values, stats.offsets, 4, self.iou, self.rec,
                                                         self.params["max_dets"], self.params["fix_max_dets"]))
        rows = np.array(memo[1](draws), np.float64).reshape(len(draws), len(PARTS) + 1)
        return {k: rows[:, j] for j, k in enumerate(self.keys())}

    def per_class(self, stats: Statistics) -> dict[float, float]:
        """AP@[.5:.95] per class label (all areas, ``max_dets[-1]``), -1 for a class without ground truth."""
        precision, _, labels = self.accumulate(stats)
        return dict(zip(labels.tolist(), F.per_class_ap(precision).tolist()))

    def example_scores(self, stats: Statistics) -> dict[str, np.ndarray]:
        return {k: np.full(len(stats), math.nan) for k in self.keys()}
