"""zero_division="warn": precision, recall, f1, fbeta and jaccard warn (UndefinedMetricWarning)
exactly where scikit-learn 1.9.1 warns, on generated single-label and multilabel cases with every
average; other zero_division values never warn."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning as SklearnWarning

import rageval
from rageval.scorers.classic.functional import UndefinedMetricWarning

SK = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score, "fbeta": skm.fbeta_score,
      "jaccard": skm.jaccard_score}


def sklearn_warns(name, t, p, params) -> bool | None:
    """Whether scikit-learn warns UndefinedMetricWarning (None: it raises)."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            SK[name](t, p, **params)
        except ValueError:
            return None
    return any(issubclass(w.category, SklearnWarning) for w in seen)


def ours_warns(name, t, p, params) -> bool:
    s = rageval.get_scorer(name, **params)
    stats = s.stats({"y_true": t, "y_pred": p})
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        s.reduce(stats)
    return any(issubclass(w.category, UndefinedMetricWarning) for w in seen)


def cases(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 12))
    if seed % 2:
        k = int(rng.integers(2, 4))
        t, p = (rng.random((n, k)) < 0.3).astype(int), (rng.random((n, k)) < 0.3).astype(int)
        averages = ("micro", "macro", "weighted", "samples", None)
    else:
        t, p = rng.integers(0, 3 if seed % 4 else 2, n), rng.integers(0, 3 if seed % 4 else 2, n)
        averages = ("binary", "micro", "macro", "weighted", None)
    return t, p, averages


@pytest.mark.parametrize("name", list(SK))
def test_warns_where_sklearn_warns(name):
    warned = 0
    for seed in range(70):
        t, p, averages = cases(seed)
        for avg in averages:
            params = {"average": avg, "zero_division": "warn"}
            if avg is None or seed % 5 == 0:
                params["labels"] = [0, 1] if t.ndim == 1 else [0, 1]
            if name == "fbeta":
                params["beta"] = [0.5, 2.0, 0.0, math.inf][seed % 4]
            want = sklearn_warns(name, t, p, params)
            if want is None:
                continue
            assert ours_warns(name, t, p, params) == want, (name, params, seed, t.tolist(), p.tolist())
            warned += want
            if want:
                params["zero_division"] = 0
                assert not ours_warns(name, t, p, params)
    assert warned > 10  # the sweep reaches the warning
