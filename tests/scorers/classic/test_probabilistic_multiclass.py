"""log_loss, brier and hinge_loss on multiclass vectors (probabilities, decision values) against
scikit-learn 1.9.1 on generated cases: labels 0..C-1 or given with labels= (strings, any order),
weights, probabilities 0 and 1, rows not summing to one (scikit-learn's warning, no
normalisation), subsets, merges and bad input."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

import rageval
from rageval.core.errors import ConfigError, FieldError
from rageval.scorers.classic.probabilistic import Brier, HingeLoss, LogLoss

CLS = {"log_loss": LogLoss, "brier": Brier, "hinge_loss": HingeLoss}
SK = {"log_loss": lambda y, p, w, **k: skm.log_loss(y, p, sample_weight=w, **k),
      "brier": lambda y, p, w, **k: skm.brier_score_loss(y, p, sample_weight=w, **k),
      "hinge_loss": lambda y, p, w, **k: skm.hinge_loss(y, p, sample_weight=w, **k)}
SETTINGS = [("log_loss", {}), ("brier", {}), ("brier", {"scale_by_half": True}), ("brier", {"scale_by_half": False}),
            ("hinge_loss", {})]


def case(seed: int, name: str) -> tuple[dict, list, dict]:
    """A multiclass batch (every class present, as scikit-learn requires without labels=), the
    class names, and the labels= parameter (given on every other seed, shuffled)."""
    rng = np.random.default_rng(seed)
    c = int(rng.integers(3 if name == "hinge_loss" else 2, 6))
    n = int(rng.integers(c, 90))
    y = rng.integers(0, c, n)
    y[rng.permutation(n)[:c]] = np.arange(c)
    if name == "hinge_loss":
        score = rng.normal(size=(n, c)) * 2 if seed % 3 else rng.integers(-2, 3, (n, c)).astype(float)
    else:
        raw = rng.random((n, c)) if seed % 3 else rng.integers(0, 3, (n, c)).astype(float) + (seed % 2) * 0.01
        raw[raw.sum(axis=1) == 0] = 1.0
        score = raw / raw.sum(axis=1, keepdims=True)
        if seed % 7 == 0:  # a row that does not sum to one: scikit-learn warns and does not normalise
            score[0] = score[0] * 0.9
    names = [f"k{i}" for i in range(c)] if seed % 2 else list(range(c))
    batch = {"y_true": [names[i] for i in y] if seed % 2 else y, "y_score": score.tolist() if seed % 4 < 2 else score}
    if seed % 3 == 1:
        batch["sample_weight"] = np.where(rng.random(n) < 0.1, 0.0, rng.random(n) * 3) + (np.arange(n) == 0)
    params = {"labels": list(rng.permutation(np.array(names, dtype=object)))} if seed % 2 else {}
    return batch, names, params


def check(seeds: range) -> None:
    for name, extra in SETTINGS:
        for seed in seeds:
            batch, names, params = case(seed, name)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = SK[name](np.asarray(batch["y_true"], dtype=object if seed % 2 else None),
                                np.asarray(batch["y_score"]), batch.get("sample_weight"), **params, **extra)
                s = CLS[name](**params, **extra)
                got = s.reduce(s.stats(batch))[name]
            assert got == pytest.approx(want, rel=1e-12, abs=1e-14), (name, extra, seed)


def test_equals_sklearn_sample():
    check(range(50))


@pytest.mark.slow
def test_equals_sklearn_sweep():
    check(range(50, 550))


def test_probabilities_not_summing_to_one_warn_as_sklearn():
    b = {"y_true": [0, 1, 2], "y_score": [[0.5, 0.3, 0.1], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]]}
    for cls in (LogLoss, Brier):
        with pytest.warns(UserWarning, match="do not sum to one"):
            cls().stats(b)
    with pytest.warns(UserWarning, match="ordered lexicographically"):
        skm.log_loss(["b", "a", "c"], np.eye(3), labels=["c", "a", "b"])
    with pytest.warns(UserWarning, match="sorted order"):
        LogLoss(labels=["c", "a", "b"])


def test_subsets_and_merge_are_exact():
    batch, names, params = case(4, "log_loss")
    rows = [{"id": str(i), "y_true": int(t), "y_score": list(p)} for i, (t, p) in
            enumerate(zip(batch["y_true"], np.asarray(batch["y_score"])))]
    for name in ("log_loss", "brier"):
        one = rageval.evaluate(rows, [name], progress=False)
        merged = rageval.merge([rageval.evaluate(rows[:1], [name], progress=False),
                                rageval.evaluate(rows[1:], [name], progress=False)])
        assert merged.aggregate[name] == pytest.approx(one.aggregate[name], rel=1e-14)
        keep = np.arange(1, len(rows), 2)
        s = CLS[name]()
        y, p = np.asarray(batch["y_true"])[keep], np.asarray(batch["y_score"])[keep]
        want = SK[name](y, p, np.asarray(batch["sample_weight"])[keep], labels=names)
        assert s.reduce(s.stats(batch).take(keep))[name] == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("name,batch,field,row", [
    ("log_loss", {"y_true": [0, 1, 2], "y_score": [[0.2, 0.3, 0.5], [1.2, -0.2, 0.0], [0.3, 0.3, 0.4]]}, "y_score", 1),
    ("log_loss", {"y_true": [0, 5, 2], "y_score": [[0.2, 0.3, 0.5], [0.2, 0.3, 0.5], [0.3, 0.3, 0.4]]}, "y_true", 1),
    ("brier", {"y_true": [0, "a", 2], "y_score": [[0.2, 0.3, 0.5], [0.2, 0.3, 0.5], [0.3, 0.3, 0.4]]}, "y_true", 1),
    ("brier", {"y_true": [0, 1, 2], "y_score": [[0.2, 0.3, 0.5], [0.2, math.nan, 0.5], [0.3, 0.3, 0.4]]}, "y_score", 1),
    ("hinge_loss", {"y_true": [0, 1, 2], "y_score": [[0.2, 0.3, 0.5], [0.2, 0.5], [0.3, 0.3, 0.4]]}, "y_score", 1),
    ("hinge_loss", {"y_true": [0, 1], "y_score": [[0.2, 0.3], [0.2, 0.5]]}, "y_score", None),
])
def test_bad_input_names_field_and_row(name, batch, field, row):
    with pytest.raises(FieldError) as e:
        CLS[name]().stats(batch)
    assert e.value.field == field and e.value.row == row


def test_bad_settings():
    for bad in ([1], [1, 1, 2]):
        with pytest.raises(ConfigError):
            LogLoss(labels=bad)
    with pytest.raises(ConfigError):
        Brier(scale_by_half="yes")
    with pytest.raises(FieldError, match="labels"):
        LogLoss(labels=["a", "b"]).stats({"y_true": ["a"], "y_score": [[0.2, 0.3, 0.5]]})


@pytest.mark.parametrize("name", ["log_loss", "brier", "hinge_loss", "roc_auc", "average_precision", "top_k_accuracy"])
@pytest.mark.parametrize("second", [[0.5, 0.5], 0.5])
def test_vectors_of_other_lengths_or_scalars_across_rows_are_refused(name, second):
    """Each row alone would score (per-example isolation): the check is across rows, before scoring."""
    rows = [{"id": "a", "y_true": 0, "y_score": [0.2, 0.3, 0.5]}, {"id": "b", "y_true": 1, "y_score": second},
            {"id": "c", "y_true": 2, "y_score": [0.2, 0.3, 0.5]}]
    spec = (name, {"multi_class": "ovr"}) if name == "roc_auc" else name
    with pytest.raises(FieldError) as e:
        rageval.evaluate(rows, [spec], progress=False)
    assert e.value.field == "y_score" and e.value.row == 1
    with pytest.raises(FieldError) as e:
        rageval.evaluate(rows[1:], [spec], progress=False)  # the scalar first, a vector after it
    assert e.value.field == "y_score" and e.value.row == 1
