"""Zero examples, for every registered classic scorer (families classic, classification and
regression): the stats of an empty batch are zero entries; `reduce` of them gives NaN for every key
(no value to report, the way `Results` reports a scorer with no scored example); `example_scores`
of them is empty; and an empty batch's statistics concatenated with a non-empty batch's (how shards
merge) reduce and score per example exactly as the non-empty batch alone. (`rageval.evaluate`
refuses data with no rows, so a `Results` shard is never empty: the merge is checked on the
statistics, where `rageval.merge` concatenates them.)"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import rageval
from rageval.core import registry
from rageval.core.statistics import Rows

FAMILIES = ("classic", "classification", "regression")
NAMES = [n for n in rageval.list_scorers() if registry.SCORERS.find(n)[0].family in FAMILIES]
REGRESSION = [n for n in NAMES if registry.SCORERS.find(n)[0].family == "regression"]
PARAMS = {"adjusted_r2": {"n_features": 1}, "fbeta": {"beta": 2.0}}
#: scorers whose ``y_score`` is one vector of class scores per example
VECTOR_SCORES = {"top_k_accuracy"}


def empty_batches(name: str) -> dict[str, dict]:
    """Zero examples as empty lists, and as empty numpy columns of the dtypes the scorer takes."""
    regression = name in REGRESSION
    score = np.empty((0, 3)) if name in VECTOR_SCORES else np.empty(0)
    return {"lists": {"y_true": [], "y_pred": [], "y_score": []},
            "arrays": {"y_true": np.empty(0) if regression else np.array([], np.int64),
                       "y_pred": np.empty(0) if regression else np.array([], np.int64), "y_score": score}}


def some_batch(name: str, n: int = 12) -> dict:
    """A small non-empty batch the scorer takes (binary labels with probabilities; positive
    regression targets; three-class score vectors for top-k)."""
    rng = np.random.default_rng(len(name))
    if name in REGRESSION:
        t = rng.gamma(2.0, 1.0, n) + 0.1
        return {"y_true": t, "y_pred": t * rng.lognormal(0, 0.2, n), "sample_weight": rng.uniform(0.5, 2, n)}
    t = np.tile([0, 1, 2], n // 3) if name in VECTOR_SCORES else np.tile([0, 1], n // 2)
    score = rng.random((n, 3)) if name in VECTOR_SCORES else np.clip(0.3 * t + 0.7 * rng.random(n), 0.01, 0.99)
    return {"y_true": t, "y_pred": np.where(rng.random(n) < 0.7, t, 1 - t) if t.max() == 1 else t, "y_score": score}


def scorer(name: str) -> rageval.Scorer:
    return rageval.get_scorer(name, **PARAMS.get(name, {}))


def test_every_classic_scorer_is_walked():
    assert len(NAMES) >= 46 and len(REGRESSION) >= 20
    assert {"f1", "mcc", "cohen_kappa", "confusion_matrix", "top_k_accuracy", "ece", "roc_auc"} <= set(NAMES)


@pytest.mark.parametrize("kind", ["lists", "arrays"])
@pytest.mark.parametrize("name", NAMES)
def test_zero_examples_reduce_to_nan_and_score_nothing(name, kind):
    s = scorer(name)
    stats = s.make_stats(empty_batches(name)[kind])
    assert len(stats) == 0
    values = s.reduce(stats)
    assert set(values) == set(s.keys()) and all(math.isnan(v) for v in values.values()), values
    per_example = s.example_scores(stats)
    assert set(per_example) == set(s.keys()) and all(len(v) == 0 for v in per_example.values())


@pytest.mark.parametrize("name", NAMES)
def test_an_empty_part_merges_as_nothing(name):
    s = scorer(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's undefined-metric warnings on small data
        full = s.make_stats(some_batch(name))
        empty = s.make_stats(empty_batches(name)["arrays"])
        alone, alone_rows = s.reduce(full), s.example_scores(full)
        assert not math.isnan(alone[s.key])
        for parts in ([empty, full], [full, empty], [empty, full, empty]):
            merged = type(full).concat(parts)
            assert len(merged) == len(full)
            assert s.reduce(merged) == alone
            rows = s.example_scores(merged)
            for k in s.keys():
                np.testing.assert_array_equal(rows[k], alone_rows[k])


def test_invalid_rows_found_by_one_sum_and_an_overflowing_sum_is_no_error():
    assert Rows(np.array([[1e308, 1e308], [1.0, 2.0]])).invalid() == {}
    assert Rows(np.array([[1.0, 2.0], [np.inf, 0.0], [1.0, np.nan]])).invalid() == {
        1: "a non-finite statistic [inf, 0.0]", 2: "a non-finite statistic [1.0, nan]"}
    assert Rows(np.empty((0, 3))).invalid() == {}
