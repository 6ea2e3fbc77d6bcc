"""precision, recall, f1, fbeta and accuracy against scikit-learn: labels that differ between
shards and between systems, `labels=`, sample weights, and the input checks users rely on."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

import rageval
from rageval.leaderboard import build_leaderboard
from rageval.stats import approximate_randomization, paired_bootstrap
from rageval.stats.resampling import bootstrap_indices, randomization_masks

SK = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}


def rows(t, p, w=None, prefix="r"):
    out = [{"id": f"{prefix}{i}", "y_true": a, "y_pred": b} for i, (a, b) in enumerate(zip(t, p))]
    if w is not None:
        for r, x in zip(out, w):
            r["sample_weight"] = float(x)
    return out


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-12 * max(1.0, abs(b))


def sk(name, t, p, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "fbeta":
            return float(skm.fbeta_score(t, p, **params))
        if name == "accuracy":
            return float(skm.accuracy_score(t, p, **params))
        return float(SK[name](t, p, **params))


def test_shards_with_different_label_sets_merge_to_the_one_shot_value():
    """The issue's case: rows 0–999 with labels a–h, rows 2000–2999 with labels e–h only."""
    rng = np.random.default_rng(0)
    first = list("abcdefgh")
    t1, p1 = rng.choice(first, 1000).tolist(), rng.choice(first, 1000).tolist()
    t2, p2 = rng.choice(first[4:], 1000).tolist(), rng.choice(first[4:], 1000).tolist()
    a, b = rows(t1, p1, prefix="a"), rows(t2, p2, prefix="b")
    for avg in ("macro", "weighted", "micro"):
        spec = ("f1", {"average": avg})
        merged = rageval.merge([rageval.evaluate(a, [spec], progress=False), rageval.evaluate(b, [spec], progress=False)])
        one = rageval.evaluate(a + b, [spec], progress=False)
        assert same(merged.aggregate["f1"], sk("f1", t1 + t2, p1 + p2, average=avg))
        assert merged.aggregate == one.aggregate


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("name", ["precision", "recall", "f1", "fbeta"])
def test_every_average_matches_sklearn_on_the_whole_and_on_subsets(name, seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(1, 50)), int(rng.integers(1, 6))
    labels = [f"c{i}" for i in range(k)] if seed % 2 else list(range(k))
    t = [labels[i] for i in rng.integers(0, k, n)]
    p = [labels[i] for i in rng.integers(0, k, n)]
    w = rng.random(n) * 3 if seed % 3 == 0 else None
    cases = []
    for avg in ("micro", "macro", "weighted") + (("binary",) if k <= 2 and not seed % 2 else ()):
        for zd in ("warn", 0, 1, float("nan")):
            params = {"average": avg, "zero_division": zd}
            if name == "fbeta":
                params["beta"] = float(rng.choice([0.0, 0.5, 2.0, math.inf]))
            if seed % 4 == 1 and avg != "binary":
                params["labels"] = list(rng.permutation(labels)[: max(1, k - 1)]) + ["unseen" if seed % 2 else 99]
                params["labels"] = [x.item() if hasattr(x, "item") else x for x in params["labels"]]
            cases.append(params)
    scorers = []
    for i, params in enumerate(cases):
        s = rageval.get_scorer(name, **params)
        s.key = f"{name}{i}"
        scorers.append(s)
    res = rageval.evaluate(rows(t, p, w), scorers, progress=False)
    for s, params in zip(scorers, cases):
        ref = sk(name, t, p, sample_weight=w, **params)
        assert same(res.aggregate[s.key], ref), (s.key, params)
        # any subset reduces to what scikit-learn says on that subset, and so do the fast resamples
        idx = rng.choice(n, size=max(1, n // 2), replace=True)
        stats = res.by_scorer[s.key].stats
        sub_w = None if w is None else w[idx]
        expect = sk(name, [t[i] for i in idx], [p[i] for i in idx], sample_weight=sub_w, **params)
        assert same(s.reduce(stats.take(idx))[s.key], expect), (s.key, params, idx)


@pytest.mark.parametrize("seed", range(10))
def test_accuracy_with_weights_and_normalize_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    t, p = rng.integers(0, 3, n).tolist(), rng.integers(0, 3, n).tolist()
    w = rng.random(n)
    scorers = [rageval.get_scorer("accuracy"), _keyed(rageval.get_scorer("accuracy", normalize=False), "count")]
    res = rageval.evaluate(rows(t, p, w), scorers, progress=False)
    assert same(res.aggregate["accuracy"], sk("accuracy", t, p, sample_weight=w))
    assert same(res.aggregate["count"], sk("accuracy", t, p, sample_weight=w, normalize=False))


def _keyed(s, key):
    s.key = key
    return s


def test_sample_weight_changes_mse_as_sklearn_says():
    rng = np.random.default_rng(1)
    t, p, w = rng.normal(size=500), rng.normal(size=500), rng.random(500) * 4
    data = [{"id": i, "y_true": a, "y_pred": b, "sample_weight": c} for i, (a, b, c) in enumerate(zip(t, p, w))]
    res = rageval.evaluate(data, ["mse"], progress=False)
    assert same(res.aggregate["mse"], float(skm.mean_squared_error(t, p, sample_weight=w)))
    assert not same(res.aggregate["mse"], float(skm.mean_squared_error(t, p)))
    halves = rageval.merge([rageval.evaluate(data[:123], ["mse"], progress=False),
                            rageval.evaluate(data[123:], ["mse"], progress=False)])
    assert same(halves.aggregate["mse"], res.aggregate["mse"])


def test_a_scorer_that_ignores_sample_weight_says_so():
    data = [{"answer": "a b", "references": ["a b"], "sample_weight": 2.0}]
    with pytest.warns(UserWarning, match="'bleu' takes none: its value is unweighted"):
        rageval.evaluate(data, ["bleu"], progress=False)


def test_pos_label_not_among_the_labels_raises_as_sklearn():
    t, p = ["a", "b", "a"], ["b", "b", "a"]
    with pytest.raises(ValueError):
        skm.f1_score(t, p)
    for name in ("f1", "precision", "recall"):
        with pytest.raises(rageval.ConfigError, match="pos_label=1 is not a valid label"):
            rageval.evaluate(rows(t, p), [name], progress=False)
    assert same(rageval.evaluate(rows(t, p), [("f1", {"pos_label": "a"})], progress=False).aggregate["f1"],
                sk("f1", t, p, pos_label="a"))
    with pytest.raises(rageval.ConfigError, match="average='binary'"):
        rageval.evaluate(rows([0, 1, 2], [0, 1, 2]), ["f1"], progress=False)


@pytest.mark.parametrize("name", ["accuracy", "f1", "precision"])
def test_labels_that_mix_strings_and_numbers_raise_naming_the_field_and_row(name):
    with pytest.raises(ValueError):
        skm.accuracy_score([1, "a"], [1, 1])
    params = {} if name == "accuracy" else {"average": "macro"}
    with pytest.raises(rageval.FieldError, match=r"'y_true' at row 1: labels mix strings and numbers"):
        rageval.evaluate(rows([1, "a", 2], [1, 1, 2]), [(name, params)], progress=False)
    with pytest.raises(rageval.FieldError, match=r"'y_pred' at row 2"):
        rageval.evaluate(rows([1, 1, 2], [1, 1, "x"]), [(name, params)], progress=False)
    with pytest.raises(rageval.FieldError, match=r"'y_pred' at row 0.*continuous"):
        rageval.evaluate(rows([1], [0.5]), [(name, params)], progress=False)


def test_bad_parameters_are_refused():
    with pytest.raises(rageval.ConfigError, match="average must be"):
        rageval.get_scorer("f1", average="sample")
    with pytest.raises(rageval.ConfigError, match="zero_division"):
        rageval.get_scorer("recall", zero_division=2)
    with pytest.raises(rageval.ConfigError, match="beta"):
        rageval.get_scorer("fbeta", beta=-1)
    with pytest.raises(rageval.ConfigError, match="distinct"):
        rageval.get_scorer("precision", average="macro", labels=["a", "a"])


# --- paired tests between systems that predict different label sets --------------------------
def brute_ar(t, pa, pb, trials, seed, average):
    """sacrebleu's approximate randomisation with scikit-learn computing every trial."""
    full = abs(sk("f1", t, pb, average=average) - sk("f1", t, pa, average=average))
    null = []
    for mask in next(randomization_masks(len(t), trials, seed)):
        first = [a if m else b for a, b, m in zip(pa, pb, mask)]
        second = [b if m else a for a, b, m in zip(pa, pb, mask)]
        null.append(abs(sk("f1", t, first, average=average) - sk("f1", t, second, average=average)))
    null = np.array(null)
    return (int(np.sum(null >= full - max(full * 1e-9, 1e-12))) + 1) / (len(null) + 1)


def brute_bs(t, pa, pb, n, seed, average):
    full = abs(sk("f1", t, pb, average=average) - sk("f1", t, pa, average=average))
    diffs = []
    for idx in next(bootstrap_indices(len(t), n, seed)):
        tt = [t[i] for i in idx]
        diffs.append(abs(sk("f1", tt, [pb[i] for i in idx], average=average)
                         - sk("f1", tt, [pa[i] for i in idx], average=average)))
    diffs = np.array(diffs)
    null = diffs - diffs.mean()
    return (int(np.sum(null >= full - max(full * 1e-9, 1e-12))) + 1) / (len(null) + 1)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("average", ["macro", "weighted"])
def test_paired_tests_and_leaderboard_on_systems_with_different_label_sets_equal_brute_force(seed, average):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 30))
    t = rng.choice(list("abcde"), n).tolist()
    pa = rng.choice(list("abc"), n).tolist()  # system A never predicts d or e
    pb = rng.choice(list("cdefx"), n).tolist()  # system B predicts labels A never saw, and one nobody has
    spec = ("f1", {"average": average})
    ra, rb = rageval.evaluate(rows(t, pa), [spec], progress=False), rageval.evaluate(rows(t, pb), [spec], progress=False)
    sa, sb = ra.by_scorer["f1"].stats, rb.by_scorer["f1"].stats
    assert sa.vocab != sb.vocab
    scorer = ra.scorers[0]
    ar = approximate_randomization(scorer, sa, sb, n=200, seed=seed)["f1"]
    assert ar.p_value == pytest.approx(brute_ar(t, pa, pb, 200, seed, average), abs=1e-12)
    bs = paired_bootstrap(scorer, sa, sb, n=100, seed=seed)["f1"]
    assert bs.p_value == pytest.approx(brute_bs(t, pa, pb, 100, seed, average), abs=1e-12)
    board = build_leaderboard({"A": ra, "B": rb}, baseline="A", method="ar", n_trials=200,
                                                  seed=seed, correction="none")
    (c,) = [c for c in board.comparisons if c.metric == "f1"]
    assert c.p_value == pytest.approx(brute_ar(t, pa, pb, 200, seed, average), abs=1e-12)
    assert c.value_a == pytest.approx(sk("f1", t, pa, average=average)) and \
        c.value_b == pytest.approx(sk("f1", t, pb, average=average))
