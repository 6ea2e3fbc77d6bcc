"""Properties of the classification family (accuracy, precision, recall, F1, F-beta) on hostile
data: a FieldError naming field and row, or scikit-learn's value on the same labels."""
import numpy as np
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


def test_one_class_warns_as_sklearn_and_still_reduces():
    """One class in y_true: roc_auc is NaN with scikit-learn's UndefinedMetricWarning (said, not
    silent), average_precision equals scikit-learn's 0.0 (with its warning); shards and resamples
    of such data still reduce."""
    import warnings

    from sklearn.exceptions import UndefinedMetricWarning as SklearnUndefined

    import rageval
    from rageval.scorers.classic.ranking_average import UndefinedMetricWarning

    rows = [{"id": "r0", "y_true": 0, "y_score": 0.2}, {"id": "r1", "y_true": 0, "y_score": 0.7}]
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        res = rageval.evaluate(rows, ["roc_auc", "average_precision"], progress=False)
        merged = rageval.merge([rageval.evaluate(rows[:1], ["roc_auc", "average_precision"], progress=False),
                                rageval.evaluate(rows[1:], ["roc_auc", "average_precision"], progress=False)])
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        ref_auc = metrics.roc_auc_score([0, 0], [0.2, 0.7])
        ref_ap = metrics.average_precision_score([0, 0], [0.2, 0.7])
    assert any(issubclass(w.category, SklearnUndefined) for w in theirs) and np.isnan(ref_auc)
    assert any(issubclass(w.category, UndefinedMetricWarning) and "Only one class" in str(w.message) for w in ours)
    assert any("No positive class" in str(w.message) for w in ours)
    assert np.isnan(res.aggregate["roc_auc"]) and np.isnan(merged.aggregate["roc_auc"])
    assert res.aggregate["average_precision"] == merged.aggregate["average_precision"] == ref_ap == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        intervals = res.confidence_intervals(n=50)
    ap = intervals["average_precision"]  # every resample reduces, to scikit-learn's 0.0
    assert ap.low == ap.high == ap.value == 0.0


#: a multilabel indicator entry as Python, numpy and pandas-friendly types; at times not 0/1
indicator = st.one_of(st.integers(0, 1), st.integers(0, 1).map(np.int64), st.booleans(), st.sampled_from(
    [1.0, np.float32(0.0), np.bool_(True), np.int8(1)]), st.sampled_from([2, -1, 0.5, "a"]).filter(lambda _: True))
INDICATORS = rows_of({"y_true": st.lists(indicator, min_size=3, max_size=3),
                      "y_pred": st.lists(indicator, min_size=3, max_size=3)}, max_rows=6)
MULTILABEL = ["accuracy", "hamming_loss", ("f1", {"average": "macro", "zero_division": 0}),
              ("jaccard", {"average": "samples", "zero_division": 1}), ("recall", {"average": "micro"})]


def multilabel_reference(rows):
    t = np.array([[float(x) for x in r["y_true"]] for r in rows])
    p = np.array([[float(x) for x in r["y_pred"]] for r in rows])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"accuracy": metrics.accuracy_score(t, p), "hamming_loss": metrics.hamming_loss(t, p),
                "f1": metrics.f1_score(t, p, average="macro", zero_division=0),
                "jaccard": metrics.jaccard_score(t, p, average="samples", zero_division=1),
                "recall": metrics.recall_score(t, p, average="micro", zero_division=0)}


def multilabel_property(rows):
    check(rows, MULTILABEL, multilabel_reference, rel=1e-12)


test_multilabel, test_multilabel_slow = bounded_and_slow(INDICATORS)(multilabel_property)


VECTORS = rows_of({"y_true": labels, "y_score": st.lists(numbers, min_size=3, max_size=3)}, max_rows=6)
LOSSES = [("log_loss", {"labels": [0, 1, 2]}), ("brier", {"labels": [0, 1, 2]}), ("hinge_loss", {"labels": [0, 1, 2]})]


def loss_reference(rows):
    y = np.array([float(r["y_true"]) for r in rows])
    s = np.array([[float(x) for x in r["y_score"]] for r in rows])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"log_loss": metrics.log_loss(y, s, labels=[0, 1, 2]),
                "brier": metrics.brier_score_loss(y, s, labels=[0, 1, 2]),
                "hinge_loss": metrics.hinge_loss(y, s, labels=[0, 1, 2])}


def loss_property(rows):
    check(rows, LOSSES, loss_reference, rel=1e-12)


test_multiclass_losses, test_multiclass_losses_slow = bounded_and_slow(VECTORS)(loss_property)
