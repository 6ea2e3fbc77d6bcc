"""Dense loss scorers: reduce over any subset equals the rageval.losses function's mean over it."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import rageval
from rageval import losses
from rageval.core.errors import ConfigError


def batch_for(name, rng, n=8):
    if name == "lovasz_hinge":
        return {"y_score": [rng.normal(size=(5, 6)) for _ in range(n)],
                "gt_mask": [rng.integers(0, 2, (5, 6)) for _ in range(n)]}
    if name in ("dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss", "lovasz_softmax"):
        return {"y_score": [rng.normal(size=(3, 5, 6)) for _ in range(n)],
                "gt_mask": [rng.integers(0, 3, (5, 6)) for _ in range(n)]}
    if name in ("scale_invariant_depth_loss", "berhu_loss"):
        return {"depth": [rng.uniform(1, 5, (4, 5)) for _ in range(n)],
                "gt_depth": [np.where(rng.random((4, 5)) < 0.2, 0, rng.uniform(1, 5, (4, 5))) for _ in range(n)]}
    return {"image": [rng.normal(size=(2, 5, 6)) for _ in range(n)],
            "reference_image": [rng.normal(size=(2, 5, 6)) for _ in range(n)]}


def function_mean(name, batch, idx, params):
    if name == "total_variation":
        return float(losses.total_variation(torch.as_tensor(np.stack([batch["image"][i] for i in idx]))).mean())
    fields = list(batch)
    args = [torch.as_tensor(np.stack([batch[f][i] for i in idx])) for f in fields]
    return float(getattr(losses, name)(*args, **params))


@pytest.mark.parametrize("name, params", [
    ("dice_loss", {}), ("dice_loss", {"average": "macro"}), ("jaccard_loss", {}),
    ("tversky_loss", {"alpha": 0.3, "beta": 0.7}), ("focal_tversky_loss", {"gamma": 0.5}),
    ("charbonnier_loss", {"eps": 0.1}), ("lovasz_softmax", {}), ("lovasz_hinge", {}),
    ("berhu_loss", {"threshold": 0.3}), ("total_variation", {}), ("scale_invariant_depth_loss", {"lambd": 1.0})])
def test_subsets_reduce_to_the_function_mean(name, params):
    rng = np.random.default_rng(0)
    batch = batch_for(name, rng)
    scorer = rageval.get_scorer(name, **params)
    stats = scorer.make_stats(batch)
    for idx in ([0, 1, 2, 3, 4, 5, 6, 7], [2], [1, 4, 6]):
        assert scorer.reduce(stats.take(idx))[name] == pytest.approx(function_mean(name, batch, idx, params), rel=1e-12)


def test_batch_scope_is_refused_by_the_scorer():
    with pytest.raises(ConfigError, match="scope"):
        rageval.get_scorer("dice_loss", scope="batch")
