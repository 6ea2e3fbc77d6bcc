"""top_k_accuracy against scikit-learn's top_k_accuracy_score on generated multiclass scores
(ties, weights, k from 1 to C, labels=), and bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics as skm

from rageval.core.errors import ConfigError, FieldError
from rageval.scorers.classic.topk import TopKAccuracy


def check(seeds):
    for seed in seeds:
        rng = np.random.default_rng(seed)
        c = int(rng.integers(3, 7))
        n = int(rng.integers(c, 120))
        y = np.concatenate([np.arange(c), rng.integers(0, c, n - c)])
        s = rng.random((n, c)) if seed % 2 else np.round(rng.random((n, c)), 1)  # ties
        w = rng.random(n) if seed % 3 == 1 else None
        k = int(rng.integers(1, c + 1))
        names = None
        if seed % 4 == 0:
            names = [f"c{j}" for j in range(c)]
            y = np.array(names)[y]
        b = {"y_true": y.tolist() if seed % 3 else y, "y_score": s if seed % 5 else s.tolist()}
        if w is not None:
            b["sample_weight"] = w
        sc = TopKAccuracy(k=k, labels=names)
        want = skm.top_k_accuracy_score(y, s, k=k, sample_weight=w, labels=names)
        assert sc.reduce(sc.stats(b))[sc.key] == pytest.approx(want, rel=1e-12, abs=1e-15), seed


def test_equals_sklearn_sample():
    check(range(100))


@pytest.mark.slow
def test_equals_sklearn_sweep():
    check(range(100, 600))


def test_bad_input():
    with pytest.raises(FieldError) as e:
        TopKAccuracy().stats({"y_true": [0, 1], "y_score": [[0.1, 0.9, 0.0], [0.2, math.nan, 0.1]]})
    assert e.value.row == 1
    for bad in (-math.inf, math.inf):  # an infinity, also beside finite scores whose sum overflows
        with pytest.raises(FieldError) as e:
            TopKAccuracy().stats({"y_true": [0, 1], "y_score": [[1e308, 1e308, 0.0], [0.2, bad, 0.1]]})
        assert e.value.row == 1
    huge = np.array([[1e308, 1e308, -1e308], [0.3, 0.2, 0.1]])  # finite, their sum is not: scored
    assert TopKAccuracy(k=1).reduce(TopKAccuracy(k=1).stats({"y_true": [1, 0], "y_score": huge}))[
        "top_k_accuracy"] == skm.top_k_accuracy_score([1, 0], huge, k=1, labels=[0, 1, 2])
    with pytest.raises(FieldError) as e:
        TopKAccuracy().stats({"y_true": [0, 5], "y_score": [[0.1, 0.9, 0.0], [0.2, 0.3, 0.1]]})
    assert e.value.field == "y_true" and e.value.row == 1
    with pytest.raises(FieldError) as e:
        TopKAccuracy().stats({"y_true": np.array([0, 1, -1]), "y_score": np.ones((3, 3))})
    assert e.value.row == 2
    with pytest.raises(FieldError):
        TopKAccuracy().stats({"y_true": [0, 1], "y_score": [[0.1, 0.9, 0.0], [0.2, 0.1]]})
    with pytest.raises(ConfigError):
        TopKAccuracy(k=0)
    with pytest.raises(ConfigError, match="ordered"):
        TopKAccuracy(labels=["b", "a"])
