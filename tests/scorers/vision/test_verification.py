"""tar_at_far against sklearn's roc_curve read as insightface's IJB evaluation does, and
verification_accuracy against insightface's calculate_roc (copied here; KFold from scikit-learn)."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_curve
from sklearn.model_selection import KFold

import rageval
from rageval.core.errors import ConfigError, FieldError


def pairs(rng, n, ties=False):
    labels = rng.integers(0, 2, n)
    scores = np.clip(rng.normal(0.2 + 0.4 * labels, 0.25), -1, 1)
    if ties:
        scores = np.round(scores, 1)
    return labels, scores


def insightface_accuracy(dist, actual_issame, nrof_folds=10, thresholds=None):
    """insightface recognition/eval/verification.py calculate_roc (no PCA), accuracy part."""
    thresholds = np.arange(0, 4, 0.01) if thresholds is None else thresholds
    k_fold = KFold(n_splits=nrof_folds, shuffle=False)
    accuracy = np.zeros(nrof_folds)
    indices = np.arange(len(actual_issame))

    def calculate_accuracy(threshold, dist, actual_issame):
        predict_issame = np.less(dist, threshold)
        tp = np.sum(np.logical_and(predict_issame, actual_issame))
        tn = np.sum(np.logical_and(np.logical_not(predict_issame), np.logical_not(actual_issame)))
        return float(tp + tn) / dist.size

    for fold_idx, (train_set, test_set) in enumerate(k_fold.split(indices)):
        acc_train = np.array([calculate_accuracy(t, dist[train_set], actual_issame[train_set]) for t in thresholds])
        best = np.argmax(acc_train)
        accuracy[fold_idx] = calculate_accuracy(thresholds[best], dist[test_set], actual_issame[test_set])
    return np.mean(accuracy)


def run(name, labels, scores, **params):
    scorer = rageval.get_scorer(name, **params)
    stats = scorer.make_stats({"y_true": list(labels), "y_score": list(scores)})
    return scorer, stats, scorer.reduce(stats)[name]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("far", [1e-3, 0.01, 0.1, 0.5])
def test_tar_at_far_matches_sklearn_roc(seed, far):
    labels, scores = pairs(np.random.default_rng(seed), 300, ties=seed % 2 == 1)
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    want = tpr[int(np.argmin(np.abs(fpr - far)))]
    assert run("tar_at_far", labels, scores, far=far)[2] == pytest.approx(want, abs=1e-15)


@pytest.mark.parametrize("seed", range(6))
def test_verification_accuracy_matches_insightface(seed):
    labels, scores = pairs(np.random.default_rng(10 + seed), 203 + seed * 37, ties=seed % 2 == 1)
    for folds, thresholds in ((10, None), (5, np.arange(0, 4, 0.05))):
        # rageval deals folds round-robin over the pairs sorted by (score, label): insightface's
        # contiguous folds over the pairs put in that fold order are the same folds
        rank = np.empty(len(labels), int)
        rank[np.lexsort((labels, scores))] = np.arange(len(labels))
        order = np.argsort(rank % folds, kind="stable")
        want = insightface_accuracy(2 - 2 * scores[order], labels[order].astype(bool), folds, thresholds)
        params = {"nrof_folds": folds} if thresholds is None else {"nrof_folds": folds, "thresholds": thresholds}
        _, _, got = run("verification_accuracy", labels, scores, **params)
        assert got == pytest.approx(want, abs=1e-15)
        assert run("verification_accuracy", labels[::-1], scores[::-1], **params)[2] == got  # order-free


def test_bad_input():
    for batch, field, row in [({"y_true": [1, 2], "y_score": [0.1, 0.2]}, "y_true", 1),
                              ({"y_true": [1, 0], "y_score": [0.1, float("nan")]}, "y_score", 1),
                              ({"y_true": [1, 0], "y_score": [0.1, "x"]}, "y_score", 1)]:
        with pytest.raises(FieldError) as e:
            rageval.get_scorer("tar_at_far").stats(batch)
        assert (e.value.field, e.value.row) == (field, row)
    with pytest.raises(ConfigError):
        rageval.get_scorer("tar_at_far", far=2)
    with pytest.raises(ConfigError):
        rageval.get_scorer("verification_accuracy", nrof_folds=1)
