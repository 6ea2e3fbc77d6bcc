"""Merge-test data for the depth scorers: depth maps with invalid (0, NaN) ground truth, one error row."""
from __future__ import annotations

import random

import numpy as np

from support.merge_cases import Case


def rows(rng: random.Random, n: int) -> list[dict]:
    gen = np.random.default_rng(rng.randrange(2**32))
    out = []
    for i in range(n):
        h, w = int(gen.integers(6, 14)), int(gen.integers(6, 14))
        gt = gen.uniform(0.5, 90, (h, w))
        gt[gen.random((h, w)) < 0.2] = 0
        gt[h // 2, :] = 20.0
        out.append({"id": f"d{i}", "depth": gt * gen.lognormal(0, 0.3, (h, w)) + 0.1, "gt_depth": gt})
    out[n // 2]["gt_depth"] = np.zeros((6, 6))  # no valid pixel: an error row
    out[n // 2]["depth"] = np.ones((6, 6))
    return out


def cases(name, cls, rng, params, specs):
    return [Case("plain", specs(), rows(rng, 40), rtol=1e-11),
            Case("median-eigen", specs({"median_scaling": True, "eigen_crop": True}), rows(rng, 40), rtol=1e-11)]
