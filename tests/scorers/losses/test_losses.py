"""Every loss scorer: ``reduce`` over any subset of examples equals torch.nn.functional's
``reduction="mean"`` (the `rageval.losses` function where torch has none) on that subset stacked
(element-wise examples of different sizes: concatenated);
example scores equal the function on each example alone; `evaluate` end to end."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support.merge_cases.losses import EXAMPLES, rows

import rageval
from rageval import losses as L

pytestmark = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")

#: the reference of each scorer: torch's function where it has the loss
TORCH = {"mse_loss": F.mse_loss, "l1_loss": F.l1_loss, "huber_loss": F.huber_loss, "smooth_l1_loss": F.smooth_l1_loss,
         "poisson_nll_loss": F.poisson_nll_loss, "gaussian_nll_loss": F.gaussian_nll_loss,
         "cross_entropy": F.cross_entropy, "nll_loss": F.nll_loss, "binary_cross_entropy": F.binary_cross_entropy,
         "bce_with_logits": F.binary_cross_entropy_with_logits, "kl_div": F.kl_div,
         "multi_margin_loss": F.multi_margin_loss, "hinge_embedding_loss": F.hinge_embedding_loss,
         "cosine_embedding_loss": F.cosine_embedding_loss, "triplet_margin_loss": F.triplet_margin_loss,
         "ctc_loss": F.ctc_loss}
CASES = [(name, j) for name, (_, settings) in EXAMPLES.items() for j in range(len(settings))]


def reference(name: str, params: dict, data: list[dict]) -> float:
    """The reference's ``reduction="mean"`` over ``data`` stacked into one batch."""
    scorer = rageval.get_scorer(name)
    fn = TORCH.get(name, getattr(L, name))
    kwargs = {k: torch.tensor(v, dtype=torch.float64) if k in ("weight", "pos_weight") else v for k, v in params.items()}
    if name == "ctc_loss":
        steps = max(len(r["y_pred"]) for r in data)
        log_probs = torch.zeros(steps, len(data), len(data[0]["y_pred"][0]), dtype=torch.float64)
        for i, r in enumerate(data):
            log_probs[: len(r["y_pred"]), i] = torch.tensor(r["y_pred"])
        targets = torch.tensor([c for r in data for c in r["y_true"]], dtype=torch.long)
        return float(fn(log_probs, targets, torch.tensor([len(r["y_pred"]) for r in data]),
                        torch.tensor([len(r["y_true"]) for r in data]), **kwargs, reduction="mean"))
    args = []
    ragged = len({np.shape(r["y_pred"]) for r in data}) > 1 if "y_pred" in scorer.fields else False
    for field in scorer.arguments:
        values = [np.asarray(r[field]) for r in data]
        values = np.concatenate([v.reshape(-1) for v in values]) if ragged else np.stack(values)
        index = field in scorer.index_fields or (name == "focal_loss" and values.ndim == 1)
        args.append(torch.tensor(values, dtype=torch.long if index else torch.float64))
    return float(fn(*args, **kwargs, reduction="mean"))


def _check(name: str, j: int, seed: int, n: int = 24) -> None:
    params = EXAMPLES[name][1][j]
    data = rows(name, n, seed)
    scorer = rageval.get_scorer(name, **params)
    stats = scorer.stats({f: [r[f] for r in data] for f in scorer.fields})
    g = np.random.default_rng(seed)
    subsets = [np.arange(n), g.choice(n, 1), g.choice(n, n // 3, replace=False), g.choice(n, n)]
    for idx in subsets:
        got = scorer.reduce(stats.take(idx))[name]
        if len(idx) == 0:  # torch's mean of nothing is NaN
            assert math.isnan(got)
            continue
        want = reference(name, params, [data[i] for i in idx])
        assert got == pytest.approx(want, rel=1e-12, abs=1e-12) or (math.isnan(got) and math.isnan(want)), idx
    scores = scorer.example_scores(stats)[name]
    for i in g.choice(n, min(n, 3), replace=False):
        want = reference(name, params, [data[i]])
        assert scores[i] == pytest.approx(want, rel=1e-12, abs=1e-12) or (math.isnan(scores[i]) and math.isnan(want))


@pytest.mark.parametrize("name, j", CASES)
def test_reduce_equals_the_reference_mean_on_any_subset(name, j):
    _check(name, j, seed=j)


@pytest.mark.slow
@pytest.mark.parametrize("name, j", CASES)
def test_reduce_equals_the_reference_mean_sweep(name, j):
    for seed in range(40):
        _check(name, j, seed=100 + seed, n=int(np.random.default_rng(seed).integers(1, 60)))


@pytest.mark.parametrize("name", ["cross_entropy", "triplet_margin_loss", "gaussian_nll_loss", "ctc_loss", "focal_loss"])
def test_evaluate_end_to_end(name):
    data = rows(name, 30, 5)
    scorer = rageval.get_scorer(name)
    res = rageval.evaluate([{k: np.asarray(v).tolist() for k, v in r.items()} for r in data], scorers=[name])
    assert res.aggregate[name] == pytest.approx(reference(name, {}, data), rel=1e-12)
    assert not scorer.higher_is_better and scorer.differentiable


def test_focal_multiclass_scorer_follows_kornia_convention():
    g = np.random.default_rng(0)
    x, y = g.normal(size=(10, 3)), g.integers(0, 3, 10)
    scorer = rageval.get_scorer("focal_loss", alpha=0.4)
    got = scorer.reduce(scorer.stats({"y_pred": x, "y_true": y}))["focal_loss"]
    assert got == pytest.approx(float(L.focal_loss(torch.tensor(x), torch.tensor(y), alpha=0.4)), rel=1e-12)


def test_loss_outside_its_domain_is_an_error_for_that_example():
    res = rageval.evaluate([{"id": "a", "y_pred": [0.5], "y_true": [1.0]}, {"id": "b", "y_pred": [1.5], "y_true": [1.0]}],
                           scorers=["binary_cross_entropy"])
    assert res.aggregate["binary_cross_entropy"] == pytest.approx(math.log(2), rel=1e-12)
    assert math.isnan(res.to_pandas()["binary_cross_entropy"][1])
