"""Generative scorers over ``features`` (one feature vector per generated sample, e.g. Inception
pool3): ``fid`` and ``kid`` against a reference set.

The statistics are the feature vectors themselves (float64 rows), so shards merge to the one-shot
run and a bootstrap resamples samples; ``reduce`` forms μ and Σ (Σf, Σffᵀ, n) of the subset.
Neither metric has a per-example value: per-example scores are NaN by definition.
"""
from __future__ import annotations

import hashlib
import math
import os
from typing import Any

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, Scorer
from rageval.core.statistics import Rows, Statistics
from rageval.scorers.vision import generative_functional as F
from rageval.scorers.vision.arrays import column


def _load_reference(name: str, reference: Any, need_features: bool) -> tuple[np.ndarray | None, np.ndarray,
                                                                            np.ndarray, str]:
    """``(features or None, μ, Σ, digest)`` of ``reference``: an array of real features (n × d), or a
    path to a ``.npz`` holding ``mu`` and ``sigma`` (pytorch-fid's format) or ``features``."""
    if reference is None:
        raise ConfigError(f"{name}: pass reference= (an array of real features, or a .npz path with mu/sigma)")
    feats = None
    if isinstance(reference, (str, os.PathLike)):
        try:
            with np.load(reference) as data:
                if "features" in data:
                    feats = np.asarray(data["features"], np.float64)
                elif not need_features and {"mu", "sigma"} <= set(data.files):
                    mu, sigma = np.asarray(data["mu"], np.float64), np.asarray(data["sigma"], np.float64)
                else:
                    raise ConfigError(f"{name}: {reference} holds {data.files}; need "
                                      + ("'features'" if need_features else "'mu' and 'sigma' or 'features'"))
        except OSError as e:
            raise ConfigError(f"{name}: cannot read reference {reference!r}: {e}") from None
    else:
        feats = np.asarray(reference, np.float64)
    if feats is not None:
        if feats.ndim != 2 or len(feats) < 2 or not np.isfinite(feats).all():
            raise ConfigError(f"{name}: reference features must be a finite (n >= 2) × d array, got {feats.shape}")
        mu, sigma = F.mean_cov(feats)
    content = [feats] if feats is not None else [mu, sigma]
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in content)).hexdigest()
    return feats, mu, np.atleast_2d(sigma), digest[:16]


class _FeatureScorer(Scorer):
    fields = ("features",)
    higher_is_better = False
    bounds = (0.0, math.inf)
    _needs_features = False

    def __init__(self, reference: Any = None, **params: Any) -> None:
        feats, self.mu, self.sigma, digest = _load_reference(self.name, reference, self._needs_features)
        self.reference_features = feats
        # a path rebuilds the scorer from saved results; an array enters the signature as its digest
        ref = os.fspath(reference) if isinstance(reference, (str, os.PathLike)) else f"array:{digest}"
        super().__init__(reference=ref, **params)
        self.reference_digest = digest

    def signature_items(self) -> dict[str, Any]:
        return {**super().signature_items(), "reference_digest": self.reference_digest}

    def stats(self, batch: Batch) -> Rows:
        d = len(self.mu)
        values = batch["features"]
        try:  # the usual column: equal-length numeric vectors, stacked in one call
            feats = np.array(values, dtype=np.float64).reshape(len(values), -1)
            if feats.shape[1] == d and np.isfinite(feats).all():
                return Rows(feats)
        except (TypeError, ValueError):
            pass
        rows = []
        for i, f in enumerate(column(batch, "features")):
            f = np.asarray(f, np.float64).ravel()
            if f.shape != (d,):
                raise FieldError("features", "features", i, f"expected {d} values (the reference's), got {f.size}")
            if not np.isfinite(f).all():
                raise FieldError("features", "features", i, "holds NaN or infinite values")
            rows.append(f)
        return Rows(np.array(rows).reshape(len(rows), d))

    def sum_rows(self, stats: Statistics) -> None:
        return None  # a function of Σf and Σffᵀ, not of the rows' column sums

    def example_scores(self, stats: Statistics) -> dict[str, np.ndarray]:
        return {k: np.full(len(stats), np.nan) for k in self.keys()}


class FID(_FeatureScorer):
    """Fréchet Inception Distance of the generated ``features`` to ``reference`` (Heusel et al.
    2017), identical to pytorch-fid's ``calculate_frechet_distance`` on ``(np.mean, np.cov)`` of
    each set (clean-fid's ``frechet_distance`` is the same formula); see `generative_functional`.
    With more samples than dimensions and a positive definite reference covariance, ``tr √(Σ₁Σ₂)``
    comes from the eigenvalues of ``Lᵀ Σ₁ L``, ``Σ₂ = L·Lᵀ`` (the reference's Cholesky factor, once per scorer):
    the same value (1e-13 to 4e-10 relative, by conditioning), several times faster than ``sqrtm``.
    ``reference``: real features (n × d) or a ``.npz`` with ``mu``/``sigma`` (pytorch-fid's
    ``--save-stats`` format); ``eps`` (1e-6) as pytorch-fid. Needs at least 2 samples. Lower is better.
    """

    name = "fid"

    def __init__(self, reference: Any = None, eps: float = 1e-6) -> None:
        super().__init__(reference, eps=float(eps))

    _factor: np.ndarray | None | bool = False  # the reference covariance's Cholesky factor, once computed

    def reduce(self, stats: Statistics) -> dict[str, float]:
        feats = np.asarray(stats, np.float64)
        if len(feats) < 2:
            return {self.key: math.nan}
        mu, sigma = F.mean_cov(feats)
        if self._factor is False:
            self._factor = F.cholesky_factor(self.sigma)
        if self._factor is not None and len(feats) > len(mu) and len(mu) == len(self.mu):
            # both covariances full rank: the eigenvalue route, same value (F.frechet_distance_psd)
            return {self.key: F.frechet_distance_psd(mu, sigma, self.mu, self.sigma, self._factor)}
        return {self.key: F.frechet_distance(mu, sigma, self.mu, self.sigma, self.params["eps"])}


class KID(_FeatureScorer):
    """Kernel Inception Distance (Bińkowski et al. 2018), as clean-fid's ``kernel_distance``:
    unbiased MMD² with the kernel ``(xᵀy/d + 1)³`` over ``num_subsets`` (100) subsets of
    ``min(n, n_ref, max_subset_size)`` (1000) rows, drawn with ``seed`` (clean-fid uses numpy's
    global state). The generated rows are put in a canonical order first, so the value depends on
    the set of samples only (shards merge exactly). ``reference``: real features (or a ``.npz``
    with ``features``). Lower is better.
    """

    name = "kid"
    bounds = (-math.inf, math.inf)
    _needs_features = True

    def __init__(self, reference: Any = None, num_subsets: int = 100, max_subset_size: int = 1000,
                 seed: int = 0) -> None:
        super().__init__(reference, num_subsets=int(num_subsets), max_subset_size=int(max_subset_size),
                         seed=int(seed))

    def reduce(self, stats: Statistics) -> dict[str, float]:
        feats = np.asarray(stats, np.float64)
        if len(feats) < 2:
            return {self.key: math.nan}
        feats = feats[np.lexsort(feats.T[::-1])]
        return {self.key: F.kernel_distance(feats, self.reference_features, self.params["num_subsets"],
                                            self.params["max_subset_size"], self.params["seed"])}


class PrecisionRecallManifold(_FeatureScorer):
    """Improved precision and recall (Kynkäänniemi et al. 2019) of the generated ``features``
    against ``reference`` (real features, or a ``.npz`` with ``features``), as the authors'
    ``knn_precision_recall_features`` (improved-precision-and-recall-metric; torchmetrics 1.9 has
    none): each set's manifold is the union of balls around its rows reaching each row's ``k``-th
    nearest neighbour (``k`` 3, the authors' ``nhood_sizes=[3]``); ``precision`` is the share of
    generated rows inside the real manifold, ``recall`` the share of real rows inside the generated
    one (parts). The primary value is their harmonic mean ``2PR/(P+R)`` (0 when both are 0; the
    paper reports P and R only). See `generative_functional`.

    Statistics are the feature rows, so shards merge to the one-shot value; the generated manifold
    is rebuilt from the rows of each subset (a bootstrap resample's repeated rows are neighbours at
    distance 0, which shrinks their balls). Needs more than ``k`` generated rows (else NaN).
    """

    name = "precision_recall_manifold"
    parts = ("precision", "recall")
    higher_is_better = True
    bounds = (0.0, 1.0)
    _needs_features = True

    def __init__(self, reference: Any = None, k: int = 3) -> None:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ConfigError(f"precision_recall_manifold: k must be a positive integer, got {k!r}")
        super().__init__(reference, k=int(k))
        if len(self.reference_features) <= self.params["k"]:
            raise ConfigError(f"precision_recall_manifold: the reference needs more than k = {k} rows, "
                              f"got {len(self.reference_features)}")
        self._real_radii: np.ndarray | None = None

    def reduce(self, stats: Statistics) -> dict[str, float]:
        feats, k = np.asarray(stats, np.float64), self.params["k"]
        if len(feats) <= k:
            return {key: math.nan for key in self.keys()}
        if self._real_radii is None:  # the reference's balls, once per scorer
            self._real_radii = F.knn_radii(self.reference_features, k)
        precision, recall = F.precision_recall_manifold(feats, self.reference_features, k, self._real_radii)
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        return {self.key: f1, f"{self.key}.precision": precision, f"{self.key}.recall": recall}
