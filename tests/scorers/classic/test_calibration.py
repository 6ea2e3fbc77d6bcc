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


def test_summed_rows_are_sparse_and_resample_as_the_dense_rows():
    """The uniform bins' summed rows (3 non-zeros each) are a sparse CSR array: the bootstrap and
    randomisation replicates equal those of the dense rows from the same draws (and each
    resample's reduce), also on a shared axis with failed examples, in a fraction of the memory."""
    import scipy.sparse

    from rageval.stats.resampling import bootstrap_many, randomization_masks

    rng = np.random.default_rng(11)
    n = 2_000
    y, p, w = rng.integers(0, 2, n), np.round(rng.random(n), 2), rng.uniform(0.5, 2, n)
    s = ECE(n_bins=15)
    stats = s.stats({"y_true": y, "y_score": p, "sample_weight": w})
    rows = s.sum_rows(stats)
    assert scipy.sparse.issparse(rows) and rows.nnz == 3 * n
    dense = rows.toarray()
    assert rows.data.nbytes + rows.indices.nbytes + rows.indptr.nbytes < dense.nbytes / 5

    class Dense(ECE):  # the same scorer with the dense rows
        def sum_rows(self, stats):
            return ECE.sum_rows(self, stats).toarray()

    d = Dense(n_bins=15)
    positions = np.arange(n + 40) % (n + 7)
    positions[positions >= n] = -1  # examples of the shared axis this scorer failed on
    for pos in (None, positions):
        sparse_rep, dense_rep = Replicator(s, stats, pos), Replicator(d, stats, pos)
        got, want = bootstrap_many([sparse_rep, dense_rep], 200)
        np.testing.assert_allclose(got["ece"], want["ece"], rtol=1e-12, atol=1e-15)
    each = [s.reduce(stats.take(i))["ece"] for i in next(bootstrap_indices(n, 30))]
    np.testing.assert_allclose(Replicator(s, stats).bootstrap(30)["ece"], each, rtol=1e-12, atol=1e-15)
    other = s.stats({"y_true": y, "y_score": np.clip(p + 0.05, 0, 1), "sample_weight": w})
    mask = next(randomization_masks(n, 50))
    for a, b in zip(Replicator(s, stats).swapped(Replicator(s, other), mask),
                    Replicator(d, stats).swapped(Replicator(d, other), mask)):
        np.testing.assert_allclose(a["ece"], b["ece"], rtol=1e-12, atol=1e-15)


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


# --- multiclass (top-label) -----------------------------------------------------------------------
def mc_case(seed: int):
    """Probability vectors of 2..6 classes (rounded on some seeds: tied maxima, confidences on bin
    edges), labels 0..C-1 or strings with labels=, weights on some seeds."""
    rng = np.random.default_rng(seed)
    n, c = int(rng.integers(1, 300)), int(rng.integers(2, 7))
    raw = rng.dirichlet(np.full(c, 0.7), n)
    if seed % 3 == 0:
        raw = np.round(raw, 1)
        raw[raw.sum(axis=1) == 0] = 1.0 / c
    y = rng.integers(0, c, n)
    names = [f"c{i}" for i in range(c)]
    batch = {"y_true": [names[i] for i in y] if seed % 4 == 1 else y, "y_score": raw.tolist() if seed % 2 else raw}
    params = {"labels": list(rng.permutation(np.array(names, dtype=object)))} if seed % 4 == 1 else {}
    return batch, y, raw, int(rng.integers(1, 20)), params


def mc_reference(y, prob, n_bins):
    """torchmetrics' multiclass calibration error in float64: its update (torch.max over the
    classes, eq with the target) and its _ce_compute, without the float32 cast of the update."""
    from torchmetrics.functional.classification.calibration_error import _ce_compute

    conf, pred = torch.tensor(prob, dtype=torch.float64).max(dim=1)
    return float(_ce_compute(conf, pred.eq(torch.tensor(y)).double(), n_bins, norm="l1"))


def mc_check(seeds):
    for seed in seeds:
        batch, y, prob, nb, params = mc_case(seed)
        s = ECE(n_bins=nb, **params)
        stats = s.stats(batch)
        assert s.reduce(stats)["ece"] == pytest.approx(mc_reference(y, prob, nb), rel=1e-12, abs=1e-15), seed
        if seed % 3:  # torchmetrics itself (float32 confidences): to float32 precision off the bin edges
            want = float(tm.multiclass_calibration_error(torch.tensor(prob), torch.tensor(y), num_classes=prob.shape[1],
                                                         n_bins=nb, norm="l1"))
            assert s.reduce(stats)["ece"] == pytest.approx(want, rel=1e-5, abs=1e-6), seed
        correct = (np.argmax(prob, axis=1) == y).astype(int)
        if len(set(correct.tolist())) == 2:  # equal-mass: calibration_curve's binning of (confidence, correct)
            s = ECE(n_bins=nb, strategy="quantile", **params)
            assert s.reduce(s.stats(batch))["ece"] == pytest.approx(quantile_reference(correct, prob.max(axis=1), nb),
                                                                    rel=1e-12, abs=1e-15), seed


def test_multiclass_equals_torchmetrics_sample():
    mc_check(range(60))


@pytest.mark.slow
def test_multiclass_equals_torchmetrics_sweep():
    mc_check(range(60, 600))


@pytest.mark.parametrize("multiclass", [False, True])
def test_integer_weights_equal_repeated_rows(multiclass):
    """Uniform bins: weights are frequency weights, weight k is the example repeated k times (the
    references take no weights; the repeated rows are scored unweighted). Not so for quantile bins,
    whose edges are the unweighted percentiles (see the module docstring)."""
    strategy = "uniform"
    if multiclass:
        batch, *_ = mc_case(4)
        batch = {"y_true": np.asarray(batch["y_true"]), "y_score": np.asarray(batch["y_score"])}
    else:
        y, p, _ = case(5)
        batch = {"y_true": y, "y_score": p}
    w = np.random.default_rng(1).integers(0, 4, len(batch["y_true"]))
    w[0] = 1
    s = ECE(n_bins=7, strategy=strategy)
    repeated = {k: np.repeat(v, w, axis=0) for k, v in batch.items()}
    got = s.reduce(s.stats({**batch, "sample_weight": w.astype(float)}))["ece"]
    assert got == pytest.approx(s.reduce(s.stats(repeated))["ece"], rel=1e-12, abs=1e-15)


def test_multiclass_ties_take_the_first_maximum_as_torch():
    prob = [[0.4, 0.4, 0.2], [0.3, 0.3, 0.4], [0.5, 0.5, 0.0]]
    for y in ([0, 2, 1], [1, 2, 0]):
        s = ECE(n_bins=5)
        assert s.reduce(s.stats({"y_true": y, "y_score": prob}))["ece"] == pytest.approx(
            mc_reference(np.array(y), np.array(prob), 5), rel=1e-12, abs=1e-15)


def test_multiclass_bad_input_names_field_and_row():
    good = [[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]]
    for y, score, field, row in [([0, 1, 1], [[0.2, 0.8], [0.6, 1.4], [0.5, 0.5]], "y_score", 1),
                                 ([0, 1, 1], [[0.2, 0.8], [0.6, 0.4], [math.nan, 0.5]], "y_score", 2),
                                 ([0, 1, 2], good, "y_true", 2),  # not a column of the 2 scores
                                 ([0, "b", 1], good, "y_true", 1)]:
        with pytest.raises(FieldError) as e:
            ECE().stats({"y_true": y, "y_score": score})
        assert (e.value.field, e.value.row) == (field, row)
    with pytest.raises(FieldError) as e:  # ragged vectors: validate, before scoring
        ECE().validate({"y_true": [0, 1, 1], "y_score": [[0.2, 0.8], [0.6, 0.3, 0.1], [0.5, 0.5]]})
    assert (e.value.field, e.value.row) == ("y_score", 1)
    with pytest.raises(FieldError):
        ECE().stats({"y_true": [0, 1], "y_score": good})
    with pytest.raises(FieldError) as e:
        ECE(labels=["a", "b"]).stats({"y_true": ["a", "c", "b"], "y_score": good})
    assert (e.value.field, e.value.row) == ("y_true", 1)
    with pytest.raises(ConfigError):
        ECE(labels=["a"])


@pytest.mark.parametrize("n_bins", [1, 2, 3, 7, 10, 13, 15, 33, 100, 1000, 99_991,
                                    pytest.param(2_000_003, marks=pytest.mark.slow)])  # the search for every p
def test_bins_equal_torchmetrics_bucketize(n_bins):
    """The arithmetic binning is torch.bucketize(right=True) - 1 on the float64 edges, on the edges,
    their float neighbours, rounded and random probabilities, 0 and 1."""
    s = ECE(n_bins=n_bins)
    rng = np.random.default_rng(n_bins)
    p = np.clip(np.concatenate([rng.random(5000), s.edges, np.nextafter(s.edges, -1), np.nextafter(s.edges, 2),
                                np.round(rng.random(1000), 1), np.round(rng.random(1000), 3), [0.0, 1.0]]), 0, 1)
    want = torch.bucketize(torch.from_numpy(p), torch.from_numpy(s.edges), right=True) - 1
    np.testing.assert_array_equal(s.bins(p), want.numpy())


def test_numpy_columns_take_the_fast_path_with_the_same_statistics():
    """numpy columns of valid values skip the checked path's temporaries (`fast_inputs`): the same
    statistics, bit for bit, as the checked path on the same values as lists; invalid arrays go
    the checked path and raise its error (field and row)."""
    from rageval.scorers.classic.calibration import fast_inputs

    for seed in range(40):
        batch, y, raw, nb, params = mc_case(seed)
        arrays = {"y_true": np.asarray(batch["y_true"]), "y_score": raw}
        binary = {"y_true": (y % 2).astype(bool if seed % 5 == 0 else np.int64), "y_score": raw[:, 0]}
        for b in (arrays, binary):
            s = ECE(n_bins=nb, **(params if b is arrays else {}))
            assert fast_inputs(b, s.labels) is not None
            lists = {k: v.tolist() for k, v in b.items()}
            assert fast_inputs(lists, s.labels) is None
            fast, slow = s.stats(b), s.stats(lists)
            np.testing.assert_array_equal(np.asarray(fast), np.asarray(slow))
            assert s.reduce(fast) == s.reduce(slow)
    from rageval.scorers.classic import parallel

    n = parallel.MIN_ELEMENTS + 1_234  # more rows, tied maxima: the fast path's argmax runs on threads
    rng = np.random.default_rng(3)
    raw = np.round(rng.dirichlet(np.ones(5), n), 1)  # tied maxima
    y = rng.integers(0, 5, n)
    s = ECE()
    np.testing.assert_array_equal(np.asarray(s.stats({"y_true": y, "y_score": raw})),
                                  np.asarray(s.stats({"y_true": y.tolist(), "y_score": raw.tolist()})))
    good = np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    for y, score, field, row in [(np.array([0, 1, 1]), np.array([0.1, 1.2, 0.5]), "y_score", 1),
                                 (np.array([0, 2, 1]), np.array([0.1, 0.2, 0.5]), "y_true", 1),
                                 (np.array([0, 1, 1]), np.array([0.1, np.nan, 0.5]), "y_score", 1),
                                 (np.array([0, 1, 1]), np.where(good == 0.4, np.inf, good), "y_score", 1),
                                 (np.array([0, 1, 2]), good, "y_true", 2)]:
        with pytest.raises(FieldError) as e:
            ECE().stats({"y_true": y, "y_score": score})
        assert (e.value.field, e.value.row) == (field, row)
