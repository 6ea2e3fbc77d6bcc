"""Confusion-matrix metrics and one-vs-rest rates against scikit-learn on generated single-label
cases: balanced_accuracy, mcc, cohen_kappa, confusion_matrix, zero_one_loss, hamming_loss,
jaccard, and specificity / npv / fpr / fdr (against rates from scikit-learn's
multilabel_confusion_matrix averaged as scikit-learn averages precision)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

import rageval
from rageval.core.errors import ConfigError, FieldError
from rageval.stats.resampling import Replicator, bootstrap_indices


def case(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Labels 0..K-1 (K 1..5), predictions sometimes outside y_true's labels, constant y_true,
    weights none / random / with zeros."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    k = int(rng.integers(1, 6))
    t = rng.integers(0, k, n) if seed % 9 else np.zeros(n, int)
    p = np.where(rng.random(n) < 0.5, t, rng.integers(0, k + 1, n))
    w = [None, rng.random(n) * 3, np.where(rng.random(n) < 0.3, 0.0, 1.0)][seed % 3]
    return t, p, w


def rate_reference(name, t, p, w, average, zero_division, labels=None):
    """The documented convention from scikit-learn's per-label confusion counts."""
    present = labels if labels is not None else np.union1d(t, p)
    mcm = skm.multilabel_confusion_matrix(t, p, sample_weight=w, labels=present)
    fp, fn, tp = (mcm[:, i, j].astype(float) for i, j in ((0, 1), (1, 0), (1, 1)))
    ww = np.ones(len(t)) if w is None else np.asarray(w, float)  # tn counted (scikit-learn subtracts)
    tn = np.array([ww[(t != x) & (p != x)].sum() for x in present])
    num, den = {"specificity": (tn, tn + fp), "npv": (tn, tn + fn), "fpr": (fp, fp + tn),
                "fdr": (fp, fp + tp)}[name]
    if average == "micro":
        num, den = np.array([num.sum()]), np.array([den.sum()])
    zero = 0.0 if zero_division == "warn" else float(zero_division)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(den == 0, zero, num / np.where(den == 0, 1, den))
    if average is None:
        return v
    keep = ~np.isnan(v)
    if not keep.any():
        return math.nan
    if average == "weighted" and (tp + fn)[keep].sum() > 0:
        return float(np.average(v[keep], weights=(tp + fn)[keep]))
    return float(v[keep].mean())


def batch(t, p, w) -> dict:
    b = {"y_true": t.tolist(), "y_pred": p.tolist()}
    if w is not None:
        b["sample_weight"] = w
    return b


def score(name: str, params: dict, t, p, w) -> float:
    s = rageval.get_scorer(name, **params)
    return s.reduce(s.stats(batch(t, p, w)))[s.key]


SK = [("balanced_accuracy", {}, lambda t, p, w: skm.balanced_accuracy_score(t, p, sample_weight=w)),
      ("balanced_accuracy", {"adjusted": True},
       lambda t, p, w: skm.balanced_accuracy_score(t, p, sample_weight=w, adjusted=True)),
      ("mcc", {}, lambda t, p, w: skm.matthews_corrcoef(t, p, sample_weight=w)),
      ("cohen_kappa", {}, lambda t, p, w: skm.cohen_kappa_score(t, p, sample_weight=w)),
      ("cohen_kappa", {"weights": "linear"}, lambda t, p, w: skm.cohen_kappa_score(t, p, sample_weight=w,
                                                                                  weights="linear")),
      ("cohen_kappa", {"weights": "quadratic"}, lambda t, p, w: skm.cohen_kappa_score(t, p, sample_weight=w,
                                                                                     weights="quadratic")),
      ("cohen_kappa", {"weights": "quadratic", "labels": [3, 0, 1]},
       lambda t, p, w: skm.cohen_kappa_score(t, p, sample_weight=w, weights="quadratic", labels=[3, 0, 1])),
      ("confusion_matrix", {}, lambda t, p, w: np.trace(c := skm.confusion_matrix(t, p, sample_weight=w)) / c.sum()),
      ("zero_one_loss", {}, lambda t, p, w: skm.zero_one_loss(t, p, sample_weight=w)),
      ("zero_one_loss", {"normalize": False}, lambda t, p, w: skm.zero_one_loss(t, p, sample_weight=w,
                                                                               normalize=False)),
      ("hamming_loss", {}, lambda t, p, w: skm.hamming_loss(t, p, sample_weight=w))]
for avg in ("micro", "macro", "weighted"):
    for zd in ("warn", 0, 1):
        SK.append(("jaccard", {"average": avg, "zero_division": zd},
                   lambda t, p, w, avg=avg, zd=zd: skm.jaccard_score(t, p, sample_weight=w, average=avg,
                                                                     zero_division=zd)))
        for rate in ("specificity", "npv", "fpr", "fdr"):
            SK.append((rate, {"average": avg, "zero_division": zd},
                       lambda t, p, w, rate=rate, avg=avg, zd=zd: rate_reference(rate, t, p, w, avg, zd)))


RATES = ("jaccard", "specificity", "npv", "fpr", "fdr")


def compare(seeds) -> None:
    for name, params, ref in SK:
        for seed in seeds:
            t, p, w = case(seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    want = ref(t, p, w)
                except ValueError as e:
                    if "non-zero" in str(e):  # all weights zero: NaN here (a shard may hold such rows)
                        try:
                            got = score(name, params, t, p, w)
                            # counts (rates: zero_division; a weighted count of errors) are 0 there
                            zero = name in RATES or params.get("normalize") is False
                            assert (got == 0 or got == params.get("zero_division")) if zero else math.isnan(got)
                        except ConfigError:  # unless labels= misses y_true, which we check first
                            assert "labels" in params
                        continue
                    with pytest.raises((ConfigError, FieldError)):
                        score(name, params, t, p, w)
                    continue
            got = score(name, params, t, p, w)
            if math.isnan(want) or math.isinf(want):
                assert got == want or (math.isnan(got) and math.isnan(want)), (name, params, seed)
            else:
                assert got == pytest.approx(want, rel=1e-12, abs=1e-12), (name, params, seed, got, want)


def test_equal_sklearn_sample():
    compare(range(40))


@pytest.mark.slow
def test_equal_sklearn_sweep():
    compare(range(40, 540))


@pytest.mark.parametrize("name,params", [("mcc", {}), ("cohen_kappa", {"weights": "linear"}),
                                         ("balanced_accuracy", {}), ("specificity", {"average": "macro"}),
                                         ("confusion_matrix", {})])
def test_bootstrap_equals_reduce_of_each_resample(name, params):
    t, p, w = case(4)
    s = rageval.get_scorer(name, **params)
    stats = s.stats(batch(t, p, w))
    got = Replicator(s, stats).bootstrap(30)[s.key]
    want = [s.reduce(stats.take(i))[s.key] for i in next(bootstrap_indices(len(stats), 30))]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_binary_rates_on_pos_label():
    t, p = np.array([0, 1, 1, 0, 1]), np.array([0, 1, 0, 1, 1])
    tn, fp, fn, tp = skm.confusion_matrix(t, p).ravel()
    assert score("specificity", {}, t, p, None) == tn / (tn + fp)
    assert score("npv", {}, t, p, None) == tn / (tn + fn)
    assert score("fpr", {}, t, p, None) == fp / (fp + tn)
    assert score("fdr", {}, t, p, None) == fp / (fp + tp)


def test_confusion_matrix_detail_equals_sklearn():
    t, p, w = case(7)
    s = rageval.get_scorer("confusion_matrix")
    labels, m = s.matrix(s.stats(batch(t, p, w)))
    np.testing.assert_allclose(m, skm.confusion_matrix(t, p, sample_weight=w), rtol=1e-12)
    assert labels == sorted(set(t.tolist()) | set(p.tolist()))
    s = rageval.get_scorer("confusion_matrix", labels=[2, 9, 0])
    labels, m = s.matrix(s.stats(batch(t, p, w)))
    np.testing.assert_allclose(m, skm.confusion_matrix(t, p, sample_weight=w, labels=[2, 9, 0]), rtol=1e-12)


def test_bad_config_and_input():
    with pytest.raises(ConfigError):
        rageval.get_scorer("cohen_kappa", weights="cubic")
    with pytest.raises(ConfigError):
        rageval.get_scorer("balanced_accuracy", adjusted="yes")
    with pytest.raises(ConfigError):
        rageval.get_scorer("confusion_matrix", labels=[1, 1])
    with pytest.raises(FieldError) as e:
        s = rageval.get_scorer("mcc")
        s.stats({"y_true": [0, 1, math.nan], "y_pred": [0, 1, 1]})
    assert e.value.row == 2


@pytest.mark.parametrize("kind", ["int", "bool", "uint", "list"])
def test_integer_fast_path_equals_general_path(kind):
    """Integer and bool columns are coded without a Python loop; the statistics equal the general
    path's (labels, vocabulary and its Python types), so shards coded either way merge."""
    from rageval.core.statistics import Coded
    from rageval.scorers.classic.classification import check_labels, integer_codes

    rng = np.random.default_rng(3)
    t, p = rng.integers(-2, 6, 80), rng.integers(0, 9, 80)
    if kind == "bool":
        t, p = t > 1, p > 3
    elif kind == "uint":
        t, p = t.clip(0).astype(np.uint8), p.astype(np.uint16)
    b = {"y_true": t.tolist(), "y_pred": p.tolist()} if kind == "list" else {"y_true": t, "y_pred": p}
    codes, vocab = integer_codes(b)
    want = Coded.encode(list(check_labels(b)), values=np.ones((80, 1)))
    assert (codes == want.codes).all() and tuple(vocab) == want.vocab
    assert [type(v) for v in vocab] == [type(v) for v in want.vocab]
    for name in ("accuracy", "mcc", "f1"):
        s = rageval.get_scorer(name, **({"average": "macro"} if name == "f1" else {}))
        assert s.reduce(s.stats(b)) == s.reduce(want)
    assert integer_codes({"y_true": [1, 2.5], "y_pred": [1, 2]}) is None
    assert integer_codes({"y_true": ["a", "b"], "y_pred": ["a", "a"]}) is None
