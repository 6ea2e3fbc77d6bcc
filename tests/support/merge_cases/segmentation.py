"""Merge-test data for the segmentation scorers: random class maps of varying size, with ignored
pixels, in both conventions."""
from __future__ import annotations

import random

import numpy as np

from support.merge_cases import Case


def rows(rng: random.Random, n: int, num_classes: int) -> list[dict]:
    gen = np.random.default_rng(rng.randrange(2**32))
    out = []
    for i in range(n):
        h, w = int(gen.integers(1, 9)), int(gen.integers(1, 9))
        gt = gen.integers(0, num_classes, (h, w))
        gt[gen.random((h, w)) < 0.1] = 255
        out.append({"id": f"img{i}", "mask": gen.integers(0, num_classes, (h, w)), "gt_mask": gt})
    out[n // 2]["mask"] = np.zeros((1, 1), int)  # a shape mismatch: an error row
    return out


def panoptic_rows(rng: random.Random, n: int) -> list[dict]:
    """(segments, segments_info) pairs: rectangles of categories 1, 2 (things) and 10 (stuff), a
    prediction that shifts and relabels some of them."""
    gen = np.random.default_rng(rng.randrange(2**32))
    out = []
    for i in range(n):
        h, w = int(gen.integers(5, 12)), int(gen.integers(5, 12))
        seg = np.zeros((h, w), np.int64)
        for sid in range(1, 5):
            y, x = int(gen.integers(0, h)), int(gen.integers(0, w))
            seg[y:y + int(gen.integers(2, h)), x:x + int(gen.integers(2, w))] = sid
        cats = {sid: int(gen.choice([1, 2, 10])) for sid in range(1, 5)}
        ids = set(np.unique(seg).tolist()) - {0}
        gt = (seg, [{"id": s, "category_id": cats[s], "iscrowd": int(gen.random() < 0.1)} for s in sorted(ids)])
        pred_seg = np.roll(seg, int(gen.integers(0, 2)), axis=0)
        pids = set(np.unique(pred_seg).tolist()) - {0}
        pred = (pred_seg, [{"id": s, "category_id": cats[s] if gen.random() < 0.8 else 2} for s in sorted(pids)])
        out.append({"id": f"pan{i}", "panoptic": pred, "gt_panoptic": gt})
    out[n // 2]["panoptic"] = (out[n // 2]["panoptic"][0], [])  # ids missing from segments_info: an error row
    return out


def cases(name, cls, rng, params, specs):
    if name == "panoptic_quality":
        return [Case("pairs", specs({"things": [1, 2], "stuff": [10]}), panoptic_rows(rng, 50))]
    if name == "boundary_f1":
        return [Case("binary", specs({"bound_th": 1}), [{**r, "mask": r["mask"] % 2, "gt_mask": r["gt_mask"] % 2}
                                                         for r in rows(rng, 60, 4)])]
    return [Case(convention, specs({"num_classes": 4, "ignore_index": 255, "convention": convention}),
                 rows(rng, 60, 4)) for convention in ("dataset", "per_image")]
