"""Merge-test data for the classification family: scorers over a score ``y_score`` (one number per
example: ``roc_auc``, ``average_precision``) get binary labels with tied scores, with and without
sample weights, and multiclass probability vectors and multilabel indicators; scorers over
``y_true`` / ``y_pred`` labels get the merge test's own single-label cases (``label_rows``) and
multilabel indicators where they take them; ``top_k_accuracy`` a vector of class scores."""
from __future__ import annotations

import inspect
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


LABELS = list("abcdefgh")


def label_rows(rng: random.Random, n: int, kind: str, weights: bool) -> list[dict[str, Any]]:
    """The merge test's labels (``classification_rows`` there): the first 55% of rows use a..h, the
    rest e..h only; ``kind`` "str", "int" (0..7) or "binary" (0/1)."""
    out = []
    for i in range(n):
        if kind == "binary":
            t = rng.randint(0, 1) if i < n // 2 else rng.choice([0, 0, 0, 1])
            p = t if rng.random() < 0.6 else 1 - t
        else:
            pool = LABELS if i < int(0.55 * n) else LABELS[4:]
            t = rng.choice(pool)
            p = t if rng.random() < 0.55 else rng.choice(pool)
            if kind == "int":
                t, p = LABELS.index(t), LABELS.index(p)
        row: dict[str, Any] = {"y_true": t, "y_pred": p}
        if weights:
            row["sample_weight"] = rng.choice([0.0, 0.5, 1.0, 2.0, rng.uniform(0.01, 5.0)])
        out.append(row)
    return out


def multilabel_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """4-label indicators (the last label rare, none at all in later rows), weighted."""
    out = []
    for i in range(n):
        t = [int(rng.random() < 0.5), int(rng.random() < 0.3), int(rng.random() < 0.6), int(i < 20 and rng.random() < .3)]
        p = [x if rng.random() < 0.7 else 1 - x for x in t]
        out.append({"y_true": t, "y_pred": p, "sample_weight": rng.choice([0.5, 1.0, rng.uniform(0.01, 3.0)])})
    return out


def label_cases(name: str, cls: type, rng: random.Random, params: dict[str, Any],
                specs: Callable[..., Callable[[], list]]) -> list[Case]:
    """Single-label cases as the merge test generates them, plus multilabel indicators (every
    average, samples and parts included) where the scorer takes them."""
    def ids(rows: list[dict[str, Any]], tag: str) -> list[dict[str, Any]]:
        return [{"id": f"{name}-{tag}{i:04d}", **r} for i, r in enumerate(rows)]

    averages = "average" in inspect.signature(cls.__init__).parameters
    if not averages:
        out = [Case("str", specs(), ids(label_rows(rng, 150, "str", False), "s")),
               Case("int-w", specs(), ids(label_rows(rng, 150, "int", True), "i"))]
    else:
        out = [Case("binary", specs(), ids(label_rows(rng, 150, "binary", True), "b"))]
        for avg, kind in (("macro", "str"), ("weighted", "str"), ("micro", "int"), ("macro", "int")):
            out.append(Case(f"{avg}-{kind}", specs({"average": avg}), ids(label_rows(rng, 150, kind, True), avg + kind)))
        rows = ids(label_rows(rng, 120, "str", False), "l")
        out.append(Case("macro-labels", specs({"average": "macro", "labels": ["h", "z", "a", "c"]}), rows))
        out.append(Case("parts", specs({"average": None, "labels": ["h", "z", "a", "c"]}), rows))
        rows = [{"y_true": "ab"[r["y_true"]], "y_pred": "ab"[r["y_pred"]]} for r in label_rows(rng, 120, "binary", False)]
        out.append(Case("binary-str", specs({"pos_label": "b"}), ids(rows, "bs")))
    if getattr(cls, "multilabel", False):
        rows = ids(multilabel_rows(rng, 150), "m")
        if not averages:
            out.append(Case("multilabel", specs(), rows))
        else:
            out += [Case(f"multilabel-{a}", specs({"average": a}), rows) for a in ("micro", "macro", "weighted", "samples")]
            out.append(Case("multilabel-parts", specs({"average": None, "labels": [3, 0, 2]}), rows))
    return out


def cases(name: str, cls: type, rng: random.Random, params: dict[str, Any],
          specs: Callable[..., Callable[[], list]]) -> list[Case] | None:
    if set(getattr(cls, "fields", ())) == {"y_true", "y_pred"}:
        return label_cases(name, cls, rng, params, specs)
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
    if name in ("log_loss", "brier", "hinge_loss", "ece"):
        out += loss_vector_cases(name, rng, specs)
    if name in ("log_loss", "brier"):
        out += probability_multilabel_cases(name, rng, specs)
    return out


def probability_multilabel_cases(name: str, rng: random.Random, specs: Callable[..., Callable[[], list]]) -> list[Case]:
    """Multilabel indicators of 3 labels (the last on in early rows only) with one probability per
    label, weighted; and 2 labels (brier halves them by default)."""
    out = []
    for width in (3, 2):
        rows = []
        for i in range(150):
            truth = [int(rng.random() < 0.5) for _ in range(width - 1)] + [int(i < 40 and rng.random() < 0.5)]
            rows.append({"id": f"{name}-ml{width}-{i:04d}", "y_true": truth,
                         "y_score": [rng.choice([0.0, 1.0, round(rng.random(), 2)]) for _ in range(width)],
                         "sample_weight": rng.uniform(0.1, 3.0)})
        out.append(Case(f"multilabel-{width}", specs(), rows))
    return out


def loss_vector_cases(name: str, rng: random.Random, specs: Callable[..., Callable[[], list]]) -> list[Case]:
    """Multiclass vectors for the losses and ece: 4 class probabilities (decision values for
    hinge_loss), labels 0..3, and strings with labels= (a class most shards lack), weighted."""
    rows = []
    for i in range(150):
        raw = [rng.choice([0.0, round(rng.random(), 2)]) + 0.01 for _ in range(4)]
        vector = [x / sum(raw) for x in raw] if name != "hinge_loss" else [rng.gauss(0, 2) for _ in range(4)]
        rows.append({"id": f"{name}-mc{i:04d}", "y_true": rng.randrange(4) if i < 60 else rng.choice([1, 2, 3]),
                     "y_score": vector, "sample_weight": rng.uniform(0.1, 3.0)})
    named = [{**r, "y_true": "dcba"[r["y_true"]]} for r in rows]  # column j is the j-th of the sorted labels
    out = [Case("multiclass", specs(), rows), Case("multiclass-labels", specs({"labels": list("dcba")}), named)]
    if name == "ece":
        out.append(Case("multiclass-quantile", specs({"strategy": "quantile", "n_bins": 5}), rows))
    if name == "brier":
        out.append(Case("multiclass-half", specs({"scale_by_half": True}), rows))
    return out


def vector_cases(name: str, rng: random.Random, specs: Callable[..., Callable[[], list]]) -> list[Case]:
    """Multiclass probability vectors (ovr, ovo, labels= with a class most shards lack, parts),
    multilabel indicators (every average), binary max_fpr, and the binned mode (thresholds=)."""
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
    binned = [{"id": f"{name}-bin{i:04d}", **r} for i, r in enumerate(score_rows(rng, 160, True))]
    out += [Case("binned-int", specs({"thresholds": 25}), binned),
            Case("binned-list", specs({"thresholds": [0.1, 0.3, 0.35, 0.5, 0.9]}), binned)]
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
