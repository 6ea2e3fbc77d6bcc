"""Paired randomisation trials of order-based scorers (those with `reduce_draws`: roc_auc,
average_precision, coco_map) reduced from their draws over both systems' interleaved statistics
equal `reduce` of each mixed system built by `select`, trial by trial."""
from __future__ import annotations

import numpy as np
import pytest
from support.merge_cases.detection import make_coco

import rageval
from rageval.core.scorer import Batch
from rageval.data.coco import from_coco
from rageval.stats.resampling import Replicator, randomization_masks


def slow(scorer, a, b, mask):
    """`reduce` of every trial's two mixed systems, as `select` builds them."""
    first = {k: [] for k in scorer.keys()}
    second = {k: [] for k in scorer.keys()}
    for row in mask:
        for out, sel in ((first, row), (second, ~row)):
            for k, v in scorer.reduce(a.select(sel, b)).items():
                out[k].append(v)
    return first, second


def systems(name: str, seed: int):
    rng = np.random.default_rng(seed)
    if name == "coco_map":
        gt, dets = make_coco(seed, n_images=25, n_classes=3)
        rows = from_coco(gt, dets)
        other = [{**r, "pred_scores": np.round(np.clip(r["pred_scores"] + rng.normal(0, 0.2, len(r["pred_scores"])),
                                                       0, 1), 1)} for r in rows]
        scorer = rageval.get_scorer("coco_map")
        batch = lambda rs: Batch({k: [r[k] for r in rs] for k in rs[0] if k != "id"})  # noqa: E731
        return scorer, scorer.make_stats(batch(rows)), scorer.make_stats(batch(other))
    n = 60
    if name in ("roc_auc ovr", "roc_auc ovo"):  # one vector of class scores per example
        y = rng.integers(0, 3, n)
        scorer = rageval.get_scorer("roc_auc", multi_class=name[-3:])
        scores = [rng.random((n, 3)) for _ in range(2)]
        a, b = (scorer.make_stats(Batch({"y_true": y, "y_score": v / v.sum(1, keepdims=True)})) for v in scores)
        return scorer, a, b
    if name == "average_precision samples":  # multilabel indicators
        y = list(rng.integers(0, 2, (n, 4)))
        scorer = rageval.get_scorer("average_precision", average="samples")
        a, b = (scorer.make_stats(Batch({"y_true": y, "y_score": list(rng.random((n, 4)))})) for _ in range(2))
        return scorer, a, b
    y = rng.integers(0, 2, n)
    scorer = rageval.get_scorer(name)
    a = scorer.make_stats(Batch({"y_true": y, "y_score": np.round(rng.random(n), 1)}))
    b = scorer.make_stats(Batch({"y_true": y, "y_score": np.round(rng.random(n) * 0.5 + 0.3 * y, 1)}))
    return scorer, a, b


@pytest.mark.filterwarnings("ignore::UserWarning")  # samples without a positive label warn, as scikit-learn
@pytest.mark.parametrize("name", ["roc_auc", "average_precision", "coco_map", "roc_auc ovr", "roc_auc ovo",
                                  "average_precision samples"])
@pytest.mark.parametrize("seed", [0, 1])
def test_trials_from_draws_equal_reduce_of_each_mixed_system(name, seed):
    scorer, a, b = systems(name, seed)
    mask = next(randomization_masks(len(a), 40, seed))
    fast = Replicator(scorer, a).swapped(Replicator(scorer, b), mask)
    want = slow(scorer, a, b, mask)
    for got, expected in zip(fast, want):
        for k in scorer.keys():
            np.testing.assert_allclose(got[k], expected[k], rtol=0, atol=1e-12, err_msg=k)
    assert not np.allclose(fast[0][scorer.key], fast[1][scorer.key])  # the trials do mix the systems
