"""Merge-test data for fid and kid: generated feature vectors against a reference saved as .npz
(a path, so results reloaded from a run directory rebuild the scorer), one error row."""
from __future__ import annotations

import random
import tempfile
from pathlib import Path

import numpy as np

from support.merge_cases import Case


def cases(name, cls, rng: random.Random, params, specs):
    gen = np.random.default_rng(rng.randrange(2**32))
    real = gen.normal(0, 1, (80, 6))
    path = Path(tempfile.mkdtemp(prefix="rageval-merge-")) / "reference.npz"
    np.savez(path, features=real)
    rows = [{"id": f"g{i}", "features": gen.normal(0.3, 1.2, 6)} for i in range(50)]
    rows[17]["features"] = np.zeros(5)  # wrong dimension: an error row
    extra = {"reference": str(path)}
    if name == "kid":
        extra.update(num_subsets=5, max_subset_size=30)
    return [Case("features", specs(extra), rows, rtol=1e-9, atol=1e-12)]
