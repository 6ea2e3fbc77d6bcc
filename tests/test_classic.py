"""accuracy, f1 and mse against scikit-learn on generated data, whole corpora and subsets."""
import math
import warnings

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, mean_squared_error

import rageval


def rows(t, p):
    return [{"y_true": a, "y_pred": b} for a, b in zip(t, p)]


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) < 1e-12


@pytest.mark.parametrize("seed", range(40))
def test_f1_and_accuracy_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    n, n_labels = int(rng.integers(1, 60)), int(rng.integers(1, 6))
    kind = seed % 3
    labels = [f"c{i}" for i in range(n_labels)] if kind == 1 else list(range(n_labels))
    t = [labels[i] for i in rng.integers(0, n_labels, n)]
    p = [labels[i] for i in rng.integers(0, n_labels, n)]
    averages = ["micro", "macro", "weighted"] + (["binary"] if n_labels <= 2 and kind != 1 else [])
    scorers = [("accuracy", {})]
    for avg in averages:
        for zd in ("warn", 0, 1, float("nan")):
            s = rageval.get_scorer("f1", average=avg, zero_division=zd)
            s.key = f"f1_{avg}_{zd}"
            scorers.append(s)
    res = rageval.evaluate(rows(t, p), scorers, progress=False)
    assert same(res.aggregate["accuracy"], accuracy_score(t, p))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in scorers[1:]:
            ref = f1_score(t, p, average=s.params["average"], zero_division=s.params["zero_division"])
            assert same(res.aggregate[s.key], float(ref)), s.key
            # any subset reduces to what scikit-learn says on that subset
            idx = rng.choice(n, size=max(1, n // 2), replace=True)
            stats = res.by_scorer[s.key].stats
            sub = s.reduce(stats.take(idx))[s.key]
            ref_sub = f1_score([t[i] for i in idx], [p[i] for i in idx], average=s.params["average"],
                               zero_division=s.params["zero_division"])
            assert same(sub, float(ref_sub)), (s.key, idx)


def test_f1_binary_refuses_multiclass_and_bad_parameters():
    with pytest.raises(rageval.ConfigError, match="average='binary'"):
        rageval.evaluate(rows([0, 1, 2], [0, 1, 2]), ["f1"], progress=False)
    with pytest.raises(rageval.ConfigError, match="average must be"):
        rageval.get_scorer("f1", average="samples")
    with pytest.raises(rageval.FieldError, match="y_true"):
        rageval.evaluate(rows([1, "a"], [1, 1]), [("f1", {"average": "macro"})], progress=False)


@pytest.mark.parametrize("seed", range(20))
def test_mse_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    n, width = int(rng.integers(1, 100)), int(rng.integers(0, 4))
    if width == 0:
        t, p = rng.normal(size=n) * 10, rng.normal(size=n)
        data = rows(t.tolist(), p.tolist())
    else:
        t, p = rng.normal(size=(n, width)), rng.normal(size=(n, width))
        data = rows(list(t), list(p))
    res = rageval.evaluate(data, ["mse"], progress=False)
    assert abs(res.aggregate["mse"] - mean_squared_error(t, p)) < 1e-12
    assert rageval.get_scorer("mse").higher_is_better is False


def test_mse_bad_input_names_field_and_row():
    with pytest.raises(rageval.FieldError, match=r"'y_pred'.*row 1"):
        rageval.evaluate(rows([1.0, 2.0], [1.0, None]), ["mse"], progress=False)
    res = rageval.evaluate(rows([[1.0, 2.0], [1.0]], [[1.0, 2.0], [1.0, 3.0]]), ["mse"], progress=False)
    assert res.aggregate.counts["mse"] == (1, 2)  # the mismatched example is an error, the other is kept
    assert "has 2 values" in res.errors["error"][0]
