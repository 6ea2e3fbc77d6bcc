"""Meta-evaluation metrics against scikit-learn and scipy on seeded random data (ties included)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau, rankdata, spearmanr
from sklearn.metrics import balanced_accuracy_score, cohen_kappa_score, roc_auc_score

from rageval.metaeval import metrics


def _data(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    y = rng.integers(0, 2, n)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    decimals = int(rng.integers(0, 3))  # few decimals -> many ties
    s = np.round(rng.normal(size=n) + rng.uniform(0, 2) * y, decimals)
    return y, s


@pytest.mark.parametrize("seed", range(200))
def test_rank_metrics_match_reference(seed):
    y, s = _data(seed)
    assert metrics.auroc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert metrics.spearman(y, s) == pytest.approx(spearmanr(y, s).statistic, abs=1e-9)
    assert metrics.kendall(y, s) == pytest.approx(kendalltau(y, s).statistic, abs=1e-9)
    np.testing.assert_allclose(metrics.midranks(s), rankdata(s))


@pytest.mark.parametrize("seed", range(100))
def test_thresholded_metrics_match_reference(seed):
    y, s = _data(seed)
    t = metrics.best_threshold(y, s)
    pred = (s >= t).astype(int)
    m = metrics.metrics_at(y, s, t)
    assert m["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, pred), abs=1e-12)
    if len(set(pred)) > 1 or len(set(y)) > 1:
        assert m["kappa"] == pytest.approx(cohen_kappa_score(y, pred), abs=1e-12)
    # the chosen threshold is optimal: no threshold at any observed score does better
    pred_all = s[None, :] >= np.r_[s, np.inf][:, None]
    best = ((pred_all[:, y == 1].mean(axis=1) + (~pred_all[:, y == 0]).mean(axis=1)) / 2).max()
    assert m["balanced_accuracy"] == pytest.approx(best, abs=1e-12)


def test_constant_scores_and_single_class():
    y = np.array([0, 1, 0, 1])
    s = np.ones(4)
    assert metrics.auroc(y, s) == 0.5 == roc_auc_score(y, s)
    assert np.isnan(metrics.auroc(np.ones(4, int), np.arange(4.0)))
    assert np.isnan(metrics.spearman(y, s))
    assert np.isnan(metrics.kendall(y, s))


def test_bad_input():
    with pytest.raises(ValueError, match="0 or 1"):
        metrics.auroc(np.array([0, 2]), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="finite"):
        metrics.auroc(np.array([0, 1]), np.array([0.1, np.nan]))
    with pytest.raises(ValueError, match="same length"):
        metrics.auroc(np.array([0, 1]), np.array([0.1]))


def test_bootstrap_is_seeded_and_covers_the_estimate():
    y, s = _data(7)
    f = lambda yy, ss: {"auroc": metrics.auroc(yy, ss)}  # noqa: E731
    a = metrics.bootstrap(y, s, f, n=200, seed=3)
    assert a == metrics.bootstrap(y, s, f, n=200, seed=3)
    assert a != metrics.bootstrap(y, s, f, n=200, seed=4)
    lo, hi = a["auroc"]
    assert lo <= metrics.auroc(y, s) <= hi
    # percentile interval by hand, same draws
    rng = np.random.default_rng(3)
    draws = []
    for _ in range(200):
        idx = rng.integers(0, len(y), len(y))
        draws.append(roc_auc_score(y[idx], s[idx]) if len(set(y[idx])) > 1 else np.nan)
    draws = np.asarray(draws)[~np.isnan(draws)]
    assert (lo, hi) == pytest.approx((np.quantile(draws, 0.025), np.quantile(draws, 0.975)))
