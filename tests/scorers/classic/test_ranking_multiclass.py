"""roc_auc and average_precision on multiclass score vectors (ovr / ovo, every average, labels=),
multilabel indicators (every average, samples included) and binary max_fpr, against scikit-learn
1.9.1 on generated cases: the whole data, subsets, bootstrap resamples, and bad input."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

import rageval
from rageval.core.errors import ConfigError, FieldError
from rageval.scorers.classic.ranking_average import UndefinedMetricWarning
from rageval.scorers.classic.ranking_metrics import AveragePrecision, RocAuc
from rageval.stats.resampling import Replicator, bootstrap_indices

SK = {"roc_auc": skm.roc_auc_score, "average_precision": skm.average_precision_score}
CLS = {"roc_auc": RocAuc, "average_precision": AveragePrecision}

#: (scorer, params) settings; labels=True: the class list is given
MULTICLASS = [("roc_auc", {"multi_class": "ovr", "average": a}) for a in ("macro", "weighted", "micro", None)] + \
    [("roc_auc", {"multi_class": "ovo", "average": a}) for a in ("macro", "weighted")] + \
    [("average_precision", {"average": a}) for a in ("macro", "weighted", "micro")]
MULTILABEL = [(name, {"average": a}) for name in SK for a in ("macro", "weighted", "micro", "samples")]
BINARY_MAX_FPR = [("roc_auc", {"max_fpr": f}) for f in (0.05, 0.3, 0.5, 0.99, 1.0)]


def multiclass_case(seed: int, weighted: bool) -> tuple[dict, int, list]:
    """Class probabilities (continuous or tied), labels 0..C-1 (every class present) or strings."""
    rng = np.random.default_rng(seed)
    n, c = int(rng.integers(6, 80)), int(rng.integers(3, 6))
    y = rng.integers(0, c, n)
    y[rng.permutation(n)[:c]] = np.arange(c)
    raw = rng.random((n, c)) if seed % 3 else rng.integers(0, 3, (n, c)) + 0.01
    p = raw / raw.sum(axis=1, keepdims=True)
    names = [f"k{i}" for i in range(c)] if seed % 4 == 1 else list(range(c))
    batch = {"y_true": [names[i] for i in y] if seed % 4 == 1 else y, "y_score": p.tolist() if seed % 2 else p}
    if weighted:
        batch["sample_weight"] = np.where(rng.random(n) < 0.1, 0.0, rng.random(n) * 3)
    return batch, c, names


def multilabel_case(seed: int, weighted: bool) -> dict:
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(4, 60)), int(rng.integers(2, 6))
    truth = (rng.random((n, k)) < rng.uniform(0.2, 0.7)).astype(int)
    truth[0], truth[1] = 1, 0  # every row of scikit-learn's samples average needs both classes; most have
    score = np.round(rng.random((n, k)), 1 if seed % 2 else 6)
    batch = {"y_true": truth.tolist() if seed % 3 else truth, "y_score": score}
    if weighted:
        batch["sample_weight"] = rng.random(n) * 2
    return batch


def binary_case(seed: int, weighted: bool) -> dict:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 200))
    y = rng.integers(0, 2, n)
    y[0], y[1] = 0, 1
    s = np.round(rng.random(n) + 0.4 * y, 1 if seed % 2 else 8)
    return {"y_true": y, "y_score": s, **({"sample_weight": rng.random(n) * 2} if weighted else {})}


def reference(name: str, batch: dict, params: dict) -> float | np.ndarray:
    y = batch["y_true"]
    y = np.asarray(y) if not isinstance(y, list) or not isinstance(y[0], list) else np.asarray(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SK[name](y, np.asarray(batch["y_score"]), sample_weight=batch.get("sample_weight"), **params)


def ours(name: str, batch: dict, params: dict) -> float | np.ndarray:
    scorer = CLS[name](**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = scorer.reduce(scorer.stats(batch))
    if params.get("average", "macro") is None:
        return np.array([out[f"{name}.{p}"] for p in scorer.parts])
    return out[name]


def run_multiclass(seeds: range) -> None:
    for name, params in MULTICLASS:
        for seed in seeds:
            weighted = seed % 3 == 2 and params.get("multi_class") != "ovo"
            batch, c, names = multiclass_case(seed, weighted)
            given = dict(params)
            if params.get("average", "macro") is None or seed % 4 == 1:
                given["labels"] = names
            want = reference(name, batch, {k: v for k, v in given.items() if not (name != "roc_auc" and k == "labels")})
            np.testing.assert_allclose(ours(name, batch, given), want, rtol=1e-12, atol=1e-12,
                                       err_msg=f"{name} {given} seed {seed}")


def run_multilabel(seeds: range) -> None:
    for name, params in MULTILABEL:
        for seed in seeds:
            batch = multilabel_case(seed, seed % 2 == 1)
            np.testing.assert_allclose(ours(name, batch, params), reference(name, batch, params), rtol=1e-12,
                                       atol=1e-12, err_msg=f"{name} {params} seed {seed}")


def run_max_fpr(seeds: range) -> None:
    for name, params in BINARY_MAX_FPR:
        for seed in seeds:
            batch = binary_case(seed, seed % 2 == 1)
            np.testing.assert_allclose(ours(name, batch, params), reference(name, batch, params), rtol=1e-12,
                                       atol=1e-12, err_msg=f"{name} {params} seed {seed}")


def test_multiclass_equals_sklearn_sample():
    run_multiclass(range(40))


def test_multilabel_equals_sklearn_sample():
    run_multilabel(range(40))


def test_max_fpr_equals_sklearn_sample():
    run_max_fpr(range(40))


@pytest.mark.slow
def test_sweeps_500_cases_per_setting():
    run_multiclass(range(40, 540))
    run_multilabel(range(40, 540))
    run_max_fpr(range(40, 540))


def test_labels_with_absent_classes_and_subsets():
    """labels= lets a subset miss classes (ovr: NaN for that column, with scikit-learn's warning;
    ovo: the pairs present); without labels a subset missing a class is NaN with a warning where
    scikit-learn raises."""
    batch, c, names = multiclass_case(3, False)
    y = np.asarray(batch["y_true"])
    keep = np.flatnonzero(y != 0)
    sub = {"y_true": y[keep], "y_score": np.asarray(batch["y_score"])[keep]}
    for mc in ("ovr", "ovo"):
        s = RocAuc(multi_class=mc, labels=names)
        stats = s.stats(batch)
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            want = skm.roc_auc_score(sub["y_true"], sub["y_score"], multi_class=mc, labels=names)
            got = s.reduce(stats.take(keep))["roc_auc"]
        assert (math.isnan(want) and math.isnan(got)) or got == pytest.approx(want, rel=1e-12)
        bare = RocAuc(multi_class=mc)
        with pytest.warns(UndefinedMetricWarning):
            assert math.isnan(bare.reduce(bare.stats(batch).take(keep))["roc_auc"])
        with pytest.raises(ValueError):
            skm.roc_auc_score(sub["y_true"], sub["y_score"], multi_class=mc)


DRAWN = [("roc_auc", {"multi_class": "ovr"}), ("roc_auc", {"multi_class": "ovo"}),
         ("roc_auc", {"multi_class": "ovr", "average": "micro"}), ("roc_auc", {"multi_class": "ovr", "average": "weighted"}),
         ("roc_auc", {"multi_class": "ovr", "average": None, "labels": [0, 1, 2, 3]}),
         ("average_precision", {}), ("average_precision", {"average": "weighted"}),
         ("average_precision", {"average": "micro", "labels": [0, 1, 2, 3]})] + \
    [(name, {"average": a, "multilabel": True}) for name in ("roc_auc", "average_precision")
     for a in ("samples", "micro", "macro", "weighted")] + [("roc_auc", {"max_fpr": 0.4, "multilabel": True})]


@pytest.mark.parametrize("name,params", DRAWN)
def test_bootstrap_of_vector_inputs_equals_sklearn_on_the_same_draws(name, params):
    """Vector rows sorted once and scored from each resample's draws equal scikit-learn on the
    resampled rows (the same draws), and the generic reduce of each resample."""
    params = dict(params)
    multilabel = params.pop("multilabel", False)
    if multilabel:
        batch = multilabel_case(7, True)
    else:
        rng = np.random.default_rng(8)
        raw = rng.integers(1, 6, (60, 4)).astype(float)  # ties
        batch = {"y_true": rng.integers(0, 4, 60), "y_score": raw / raw.sum(axis=1, keepdims=True)}
        if params.get("multi_class") != "ovo":
            batch["sample_weight"] = np.where(rng.random(60) < 0.1, 0.0, rng.random(60) * 2)
    scorer = CLS[name](**params)
    stats = scorer.stats(batch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        drawn = Replicator(scorer, stats).bootstrap(12)
    idx = next(bootstrap_indices(len(stats), 12))
    y, s = np.asarray(batch["y_true"]), np.asarray(batch["y_score"])
    w = batch.get("sample_weight")
    for r, i in enumerate(idx):
        sub = {"y_true": y[i], "y_score": s[i], **({} if w is None else {"sample_weight": np.asarray(w)[i]})}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            generic = scorer.reduce(stats.take(i))
        try:
            want = reference(name, sub, {k: v for k, v in params.items() if not (k == "labels" and name != "roc_auc")})
        except ValueError:  # a resample that misses a class: scikit-learn raises, we give NaN
            want = math.nan
        if params.get("average", "macro") is None:
            got = np.array([drawn[f"{name}.{p}"][r] for p in scorer.parts])
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
            assert drawn[name][r] == pytest.approx(generic[name], rel=1e-12, nan_ok=True)
            continue
        got = drawn[name][r]
        assert (math.isnan(want) and math.isnan(got)) or got == pytest.approx(want, rel=1e-12, abs=1e-12), (r, got, want)
        assert got == pytest.approx(generic[name], rel=1e-12, abs=1e-12, nan_ok=True)


def test_evaluate_and_merge_multiclass():
    batch, c, names = multiclass_case(11, True)
    rows = [{"id": str(i), "y_true": int(t), "y_score": list(p), "sample_weight": float(w)}
            for i, (t, p, w) in enumerate(zip(batch["y_true"], batch["y_score"], batch["sample_weight"]))]
    spec = [("roc_auc", {"multi_class": "ovr", "average": "weighted"})]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = rageval.evaluate(rows, spec, progress=False)
        merged = rageval.merge([rageval.evaluate(rows[:5], spec, progress=False),
                                rageval.evaluate(rows[5:], spec, progress=False)])
    want = reference("roc_auc", batch, {"multi_class": "ovr", "average": "weighted"})
    assert one.aggregate["roc_auc"] == merged.aggregate["roc_auc"] == pytest.approx(want, rel=1e-12)


def test_settings_scikit_learn_refuses():
    batch, c, names = multiclass_case(5, True)
    for params, match in [({}, "multi_class must be in"), ({"multi_class": "ovr", "max_fpr": 0.5}, "Partial AUC"),
                          ({"multi_class": "ovo", "average": "micro"}, "average must be one of"),
                          ({"multi_class": "ovo"}, "sample_weight is not supported"),
                          ({"multi_class": "ovr", "average": "samples"}, "multilabel")]:
        with pytest.raises(ConfigError, match=match):
            RocAuc(**params).validate(batch)
    with pytest.raises(ConfigError, match="pos_label is fixed to 1"):
        AveragePrecision(pos_label=0).validate(multilabel_case(1, False))
    with pytest.raises(ConfigError, match="labels="):
        RocAuc(average=None)
    with pytest.raises(ConfigError, match="ordered"):
        RocAuc(multi_class="ovr", labels=[2, 0, 1])
    with pytest.raises(ConfigError):
        RocAuc(max_fpr=0.0)


@pytest.mark.parametrize("batch,field,row", [
    ({"y_true": [0, 1, 2], "y_score": [[0.2, 0.3, 0.5], [0.1, 0.1, 0.1], [0.3, 0.3, 0.4]]}, "y_score", 1),
    ({"y_true": [0, 1, 2], "y_score": [[0.2, 0.3, 0.5], [0.5, 0.5], [0.3, 0.3, 0.4]]}, "y_score", 1),
    ({"y_true": [0, 1, 2], "y_score": [[0.2, 0.3, 0.5], [0.5, math.nan, 0.5], [0.3, 0.3, 0.4]]}, "y_score", 1),
    ({"y_true": [0, 3, 2], "y_score": [[0.2, 0.3, 0.5], [0.5, 0.0, 0.5], [0.3, 0.3, 0.4]]}, "y_true", 1),
    ({"y_true": [0, "b", 2], "y_score": [[0.2, 0.3, 0.5], [0.5, 0.0, 0.5], [0.3, 0.3, 0.4]]}, "y_true", 1),
    ({"y_true": [[0, 1], [1, 2]], "y_score": [[0.2, 0.3], [0.5, 0.0]]}, "y_true", 1),
    ({"y_true": [[0, 1], [1, 0]], "y_score": [[0.2, 0.3], [0.5, "x"]]}, "y_score", 1),
])
def test_bad_vectors_name_field_and_row(batch, field, row):
    with pytest.raises(FieldError) as e:
        RocAuc(multi_class="ovr").stats(batch)
    assert e.value.field == field and e.value.row == row
