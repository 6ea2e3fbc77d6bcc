"""Face verification over pairs: ``y_true`` (1 same identity, 0 different) and ``y_score`` (the
pair's similarity, higher = more alike): ``tar_at_far`` and ``verification_accuracy``.

Statistics are the pairs themselves (label, score), so any subset reduces exactly; the metrics
are functions of the whole set of pairs (no per-pair value: per-example scores are NaN).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, Scorer
from rageval.core.statistics import Rows, Statistics


class _PairScorer(Scorer):
    fields = ("y_true", "y_score")
    bounds = (0.0, 1.0)

    def stats(self, batch: Batch) -> Rows:
        labels, scores = list(batch["y_true"]), list(batch["y_score"])
        if len(labels) != len(scores):
            raise FieldError("y_score", "y_score", None, f"has {len(scores)} values, y_true has {len(labels)}")
        rows = []
        for i, (label, score) in enumerate(zip(labels, scores)):
            if isinstance(label, bool) or label in (0, 1):
                label = float(label)
            else:
                raise FieldError("y_true", "y_true", i, f"expected 1 (same) or 0 (different), got {label!r:.40}")
            if isinstance(score, bool) or not isinstance(score, (int, float, np.number)) or not math.isfinite(score):
                raise FieldError("y_score", "y_score", i, f"expected a finite similarity, got {score!r:.40}")
            rows.append((label, float(score)))
        return Rows(np.array(rows, np.float64).reshape(len(rows), 2))

    def sum_rows(self, stats: Statistics) -> None:
        return None

    def example_scores(self, stats: Statistics) -> dict[str, np.ndarray]:
        return {k: np.full(len(stats), np.nan) for k in self.keys()}


def roc(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(fpr, tpr)`` at every distinct score, as ``sklearn.metrics.roc_curve(drop_intermediate=False)``."""
    order = np.argsort(-scores, kind="mergesort")
    labels, scores = labels[order], scores[order]
    last = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tps = np.cumsum(labels)[last]
    fps = (last + 1) - tps
    tps, fps = np.r_[0.0, tps], np.r_[0.0, fps]
    with np.errstate(invalid="ignore", divide="ignore"):
        return fps / fps[-1], tps / tps[-1]


class TARatFAR(_PairScorer):
    """True accept rate at a false accept rate ``far`` (default 1e-3), as insightface's IJB
    evaluation reads it off ``sklearn.metrics.roc_curve``: the TPR at the ROC point whose FPR is
    closest to ``far`` (the first such point on ties). NaN without both same and different pairs.
    """

    name = "tar_at_far"

    def __init__(self, far: float = 1e-3) -> None:
        if not 0 <= far <= 1:
            raise ConfigError(f"tar_at_far: far must be in [0, 1], got {far!r}")
        super().__init__(far=float(far))

    def reduce(self, stats: Statistics) -> dict[str, float]:
        rows = np.asarray(stats, np.float64).reshape(len(stats), 2)
        if len(rows) == 0 or rows[:, 0].min() == rows[:, 0].max():
            return {self.key: math.nan}
        fpr, tpr = roc(rows[:, 0], rows[:, 1])
        return {self.key: float(tpr[int(np.argmin(np.abs(fpr - self.params["far"])))])}


class VerificationAccuracy(_PairScorer):
    """Verification accuracy by ``nrof_folds``-fold cross-validation, as insightface's LFW
    protocol (``verification.calculate_roc``): on each fold the threshold is the one of
    ``thresholds`` with the best accuracy on the other folds (the first on ties), and the fold's
    accuracy at it is kept; the value is the mean over folds. One departure: insightface cuts the
    pairs *in file order* into contiguous folds (``KFold`` without shuffling); here the folds are
    dealt round-robin over the pairs sorted by (score, label), so the value depends on the set of
    pairs only and shards merge exactly (fold sizes are KFold's: the first ``n % nrof_folds`` folds
    have one more pair). Given the pairs in that order, insightface computes the same value (tested).
    insightface thresholds the squared distance of L2-normalised embeddings,
    ``d = 2 − 2·cos``, predicting "same" when ``d < t`` for ``t`` in ``np.arange(0, 4, 0.01)``; here
    ``y_score`` is the cosine similarity and ``d`` is formed from it, so the decisions are the same.
    """

    name = "verification_accuracy"

    def __init__(self, nrof_folds: int = 10, thresholds: Any = None) -> None:
        if not isinstance(nrof_folds, int) or nrof_folds < 2:
            raise ConfigError(f"verification_accuracy: nrof_folds must be an integer >= 2, got {nrof_folds!r}")
        grid = [round(float(t), 10) for t in (np.arange(0, 4, 0.01) if thresholds is None else thresholds)]
        super().__init__(nrof_folds=nrof_folds, **({} if thresholds is None else {"thresholds": grid}))
        self.thresholds = np.asarray(grid if thresholds is not None else np.arange(0, 4, 0.01), np.float64)

    def reduce(self, stats: Statistics) -> dict[str, float]:
        rows = np.asarray(stats, np.float64).reshape(len(stats), 2)
        folds = self.params["nrof_folds"]
        if len(rows) < folds:
            return {self.key: math.nan}
        same = rows[:, 0] > 0
        dist = 2 - 2 * rows[:, 1]
        correct = (dist[None, :] < self.thresholds[:, None]) == same[None, :]  # thresholds × pairs
        fold_of = np.empty(len(rows), np.intp)
        fold_of[np.lexsort((rows[:, 0], rows[:, 1]))] = np.arange(len(rows)) % folds
        accuracies = []
        for fold in range(folds):
            test = fold_of == fold
            train = ~test
            best = int(np.argmax(correct[:, train].mean(axis=1)))
            accuracies.append(correct[best, test].mean())
        return {self.key: float(np.mean(accuracies))}
