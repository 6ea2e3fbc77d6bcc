"""The binned mode (thresholds=) of roc_auc and average_precision against torchmetrics'
binary_auroc / binary_average_precision with the same thresholds: to 1e-12 against torchmetrics'
own compute on its multi-threshold confusion matrix held in float64, and to float32 precision
against the public functions (which hold the rates in float32); integer weights as repeated
examples; column sums that merge and resample; the documented error; bad input."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from torchmetrics.functional.classification import binary_auroc, binary_average_precision
from torchmetrics.functional.classification.auroc import _binary_auroc_compute
from torchmetrics.functional.classification.average_precision import _binary_average_precision_compute
from torchmetrics.functional.classification.precision_recall_curve import (
    _adjust_threshold_arg,
    _binary_precision_recall_curve_update,
)

import rageval
from rageval.core.errors import ConfigError, FieldError
from rageval.core.statistics import Rows
from rageval.scorers.classic.ranking_metrics import AveragePrecision, RocAuc
from rageval.stats.resampling import Replicator, bootstrap_indices

SETTINGS = [(RocAuc, {}), (RocAuc, {"max_fpr": 0.3}), (RocAuc, {"max_fpr": 0.77}), (AveragePrecision, {})]


def case(seed: int) -> tuple[np.ndarray, np.ndarray, int | list[float]]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    y = rng.integers(0, 2, n) if seed % 7 else np.full(n, seed % 2)
    s = np.round(rng.random(n) * (0.5 + 0.5 * y), 2 if seed % 2 else 8)
    if seed % 5 == 0:
        s[: min(3, n)] = [0.0, 1.0, 0.5][: min(3, n)]
    grid = sorted(set(np.round(rng.random(int(rng.integers(1, 20))), 3).tolist()))
    return y, s, [int(rng.integers(2, 200)), grid, sorted({0.0, *grid, 1.0})][seed % 3]


def torchmetrics_reference(cls, y, s, thresholds, params) -> tuple[float, float]:
    """torchmetrics' compute on its confusion matrix in float64, and its public function."""
    thr = _adjust_threshold_arg(thresholds)
    state = _binary_precision_recall_curve_update(torch.tensor(s), torch.tensor(y), thr).double()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if cls is RocAuc:
                exact = float(_binary_auroc_compute(state, thr, **params))
                public = float(binary_auroc(torch.tensor(s), torch.tensor(y), thresholds=thresholds, **params))
            else:
                exact = float(_binary_average_precision_compute(state, thr))
                public = float(binary_average_precision(torch.tensor(s), torch.tensor(y), thresholds=thresholds))
        except IndexError:  # max_fpr beyond the binned curve: torchmetrics fails, we give NaN
            return math.nan, math.nan
    return exact, public


def run(seeds: range) -> None:
    for cls, params in SETTINGS:
        for seed in seeds:
            y, s, thresholds = case(seed)
            scorer = cls(thresholds=thresholds, **params)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = scorer.reduce(scorer.stats({"y_true": y.tolist() if seed % 2 else y, "y_score": s}))[scorer.key]
            exact, public = torchmetrics_reference(cls, y, s, thresholds, params)
            assert (math.isnan(got) and math.isnan(exact)) or got == pytest.approx(exact, rel=1e-12, abs=1e-12), \
                (cls.name, params, seed)
            assert (math.isnan(got) and math.isnan(public)) or got == pytest.approx(public, abs=1e-5)


def test_equals_torchmetrics_sample():
    run(range(40))


@pytest.mark.slow
def test_equals_torchmetrics_sweep():
    run(range(40, 540))


@pytest.mark.parametrize("cls", [RocAuc, AveragePrecision])
def test_integer_weights_are_repeated_examples(cls):
    rng = np.random.default_rng(3)
    y, s = rng.integers(0, 2, 80), np.round(rng.random(80), 2)
    w = rng.integers(0, 4, 80)
    scorer = cls(thresholds=50)
    got = scorer.reduce(scorer.stats({"y_true": y, "y_score": s, "sample_weight": w.astype(float)}))[scorer.key]
    repeated = scorer.reduce(scorer.stats({"y_true": np.repeat(y, w), "y_score": np.repeat(s, w)}))[scorer.key]
    assert got == pytest.approx(repeated, rel=1e-12)
    assert got == pytest.approx(torchmetrics_reference(cls, np.repeat(y, w), np.repeat(s, w), 50, {})[0], rel=1e-12)


@pytest.mark.parametrize("cls", [RocAuc, AveragePrecision])
def test_counts_merge_and_bootstrap_equal_torchmetrics_on_the_same_draws(cls):
    rng = np.random.default_rng(9)
    y, s = rng.integers(0, 2, 300), np.round(rng.random(300), 3)
    scorer = cls(thresholds=20)
    stats = scorer.stats({"y_true": y, "y_score": s})
    halves = Rows.concat([scorer.stats({"y_true": y[:17], "y_score": s[:17]}),
                          scorer.stats({"y_true": y[17:], "y_score": s[17:]})])
    assert scorer.reduce(halves)[scorer.key] == scorer.reduce(stats)[scorer.key]
    sums = scorer.sum_rows(stats)
    assert sums.shape == (300, 42) and sums.sum() == 300  # counts per bin, positives then negatives
    got = Replicator(scorer, stats).bootstrap(40)[scorer.key]
    for r, idx in enumerate(next(bootstrap_indices(300, 40))):
        assert got[r] == pytest.approx(torchmetrics_reference(cls, y[idx], s[idx], 20, {})[0], rel=1e-12, abs=1e-12)


def test_documented_error_bound():
    """|binned - exact| AUROC is at most half the share of positive-negative pairs whose scores
    fall between the same two thresholds (such a pair counts 1/2 instead of 0 or 1)."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = int(rng.integers(20, 400))
        y = rng.integers(0, 2, n)
        y[:2] = [0, 1]
        s = np.clip(rng.normal(0.4 + 0.2 * y, 0.2), 0, 0.999)
        t = int(rng.integers(2, 100))
        binned, exact = RocAuc(thresholds=t), RocAuc()
        b = binned.reduce(binned.stats({"y_true": y, "y_score": s}))["roc_auc"]
        e = exact.reduce(exact.stats({"y_true": y, "y_score": s}))["roc_auc"]
        bins = np.searchsorted(torch.linspace(0, 1, t).double().numpy(), s, side="right")
        same_bin = (bins[y == 1][:, None] == bins[y == 0][None, :]).mean()
        assert abs(b - e) <= 0.5 * same_bin + 1e-12


def test_evaluate_runs_the_binned_mode():
    rng = np.random.default_rng(2)
    rows = [{"id": str(i), "y_true": int(rng.integers(0, 2)), "y_score": float(np.round(rng.random(), 2))}
            for i in range(200)]
    spec = [("roc_auc", {"thresholds": 11}), ("average_precision", {"thresholds": [0.1, 0.5, 0.9]})]
    one = rageval.evaluate(rows, spec, progress=False)
    merged = rageval.merge([rageval.evaluate(rows[:50], spec, progress=False),
                            rageval.evaluate(rows[50:], spec, progress=False)])
    assert one.aggregate == merged.aggregate
    y, s = np.array([r["y_true"] for r in rows]), np.array([r["y_score"] for r in rows])
    assert one.aggregate["roc_auc"] == pytest.approx(torchmetrics_reference(RocAuc, y, s, 11, {})[0], rel=1e-12)


def test_bad_input_and_settings():
    for bad in (1, 0, [0.5, 0.2], [1.5], "x", [], True):
        with pytest.raises(ConfigError, match="thresholds"):
            RocAuc(thresholds=bad)
    with pytest.raises(ConfigError, match="pos_label"):
        AveragePrecision(thresholds=5, pos_label=0)
    with pytest.raises(FieldError) as e:
        RocAuc(thresholds=5).stats({"y_true": [0, 1, 2], "y_score": [0.1, 0.2, 0.3]})
    assert e.value.field == "y_true" and e.value.row == 2
    with pytest.raises(FieldError) as e:
        RocAuc(thresholds=5).stats({"y_true": [0, 1, 1], "y_score": [0.1, 1.2, 0.3]})
    assert e.value.field == "y_score" and e.value.row == 1
    with pytest.raises(ConfigError, match="binary data"):
        RocAuc(thresholds=5, multi_class="ovr").validate({"y_true": [0, 1, 2], "y_score": [[0.2, 0.3, 0.5]] * 3})
