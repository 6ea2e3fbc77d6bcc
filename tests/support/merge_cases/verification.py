"""Merge-test data for tar_at_far and verification_accuracy: generated pairs with tied scores."""
from __future__ import annotations

import random

from support.merge_cases import Case


def cases(name, cls, rng: random.Random, params, specs):
    rows = []
    for i in range(120):
        same = rng.random() < 0.5
        rows.append({"id": f"p{i}", "y_true": int(same), "y_score": round(rng.gauss(0.2 + 0.4 * same, 0.25), 2)})
    rows[40]["y_true"] = 3  # not a 0/1 label: an error row
    extra = {"far": 0.1} if name == "tar_at_far" else {"nrof_folds": 5}
    return [Case("pairs", specs(extra), rows)]
