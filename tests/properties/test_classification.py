"""Properties of the classification family (accuracy, precision, recall, F1, F-beta) on hostile
data: a FieldError naming field and row, or scikit-learn's value on the same labels."""
import numpy as np
import pytest
from hypothesis import assume
from hypothesis import strategies as st
from sklearn import metrics
from support.properties import bounded_and_slow, check, labels, numbers, rows_of

#: binary labels as Python, numpy and pandas-friendly scalar types; at times a third class or a string
binary = st.one_of(st.integers(0, 1), st.integers(0, 1).map(np.int64), st.integers(0, 1).map(np.int8),
                   st.sampled_from([True, False, np.bool_(True), 1.0, np.float32(0.0)]), labels)
ROWS = rows_of({"y_true": binary, "y_pred": binary}, max_rows=8)


def sklearn_reference(rows):
    y_true, y_pred = [r["y_true"] for r in rows], [r["y_pred"] for r in rows]
    return {"accuracy": metrics.accuracy_score(y_true, y_pred),
            "precision": metrics.precision_score(y_true, y_pred, zero_division=0.0),
            "recall": metrics.recall_score(y_true, y_pred, zero_division=0.0),
            "f1": metrics.f1_score(y_true, y_pred, zero_division=0.0)}


def classification_property(rows):
    check(rows, ["accuracy", "precision", "recall", "f1"], sklearn_reference, rel=1e-12)


test_classification_family, test_classification_family_slow = bounded_and_slow(ROWS)(classification_property)


SCORED = rows_of({"y_true": binary, "y_score": numbers}, max_rows=8)


def ranking_reference(rows):
    y_true, y_score = [r["y_true"] for r in rows], [float(r["y_score"]) for r in rows]
    return {"roc_auc": metrics.roc_auc_score(y_true, y_score),
            "average_precision": metrics.average_precision_score(y_true, y_score)}


def ranking_property(rows):
    labels_seen = {r.get("y_true") for r in rows if isinstance(r.get("y_true"), (int, float, np.number))}
    assume(len(labels_seen) != 1)  # one class only: the xfail below
    check(rows, ["roc_auc", "average_precision"], ranking_reference, rel=1e-12)


test_ranking_metrics, test_ranking_metrics_slow = bounded_and_slow(SCORED)(ranking_property)


@pytest.mark.xfail(strict=True, reason="one class in y_true: roc_auc is a silent NaN (scikit-learn: NaN with an "
                   "UndefinedMetricWarning) and average_precision a silent NaN where scikit-learn gives 0.0; "
                   "reported to the lead (ranking_metrics.py is its owner's)")
def test_one_class_is_said_not_a_silent_nan():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check([{"id": "r0", "y_true": 0, "y_score": 0.2}, {"id": "r1", "y_true": 0, "y_score": 0.7}],
              ["roc_auc", "average_precision"])
