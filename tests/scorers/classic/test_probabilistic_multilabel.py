"""log_loss and brier on multilabel indicators (a 0/1 vector per example, one probability per
label) against scikit-learn 1.9.1 on generated cases: 2..6 labels, labels never or always on,
probabilities 0 and 1, weights (zeros included), list or array columns, subsets; and scikit-learn's
refusals (labels=, widths that differ, values other than 0/1, brier with one probability per
example) as FieldErrors naming the field (and the row where there is one)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

import rageval
from rageval.core.errors import FieldError
from rageval.scorers.classic.probabilistic import Brier, LogLoss

SETTINGS = [("log_loss", {}), ("brier", {}), ("brier", {"scale_by_half": True}), ("brier", {"scale_by_half": False})]
SK = {"log_loss": skm.log_loss, "brier": skm.brier_score_loss}
CLS = {"log_loss": LogLoss, "brier": Brier}


def case(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    n, width = int(rng.integers(1, 80)), int(rng.integers(2, 7))
    truth = (rng.random((n, width)) < rng.uniform(0.1, 0.9)).astype(int)
    if seed % 5 == 0:
        truth[:, 0] = 0  # a label never on
    if seed % 5 == 1:
        truth[:, -1] = 1  # a label always on
    prob = rng.random((n, width)) if seed % 3 else rng.integers(0, 3, (n, width)) / 2  # 0, 0.5 and 1
    batch = {"y_true": truth.tolist() if seed % 2 else truth.astype(float if seed % 4 == 0 else bool),
             "y_score": prob.tolist() if seed % 4 < 2 else prob}
    if seed % 3 == 1:
        batch["sample_weight"] = np.where(rng.random(n) < 0.1, 0.0, rng.random(n) * 3) + (np.arange(n) == 0)
    return batch


def check(seeds: range) -> None:
    for name, params in SETTINGS:
        for seed in seeds:
            batch = case(seed)
            truth, prob, w = np.asarray(batch["y_true"]), np.asarray(batch["y_score"]), batch.get("sample_weight")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = SK[name](truth, prob, sample_weight=w, **params)
                s = CLS[name](**params)
                stats = s.make_stats(rageval.core.scorer.Batch(batch))
                got = s.reduce(stats)[name]
                keep = np.flatnonzero(np.random.default_rng(seed + 1).random(len(truth)) < 0.6)
                if len(keep):
                    sub = s.reduce(stats.take(keep))[name]
                    sub_w = None if w is None else w[keep]
                    want_sub = SK[name](truth[keep], prob[keep], sample_weight=sub_w, **params) \
                        if sub_w is None or sub_w.sum() > 0 else float("nan")
            assert got == pytest.approx(want, rel=1e-12, abs=1e-14), (name, params, seed)
            if len(keep):
                assert sub == pytest.approx(want_sub, rel=1e-12, abs=1e-14, nan_ok=True), (name, params, seed)


def test_equals_sklearn_sample():
    check(range(40))


@pytest.mark.slow
def test_equals_sklearn_sweep():
    check(range(40, 560))


def test_one_probability_per_example_with_two_labels():
    """scikit-learn's log_loss takes p as [1 - p, p] there; its brier_score_loss refuses."""
    truth, p = [[1, 0], [0, 1], [1, 1], [0, 0]], [0.2, 0.9, 0.6, 0.5]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = skm.log_loss(np.array(truth), np.array(p))
    s = LogLoss()
    assert s.reduce(s.stats({"y_true": truth, "y_score": p}))["log_loss"] == pytest.approx(want, rel=1e-12)
    with pytest.raises(ValueError, match="1d array"):
        skm.brier_score_loss(np.array(truth), np.array(p))
    with pytest.raises(FieldError, match="1d array") as e:
        Brier().stats({"y_true": truth, "y_score": p})
    assert e.value.field == "y_true"
    with pytest.raises(FieldError, match="different number of classes") as e:  # three labels, one probability
        LogLoss().stats({"y_true": [[1, 0, 1]], "y_score": [0.5]})


@pytest.mark.parametrize("cls", [LogLoss, Brier])
def test_sklearn_refusals_are_field_errors(cls):
    truth = [[1, 0, 1], [0, 1, 1]]
    with pytest.raises(ValueError, match="not fitted with multilabel"):
        skm.log_loss(np.array(truth), np.array([[0.5] * 3] * 2), labels=[0, 1, 2])
    with pytest.raises(FieldError, match="not fitted with multilabel") as e:
        cls(labels=[0, 1, 2]).stats({"y_true": truth, "y_score": [[0.5] * 3] * 2})
    assert e.value.field == "y_true"
    with pytest.raises(FieldError, match="different number of classes: 3 vs 2") as e:
        cls().stats({"y_true": truth, "y_score": [[0.5, 0.5]] * 2})
    assert e.value.field == "y_score"
    with pytest.raises(FieldError) as e:  # not an indicator: scikit-learn's "Multioutput target data ..."
        cls().stats({"y_true": [[1, 0, 1], [0, 2, 1]], "y_score": [[0.5] * 3] * 2})
    assert (e.value.field, e.value.row) == ("y_true", 1)
    for text in ([["1", "0", "1"], ["0", "1", "1"]], np.array([["1", "0", "1"], ["0", "1", "1"]]),
                 [[1, 0, 1], [0, "1", 1]]):  # no string indicators (scikit-learn: "Multioutput target data ...")
        with pytest.raises(ValueError):
            cls().stats({"y_true": text, "y_score": [[0.5] * 3] * 2})
    with pytest.raises(FieldError) as e:
        cls().stats({"y_true": [[1, 0, 1], [0, "1", 1]], "y_score": [[0.5] * 3] * 2})
    assert (e.value.field, e.value.row) == ("y_true", 1)
    with pytest.raises(FieldError) as e:
        cls().stats({"y_true": truth, "y_score": [[0.5] * 3, [0.5, "0.5", 0.5]]})
    assert (e.value.field, e.value.row) == ("y_score", 1)
    with pytest.raises(FieldError) as e:
        cls().stats({"y_true": truth, "y_score": [[0.5] * 3, [0.5, 1.5, 0.5]]})
    assert (e.value.field, e.value.row) == ("y_score", 1)
    with pytest.raises(FieldError) as e:
        cls().stats({"y_true": truth, "y_score": [[0.5] * 3, [0.5, float("nan"), 0.5]]})
    assert (e.value.field, e.value.row) == ("y_score", 1)
    with pytest.raises(FieldError) as e:  # ragged indicators: the scorer's validate, before scoring
        cls().validate({"y_true": [[1, 0, 1], [0, 1]], "y_score": [[0.5] * 3] * 2})
    assert (e.value.field, e.value.row) == ("y_true", 1)
    with pytest.raises(FieldError):
        cls().stats({"y_true": truth, "y_score": [[0.5] * 3] * 3})


def test_evaluate_with_intervals_and_example_scores():
    rng = np.random.default_rng(3)
    truth = (rng.random((60, 3)) < 0.4).astype(int)
    prob = np.clip(truth * 0.6 + rng.random((60, 3)) * 0.5, 0, 1)
    rows = [{"y_true": t.tolist(), "y_score": p.tolist()} for t, p in zip(truth, prob)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = rageval.evaluate(rows, ["log_loss", "brier"], progress=False)
        assert res.aggregate["log_loss"] == pytest.approx(skm.log_loss(truth, prob), rel=1e-12)
        assert res.aggregate["brier"] == pytest.approx(skm.brier_score_loss(truth, prob), rel=1e-12)
    frame = res.to_pandas()
    np.testing.assert_allclose(frame["brier"].to_numpy(float), ((truth - prob) ** 2).sum(axis=1), rtol=1e-12)
