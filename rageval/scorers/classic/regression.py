"""Regression metrics over `y_true` / `y_pred`, identical to scikit-learn."""
from __future__ import annotations

import numpy as np

from rageval.core.errors import FieldError
from rageval.core.scorer import Batch, WeightedMeanScorer


def _as_float(values: list, field: str) -> list[np.ndarray]:
    out = []
    for i, v in enumerate(values):
        try:
            out.append(np.asarray(v, dtype=np.float64).ravel())
        except (TypeError, ValueError):
            raise FieldError(field, field, i, f"expected a number or an array of numbers, got {v!r:.60}") from None
    return out


class MSE(WeightedMeanScorer):
    """Mean squared error, ``mean((y_true - y_pred)²)``; matches `sklearn.metrics.mean_squared_error`.

    Each example is one sample; an example holding arrays is one multi-output sample, and the
    result then equals scikit-learn's ``multioutput="uniform_average"`` (all examples must have
    the same number of outputs). With ``sample_weight``, the weighted mean over examples
    (scikit-learn's ``sample_weight``). Lower is better.
    """

    name = "mse"
    fields = ("y_true", "y_pred")
    higher_is_better = False
    bounds = (0.0, float("inf"))

    def score_batch(self, batch: Batch) -> list[float]:
        out = []
        for i, (t, p) in enumerate(zip(_as_float(batch["y_true"], "y_true"), _as_float(batch["y_pred"], "y_pred"))):
            if t.shape != p.shape:
                raise FieldError("y_pred", "y_pred", i, f"has {p.size} values, y_true has {t.size}")
            out.append(float(np.mean((t - p) ** 2)) if t.size else float("nan"))
        return out
