"""ece against torchmetrics' binary_calibration_error (uniform bins) and scikit-learn's
calibration_curve binning (quantile bins) on generated binary cases; subsets and resamples."""
from __future__ import annotations

import math

import numpy as np
import pytest

from rageval.core.errors import ConfigError, FieldError
from rageval.scorers.classic.calibration import ECE
from rageval.stats.resampling import Replicator, bootstrap_indices

torch = pytest.importorskip("torch")
tm = pytest.importorskip("torchmetrics.functional.classification")


def case(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    y = rng.integers(0, 2, n)
    p = rng.random(n) if seed % 3 else np.round(rng.random(n), 1)  # ties on bin edges
    if seed % 7 == 0:
        p[0] = 1.0
    return y, p, int(rng.integers(1, 20))


def quantile_reference(y, p, n_bins):
    """scikit-learn's calibration_curve(strategy="quantile") per-bin values, weighted by the bin
    counts of the same binning (calibration_curve does not return them)."""
    from sklearn.calibration import calibration_curve

    prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy="quantile")
    edges = np.percentile(p, np.linspace(0, 1, n_bins + 1) * 100)
    counts = np.bincount(np.searchsorted(edges[1:-1], p), minlength=len(edges))
    counts = counts[counts != 0]
    return float(np.sum(np.abs(prob_true - prob_pred) * counts) / len(p))


def check(seeds):
    for seed in seeds:
        y, p, nb = case(seed)
        b = {"y_true": y, "y_score": p}
        s = ECE(n_bins=nb)
        want = float(tm.binary_calibration_error(torch.tensor(p), torch.tensor(y), n_bins=nb))
        assert s.reduce(s.stats(b))["ece"] == pytest.approx(want, rel=1e-12, abs=1e-15), seed
        if len(set(y.tolist())) == 2:
            s = ECE(n_bins=nb, strategy="quantile")
            assert s.reduce(s.stats(b))["ece"] == pytest.approx(quantile_reference(y, p, nb), rel=1e-12,
                                                                abs=1e-15), seed


def test_equals_references_sample():
    check(range(80))


@pytest.mark.slow
def test_equals_references_sweep():
    check(range(80, 580))


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_bootstrap_equals_reduce_of_each_resample(strategy):
    y, p, _ = case(4)
    s = ECE(n_bins=10, strategy=strategy)
    stats = s.stats({"y_true": y, "y_score": p, "sample_weight": np.linspace(0.5, 2, len(y))})
    got = Replicator(s, stats).bootstrap(20)["ece"]
    want = [s.reduce(stats.take(i))["ece"] for i in next(bootstrap_indices(len(stats), 20))]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_bad_input_and_config():
    with pytest.raises(FieldError) as e:
        ECE().stats({"y_true": [0, 1], "y_score": [0.2, 1.2]})
    assert e.value.field == "y_score" and e.value.row == 1
    with pytest.raises(FieldError):
        ECE().stats({"y_true": [0, 1], "y_score": [0.2, math.nan]})
    with pytest.raises(ConfigError):
        ECE(n_bins=0)
    with pytest.raises(ConfigError):
        ECE(strategy="equal")
