"""Panoptic quality (Kirillov et al. 2019) over ``panoptic`` / ``gt_panoptic``, following
panopticapi's ``pq_compute``.

Each example's value is a dict, or a ``(segments, segments_info)`` pair: ``segments`` (H×W integer
segment ids; 0 = void/unlabelled) and ``segments_info`` (a list of ``{"id", "category_id"}`` dicts,
``"iscrowd"`` optional, 0 by default). As panopticapi: a predicted segment matches a true one of its category when
``IoU > 0.5``, where the union leaves out the predicted segment's pixels on void ground truth; crowd
ground truth is never matched, and an unmatched predicted segment is not a false positive when more
than half of it lies on void or on crowd ground truth of its category. Areas are counted on the
maps. Statistics per image: (TP, FP, FN, Σ IoU of matches) per category, so any subset reduces
exactly. Per category (with TP + FP + FN > 0): PQ = ΣIoU / (TP + FP/2 + FN/2), SQ = ΣIoU / TP
(0 without TP), RQ = TP / (TP + FP/2 + FN/2); each the mean over those categories.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, SummedScorer
from rageval.core.statistics import Rows

OFFSET = 2 ** 32
VOID = 0


def _parse(field: str, row: int, value: Any, categories: dict[int, int]) -> tuple[np.ndarray, dict[int, dict]]:
    if isinstance(value, (tuple, list)) and len(value) == 2:
        value = {"segments": value[0], "segments_info": value[1]}
    if not isinstance(value, Mapping) or "segments" not in value or "segments_info" not in value:
        raise FieldError(field, field, row, "expected a dict with 'segments' (an id map) and 'segments_info'")
    segments = np.asarray(value["segments"])
    if segments.ndim != 2 or segments.dtype.kind not in "iu" or segments.size == 0:
        raise FieldError(field, field, row, f"'segments' must be a non-empty 2-D integer map, got {segments.shape} "
                                            f"{segments.dtype}")
    info = {}
    for seg in value["segments_info"]:
        try:
            sid, cat, crowd = int(seg["id"]), int(seg["category_id"]), int(seg.get("iscrowd", 0))
        except (KeyError, TypeError, ValueError):
            raise FieldError(field, field, row, f"segments_info entries need 'id' and 'category_id', got {seg!r:.60}") \
                from None
        if cat not in categories:
            raise FieldError(field, field, row, f"segment {sid} has category {cat}, not one of the categories")
        info[sid] = {"category_id": cat, "iscrowd": crowd, "area": 0}
    ids, counts = np.unique(segments, return_counts=True)
    for sid, count in zip(ids.tolist(), counts.tolist()):
        if sid == VOID and sid not in info:
            continue
        if sid not in info:
            raise FieldError(field, field, row, f"segment id {sid} is in the map but not in segments_info")
        info[sid]["area"] = count
    missing = [sid for sid, s in info.items() if s["area"] == 0]
    if missing:
        raise FieldError(field, field, row, f"segment ids {missing[:5]} are in segments_info but not in the map")
    return segments, info


def pq_counts(pred: Any, gt: Any, categories: dict[int, int], row: int = 0) -> np.ndarray:
    """``[TP..., FP..., FN..., IoU...]`` over the categories (sorted ids) for one image."""
    pan_pred, pred_segms = _parse("panoptic", row, pred, categories)
    pan_gt, gt_segms = _parse("gt_panoptic", row, gt, categories)
    if pan_pred.shape != pan_gt.shape:
        raise FieldError("panoptic", "panoptic", row, f"map shape {pan_pred.shape} differs from gt's {pan_gt.shape}")
    index = {c: k for k, c in enumerate(sorted(categories))}
    k = len(index)
    tp, fp, fn, iou_sum = (np.zeros(k) for _ in range(4))
    joint = pan_gt.astype(np.uint64) * np.uint64(OFFSET) + pan_pred.astype(np.uint64)
    labels, counts = np.unique(joint, return_counts=True)
    gt_pred = {(int(lab // OFFSET), int(lab % OFFSET)): int(c) for lab, c in zip(labels.tolist(), counts.tolist())}
    gt_matched, pred_matched = set(), set()
    for (g, p), inter in gt_pred.items():
        if g not in gt_segms or p not in pred_segms or gt_segms[g]["iscrowd"] == 1:
            continue
        if gt_segms[g]["category_id"] != pred_segms[p]["category_id"]:
            continue
        union = pred_segms[p]["area"] + gt_segms[g]["area"] - inter - gt_pred.get((VOID, p), 0)
        iou = inter / union
        if iou > 0.5:
            c = index[gt_segms[g]["category_id"]]
            tp[c] += 1
            iou_sum[c] += iou
            gt_matched.add(g)
            pred_matched.add(p)
    crowd = {}
    for g, info in gt_segms.items():
        if g in gt_matched:
            continue
        if info["iscrowd"] == 1:
            crowd[info["category_id"]] = g
            continue
        fn[index[info["category_id"]]] += 1
    for p, info in pred_segms.items():
        if p in pred_matched:
            continue
        inter = gt_pred.get((VOID, p), 0)
        if info["category_id"] in crowd:
            inter += gt_pred.get((crowd[info["category_id"]], p), 0)
        if inter / info["area"] > 0.5:
            continue
        fp[index[info["category_id"]]] += 1
    return np.concatenate([tp, fp, fn, iou_sum])


class PanopticQuality(SummedScorer):
    """Panoptic quality, panopticapi's ``pq_compute`` (see the module). ``things`` and ``stuff``:
    the category ids of each kind (together, all categories). Parts: ``sq``, ``rq`` (all
    categories), ``things``, ``stuff`` (PQ over each kind)."""

    name = "panoptic_quality"
    fields = ("panoptic", "gt_panoptic")
    parts = ("sq", "rq", "things", "stuff")
    bounds = (0.0, 1.0)

    def __init__(self, things: list[int] | None = None, stuff: list[int] | None = None) -> None:
        things, stuff = sorted(map(int, things or [])), sorted(map(int, stuff or []))
        if not things and not stuff or set(things) & set(stuff):
            raise ConfigError("panoptic_quality: give the category ids as things=[...] and stuff=[...] (disjoint)")
        super().__init__(things=things, stuff=stuff)
        self.categories = {**{c: 1 for c in things}, **{c: 0 for c in stuff}}
        self.isthing = np.array([self.categories[c] for c in sorted(self.categories)], bool)

    def stats(self, batch: Batch) -> Rows:
        rows = [pq_counts(p, g, self.categories, i) for i, (p, g) in enumerate(zip(batch["panoptic"],
                                                                                     batch["gt_panoptic"]))]
        return Rows(np.array(rows).reshape(len(rows), 4 * len(self.categories)))

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        k = len(self.categories)
        if sums.shape[1] != 4 * k:
            sums = np.zeros((len(sums), 4 * k))
        tp, fp, fn, iou = sums[:, :k], sums[:, k:2 * k], sums[:, 2 * k:3 * k], sums[:, 3 * k:]
        den = tp + 0.5 * fp + 0.5 * fn
        used = den > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            pq = np.where(used, iou / np.where(used, den, 1), 0.0)
            sq = np.where(tp > 0, iou / np.where(tp > 0, tp, 1), 0.0)
            rq = np.where(used, tp / np.where(used, den, 1), 0.0)

            def mean(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
                n = (used & mask).sum(1)
                return np.where(n > 0, (values * (used & mask)).sum(1) / np.where(n > 0, n, 1), 0.0)  # as pq_average

        everything = np.ones(k, bool)
        out = {self.key: mean(pq, everything), f"{self.key}.sq": mean(sq, everything),
               f"{self.key}.rq": mean(rq, everything), f"{self.key}.things": mean(pq, self.isthing),
               f"{self.key}.stuff": mean(pq, ~self.isthing)}
        return {key: np.where(counts > 0, v, np.nan) for key, v in out.items()}
