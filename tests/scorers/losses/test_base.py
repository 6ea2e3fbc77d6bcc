"""`LossScorer`: statistics whose reduce over any subset equals the function's mean there; the
column forms it accepts; bad input as a `FieldError` naming field and row; parameters."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

import rageval
from rageval.core.errors import ConfigError, FieldError
from rageval.scorers.losses.base import LossScorer
from rageval.scorers.losses.classification import CrossEntropy
from rageval.scorers.losses.regression import MSELoss


def _subsets(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    return [np.arange(n), rng.choice(n, 1), rng.choice(n, n // 2, replace=False), rng.choice(n, n)]


def test_weighted_cross_entropy_reduces_any_subset_to_torch_mean():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 5)), rng.integers(0, 5, 40)
    y[rng.random(40) < 0.2] = 3  # ignore_index below
    w = [0.5, 2.0, 1.0, 7.0, 0.25]
    scorer = CrossEntropy(weight=w, ignore_index=3, label_smoothing=0.2)
    stats = scorer.stats({"y_pred": x, "y_true": y})
    for idx in _subsets(40, rng):
        want = F.cross_entropy(torch.tensor(x[idx]), torch.tensor(y[idx]), weight=torch.tensor(w, dtype=torch.float64),
                               ignore_index=3, label_smoothing=0.2)
        got = scorer.reduce(stats.take(idx))["cross_entropy"]
        assert got == pytest.approx(float(want), rel=1e-12, abs=1e-14) or (math.isnan(got) and math.isnan(want))


def test_dense_examples_stack_along_the_batch():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(6, 3, 4, 5)), rng.integers(0, 3, (6, 4, 5))
    scorer = CrossEntropy(weight=[1.0, 3.0, 0.5])
    stats = scorer.stats({"y_pred": list(x), "y_true": torch.tensor(y)})
    want = F.cross_entropy(torch.tensor(x), torch.tensor(y), weight=torch.tensor([1.0, 3.0, 0.5], dtype=torch.float64))
    assert scorer.reduce(stats)["cross_entropy"] == pytest.approx(float(want), rel=1e-12)


@pytest.mark.parametrize("form", ["list", "numpy", "torch", "tensors", "numpy32", "ragged", "numpy scalars", "pandas"])
def test_column_forms_give_the_same_statistics(form):
    rng = np.random.default_rng(2)
    p, t = rng.normal(size=(7, 3)), rng.normal(size=(7, 3))
    scorer = MSELoss()
    want = scorer.stats({"y_pred": p.tolist(), "y_true": t.tolist()}).values
    column = {"list": p.tolist(), "numpy": p, "torch": torch.tensor(p, requires_grad=True),
              "tensors": [torch.tensor(r) for r in p], "numpy32": p.astype(np.float32),
              "ragged": list(p), "numpy scalars": [[np.float64(v) for v in r] for r in p],
              "pandas": pd.Series(list(p))}[form]
    got = scorer.stats({"y_pred": column, "y_true": t}).values
    np.testing.assert_allclose(got, want, rtol=1e-6 if form == "numpy32" else 0, atol=0)


def test_examples_of_different_shapes_reduce_as_one_concatenation():
    rng = np.random.default_rng(3)
    p = [rng.normal(size=k) for k in (1, 4, 2, 7)]
    t = [rng.normal(size=k) for k in (1, 4, 2, 7)]
    value = MSELoss().reduce(MSELoss().stats({"y_pred": p, "y_true": t}))["mse_loss"]
    assert value == pytest.approx(float(F.mse_loss(torch.tensor(np.concatenate(p)), torch.tensor(np.concatenate(t)))),
                                  rel=1e-12)


@pytest.mark.parametrize("bad, field, row, says", [
    ({"y_pred": [1.0, None, 2.0]}, "y_pred", 1, "missing"),
    ({"y_pred": [1.0, 2.0, float("nan")]}, "y_pred", 2, "finite"),
    ({"y_pred": [1.0, 2.0, float("inf")]}, "y_pred", 2, "finite"),
    ({"y_true": np.array([1.0, -np.inf, 0.0])}, "y_true", 1, "finite"),
    ({"y_pred": [1.0, "2", 3.0]}, "y_pred", 1, "number"),
    ({"y_pred": [1.0, "東京", 3.0]}, "y_pred", 1, "number"),
    ({"y_pred": [1.0, [], 3.0]}, "y_pred", 1, "empty"),
    ({"y_pred": [1.0, [[1.0], [1.0, 2.0]], 3.0]}, "y_pred", 1, "ragged"),
    ({"y_pred": [1.0, [1.0, 2.0], 3.0]}, "y_true", 1, "shape"),
    ({"y_pred": [1.0, 2.0]}, "y_true", None, "examples"),
    ({"y_pred": pd.Series([1.0, pd.NA, 2.0], dtype=object)}, "y_pred", 1, "missing value (pandas"),
    ({"y_pred": pd.array([1, None, 2], dtype="Int64")}, "y_pred", 1, "missing value (pandas"),
    ({"y_true": [[0.5], [None], [0.5]], "y_pred": [[1.0]] * 3}, "y_true", 1, "missing value (None)"),
    ({"y_pred": [1.0, {"a": 1}, 2.0]}, "y_pred", 1, "number"),
    ({"y_pred": [1.0, 1 + 2j, 2.0]}, "y_pred", 1, "number"),
    ({"y_pred": [1.0, 1e308, 2.0], "y_true": [0.0, -1e308, 0.0]}, "y_pred", 1, "not finite"),
    ({"y_pred": "abc"}, "y_pred", None, "one value per example"),
    ({"y_pred": None}, "y_pred", None, "one value per example"),
])
def test_bad_input_names_field_and_row(bad, field, row, says):
    batch = {"y_pred": [1.0, 2.0, 3.0], "y_true": [0.5, 0.5, 0.5], **bad}
    with pytest.raises(FieldError) as e:
        MSELoss().stats(batch)
    assert (e.value.field, e.value.row) == (field, row) and says in str(e.value)


def test_bad_class_indices_name_the_row():
    x = np.zeros((3, 4))
    with pytest.raises(FieldError, match="'y_true' at row 2"):
        CrossEntropy().stats({"y_pred": x, "y_true": [0, 1, 9]})
    with pytest.raises(FieldError, match="row 1.*fraction"):
        CrossEntropy().stats({"y_pred": x, "y_true": [0, 1.5, 2]})


def test_parameters_are_the_functions_and_reduction_is_not_one():
    assert CrossEntropy(weight=np.array([1, 2])).signature == "cross_entropy|weight:1.0,2.0|version:1"
    assert CrossEntropy(weight=torch.tensor([1, 2]), ignore_index=np.int64(0)).signature == \
        "cross_entropy|ignore_index:0|weight:1.0,2.0|version:1"
    assert rageval.get_scorer("focal_loss", alpha=None, gamma=np.float32(0.5)).signature == \
        "focal_loss|alpha:None|gamma:0.5|version:1"
    for bad in ({"reduction": "sum"}, {"input": 1}, {"delta": 1.0}, {"weight": [1.0, None]}, {"weight": "ab"},
                {"weight": [1.0, math.inf]}, {"ignore_index": 1.5}, {"label_smoothing": None},
                {"label_smoothing": "0.1"}, {"label_smoothing": math.nan}):
        with pytest.raises(ConfigError):
            CrossEntropy(**bad)
    for bad in ({"delta": True}, {"delta": "a"}):
        with pytest.raises(ConfigError, match="delta"):
            rageval.get_scorer("huber_loss", **bad)


def test_capabilities_and_registration():
    scorer = rageval.get_scorer("mse_loss")
    assert isinstance(scorer, LossScorer) and scorer.fields == ("y_pred", "y_true")
    assert not scorer.higher_is_better and scorer.differentiable
    assert "cross_entropy" in rageval.list_scorers(family="losses")


def test_evaluate_end_to_end_with_a_failing_example():
    rng = np.random.default_rng(4)
    rows = [{"id": str(i), "y_pred": rng.normal(size=3).tolist(), "y_true": int(rng.integers(0, 3))} for i in range(9)]
    rows[4]["y_true"] = 5
    res = rageval.evaluate(rows, scorers=["cross_entropy"])
    ok = [r for i, r in enumerate(rows) if i != 4]
    want = F.cross_entropy(torch.tensor([r["y_pred"] for r in ok], dtype=torch.float64),
                           torch.tensor([r["y_true"] for r in ok]))
    assert res.aggregate["cross_entropy"] == pytest.approx(float(want), rel=1e-12)
    assert math.isnan(res.to_pandas()["cross_entropy"][4])
