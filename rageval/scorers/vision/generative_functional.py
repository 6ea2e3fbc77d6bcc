"""Generative-model metrics from feature vectors (numpy core): FID and KID.

`frechet_distance` is pytorch-fid's ``calculate_frechet_distance`` (Heusel et al. 2017):
``|μ₁−μ₂|² + tr(Σ₁) + tr(Σ₂) − 2·tr(√(Σ₁Σ₂))`` with ``scipy.linalg.sqrtm``, ``eps``·I added to
both covariances when the root is not finite, and the imaginary part dropped (refused above 1e-3
on the diagonal). Covariances are ``np.cov(features, rowvar=False)`` (n−1 denominator).
`frechet_distance_psd` is the same value when the reference covariance is positive definite:
``tr √(Σ₁Σ₂) = Σ √λ(Lᵀ Σ₁ L)`` with ``Σ₂ = L·Lᵀ`` (similar matrices), one symmetric eigenvalue
problem with the reference's Cholesky factor computed once, instead of a Schur decomposition per call.
`kernel_distance` is clean-fid's ``kernel_distance``: the unbiased MMD² with the cubic polynomial
kernel ``k(x, y) = (xᵀy/d + 1)³``, averaged over ``num_subsets`` random subsets of
``m = min(n_generated, n_reference, max_subset_size)`` rows of each set.
`precision_recall_manifold` is the improved precision and recall of Kynkäänniemi et al. (2019),
as the authors' ``knn_precision_recall_features`` (improved-precision-and-recall-metric): each set's
manifold is the union of balls around its rows reaching each row's k-th nearest neighbour
(``nhood_sizes=[3]``), squared distances ``‖u‖² − 2u·v + ‖v‖²`` clamped at 0, a point on a ball's
surface inside it (``<=``); computed in float64 in row blocks (the authors' TensorFlow code in float32).
"""
from __future__ import annotations

import numpy as np
from scipy import linalg


def mean_cov(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(μ, Σ)`` of the rows, as pytorch-fid's ``np.mean(axis=0)`` and ``np.cov(rowvar=False)``
    (``XcᵀXc/(n−1)`` of the centred rows, one symmetric BLAS product: half ``np.cov``'s work)."""
    features = np.asarray(features, np.float64)
    mu = features.mean(axis=0)
    centred = features - mu
    return mu, (centred.T @ centred) / (len(features) - 1)


def cholesky_factor(sigma: np.ndarray, rcond: float = 1e-10) -> np.ndarray | None:
    """The lower Cholesky factor ``L`` of a symmetric positive definite ``sigma = L·Lᵀ``, or None
    when ``sigma`` is not symmetric, not positive definite, or nearly singular (a pivot ``L_ii²`` at
    most ``rcond`` times the largest): then `frechet_distance` follows pytorch-fid's sqrtm instead."""
    sigma = np.atleast_2d(sigma)
    if not np.array_equal(sigma, sigma.T):
        return None
    try:
        factor = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return None
    pivots = np.diagonal(factor) ** 2
    return factor if pivots.min() > rcond * pivots.max() else None


def frechet_distance_psd(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
                         factor2: np.ndarray) -> float:
    """`frechet_distance` with ``tr √(Σ₁Σ₂)`` as ``Σ √λᵢ`` over the eigenvalues of the symmetric
    ``Lᵀ Σ₁ L`` (``Σ₂ = L·Lᵀ`` from `cholesky_factor`), which are those of ``Σ₁Σ₂`` (similar
    matrices): the same value as pytorch-fid's ``sqrtm`` (to 1e-13 relative on well-conditioned
    covariances, 4e-10 at a condition number of 4e6, well inside the 1e-6 asked) at a fraction of
    its cost."""
    diff = np.atleast_1d(mu1) - np.atleast_1d(mu2)
    product = factor2.T @ sigma1 @ factor2
    eigenvalues = np.linalg.eigvalsh((product + product.T) / 2)
    trace_root = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_root)


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
                     eps: float = 1e-6) -> float:
    """The Fréchet distance between N(μ₁, Σ₁) and N(μ₂, Σ₂), as pytorch-fid computes it."""
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f"feature dimensions differ: {mu1.shape} vs reference {mu2.shape}")
    diff = mu1 - mu2
    covmean = linalg.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"imaginary component {np.max(np.abs(covmean.imag))} in the covariance root")
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def kernel_distance(feats1: np.ndarray, feats2: np.ndarray, num_subsets: int = 100, max_subset_size: int = 1000,
                    seed: int = 0) -> float:
    """clean-fid's KID of ``feats1`` (generated) against ``feats2`` (reference); the subsets are
    drawn from ``np.random.RandomState(seed)`` in clean-fid's order (reference, then generated)."""
    rng = np.random.RandomState(seed)
    n = feats1.shape[1]
    m = min(min(feats1.shape[0], feats2.shape[0]), max_subset_size)
    t = 0.0
    for _ in range(num_subsets):
        x = feats2[rng.choice(feats2.shape[0], m, replace=False)]
        y = feats1[rng.choice(feats1.shape[0], m, replace=False)]
        a = (x @ x.T / n + 1) ** 3 + (y @ y.T / n + 1) ** 3
        b = (x @ y.T / n + 1) ** 3
        t += (a.sum() - np.diag(a).sum()) / (m - 1) - b.sum() * 2 / m
    return float(t / num_subsets / m)


def pairwise_sq_distances(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances ``max(‖u‖² − 2·u·vᵀ + ‖v‖², 0)``, the authors' ``batch_pairwise_distances``."""
    return np.maximum((u * u).sum(1)[:, None] - 2 * (u @ v.T) + (v * v).sum(1)[None, :], 0.0)


def _row_blocks(n_rows: int, n_cols: int, budget: int = 1 << 22):
    """Row slices whose distance blocks hold at most ``budget`` entries (32 MiB of float64)."""
    step = max(1, budget // max(1, n_cols))
    return (slice(i, min(i + step, n_rows)) for i in range(0, n_rows, step))


def knn_radii(features: np.ndarray, k: int = 3) -> np.ndarray:
    """Each row's squared distance to its k-th nearest neighbour in ``features`` (itself, at
    distance 0, counted first: the authors' ``np.partition(..., k)[:, k]``)."""
    radii = np.empty(len(features))
    for rows in _row_blocks(len(features), len(features)):
        radii[rows] = np.partition(pairwise_sq_distances(features[rows], features), k, axis=1)[:, k]
    return radii


def precision_recall_manifold(generated: np.ndarray, real: np.ndarray, k: int = 3,
                              real_radii: np.ndarray | None = None) -> tuple[float, float]:
    """``(precision, recall)`` of Kynkäänniemi et al. (2019): the share of generated rows inside the
    real rows' k-NN balls, and the share of real rows inside the generated rows' k-NN balls
    (``real_radii``: `knn_radii` of ``real``, when already at hand). One pass over the
    generated × real distances serves both."""
    real_radii = knn_radii(real, k) if real_radii is None else real_radii
    generated_radii = knn_radii(generated, k)
    precise = np.empty(len(generated), bool)
    recalled = np.zeros(len(real), bool)
    for rows in _row_blocks(len(generated), len(real)):
        distances = pairwise_sq_distances(generated[rows], real)
        precise[rows] = (distances <= real_radii[None, :]).any(axis=1)
        recalled |= (distances <= generated_radii[rows, None]).any(axis=0)
    return float(precise.mean()), float(recalled.mean())
