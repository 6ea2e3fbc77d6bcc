"""Properties of the regression family (MSE) on hostile data: a FieldError naming field and row
(NaN, inf, non-numbers), or scikit-learn's mean_squared_error."""
import pytest
from sklearn import metrics
from support.properties import bounded_and_slow, check, numbers, rows_of

# magnitudes whose squares overflow are the xfail below, not a property of the sweep
_numbers = numbers.filter(lambda x: not (isinstance(x, float) and abs(x) > 1e150 and abs(x) != float("inf")))
ROWS = rows_of({"y_true": _numbers, "y_pred": _numbers}, max_rows=8)


def sklearn_reference(rows):
    return {"mse": metrics.mean_squared_error([float(r["y_true"]) for r in rows], [float(r["y_pred"]) for r in rows])}


def regression_property(rows):
    check(rows, ["mse"], sklearn_reference, rel=1e-6)  # float32 inputs: compared at float32's precision


test_regression_family, test_regression_family_slow = bounded_and_slow(ROWS)(regression_property)


@pytest.mark.xfail(strict=True, reason="mse of y_true=1e200, y_pred=-1e200 overflows to a silent inf (scikit-learn "
                   "gives inf with a RuntimeWarning); reported to the lead, regression.py is its owner's")
def test_a_huge_value_overflows_to_an_error_not_inf():
    check([{"id": "r0", "y_true": 1e200, "y_pred": -1e200}], ["mse"], sklearn_reference)
