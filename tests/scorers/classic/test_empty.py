"""Zero examples: a classic scorer's own stats + reduce give NaN for every key (no value to
report), the way `Results` reports a scorer with no scored example. Classification scorers built on
label counts (f1, mcc, ...) still raise on zero examples: not yet covered here (issue note)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import rageval
from rageval.core import registry
from rageval.core.statistics import Rows

PARAMS = {"adjusted_r2": {"n_features": 1}}
REGRESSION = [n for n in rageval.list_scorers() if registry.SCORERS.find(n)[0].family == "regression"]


@pytest.mark.parametrize("name", [*REGRESSION, "log_loss", "brier", "hinge_loss", "accuracy", "roc_auc",
                                  "average_precision", "ece", "zero_one_loss"])
def test_zero_examples_reduce_to_nan(name):
    assert len(REGRESSION) >= 20
    s = rageval.get_scorer(name, **PARAMS.get(name, {}))
    values = s.reduce(s.stats({"y_true": np.array([], dtype=np.int64), "y_pred": np.empty(0),
                               "y_score": np.empty(0)}))
    assert set(values) == set(s.keys()) and all(math.isnan(v) for v in values.values())


def test_invalid_rows_found_by_one_sum_and_an_overflowing_sum_is_no_error():
    assert Rows(np.array([[1e308, 1e308], [1.0, 2.0]])).invalid() == {}
    assert Rows(np.array([[1.0, 2.0], [np.inf, 0.0], [1.0, np.nan]])).invalid() == {
        1: "a non-finite statistic [inf, 0.0]", 2: "a non-finite statistic [1.0, nan]"}
    assert Rows(np.empty((0, 3))).invalid() == {}
