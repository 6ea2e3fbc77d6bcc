"""Merge-test data for the image-quality scorers: noisy uint8 and float images, one error row."""
from __future__ import annotations

import random

import numpy as np

from support.merge_cases import Case


def rows(rng: random.Random, n: int, color: bool, side: int = 7) -> list[dict]:
    gen = np.random.default_rng(rng.randrange(2**32))
    out = []
    for i in range(n):
        shape = (int(gen.integers(side, side + 5)), int(gen.integers(side, side + 5))) + ((3,) if color else ())
        ref = gen.integers(0, 256, shape).astype(np.uint8)
        img = np.clip(ref + gen.normal(0, 25, shape), 0, 255).astype(np.uint8)
        out.append({"id": f"im{i}", "image": img, "reference_image": ref})
    out[n // 3]["image"] = out[n // 3]["image"][:-1]  # a shape mismatch: an error row
    return out


def cases(name, cls, rng, params, specs):
    if name == "psnr":
        return [Case("per_image", specs(), rows(rng, 40, False)),
                Case("mse", specs({"pool": "mse"}), rows(rng, 40, True), rtol=1e-11)]
    if name == "ms_ssim":  # win_size 3: sides above (3 - 1)·16 = 32 pixels
        return [Case("rgb", specs({"win_size": 3, "channel_axis": -1}), rows(rng, 20, True, 33), rtol=1e-11)]
    return [Case("gray", specs(), rows(rng, 40, False)),
            Case("rgb-gauss", specs({"channel_axis": -1, "gaussian_weights": True, "win_size": 7}),
                 rows(rng, 30, True), rtol=1e-11)]
