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


def cases(name, cls, rng, params, specs):
    if name == "boundary_f1":
        return [Case("binary", specs({"bound_th": 1}), [{**r, "mask": r["mask"] % 2, "gt_mask": r["gt_mask"] % 2}
                                                         for r in rows(rng, 60, 4)])]
    return [Case(convention, specs({"num_classes": 4, "ignore_index": 255, "convention": convention}),
                 rows(rng, 60, 4)) for convention in ("dataset", "per_image")]
