"""mse against scikit-learn on generated data, and its input checks."""
import numpy as np
import pytest
from sklearn.metrics import mean_squared_error

import rageval


def rows(t, p):
    return [{"y_true": a, "y_pred": b} for a, b in zip(t, p)]


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
    assert "has 2 outputs" in res.errors["error"][0]
