"""log_loss and brier against scikit-learn on generated binary cases (weights, probabilities 0 and
1 clipped as scikit-learn clips them, constant y_true where scikit-learn accepts it), subsets, and bad input."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from rageval.core.errors import FieldError
from rageval.scorers.classic.probabilistic import Brier, HingeLoss, LogLoss

REFS = {"log_loss": lambda y, p, w: skm.log_loss(y, p, sample_weight=w, labels=[0, 1]),
        "brier": lambda y, p, w: skm.brier_score_loss(y, p, sample_weight=w, pos_label=1, labels=[0, 1])}


def case(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 200))
    y = rng.integers(0, 2, n) if seed % 6 else np.ones(n, int)
    p = rng.random(n) if seed % 4 else np.clip(np.round(rng.random(n), 1), 0.1, 0.9)
    if seed % 5 == 0:  # exact 0 / 1 where they cost nothing
        p = np.where(y == 1, np.where(rng.random(n) < 0.3, 1.0, p), np.where(rng.random(n) < 0.3, 0.0, p))
    w = [None, rng.random(n) * 2, np.where(rng.random(n) < 0.3, 0.0, 1.0) + (rng.random(n) < 0.05)][seed % 3]
    return y, p, w


def check(cls, seeds):
    for seed in seeds:
        y, p, w = case(seed)
        if w is not None and not w.sum():
            continue
        s = cls()
        b = {"y_true": y.tolist() if seed % 2 else y, "y_score": p}
        if w is not None:
            b["sample_weight"] = w
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = REFS[s.name](y, p, w)
        assert s.reduce(s.stats(b))[s.key] == pytest.approx(want, rel=1e-12, abs=1e-15), seed


@pytest.mark.parametrize("cls", [LogLoss, Brier])
def test_equals_sklearn_sample(cls):
    check(cls, range(100))


@pytest.mark.slow
@pytest.mark.parametrize("cls", [LogLoss, Brier])
def test_equals_sklearn_sweep(cls):
    check(cls, range(100, 600))


@pytest.mark.parametrize("cls", [LogLoss, Brier])
def test_subset_reduces_exactly(cls):
    y, p, w = case(7)
    s = cls()
    stats = s.stats({"y_true": y, "y_score": p, "sample_weight": w})
    idx = np.arange(0, len(y), 3)
    assert s.reduce(stats.take(idx))[s.key] == pytest.approx(REFS[s.name](y[idx], p[idx], w[idx]), rel=1e-12)


@pytest.mark.parametrize("field,value,row", [("y_true", [0, 2, 1], 1), ("y_score", [0.1, 1.5, 0.2], 1),
                                             ("y_score", [0.1, 0.2, math.nan], 2), ("y_true", [0, 1, None], 2)])
def test_bad_input(field, value, row):
    b = {"y_true": [0, 1, 1], "y_score": [0.1, 0.2, 0.3], field: value}
    for cls in (LogLoss, Brier):
        with pytest.raises(FieldError) as e:
            cls().stats(b)
        assert e.value.field == field and e.value.row == row


def test_certain_wrong_prediction_is_clipped_like_sklearn():
    s = LogLoss()
    b = {"y_true": [1, 0, 1, 0], "y_score": [0.0, 1.0, 1.0, 0.0]}
    assert s.reduce(s.stats(b))["log_loss"] == skm.log_loss(b["y_true"], b["y_score"], labels=[0, 1])


def test_hinge_loss_equals_sklearn():
    for seed in range(60):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(2, 100))
        y = rng.integers(0, 2, n)
        y[0], y[-1] = 0, 1
        d = rng.normal(size=n) * 2 if seed % 3 else np.round(rng.normal(size=n))
        w = rng.random(n) if seed % 2 else None
        yy = y * 2 - 1 if seed % 4 == 0 else y
        s = HingeLoss()
        got = s.reduce(s.stats({"y_true": yy, "y_score": d, **({"sample_weight": w} if w is not None else {})}))
        assert got["hinge_loss"] == pytest.approx(skm.hinge_loss(yy, d, sample_weight=w), rel=1e-12, abs=1e-15)
    with pytest.raises(FieldError) as e:
        HingeLoss().stats({"y_true": [1, 0, 2], "y_score": [0.1, 0.2, 0.3]})
    assert e.value.row == 2
