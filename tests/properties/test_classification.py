"""Properties of the classification family (accuracy, precision, recall, F1, F-beta) on hostile
data: a FieldError naming field and row, or scikit-learn's value on the same labels."""
import numpy as np
from hypothesis import strategies as st
from sklearn import metrics
from support.properties import bounded_and_slow, check, labels, rows_of

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
