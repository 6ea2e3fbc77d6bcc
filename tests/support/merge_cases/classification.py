"""Merge-test data for the classification family: scorers over a score ``y_score`` (one number per
example: ``roc_auc``, ``average_precision``) get binary labels with tied scores, with and without
sample weights, and multiclass probability vectors and multilabel indicators (``top_k_accuracy``: a vector of class scores); scorers over ``y_true`` / ``y_pred`` labels are left to the merge test's own
generator (None)."""
from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from support.merge_cases import Case


def score_rows(rng: random.Random, n: int, weights: bool) -> list[dict[str, Any]]:
    """Binary labels (the second half mostly negatives) and scores rounded to two decimals (ties)."""
    out = []
    for i in range(n):
        t = rng.randint(0, 1) if i < n // 2 else rng.choice([0, 0, 0, 1])
        row: dict[str, Any] = {"y_true": t, "y_score": round(rng.random() * 0.7 + 0.3 * t, 2)}
        if weights:
            row["sample_weight"] = rng.choice([0.5, 1.0, 2.0, rng.uniform(0.01, 5.0)])
        out.append(row)
    return out


def cases(name: str, cls: type, rng: random.Random, params: dict[str, Any],
          specs: Callable[..., Callable[[], list]]) -> list[Case] | None:
    if "y_score" not in getattr(cls, "fields", ()):
        return None
    if name == "top_k_accuracy":  # a vector of 4 class scores per example, tied at times; classes by index
        sets = []
        for weights in (False, True):
            rows = []
            for i in range(160):
                scores = [round(rng.random(), 1) for _ in range(4)]
                row: dict[str, Any] = {"id": f"{name}-{i:04d}", "y_true": rng.randrange(4 if i < 80 else 2),
                                       "y_score": scores}
                if weights:
                    row["sample_weight"] = rng.uniform(0.01, 5.0)
                rows.append(row)
            sets.append(rows)
        return [Case("k2", specs(), sets[0]), Case("k1-weighted", specs({"k": 1}), sets[1])]
    out = []
    for weights in (False, True):
        rows = [{"id": f"{name}-{i:04d}", **r} for i, r in enumerate(score_rows(rng, 160, weights))]
        out.append(Case("weighted" if weights else "plain", specs(), rows))
    if name in ("roc_auc", "average_precision"):
        out += vector_cases(name, rng, specs)
    if name in ("log_loss", "brier", "hinge_loss"):
        out += loss_vector_cases(name, rng, specs)
    return out


def loss_vector_cases(name: str, rng: random.Random, specs: Callable[..., Callable[[], list]]) -> list[Case]:
    """Multiclass vectors for the losses: 4 class probabilities (decision values for hinge_loss),
    labels 0..3, and strings with labels= (a class most shards lack), weighted."""
    rows = []
    for i in range(150):
        raw = [rng.choice([0.0, round(rng.random(), 2)]) + 0.01 for _ in range(4)]
        vector = [x / sum(raw) for x in raw] if name != "hinge_loss" else [rng.gauss(0, 2) for _ in range(4)]
        rows.append({"id": f"{name}-mc{i:04d}", "y_true": rng.randrange(4) if i < 60 else rng.choice([1, 2, 3]),
                     "y_score": vector, "sample_weight": rng.uniform(0.1, 3.0)})
    named = [{**r, "y_true": "dcba"[r["y_true"]]} for r in rows]  # column j is the j-th of the sorted labels
    out = [Case("multiclass", specs(), rows), Case("multiclass-labels", specs({"labels": list("dcba")}), named)]
    if name == "brier":
        out.append(Case("multiclass-half", specs({"scale_by_half": True}), rows))
    return out


def vector_cases(name: str, rng: random.Random, specs: Callable[..., Callable[[], list]]) -> list[Case]:
    """Multiclass probability vectors (ovr, ovo, labels= with a class most shards lack, parts),
    multilabel indicators (every average), and binary max_fpr."""
    def probabilities(k: int) -> list[float]:
        raw = [round(rng.random(), 1) + 0.05 for _ in range(k)]
        return [x / sum(raw) for x in raw]

    multiclass = []
    for i in range(150):
        t = rng.randrange(4) if i < 90 else rng.choice([1, 2, 3])
        multiclass.append({"id": f"{name}-mc{i:04d}", "y_true": t, "y_score": probabilities(4),
                           "sample_weight": rng.uniform(0.1, 3.0)})
    named = [{**r, "y_true": "abcd"[r["y_true"]]} for r in multiclass]
    unweighted = [{k: v for k, v in r.items() if k != "sample_weight"} for r in multiclass]
    multilabel = []
    for i in range(150):
        truth = [int(rng.random() < 0.4) for _ in range(3)]
        multilabel.append({"id": f"{name}-ml{i:04d}", "y_true": truth,
                           "y_score": [round(rng.random(), 1) for _ in range(3)], "sample_weight": rng.uniform(0.1, 2)})
    out = [Case("multilabel-" + a, specs({"average": a}), multilabel) for a in ("macro", "weighted", "micro", "samples")]
    out.append(Case("multilabel-parts", specs({"average": None, "labels": ["x", "y", "z"]}), multilabel))
    if name == "roc_auc":
        out += [Case("ovr-weighted", specs({"multi_class": "ovr", "average": "weighted"}), multiclass),
                Case("ovr-micro", specs({"multi_class": "ovr", "average": "micro"}), multiclass),
                Case("ovr-labels-parts", specs({"multi_class": "ovr", "average": None, "labels": list("abcd")}), named),
                Case("ovo-macro", specs({"multi_class": "ovo"}), unweighted),
                Case("ovo-weighted-labels", specs({"multi_class": "ovo", "average": "weighted",
                                                   "labels": list("abcd")}), [{k: v for k, v in r.items()
                                                                               if k != "sample_weight"} for r in named]),
                Case("max_fpr", specs({"max_fpr": 0.3}), [{"id": f"{name}-mf{i:04d}", **r}
                                                          for i, r in enumerate(score_rows(rng, 160, True))])]
    else:
        out += [Case("ovr-macro", specs(), multiclass), Case("ovr-labels-micro", specs({"average": "micro",
                                                                                          "labels": list("abcd")}), named)]
    return out
