"""Multilabel indicator inputs (a 0/1 vector per example in y_true and y_pred) and the averages
"samples" and None (parts) against scikit-learn 1.9.1: precision, recall, f1, fbeta, jaccard,
accuracy (subset accuracy), zero_one_loss and hamming_loss on generated cases (every average and
zero_division, weights with zeros, labels= column subsets, all-zero rows), subsets, merges, and
the inputs scikit-learn refuses."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

import rageval
from rageval.core.errors import ConfigError, FieldError

PRF = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score,
       "fbeta": skm.fbeta_score, "jaccard": skm.jaccard_score}
PLAIN = {"accuracy": skm.accuracy_score, "zero_one_loss": skm.zero_one_loss, "hamming_loss": skm.hamming_loss}
ZERO = ("warn", 0, 1, math.nan)


def case(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(1, 50)), int(rng.integers(2, 6))
    density = rng.uniform(0.05, 0.8)
    t = (rng.random((n, k)) < density).astype(int)
    p = np.where(rng.random((n, k)) < 0.7, t, 1 - t) if seed % 3 else (rng.random((n, k)) < density).astype(int)
    if seed % 5 == 0:
        t[:, -1] = 0  # a label nobody has
        p[0] = 0  # an example predicting nothing
    w = [None, rng.random(n) * 3, np.where(rng.random(n) < 0.3, 0.0, rng.random(n))][seed % 3]
    if w is not None and not w.sum():
        w = None
    return t, p, w


def settings(name: str, seed: int, k: int) -> list[dict]:
    if name in PLAIN:
        return [{"normalize": False}, {}] if name != "hamming_loss" else [{}]
    out = []
    for avg in ("micro", "macro", "weighted", "samples", None):
        for zd in ZERO[:3] if name == "jaccard" else ZERO:  # jaccard_score refuses nan
            params = {"average": avg, "zero_division": zd}
            if name == "fbeta":
                params["beta"] = [0.5, 2.0, 0.0, math.inf][seed % 4]
            if avg is None or seed % 4 == 1:
                params["labels"] = list(range(k)) if seed % 2 else list(np.random.default_rng(seed).permutation(k)[:max(
                    1, k - 1)].tolist())
            out.append(params)
    return out


def reference(name: str, t, p, w, params: dict) -> float | np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return (PRF.get(name) or PLAIN[name])(t, p, sample_weight=w, **params)


def ours(name: str, t, p, w, params: dict, take: np.ndarray | None = None) -> float | np.ndarray:
    s = rageval.get_scorer(name, **params)
    batch = {"y_true": t.tolist(), "y_pred": p} if take is None else {"y_true": t, "y_pred": p.tolist()}
    if w is not None:
        batch["sample_weight"] = w
    stats = s.stats(batch)
    out = s.reduce(stats if take is None else stats.take(take))
    return np.array([out[f"{name}.{x}"] for x in s.parts]) if params.get("average", "") is None else out[name]


def run(seeds: range) -> None:
    for name in list(PRF) + list(PLAIN):
        for seed in seeds:
            t, p, w = case(seed)
            for params in settings(name, seed, t.shape[1]):
                want = reference(name, t, p, w, params)
                np.testing.assert_allclose(ours(name, t, p, w, params), want, rtol=1e-12, atol=1e-13,
                                           err_msg=f"{name} {params} seed {seed}")


def test_equals_sklearn_sample():
    run(range(14))


@pytest.mark.slow
def test_equals_sklearn_sweep():
    run(range(14, 514))


def test_subsets_and_resamples_reduce_to_sklearn_on_them():
    t, p, w = case(4)
    rng = np.random.default_rng(0)
    for name in ("f1", "jaccard", "hamming_loss", "accuracy"):
        params = {} if name in PLAIN else {"average": "samples"}
        for _ in range(5):
            idx = rng.choice(len(t), size=max(1, len(t) // 2), replace=True)
            want = reference(name, t[idx], p[idx], None if w is None else w[idx], params)
            assert ours(name, t, p, w, params, take=idx) == pytest.approx(want, rel=1e-12, abs=1e-13)


def test_reduce_counts_equal_the_summed_rows():
    """reduce counts each label's cells directly (`functional.multilabel_sums`); resampling sums
    the per-example rows: the same counts (exactly without weights, to 1e-12 with)."""
    from rageval.core.scorer import column_sums
    from rageval.scorers.classic import functional as F
    from rageval.scorers.classic.classification import indicators

    for seed in range(12):
        t, p, w = case(seed)
        for labels in (None, list(range(t.shape[1]))[::-1][:max(1, t.shape[1] - 1)]):
            s = rageval.get_scorer("f1", average="macro", **({} if labels is None else {"labels": labels}))
            stats = s.stats({"y_true": t, "y_pred": p} | ({} if w is None else {"sample_weight": w}))
            multi = indicators(stats)
            columns = s._columns(stats, multi)
            direct = F.multilabel_sums(multi[0], multi[1][:, columns], multi[2][:, columns])[0]
            summed = column_sums(s.sum_rows(stats, limit=False))
            if w is None:
                np.testing.assert_array_equal(direct, summed)
            np.testing.assert_allclose(direct, summed, rtol=1e-12, atol=1e-13, err_msg=f"seed {seed}")


def test_evaluate_merge_and_parts():
    t, p, w = case(7)
    rows = [{"id": str(i), "y_true": a.tolist(), "y_pred": b.tolist(), "sample_weight": float(c)}
            for i, (a, b, c) in enumerate(zip(t, p, w))]
    specs = [("f1", {"average": "samples"}), ("precision", {"average": None, "labels": [0, 1]}), "hamming_loss"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = rageval.evaluate(rows, specs, progress=False)
        merged = rageval.merge([rageval.evaluate(rows[:3], specs, progress=False),
                                rageval.evaluate(rows[3:], specs, progress=False)])
    assert one.aggregate == pytest.approx(merged.aggregate, rel=1e-13)
    parts = reference("precision", t, p, w, {"average": None, "labels": [0, 1]})
    assert [one.aggregate["precision.0"], one.aggregate["precision.1"]] == pytest.approx(parts, rel=1e-12)
    assert one.aggregate["precision"] == pytest.approx(np.mean(parts), rel=1e-12)


def test_what_sklearn_refuses():
    t, p = [[0, 1], [1, 1]], [[0, 1], [1, 0]]
    with pytest.raises(ValueError, match="average='binary'"):
        skm.f1_score(t, p)
    with pytest.raises(ConfigError, match="average='binary'"):
        rageval.evaluate([{"y_true": a, "y_pred": b} for a, b in zip(t, p)], ["f1"], progress=False)
    for name in ("mcc", "cohen_kappa", "balanced_accuracy", "confusion_matrix"):
        with pytest.raises(ConfigError, match="multilabel"):
            rageval.evaluate([{"y_true": a, "y_pred": b} for a, b in zip(t, p)], [name], progress=False)
    with pytest.raises(ConfigError, match="Samplewise"):
        rageval.evaluate([{"y_true": 0, "y_pred": 1}], [("f1", {"average": "samples"})], progress=False)
    with pytest.raises(ConfigError, match="labels="):
        rageval.get_scorer("f1", average=None)
    with pytest.raises(ValueError):
        skm.jaccard_score([0, 1], [0, 1], zero_division=math.nan)
    with pytest.raises(ConfigError, match="zero_division"):
        rageval.get_scorer("jaccard", zero_division=math.nan)
    with pytest.raises(FieldError, match="column indices"):
        rageval.get_scorer("f1", average="macro", labels=[0, 5]).stats({"y_true": t, "y_pred": p})


def test_indicators_of_other_lengths_across_rows_are_refused():
    rows = [{"y_true": [0, 1], "y_pred": [0, 1]}, {"y_true": [0, 1, 1], "y_pred": [0, 1, 0]}]
    with pytest.raises(FieldError) as e:
        rageval.evaluate(rows, [("f1", {"average": "macro"})], progress=False)
    assert e.value.field == "y_true" and e.value.row == 1


@pytest.mark.parametrize("batch,field,row", [
    ({"y_true": [[0, 1], [1, 2]], "y_pred": [[0, 1], [1, 0]]}, "y_true", 1),
    ({"y_true": [[0, 1], [1, 0]], "y_pred": [[0, 1], [1, 0, 1]]}, "y_pred", 1),
    ({"y_true": [[0, 1], [1, 0]], "y_pred": [[0, 1, 0], [1, 0, 1]]}, "y_pred", None),
    ({"y_true": [[0, 1], [1, 0]], "y_pred": [1, 0]}, "y_pred", 0),
    ({"y_true": [[0, 1], [math.nan, 0]], "y_pred": [[0, 1], [1, 0]]}, "y_true", 1),
])
def test_bad_indicators_name_field_and_row(batch, field, row):
    with pytest.raises(FieldError) as e:
        rageval.get_scorer("f1", average="macro").stats(batch)
    assert e.value.field == field and e.value.row == row
