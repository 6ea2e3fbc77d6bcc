"""Merge-test data for the dense loss scorers (rageval.scorers.vision.losses): logits and class
maps, images, depth maps of varying size (so batches are not always stacked), one error row."""
from __future__ import annotations

import random

import numpy as np

from support.merge_cases import Case

SEGMENTATION = ("dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss", "lovasz_softmax")


def rows(name: str, rng: random.Random, n: int) -> list[dict]:
    gen = np.random.default_rng(rng.randrange(2**32))
    out = []
    for i in range(n):
        h, w = int(gen.integers(3, 6)), int(gen.integers(3, 6))
        if name == "lovasz_hinge":
            row = {"y_score": gen.normal(size=(h, w)), "gt_mask": gen.integers(0, 2, (h, w))}
        elif name in SEGMENTATION:
            row = {"y_score": gen.normal(size=(3, h, w)), "gt_mask": gen.integers(0, 3, (h, w))}
        elif name in ("scale_invariant_depth_loss", "berhu_loss"):
            gt = gen.uniform(1, 5, (h, w))
            gt[0, 0] = 0
            row = {"depth": gen.uniform(1, 5, (h, w)), "gt_depth": gt}
        else:
            row = {"image": gen.normal(size=(2, h, w)), "reference_image": gen.normal(size=(2, h, w))}
        out.append({"id": f"x{i}", **row})
    bad = out[n // 2]
    key = next(iter(k for k in bad if k != "id"))
    bad[key] = bad[key][..., :1, :1][..., :0]  # an empty array: an error row
    return out


def cases(name, cls, rng, params, specs):
    return [Case("mixed", specs(), rows(name, rng, 40), rtol=1e-10, atol=1e-12)]
