"""COCO-format detection data as rows for `rageval.evaluate` (the detection scorers' fields)."""
from __future__ import annotations

import json
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


def _int(value: Any, field: str, image: Any, what: str) -> int:
    """An integer id (numeric strings too, as COCO files have them), else a `FieldError`."""
    try:
        out = int(value)
    except (TypeError, ValueError):
        raise _bad(field, image, f"{what} {value!r} is not an integer") from None
    if isinstance(value, float) and value != out:
        raise _bad(field, image, f"{what} {value!r} is not an integer")
    return out


def _get(entry: Any, key: str, field: str, image: Any) -> Any:
    if not isinstance(entry, dict) or key not in entry:
        raise _bad(field, image, f"an entry without {key!r}")
    return entry[key]


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
    ids = [_int(_get(im, "id", "gt", None), "gt", None, "image id") for im in gt["images"]]
    images = sorted(set(ids))  # COCOeval evaluates each image id once
    sizes = {i: (im.get("height"), im.get("width")) for i, im in zip(ids, gt["images"])}
    cats = {_int(_get(c, "id", "gt_labels", None), "gt_labels", None, "category id") for c in gt.get("categories", [])}
    known = set(images)
    objects: dict[int, list] = defaultdict(list)
    for a in gt["annotations"]:
        objects[_int(_get(a, "image_id", "gt_boxes", None), "gt_boxes", None, "image_id")].append(a)
    dets: dict[int, list] = defaultdict(list)
    if detections and isinstance(detections[0], dict) and "boxes" in detections[0]:
        if len(detections) != len(images):
            raise FieldError("detections", "detections", None,
                             f"{len(detections)} torchmetrics-style entries for {len(images)} images")
        for img, d in zip(images, detections):
            boxes = _boxes(_get(d, "boxes", "pred_boxes", img), "pred_boxes", img)
            scores = np.asarray(_get(d, "scores", "pred_scores", img)).reshape(-1)
            labels = np.asarray(_get(d, "labels", "pred_labels", img)).reshape(-1)
            if not len(boxes) == len(scores) == len(labels):
                raise _bad("pred_boxes", img, f"{len(boxes)} boxes, {len(scores)} scores, {len(labels)} labels")
            dets[img] = [{"bbox": b, "score": s, "category_id": c} for b, s, c in zip(boxes, scores, labels)]
    else:
        for d in detections or []:
            img = _int(_get(d, "image_id", "pred_boxes", None), "pred_boxes", None, "image_id")
            if img not in known:
                raise _bad("pred_boxes", img, "a detection on an image not in the ground truth")
            dets[img].append(d)
    rows = []
    for img in images:
        g, d = objects.get(img, []), dets.get(img, [])
        gt_boxes = _boxes([_get(a, "bbox", "gt_boxes", img) for a in g], "gt_boxes", img)
        boxed = [x.get("bbox") is not None and np.size(x["bbox"]) > 0 for x in d]
        if iou_type == "segm":  # COCO's loadRes: a segmentation result's box is its mask's
            d = [x if "bbox" in x else {**x, "bbox": _mask_box(x, img)} for x in d]
        pred_boxes = _boxes([_get(x, "bbox", "pred_boxes", img) for x in d], "pred_boxes", img)
        try:
            scores = np.array([float(_get(x, "score", "pred_scores", img)) for x in d], np.float64)
        except (TypeError, ValueError):
            raise _bad("pred_scores", img, "a score that is not a number") from None
        if not ((scores >= 0) & (scores <= 1)).all():  # NaN fails too
            raise _bad("pred_scores", img, "a score outside [0, 1] or NaN")
        row = {"id": img, "gt_boxes": gt_boxes,
               "gt_labels": _labels([_get(a, "category_id", "gt_labels", img) for a in g], cats, "gt_labels", img),
               "gt_iscrowd": np.array([int(a.get("iscrowd", 0)) for a in g], np.int64),
               "gt_area": np.array([float(a.get("area", b[2] * b[3])) for a, b in zip(g, gt_boxes)], np.float64),
               "pred_boxes": pred_boxes, "pred_scores": scores,
               "pred_labels": _labels([_get(x, "category_id", "pred_labels", img) for x in d], cats, "pred_labels",
                                      img)}
        if iou_type == "segm":
            h, w = sizes.get(img, (None, None))
            row["gt_masks"] = [_rle(a["segmentation"], h, w, "gt_masks", img) for a in g]
            row["pred_masks"] = [_rle(x["segmentation"], h, w, "pred_masks", img) for x in d]
            row["pred_area"] = _result_areas(row["pred_boxes"], row["pred_masks"], boxed)
        rows.append(row)
    return rows


def _result_areas(boxes: np.ndarray, masks: list, boxed: list[bool]) -> np.ndarray:
    """The detections' ``area`` as pycocotools' ``loadRes`` sets it: the box's w x h for a result
    given with a ``bbox`` (also when evaluated as ``segm``), else its mask's area."""
    from pycocotools import mask as mask_utils

    area = boxes[:, 2] * boxes[:, 3]
    unboxed = [i for i, b in enumerate(boxed) if not b]
    if unboxed:
        area[unboxed] = np.asarray(mask_utils.area([masks[i] for i in unboxed]), np.float64).reshape(-1)
    return area


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
    out = np.array([_int(c, field, image, "label") for c in labels], np.int64)
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
