"""Properties of the regression family (MSE) on hostile data: a FieldError naming field and row
(NaN, inf, non-numbers, a squared error that overflows float64), or scikit-learn's
mean_squared_error."""
from sklearn import metrics
from support.properties import bounded_and_slow, check, numbers, rows_of

ROWS = rows_of({"y_true": numbers, "y_pred": numbers}, max_rows=8)


def sklearn_reference(rows):
    return {"mse": metrics.mean_squared_error([float(r["y_true"]) for r in rows], [float(r["y_pred"]) for r in rows])}


def regression_property(rows):
    check(rows, ["mse"], sklearn_reference, rel=1e-6)  # float32 inputs: compared at float32's precision


test_regression_family, test_regression_family_slow = bounded_and_slow(ROWS)(regression_property)


def test_a_huge_value_overflows_to_an_error_not_inf():
    """(1e200 - -1e200)² overflows float64 (scikit-learn returns inf with a RuntimeWarning): the
    example is an error naming y_pred and its row, the others are scored."""
    rows = [{"id": "r0", "y_true": 1.0, "y_pred": 2.0}, {"id": "r1", "y_true": 1e200, "y_pred": -1e200}]
    res = check(rows, ["mse"], sklearn_reference)
    assert res.aggregate["mse"] == 1.0 and res.aggregate.counts["mse"] == (1, 2)
    assert "'y_pred'" in res.errors["error"][0] and "row 1" in res.errors["error"][0]
    assert "overflows" in res.errors["error"][0]
