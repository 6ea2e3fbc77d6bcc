"""precision_recall_manifold against the authors' code (improved-precision-and-recall-metric,
precision_recall.py: ManifoldEstimator and knn_precision_recall_features, transcribed here in numpy
with the TensorFlow distance block as numpy; the package needs TensorFlow 1 and is not installed) and
against the definition written out with exact distances (scipy's cdist)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

import rageval
from rageval.core.errors import ConfigError, FieldError


def batch_pairwise_distances(u, v):
    norm_u = np.sum(np.square(u), 1).reshape(-1, 1)
    norm_v = np.sum(np.square(v), 1).reshape(1, -1)
    return np.maximum(norm_u - 2 * np.matmul(u, v.T) + norm_v, 0.0)


class ManifoldEstimator:
    """The authors' ManifoldEstimator (clamp_to_percentile None), row/col batches kept."""

    def __init__(self, features, row_batch_size=25000, col_batch_size=50000, nhood_sizes=(3,)):
        num_images = features.shape[0]
        self.nhood_sizes = list(nhood_sizes)
        self.row_batch_size, self.col_batch_size = row_batch_size, col_batch_size
        self._ref_features = features
        self.D = np.zeros([num_images, len(self.nhood_sizes)])
        distance_batch = np.zeros([row_batch_size, num_images])
        seq = np.arange(max(self.nhood_sizes) + 1, dtype=np.int32)
        for begin1 in range(0, num_images, row_batch_size):
            end1 = min(begin1 + row_batch_size, num_images)
            row_batch = features[begin1:end1]
            for begin2 in range(0, num_images, col_batch_size):
                end2 = min(begin2 + col_batch_size, num_images)
                distance_batch[0:end1 - begin1, begin2:end2] = batch_pairwise_distances(row_batch,
                                                                                        features[begin2:end2])
            self.D[begin1:end1, :] = np.partition(distance_batch[0:end1 - begin1, :], seq, axis=1)[:, self.nhood_sizes]

    def evaluate(self, eval_features):
        num_eval_images, num_ref_images = eval_features.shape[0], self.D.shape[0]
        distance_batch = np.zeros([self.row_batch_size, num_ref_images])
        batch_predictions = np.zeros([num_eval_images, len(self.nhood_sizes)], dtype=np.int32)
        for begin1 in range(0, num_eval_images, self.row_batch_size):
            end1 = min(begin1 + self.row_batch_size, num_eval_images)
            feature_batch = eval_features[begin1:end1]
            for begin2 in range(0, num_ref_images, self.col_batch_size):
                end2 = min(begin2 + self.col_batch_size, num_ref_images)
                distance_batch[0:end1 - begin1, begin2:end2] = batch_pairwise_distances(
                    feature_batch, self._ref_features[begin2:end2])
            samples_in_manifold = distance_batch[0:end1 - begin1, :, None] <= self.D
            batch_predictions[begin1:end1] = np.any(samples_in_manifold, axis=1).astype(np.int32)
        return batch_predictions


def knn_precision_recall_features(ref_features, eval_features, nhood_sizes=(3,), row_batch_size=7,
                                  col_batch_size=11):
    ref_manifold = ManifoldEstimator(ref_features, row_batch_size, col_batch_size, nhood_sizes)
    eval_manifold = ManifoldEstimator(eval_features, row_batch_size, col_batch_size, nhood_sizes)
    precision = ref_manifold.evaluate(eval_features).mean(axis=0)[0]
    recall = eval_manifold.evaluate(ref_features).mean(axis=0)[0]
    return precision, recall


def by_definition(gen, real, k):
    """P = share of generated within some real row's k-NN radius; R likewise (exact distances)."""
    def radii(x):
        return np.sort(cdist(x, x), axis=1)[:, k]
    precision = (cdist(gen, real) <= radii(real)[None]).any(1).mean()
    recall = (cdist(real, gen) <= radii(gen)[None]).any(1).mean()
    return precision, recall


def run(scorer, feats):
    stats = scorer.make_stats({"features": list(feats)})
    return stats, scorer.reduce(stats)


@pytest.mark.parametrize("n, m, d, k, shift", [(60, 50, 4, 3, 0.3), (40, 90, 16, 3, 1.0), (30, 30, 2, 1, 0.0),
                                               (80, 40, 8, 5, 0.5), (5, 20, 3, 3, 2.0)])
def test_matches_the_authors_code_and_the_definition(n, m, d, k, shift):
    rng = np.random.default_rng(n * d + k)
    gen, real = rng.normal(shift, 1.2, (n, d)), rng.normal(0, 1, (m, d))
    want = knn_precision_recall_features(real, gen, nhood_sizes=(k,))
    assert want == pytest.approx(by_definition(gen, real, k), abs=0)
    stats, got = run(rageval.get_scorer("precision_recall_manifold", reference=real, k=k), gen)
    p, r = want
    assert (got["precision_recall_manifold.precision"], got["precision_recall_manifold.recall"]) == (p, r)
    assert got["precision_recall_manifold"] == pytest.approx(0.0 if p + r == 0 else 2 * p * r / (p + r), rel=1e-15)


def test_subsets_reduce_exactly_and_order_does_not_matter(tmp_path):
    rng = np.random.default_rng(0)
    gen, real = rng.normal(0.2, 1, (50, 5)), rng.normal(size=(60, 5))
    np.savez(tmp_path / "real.npz", features=real)
    scorer = rageval.get_scorer("precision_recall_manifold", reference=str(tmp_path / "real.npz"))
    stats, full = run(scorer, gen)
    idx = [1, 5, 7, 20, 21, 33, 40, 49]
    assert scorer.reduce(stats.take(idx)) == run(scorer, gen[idx])[1]
    assert run(scorer, gen[rng.permutation(50)])[1] == full
    assert np.isnan(scorer.reduce(stats.take([0, 1, 2]))["precision_recall_manifold"])  # k = 3 needs 4 rows
    assert np.isnan(scorer.example_scores(stats)["precision_recall_manifold.recall"]).all()


def test_bad_input():
    real = np.random.default_rng(1).normal(size=(10, 4))
    scorer = rageval.get_scorer("precision_recall_manifold", reference=real)
    with pytest.raises(FieldError) as e:
        scorer.stats({"features": [np.zeros(4), np.zeros(3)]})
    assert e.value.row == 1
    for params in ({}, {"reference": real, "k": 0}, {"reference": real, "k": 10}, {"reference": real, "k": 1.5}):
        with pytest.raises(ConfigError):
            rageval.get_scorer("precision_recall_manifold", **params)


def test_row_blocks_give_the_same_values(monkeypatch):
    from rageval.scorers.vision import generative_functional as F

    rng = np.random.default_rng(3)
    gen, real = rng.normal(0.3, 1, (70, 6)), rng.normal(size=(55, 6))
    want = knn_precision_recall_features(real, gen)
    whole = F._row_blocks
    monkeypatch.setattr(F, "_row_blocks", lambda rows, cols: whole(rows, cols, budget=3 * cols + 1))  # 3-row blocks
    assert F.precision_recall_manifold(gen, real) == want
