"""COCO-format detection data as rows for `rageval.evaluate` (the detection scorers' fields)."""
from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from typing import Any

import numpy as np

from rageval.core.errors import FieldError


def _load(value: Any) -> Any:
    if isinstance(value, (str, os.PathLike)):
        with open(value, encoding="utf-8") as f:
            return json.load(f)
    return value


def _bad(field: str, image: Any, problem: str) -> FieldError:
    return FieldError(field, field, None, f"image {image!r}: {problem}")


def from_coco(gt: Any, detections: Any, iou_type: str = "bbox") -> list[dict[str, Any]]:
    """Rows for ``evaluate(rows, ["coco_map"])`` from a COCO ground-truth JSON (a path or the loaded
    dict) and a results list (a path, a list of ``{"image_id", "category_id", "bbox", "score"}``),
    one row per image of ``gt["images"]`` in ascending id order (COCOeval's order; ``id`` is the
    image id; images without objects or detections are kept): ``gt_boxes`` (COCO ``xywh``),
    ``gt_labels``, ``gt_iscrowd``, ``gt_area``, ``pred_boxes``, ``pred_scores``, ``pred_labels``,
    and for ``iou_type="segm"`` ``gt_masks`` / ``pred_masks`` (the ``segmentation`` entries).
    ``detections`` may also be torchmetrics-style: a list, one per image in id order, of
    ``{"boxes", "scores", "labels"}`` (boxes ``xywh``). Refused with a `FieldError` naming the image
    and the field: a box with negative width or height, a score outside [0, 1] or NaN, a label
    not among the categories, a detection on an unknown image, mismatched lengths."""
    if iou_type not in ("bbox", "segm"):
        raise ValueError(f"iou_type must be 'bbox' or 'segm', got {iou_type!r}")
    gt, detections = _load(gt), _load(detections)
    if not isinstance(gt, dict) or "images" not in gt or "annotations" not in gt:
        raise FieldError("gt", "gt", None, "a COCO ground truth needs 'images' and 'annotations'")
    images = sorted(int(im["id"]) for im in gt["images"])
    sizes = {int(im["id"]): (im.get("height"), im.get("width")) for im in gt["images"]}
    cats = {int(c["id"]) for c in gt.get("categories", [])}
    known = set(images)
    objects: dict[int, list] = defaultdict(list)
    for a in gt["annotations"]:
        objects[int(a["image_id"])].append(a)
    dets: dict[int, list] = defaultdict(list)
    if detections and isinstance(detections[0], dict) and "boxes" in detections[0]:
        if len(detections) != len(images):
            raise FieldError("detections", "detections", None,
                             f"{len(detections)} torchmetrics-style entries for {len(images)} images")
        for img, d in zip(images, detections):
            boxes = np.asarray(d["boxes"], np.float64).reshape(-1, 4)
            scores, labels = np.asarray(d["scores"]).reshape(-1), np.asarray(d["labels"]).reshape(-1)
            if not len(boxes) == len(scores) == len(labels):
                raise _bad("pred_boxes", img, f"{len(boxes)} boxes, {len(scores)} scores, {len(labels)} labels")
            dets[img] = [{"bbox": b, "score": s, "category_id": c} for b, s, c in zip(boxes, scores, labels)]
    else:
        for d in detections or []:
            img = int(d["image_id"])
            if img not in known:
                raise _bad("pred_boxes", img, "a detection on an image not in the ground truth")
            dets[img].append(d)
    rows = []
    for img in images:
        g, d = objects.get(img, []), dets.get(img, [])
        gt_boxes = _boxes([a["bbox"] for a in g], "gt_boxes", img)
        if iou_type == "segm":  # COCO's loadRes: a segmentation result's box is its mask's
            d = [x if "bbox" in x else {**x, "bbox": _mask_box(x, img)} for x in d]
        pred_boxes = _boxes([x["bbox"] for x in d], "pred_boxes", img)
        scores = np.array([float(x["score"]) for x in d], np.float64)
        if not ((scores >= 0) & (scores <= 1)).all():  # NaN fails too
            raise _bad("pred_scores", img, "a score outside [0, 1] or NaN")
        row = {"id": img, "gt_boxes": gt_boxes,
               "gt_labels": _labels([a["category_id"] for a in g], cats, "gt_labels", img),
               "gt_iscrowd": np.array([int(a.get("iscrowd", 0)) for a in g], np.int64),
               "gt_area": np.array([float(a.get("area", b[2] * b[3])) for a, b in zip(g, gt_boxes)], np.float64),
               "pred_boxes": pred_boxes, "pred_scores": scores,
               "pred_labels": _labels([x["category_id"] for x in d], cats, "pred_labels", img)}
        if iou_type == "segm":
            h, w = sizes.get(img, (None, None))
            row["gt_masks"] = [_rle(a["segmentation"], h, w, "gt_masks", img) for a in g]
            row["pred_masks"] = [_rle(x["segmentation"], h, w, "pred_masks", img) for x in d]
        rows.append(row)
    return rows


def _boxes(boxes: list, field: str, image: int) -> np.ndarray:
    try:
        out = np.array(boxes, np.float64).reshape(-1, 4)
    except (TypeError, ValueError):
        raise _bad(field, image, "boxes must be 4 numbers each") from None
    if not np.isfinite(out).all():
        raise _bad(field, image, "a NaN or infinite coordinate")
    if (out[:, 2:] < 0).any():
        raise _bad(field, image, "a box with negative width or height")
    return out


def _labels(labels: list, cats: set[int], field: str, image: int) -> np.ndarray:
    out = np.array([int(c) if not (isinstance(c, float) and math.isnan(c)) else -1 for c in labels], np.int64)
    if cats and not set(out.tolist()) <= cats:
        raise _bad(field, image, f"label {sorted(set(out.tolist()) - cats)[0]} is not among the categories")
    return out


def _rle(segm: Any, h: Any, w: Any, field: str, image: int) -> Any:
    """COCO's ``annToRLE``: polygons (merged) and uncompressed RLE as a compressed RLE dict."""
    from pycocotools import mask as mask_utils

    if isinstance(segm, dict) and not isinstance(segm.get("counts"), list):
        return segm
    if isinstance(segm, dict):
        return mask_utils.frPyObjects(segm, *segm["size"])
    if h is None or w is None:
        raise _bad(field, image, "polygons need the image's height and width in gt['images']")
    return mask_utils.merge(mask_utils.frPyObjects(segm, h, w))


def _mask_box(det: dict, image: int) -> list:
    from pycocotools import mask as mask_utils

    if "segmentation" not in det:
        raise _bad("pred_masks", image, "a segmentation result without 'segmentation'")
    return mask_utils.toBbox(det["segmentation"]).tolist()
