"""The 23 regression scorers against their references (scikit-learn 1.9, scipy, torchmetrics, torch)
on generated data: weights, ties, constant y_true, one example, multi-output, every multioutput;
any subset reduces to the reference on that subset; bad input is a FieldError naming field and row.
The default run checks a bounded sample of seeds; ``-m slow`` runs 500 per scorer."""
import math
import warnings

import numpy as np
import pytest
import scipy.stats
import sklearn.metrics as skm
import torch
import torchmetrics.functional as tmf

import rageval
from rageval.core.scorer import Batch

POSITIVE = {"msle", "rmsle", "poisson_deviance", "gamma_deviance", "tweedie_deviance"}
SINGLE = {"max_error", "poisson_deviance", "gamma_deviance", "tweedie_deviance"}
UNWEIGHTED = {"max_error", "pearson", "spearman", "kendall", "ccc"}


def _tm(fn, t, p, **kw):
    return fn(torch.from_numpy(p), torch.from_numpy(t), **kw).double().numpy()


def _per_output(fn, t, p):
    if len(t) < 2:
        return np.full(t.shape[1], np.nan)
    return np.array([fn(t[:, j], p[:, j]) for j in range(t.shape[1])])


def _huber(t, p, w, delta):
    e = torch.nn.functional.huber_loss(torch.from_numpy(p), torch.from_numpy(t), reduction="none", delta=delta)
    return np.average(e.numpy(), axis=0, weights=w)


def _smape(t, p, w):
    if w is None:
        return np.array([_tm(tmf.symmetric_mean_absolute_percentage_error, t[:, j], p[:, j])
                         for j in range(t.shape[1])])
    return np.average(2 * np.abs(p - t) / np.maximum(np.abs(t) + np.abs(p), 1.17e-06), axis=0, weights=w)


def _log_cosh(t, p, w):
    if w is None:
        return np.array([_tm(tmf.log_cosh_error, t[:, j], p[:, j]).reshape(-1)[0] for j in range(t.shape[1])])
    return np.average(np.log(np.cosh(p - t)), axis=0, weights=w)


def _ccc(t, p):
    # a constant column: torchmetrics' running moments give rounding noise there (0, ~1e-32 or NaN
    # depending on the values); rageval returns NaN, as scipy's pearsonr does for constant input
    return _per_output(lambda a, b: np.nan if np.ptp(a) == 0 or np.ptp(b) == 0 else
                       _tm(tmf.concordance_corrcoef, a, b).reshape(-1)[0], t, p)


def _sk(fn, **kw):
    return lambda t, p, w, mo: fn(t if t.shape[1] > 1 else t[:, 0], p if p.shape[1] > 1 else p[:, 0],
                                  sample_weight=w, multioutput=mo, **kw)


def _combine(raw_fn):
    def ref(t, p, w, mo):
        raw = np.atleast_1d(raw_fn(t, p, w))
        return raw if isinstance(mo, str) and mo == "raw_values" else float(
            np.average(raw, weights=None if isinstance(mo, str) else mo))
    return ref


def _adjusted(t, p, w, mo, n_features):
    r2 = skm.r2_score(t if t.shape[1] > 1 else t[:, 0], p if p.shape[1] > 1 else p[:, 0], sample_weight=w,
                      multioutput=mo)
    got = tmf.r2_score(torch.from_numpy(p if p.shape[1] > 1 else p[:, 0]),
                       torch.from_numpy(t if t.shape[1] > 1 else t[:, 0]), adjusted=n_features,
                       multioutput=mo) if w is None and isinstance(mo, str) and len(t) > 1 else None
    n = len(t)
    adj = 1 - (1 - r2) * (n - 1) / (n - n_features - 1) if n - n_features - 1 > 0 else r2
    if got is not None and np.all(np.isfinite(r2)) and np.var(t, axis=0).min() > 1e-3:  # torchmetrics' r2 itself
        np.testing.assert_allclose(adj, got.double().numpy(), rtol=1e-9)
    return adj


# name -> (params, reference(t, p, w, multioutput))
REFERENCES = {
    "mse": ({}, _sk(skm.mean_squared_error)),
    "rmse": ({}, _sk(skm.root_mean_squared_error)),
    "mae": ({}, _sk(skm.mean_absolute_error)),
    "mape": ({}, _sk(skm.mean_absolute_percentage_error)),
    "msle": ({}, _sk(skm.mean_squared_log_error)),
    "rmsle": ({}, _sk(skm.root_mean_squared_log_error)),
    "median_ae": ({}, _sk(skm.median_absolute_error)),
    "r2": ({}, _sk(skm.r2_score)),
    "r2-nonfinite": ({"force_finite": False}, _sk(skm.r2_score, force_finite=False)),
    "explained_variance": ({}, _sk(skm.explained_variance_score)),
    "adjusted_r2": ({"n_features": 2}, lambda t, p, w, mo: _adjusted(t, p, w, mo, 2)),
    "pinball": ({"alpha": 0.9}, _sk(skm.mean_pinball_loss, alpha=0.9)),
    "pinball-default": ({}, _sk(skm.mean_pinball_loss)),
    "d2_pinball": ({"alpha": 0.3}, _sk(skm.d2_pinball_score, alpha=0.3)),
    "max_error": ({}, lambda t, p, w, mo: skm.max_error(t[:, 0], p[:, 0])),
    "poisson_deviance": ({}, lambda t, p, w, mo: skm.mean_poisson_deviance(t[:, 0], p[:, 0], sample_weight=w)),
    "gamma_deviance": ({}, lambda t, p, w, mo: skm.mean_gamma_deviance(t[:, 0], p[:, 0], sample_weight=w)),
    "tweedie_deviance": ({"power": 1.5}, lambda t, p, w, mo: skm.mean_tweedie_deviance(t[:, 0], p[:, 0],
                                                                                         sample_weight=w, power=1.5)),
    "tweedie-neg": ({"power": -0.5}, lambda t, p, w, mo: skm.mean_tweedie_deviance(t[:, 0], p[:, 0],
                                                                                     sample_weight=w, power=-0.5)),
    "tweedie-3": ({"power": 3}, lambda t, p, w, mo: skm.mean_tweedie_deviance(t[:, 0], p[:, 0], sample_weight=w,
                                                                               power=3)),
    "huber": ({"delta": 0.7}, _combine(lambda t, p, w: _huber(t, p, w, 0.7))),
    "log_cosh": ({}, _combine(_log_cosh)),
    "smape": ({}, _combine(_smape)),
    "pearson": ({}, _combine(lambda t, p, w: _per_output(lambda a, b: scipy.stats.pearsonr(a, b).statistic, t, p))),
    "spearman": ({}, _combine(lambda t, p, w: _per_output(lambda a, b: scipy.stats.spearmanr(a, b).statistic, t,
                                                          p))),
    "kendall": ({}, _combine(lambda t, p, w: _per_output(lambda a, b: scipy.stats.kendalltau(a, b).statistic, t,
                                                         p))),
    "ccc": ({}, _combine(lambda t, p, w: _ccc(t, p))),
}


def base(case):
    return case.split("-")[0] if case.split("-")[0] in REFERENCES or "-" in case else case


def generate(case, seed):
    """(t, p, w, multioutput) for one generated case: sizes 1..80, ties, constant y_true, weights."""
    name = {"r2-nonfinite": "r2", "pinball-default": "pinball"}.get(case, case)
    name = "tweedie_deviance" if case.startswith("tweedie") else name
    rng = np.random.default_rng(seed)
    n = int(rng.choice([1, 2, 3, int(rng.integers(4, 80))]))
    d = 1 if name in SINGLE or rng.random() < 0.5 else int(rng.integers(2, 4))
    scale = rng.choice([1.0, 1e3])
    t = rng.normal(scale, scale, (n, d))
    p = t + rng.normal(0, 1 + 0.1 * np.abs(t))
    if rng.random() < 0.3:  # ties
        t, p = np.round(t / scale, 0) * scale, np.round(p / scale, 0) * scale
    if rng.random() < 0.15:  # constant y_true
        t[:] = t[0]
    if rng.random() < 0.1:  # a perfect fit
        p = t.copy()
    if name in POSITIVE or case == "tweedie-neg":
        t, p = np.abs(t) + 0.01, np.abs(p) + 0.01
        if name == "poisson_deviance" or case == "tweedie_deviance":
            t[rng.random(t.shape) < 0.2] = 0.0
    if name == "log_cosh":
        t, p = t / scale, p / scale  # torchmetrics' log(cosh) overflows for |e| > ~710
    w = None if name in UNWEIGHTED or rng.random() < 0.4 else rng.uniform(0.01, 5, n)
    options = ["uniform_average", "raw_values"] + (["variance_weighted"] if name in ("r2", "explained_variance",
                                                                                     "adjusted_r2") else [])
    mo = options[int(rng.integers(len(options)))] if d > 1 and name not in SINGLE else "uniform_average"
    if d > 1 and rng.random() < 0.2:
        mo = rng.uniform(0, 2, d)
    return name, t, p, w, mo


def batch(t, p, w):
    cols = {"y_true": list(t) if t.shape[1] > 1 else t[:, 0], "y_pred": list(p) if p.shape[1] > 1 else p[:, 0]}
    if w is not None:
        cols["sample_weight"] = w
    return Batch(cols)


def canonical(t, p, w):
    """The rows in rageval's canonical order (sorted; see rageval/scorers/classic/regression.py)."""
    rows = np.column_stack([t, p, np.ones(len(t)) if w is None else w])
    order = np.lexsort(rows.T[::-1])
    return t[order], p[order], None if w is None else w[order]


def check(case, seed):
    name, t, p, w, mo = generate(case, seed)
    t, p, w = canonical(t, p, w)
    params, ref = REFERENCES[case]
    extra = {"multioutput": mo.tolist() if isinstance(mo, np.ndarray) else mo}
    if extra["multioutput"] == "raw_values":
        extra["n_outputs"] = t.shape[1]
    scorer = rageval.get_scorer(name, **params, **extra)
    stats = scorer.make_stats(batch(t, p, w))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = scorer.reduce(stats)
        want = ref(t, p, w, mo)
        # any subset reduces to the reference on that subset
        sub = np.random.default_rng(seed + 1).random(len(t)) < 0.6
        got_sub = scorer.reduce(stats.take(np.flatnonzero(sub))) if sub.sum() else None
        want_sub = ref(*canonical(t[sub], p[sub], None if w is None else w[sub]), mo) if sub.sum() else None
    for g, v in ((got, want), (got_sub, want_sub)):
        if g is None:
            continue
        if isinstance(mo, str) and mo == "raw_values":
            raw = np.atleast_1d(v)
            np.testing.assert_allclose([g[f"{scorer.key}.output{j}"] for j in range(len(raw))], raw, rtol=1e-12,
                                       atol=1e-12, equal_nan=True)
            v = float(np.mean(raw))
        np.testing.assert_allclose(g[scorer.key], v, rtol=1e-12, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("case", sorted(REFERENCES))
@pytest.mark.parametrize("seed", range(12))
def test_matches_reference(case, seed):
    check(case, seed)


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(REFERENCES))
def test_matches_reference_sweep(case):
    for seed in range(12, 512):
        check(case, seed)


def test_evaluate_end_to_end_and_example_scores():
    rng = np.random.default_rng(0)
    t = rng.normal(5, 2, 50)
    p = t + rng.normal(0, 1, 50)
    rows = [{"y_true": a, "y_pred": b, "sample_weight": c} for a, b, c in zip(t, p, rng.uniform(0.1, 2, 50))]
    res = rageval.evaluate(rows, ["mse", "r2", "median_ae", "spearman"], progress=False)
    w = np.array([r["sample_weight"] for r in rows])
    assert math.isclose(res.aggregate["mse"], skm.mean_squared_error(t, p, sample_weight=w), rel_tol=1e-12)
    assert math.isclose(res.aggregate["r2"], skm.r2_score(t, p, sample_weight=w), rel_tol=1e-12)
    assert math.isclose(res.aggregate["median_ae"], skm.median_absolute_error(t, p, sample_weight=w), rel_tol=1e-12)
    assert math.isclose(res.aggregate["spearman"], scipy.stats.spearmanr(t, p).statistic, rel_tol=1e-12)
    frame = res.to_pandas()  # per-example scores, in the data's order: the metric on that example alone
    np.testing.assert_allclose(frame["mse"].to_numpy(float), (t - p) ** 2, rtol=1e-12)
    np.testing.assert_allclose(frame["median_ae"].to_numpy(float), np.abs(t - p), rtol=1e-12)
    assert frame["r2"].isna().all() and frame["spearman"].isna().all()  # undefined on one sample


@pytest.mark.parametrize("name,t,p,field,text", [
    ("msle", [1.0, -1.5], [1.0, 2.0], "y_true", "less than or equal to -1"),
    ("rmsle", [1.0, 2.0], [0.5, -3.0], "y_pred", "less than or equal to -1"),
    ("poisson_deviance", [1.0, -1.0], [1.0, 2.0], "y_true", "non-negative y and strictly positive y_pred"),
    ("poisson_deviance", [1.0, 1.0], [1.0, 0.0], "y_pred", "non-negative y and strictly positive y_pred"),
    ("gamma_deviance", [1.0, 0.0], [1.0, 2.0], "y_true", "strictly positive y and y_pred"),
    ("mse", [1.0, float("nan")], [1.0, 2.0], "y_true", ""),
    ("mae", [1.0, 2.0], [1.0, float("inf")], "y_pred", ""),
    ("r2", [1.0, "2"], [1.0, 2.0], "y_true", ""),
    ("mse", [1.0, None], [1.0, 2.0], "y_true", ""),
])
def test_bad_input_names_field_and_row(name, t, p, field, text):
    s = rageval.get_scorer(name)
    with pytest.raises(rageval.FieldError, match=rf"'{field}'.*row 1.*{text}"):
        s.stats(Batch({"y_true": t, "y_pred": p}))
    try:  # checked up front (fields.py) or recorded as the example's error, the other example kept
        res = rageval.evaluate([{"y_true": a, "y_pred": b} for a, b in zip(t, p)], [name], progress=False)
    except rageval.FieldError as e:
        assert f"'{field}'" in str(e) and "row 1" in str(e)
    else:
        assert res.aggregate.counts[name] == (1, 2)
        assert f"'{field}'" in res.errors["error"][0] and text in res.errors["error"][0]


def test_config_errors():
    with pytest.raises(rageval.ConfigError, match="n_outputs"):
        rageval.get_scorer("mae", multioutput="raw_values")
    with pytest.raises(rageval.ConfigError, match="power"):
        rageval.get_scorer("tweedie_deviance", power=0.5)
    with pytest.raises(rageval.ConfigError, match="multioutput"):
        rageval.get_scorer("mse", multioutput="variance_weighted")
    with pytest.raises(rageval.ConfigError):
        rageval.get_scorer("max_error", multioutput="raw_values", n_outputs=2)
    for name in ("pinball", "d2_pinball"):  # scikit-learn's parameter validation: alpha in [0, 1]
        for alpha in (-0.1, 1.5, float("nan"), "0.5", True):
            with pytest.raises(rageval.ConfigError, match="alpha"):
                rageval.get_scorer(name, alpha=alpha)


def test_numpy_columns_and_lists_agree():
    rng = np.random.default_rng(3)
    t, p = rng.normal(size=30), rng.normal(size=30)
    for name in ("mse", "r2", "kendall", "huber"):
        s = rageval.get_scorer(name)
        a = s.reduce(s.make_stats(Batch({"y_true": t, "y_pred": p})))
        b = s.reduce(s.make_stats(Batch({"y_true": t.tolist(), "y_pred": [np.float32(x) for x in p]})))
        np.testing.assert_allclose(a[name], b[name], rtol=1e-6)


@pytest.mark.parametrize("name,fn", [("mse", skm.mean_squared_error), ("r2", skm.r2_score),
                                     ("median_ae", skm.median_absolute_error)])
def test_multioutput_weights_array(name, fn):
    rng = np.random.default_rng(7)
    t, p, w, mo = rng.normal(size=(40, 3)), rng.normal(size=(40, 3)), rng.uniform(0.1, 2, 40), [0.2, 1.0, 3.0]
    t, p, w = canonical(t, p, w)
    s = rageval.get_scorer(name, multioutput=mo)
    got = s.reduce(s.make_stats(batch(t, p, w)))[name]
    np.testing.assert_allclose(got, fn(t, p, sample_weight=w, multioutput=np.array(mo)), rtol=1e-12)


@pytest.mark.parametrize("name,params", [("pinball", {"alpha": 0.0}), ("pinball", {"alpha": 1.0}),
                                         ("pinball", {"alpha": 0.37}), ("huber", {"delta": 1.0}),
                                         ("huber", {"delta": 0.3}), ("smape", {}), ("log_cosh", {})])
def test_in_place_losses_equal_the_reference_formula_bit_for_bit(name, params):
    """The in-place loss of `stats` is the reference's formula to the last bit, at ties (e = 0, |e| = δ)
    and the ends of α too: scikit-learn's pinball expression, torch's huber kernel."""
    rng = np.random.default_rng(5)
    t = np.concatenate([rng.normal(0, 3, 3000), [0.0, 1.0, -1.0, 0.3, 2.0, 5e-324, 1e-200]])
    p = np.concatenate([rng.normal(0, 3, 3000), [0.0, 0.0, 0.0, 0.0, 2.0, 0.0, -1e-200]])
    p[:500] = t[:500]  # e = 0
    p[500:1000] = t[500:1000] - np.sign(rng.normal(size=500)) * params.get("delta", 1.0)  # |e| near δ
    scorer = rageval.get_scorer(name, **params)
    got = np.asarray(scorer.make_stats(Batch({"y_true": t, "y_pred": p})))[:, 0]
    if name == "pinball":
        diff = t - p
        sign = (diff >= 0).astype(diff.dtype)
        want = params["alpha"] * sign * diff - (1 - params["alpha"]) * (1 - sign) * diff
    elif name == "huber":
        want = torch.nn.functional.huber_loss(torch.from_numpy(p), torch.from_numpy(t), reduction="none",
                                              delta=params["delta"]).numpy()
    elif name == "smape":  # torchmetrics: |e| / clamp(|y| + |ŷ|, 1.17e-6) per element, the sum times 2
        tt, tp = torch.from_numpy(t), torch.from_numpy(p)
        want = 2 * (torch.abs(tp - tt) / torch.clamp(torch.abs(tt) + torch.abs(tp), min=1.17e-06)).numpy()
    else:  # torchmetrics' log(cosh(ŷ - y)), in numpy; torch's cosh differs from numpy's by an ulp of cosh at most
        want = torch.log((torch.from_numpy(p) - torch.from_numpy(t)).cosh()).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-15, atol=2.3e-16)
        want = np.log(np.cosh(p - t))
    np.testing.assert_array_equal(got, want)
