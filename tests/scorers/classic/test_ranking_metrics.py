"""roc_auc and average_precision against scikit-learn: generated binary cases (ties, weights, zero
weights, numpy and list columns), subsets, bootstrap resamples from draws, and bad input."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from rageval.core.errors import ConfigError, FieldError
from rageval.core.statistics import Rows
from rageval.scorers.classic.ranking_average import UndefinedMetricWarning
from rageval.scorers.classic.ranking_metrics import AveragePrecision, RocAuc
from rageval.stats.resampling import Replicator, bootstrap_indices

REFS = {"roc_auc": skm.roc_auc_score, "average_precision": skm.average_precision_score}


def case(seed: int) -> dict:
    """A binary case: scores continuous, heavily tied or constant; labels 0/1, -1/1 or bool-like
    floats; weights none, random, or with zeros; sizes from 2 to 300."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 300 if seed % 5 else 12))
    y = rng.integers(0, 2, n)
    y[rng.integers(n)], y[rng.integers(n)] = 0, 1
    if len(set(y.tolist())) < 2:
        y[0], y[-1] = 0, 1
    kind = seed % 4
    s = [rng.random(n), rng.integers(0, 4, n) / 3.0, np.full(n, 0.5), rng.normal(size=n) + y][kind]
    batch: dict = {"y_true": (y * 2 - 1) if seed % 7 == 0 else y, "y_score": s}
    if seed % 3 == 1:
        batch["sample_weight"] = rng.random(n) * 3
    elif seed % 3 == 2:
        batch["sample_weight"] = np.where(rng.random(n) < 0.2, 0.0, rng.random(n))
    if seed % 2:
        batch = {k: v.tolist() for k, v in batch.items()}
    return batch


def reference(name: str, batch: dict) -> float:
    y, s = np.asarray(batch["y_true"]), np.asarray(batch["y_score"])
    kwargs = {"pos_label": 1} if name == "average_precision" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return REFS[name](y, s, sample_weight=batch.get("sample_weight"), **kwargs)


def check(scorer, batch: dict) -> None:
    w = batch.get("sample_weight")
    y = np.asarray(batch["y_true"])
    if w is not None and (len(np.unique(y[np.asarray(w) > 0])) < 2):
        return  # scikit-learn drops zero-weight examples before its own checks; see test_zero_weights
    got = scorer.reduce(scorer.stats(batch))[scorer.key]
    assert got == pytest.approx(reference(scorer.name, batch), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("cls", [RocAuc, AveragePrecision])
def test_equals_sklearn_sample(cls):
    for seed in range(120):
        check(cls(), case(seed))


@pytest.mark.slow
@pytest.mark.parametrize("cls", [RocAuc, AveragePrecision])
def test_equals_sklearn_sweep(cls):
    for seed in range(120, 720):
        check(cls(), case(seed))


@pytest.mark.parametrize("cls", [RocAuc, AveragePrecision])
def test_subsets_reduce_exactly(cls):
    b = case(3)
    s = cls()
    stats = s.stats(b)
    rng = np.random.default_rng(1)
    for _ in range(20):
        idx = rng.choice(len(stats), size=len(stats) // 2, replace=False)
        sub = {k: np.asarray(v)[idx] for k, v in b.items()}
        if len(set(sub["y_true"].tolist())) < 2:
            continue
        assert s.reduce(stats.take(idx))[s.key] == pytest.approx(reference(s.name, sub), rel=1e-12, abs=1e-12)
    halves = Rows.concat([s.stats({k: np.asarray(v)[:40] for k, v in b.items()}),
                          s.stats({k: np.asarray(v)[40:] for k, v in b.items()})])
    assert s.reduce(halves)[s.key] == s.reduce(stats)[s.key]


@pytest.mark.parametrize("cls", [RocAuc, AveragePrecision])
@pytest.mark.parametrize("weighted", [False, True])
def test_bootstrap_from_draws_equals_sklearn_on_same_draws(cls, weighted):
    rng = np.random.default_rng(5)
    n = 400
    y = rng.integers(0, 2, n)
    s = np.round(rng.random(n) + 0.3 * y, 2)  # ties
    w = rng.random(n) if weighted else None
    scorer = cls()
    stats = scorer.stats({"y_true": y, "y_score": s, **({"sample_weight": w} if weighted else {})})
    rep = Replicator(scorer, stats)
    got = rep.bootstrap(200)[scorer.key]
    idx = next(bootstrap_indices(n, 200))
    want = [reference(scorer.name, {"y_true": y[i], "y_score": s[i],
                                    **({"sample_weight": w[i]} if weighted else {})}) for i in idx]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # the generic path (reduce per resample) agrees
    generic = [scorer.reduce(stats.take(i))[scorer.key] for i in idx[:20]]
    np.testing.assert_allclose(got[:20], generic, rtol=1e-12, atol=1e-12)


def test_bootstrap_resample_with_one_class_is_nan():
    scorer = RocAuc()
    stats = scorer.stats({"y_true": [0, 1, 1, 1], "y_score": [0.1, 0.2, 0.3, 0.4]})
    draws = np.array([[1, 2, 3, 3], [0, 1, 2, 3]])
    got = scorer.reduce_draws(stats, draws)["roc_auc"]
    assert math.isnan(got[0]) and got[1] == 1.0


def test_one_class_warns_and_multiclass_with_one_score_raises():
    # scikit-learn warns "Only one class is present in y_true" and returns NaN; so do we
    with pytest.warns(UndefinedMetricWarning, match="Only one class"):
        assert math.isnan(RocAuc().reduce(RocAuc().stats({"y_true": [1, 1], "y_score": [0.1, 0.2]}))["roc_auc"])
    with pytest.raises(FieldError, match="multiclass"):
        RocAuc().reduce(RocAuc().stats({"y_true": [0, 1, 2], "y_score": [0.1, 0.2, 0.3]}))
    with pytest.raises(FieldError, match="pos_label"):
        s = AveragePrecision()
        s.reduce(s.stats({"y_true": [0, 2], "y_score": [0.1, 0.2]}))
    # no positive: scikit-learn warns and returns 0.0; so do we
    s = AveragePrecision()
    with pytest.warns(UserWarning, match="No positive class"):
        got = s.reduce(s.stats({"y_true": [0, 0], "y_score": [0.1, 0.2]}))[s.key]
    assert got == reference("average_precision", {"y_true": [0, 0], "y_score": [0.1, 0.2]}) == 0.0


@pytest.mark.parametrize("field,bad,row", [("y_score", [0.1, math.nan, 0.3], 1), ("y_score", [0.1, 0.2, math.inf], 2),
                                           ("y_true", [0, None, 1], 1), ("y_score", [0.1, "x", 0.2], 1),
                                           ("sample_weight", [1.0, 1.0, -math.inf], 2),
                                           ("y_score", [0.1, [0.2, 0.8], 0.3], 1)])
def test_bad_input_names_field_and_row(field, bad, row):
    batch = {"y_true": [0, 1, 1], "y_score": [0.1, 0.2, 0.3], **{field: bad}}
    with pytest.raises(FieldError) as e:
        RocAuc().stats(batch)
    assert e.value.field == field and e.value.row == row


def test_mismatched_lengths_and_config():
    with pytest.raises(FieldError, match="scores"):
        RocAuc().stats({"y_true": [0, 1, 1], "y_score": [0.1, 0.2]})
    with pytest.raises(ConfigError):
        RocAuc(max_fpr=1.5)
    with pytest.raises(ConfigError):
        AveragePrecision(pos_label="a")


def test_zero_weights_drop_examples_like_sklearn():
    b = {"y_true": [0, 1, 0, 1, 1], "y_score": [0.3, 0.3, 0.9, 0.1, 0.5], "sample_weight": [1, 2, 0, 1, 0]}
    for cls in (RocAuc, AveragePrecision):
        s = cls()
        assert s.reduce(s.stats(b))[s.key] == pytest.approx(reference(s.name, b), rel=1e-12)
