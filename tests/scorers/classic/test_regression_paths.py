"""The fast paths of the regression scorers against their references: rows in any order (no
canonical sort but on degenerate data), the summed form that bootstrap resampling takes, the rank
correlations and the weighted median on larger inputs with heavy ties, and the overflow check."""
import warnings

import numpy as np
import pytest
import scipy.stats
import sklearn.metrics as skm

import rageval
from rageval.core.scorer import Batch
from rageval.scorers.classic import regression_functional as F
from rageval.stats.resampling import Replicator, bootstrap_indices, summed_reducer

MEAN_TYPE = {"mse": skm.mean_squared_error, "rmse": skm.root_mean_squared_error, "mae": skm.mean_absolute_error,
             "mape": skm.mean_absolute_percentage_error, "msle": skm.mean_squared_log_error,
             "rmsle": skm.root_mean_squared_log_error, "pinball": skm.mean_pinball_loss,
             "poisson_deviance": skm.mean_poisson_deviance, "gamma_deviance": skm.mean_gamma_deviance}
ROW_BASED = {"r2": skm.r2_score, "explained_variance": skm.explained_variance_score,
             "median_ae": skm.median_absolute_error, "d2_pinball": skm.d2_pinball_score}


def data(seed, n=300, ties=False):
    rng = np.random.default_rng(seed)
    t = rng.gamma(2.0, 3.0, n) + 0.01
    p = t * rng.lognormal(0, 0.2, n)
    if ties:
        t, p = np.round(t) + 1, np.round(p) + 0.5
    return t, p, rng.uniform(0.05, 3.0, n)


def score(name, t, p, w=None):
    s = rageval.get_scorer(name)
    cols = {"y_true": t, "y_pred": p} | ({} if w is None else {"sample_weight": w})
    return s, s.make_stats(Batch(cols))


@pytest.mark.parametrize("name", sorted(MEAN_TYPE) + sorted(ROW_BASED))
@pytest.mark.parametrize("seed", range(3))
def test_rows_in_any_order_equal_the_reference(name, seed):
    """No canonical sort on ordinary data: the value on shuffled rows is the reference's on them."""
    t, p, w = data(seed, ties=seed == 2)
    order = np.random.default_rng(seed + 10).permutation(len(t))
    t, p, w = t[order], p[order], w[order]
    ref = {**MEAN_TYPE, **ROW_BASED}[name]
    for weights in (None, w):
        s, stats = score(name, t, p, weights)
        np.testing.assert_allclose(s.reduce(stats)[name], ref(t, p, sample_weight=weights), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(MEAN_TYPE) + ["r2", "explained_variance"])
def test_many_blocks_equal_the_reference(name):
    """Inputs of several blocks (the one-pass loops work block by block; sums across blocks by
    `math.fsum`), one and two outputs, with and without weights."""
    n = 3 * F.BLOCK + 17
    t, p, w = data(7, n=2 * n)
    t2, p2 = t.reshape(n, 2), p.reshape(n, 2)
    ref = {**MEAN_TYPE, **ROW_BASED}[name]
    for weights in (None, w[:n]):
        s, stats = score(name, t[:n], p[:n], weights)
        np.testing.assert_allclose(s.reduce(stats)[name], ref(t[:n], p[:n], sample_weight=weights), rtol=1e-12)
        if name in ("mse", "mae", "r2", "explained_variance"):
            s = rageval.get_scorer(name, multioutput="raw_values", n_outputs=2)
            cols = {"y_true": list(t2), "y_pred": list(p2)} | ({} if weights is None else {"sample_weight": weights})
            got = s.reduce(s.make_stats(Batch(cols)))
            want = ref(t2, p2, sample_weight=weights, multioutput="raw_values")
            np.testing.assert_allclose([got[f"{name}.output0"], got[f"{name}.output1"]], want, rtol=1e-12)


@pytest.mark.parametrize("name", ["r2", "explained_variance"])
def test_degenerate_rows_reduce_in_a_canonical_order(name):
    """A constant y_true with weights: scikit-learn's value depends on the row order by rounding;
    rageval's is scikit-learn's on the sorted rows, whatever order the rows come in."""
    rng = np.random.default_rng(5)
    t = np.full(40, 0.1)
    p = t + rng.normal(0, 0.5, 40)
    w = rng.uniform(0.01, 5, 40)
    order = np.lexsort([w, p, t])
    want = skm.r2_score(t[order], p[order], sample_weight=w[order]) if name == "r2" else \
        skm.explained_variance_score(t[order], p[order], sample_weight=w[order])
    for seed in range(5):
        perm = np.random.default_rng(seed).permutation(40)
        s, stats = score(name, t[perm], p[perm], w[perm])
        assert s.reduce(stats)[name] == want


@pytest.mark.parametrize("name", sorted(MEAN_TYPE) + ["huber", "log_cosh", "smape", "tweedie_deviance"])
def test_bootstrap_takes_the_summed_form_and_equals_each_resample(name):
    t, p, w = data(1, n=200)
    s, stats = score(name, t, p, w)
    assert summed_reducer(s) is not None
    reps = Replicator(s, stats).bootstrap(50, seed=3)[name]
    idx = next(bootstrap_indices(len(t), 50, seed=3))
    each = [s.reduce(stats.take(row))[name] for row in idx]
    np.testing.assert_allclose(reps, each, rtol=1e-12)
    if name in MEAN_TYPE:
        np.testing.assert_allclose(reps[:5], [MEAN_TYPE[name](t[r], p[r], sample_weight=w[r]) for r in idx[:5]],
                                   rtol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_rank_correlations_on_heavy_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.choice([2, 3, 50, 3000]))
    levels = int(rng.choice([2, 5, 1000]))
    x = rng.integers(0, levels, n).astype(float)
    y = np.where(rng.random(n) < 0.7, x, rng.integers(0, levels, n)) + rng.choice([0.0, 0.5], n) * (seed % 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: scipy warns and gives NaN
        for fn, ref in ((F.spearman, scipy.stats.spearmanr), (F.kendall_tau_b, scipy.stats.kendalltau),
                        (F.pearson, scipy.stats.pearsonr)):
            np.testing.assert_allclose(fn(x[:, None], y[:, None])[0], ref(x, y).statistic, rtol=1e-12, atol=1e-14,
                                       equal_nan=True, err_msg=fn.__name__)


@pytest.mark.parametrize("seed", range(6))
def test_weighted_median_with_ties_and_zero_weights(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    t = np.round(rng.normal(0, 3, (n, 2)))
    p = np.round(rng.normal(0, 3, (n, 2)))
    w = np.where(rng.random(n) < 0.3, 0.0, rng.choice([1.0, 2.0, rng.uniform(0.1, 2)], n))
    w[0] = 1.5
    s = rageval.get_scorer("median_ae", multioutput="raw_values", n_outputs=2)
    got = s.reduce(s.make_stats(Batch({"y_true": list(t), "y_pred": list(p), "sample_weight": w})))
    want = skm.median_absolute_error(t, p, sample_weight=w, multioutput="raw_values")
    np.testing.assert_allclose([got["median_ae.output0"], got["median_ae.output1"]], want, rtol=1e-12)


def test_a_weighted_loss_too_large_to_sum_is_an_error():
    s = rageval.get_scorer("mae")
    with pytest.raises(rageval.FieldError, match=r"'y_pred'.*row 1.*overflows"):
        s.stats(Batch({"y_true": [0.0, 0.0], "y_pred": [1.0, 1e200], "sample_weight": [1.0, 1e120]}))
    assert s.reduce(s.stats(Batch({"y_true": [0.0, 0.0], "y_pred": [1.0, 1e200]})))["mae"] == 5e199


@pytest.mark.parametrize("name", ["mse", "mae", "huber", "log_cosh", "median_ae"])
def test_a_large_loss_with_a_small_weight_beside_a_large_weight_is_scored(name):
    """The fast bound (largest loss x largest weight) fails, but no row's weighted loss is too
    large: scored as scikit-learn / the reference does, not refused (it used to crash)."""
    t, p, w = np.array([0.0, 0.0, 1.0]), np.array([1e140, 1.0, 3.0]), np.array([1e-100, 1e100, 2.0])
    s = rageval.get_scorer(name)
    got = s.reduce(s.stats(Batch({"y_true": t, "y_pred": p, "sample_weight": w})))[name]
    losses = np.asarray(s.stats(Batch({"y_true": t, "y_pred": p})))[:, 0]  # unweighted: each row's loss
    sklearn = {"mse": skm.mean_squared_error, "mae": skm.mean_absolute_error, "median_ae": skm.median_absolute_error}
    want = sklearn[name](t, p, sample_weight=w) if name in sklearn else np.average(losses, weights=w)
    assert np.isfinite(want) and got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("name,params", [("mse", {}), ("mae", {}), ("mape", {}), ("msle", {}), ("pinball", {}),
                                         ("pinball", {"alpha": 0.9}), ("huber", {"delta": 0.7}), ("log_cosh", {}),
                                         ("smape", {}), ("median_ae", {}), ("max_error", {}),
                                         ("poisson_deviance", {}), ("gamma_deviance", {}),
                                         ("tweedie_deviance", {"power": 1.5}), ("tweedie_deviance", {"power": -0.5})])
def test_in_place_losses_are_the_reference_formula_bit_for_bit(name, params):
    """`elementwise_into` (in place, the statistics' path) gives exactly `elementwise` (the
    reference's formula as written), on wide-ranging values, ties and exact zeros of the residual."""
    rng = np.random.default_rng(len(name))
    t = np.exp(rng.uniform(-30, 30, 5000)) * rng.choice([1.0, 1.0, 0.5], 5000)
    p = np.where(rng.random(5000) < 0.1, t, t * np.exp(rng.normal(0, 2, 5000)))
    if name in ("mse", "mae", "pinball", "huber", "log_cosh", "smape", "median_ae", "max_error", "mape"):
        t, p = t * rng.choice([-1.0, 1.0], 5000), p * rng.choice([-1.0, 1.0], 5000)
        t[:50] = 0.0
    if name == "log_cosh":  # residuals up to a few hundred: exp(-2|e|) underflows to 0 in the tail
        t, p = rng.normal(0, 300, 5000), rng.normal(0, 300, 5000)
    s = rageval.get_scorer(name, **params)
    with np.errstate(all="ignore"):
        want = s.elementwise(t[:, None], p[:, None])
        got = np.empty_like(want)
        s.elementwise_into(t[:, None], p[:, None], got)
    np.testing.assert_array_equal(got, want)


def test_log_cosh_past_cosh_overflow_is_the_stable_form():
    """torchmetrics' log(cosh(e)) overflows to inf past |e| ~ 710; rageval gives the function's value there."""
    s = rageval.get_scorer("log_cosh")
    got = s.reduce(s.stats(Batch({"y_true": [0.0, 1.0], "y_pred": [800.0, 1.5]})))["log_cosh"]
    np.testing.assert_allclose(got, ((800 - np.log(2)) + np.log(np.cosh(0.5))) / 2, rtol=1e-15)


@pytest.mark.parametrize("name", ["mse", "mape", "msle", "pinball", "poisson_deviance", "median_ae"])
def test_inputs_longer_than_a_block(name):
    """More rows than one block of the loss computation (65,536): the same values, and a bad row
    in a later block is still found."""
    t, p, w = data(7, n=150_000)
    for weights in (None, w):
        s, stats = score(name, t, p, weights)
        want = {**MEAN_TYPE, **ROW_BASED}[name](t, p, sample_weight=weights)
        np.testing.assert_allclose(s.reduce(stats)[name], want, rtol=1e-12)
    p = p.copy()
    p[140_000] = -5.0 if name == "msle" else 1e300  # out of msle's domain; the others' loss overflows
    with pytest.raises(rageval.FieldError, match=r"'y_pred'.*row 140000"):
        score(name, t, p)
