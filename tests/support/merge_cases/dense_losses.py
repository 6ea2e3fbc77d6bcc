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


def image_rows(rng: random.Random, n: int, side: int) -> list[dict]:
    """Images in [0, 1] of a few sizes around ``side`` (H×W and C×H×W), one shape mismatch."""
    gen = np.random.default_rng(rng.randrange(2**32))
    out = []
    for i in range(n):
        shape = (int(gen.integers(side, side + 3)), int(gen.integers(side, side + 3)))
        shape = shape if i % 2 else (2, *shape)
        ref = gen.uniform(0, 1, shape)
        out.append({"id": f"x{i}", "image": np.clip(ref + gen.normal(0, 0.1, shape), 0, 1), "reference_image": ref})
    out[n // 2]["image"] = out[n // 2]["image"][..., :-1]  # a shape mismatch: an error row
    return out


def cases(name, cls, rng, params, specs):
    if name == "ssim_loss":
        return [Case("window5", specs({"window_size": 5}), image_rows(rng, 30, 6), rtol=1e-10, atol=1e-12)]
    if name == "ms_ssim_loss":  # win_size 3: sides above (3 - 1)·16 = 32 pixels
        return [Case("win3", specs({"win_size": 3, "data_range": 1.0}), image_rows(rng, 10, 33), rtol=1e-10,
                     atol=1e-12)]
    return [Case("mixed", specs(), rows(name, rng, 40), rtol=1e-10, atol=1e-12)]
