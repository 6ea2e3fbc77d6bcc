"""fid and kid against pytorch-fid's calculate_frechet_distance and clean-fid's kernel_distance
(copied here verbatim as the references; neither package is installed)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg

import rageval
from rageval.core.errors import ConfigError, FieldError


def calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch-fid 0.3.0, src/pytorch_fid/fid_score.py."""
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    diff = mu1 - mu2
    covmean = linalg.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError("Imaginary component")
        covmean = covmean.real
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def kernel_distance(feats1, feats2, num_subsets=100, max_subset_size=1000):
    """clean-fid 0.1.35, cleanfid/fid.py (numpy's global random state)."""
    n = feats1.shape[1]
    m = min(min(feats1.shape[0], feats2.shape[0]), max_subset_size)
    t = 0
    for _subset_idx in range(num_subsets):
        x = feats2[np.random.choice(feats2.shape[0], m, replace=False)]
        y = feats1[np.random.choice(feats1.shape[0], m, replace=False)]
        a = (x @ x.T / n + 1) ** 3 + (y @ y.T / n + 1) ** 3
        b = (x @ y.T / n + 1) ** 3
        t += (a.sum() - np.diag(a).sum()) / (m - 1) - b.sum() * 2 / m
    return float(t / num_subsets / m)


def run(scorer, feats):
    stats = scorer.make_stats({"features": list(feats)})
    return stats, scorer.reduce(stats)[scorer.key]


@pytest.mark.parametrize("n, m, d", [(50, 80, 8), (200, 120, 32), (5, 30, 3), (40, 40, 64)])
def test_fid_matches_pytorch_fid(n, m, d, tmp_path):
    rng = np.random.default_rng(n + d)
    gen, real = rng.normal(0.2, 1.1, (n, d)), rng.normal(0, 1, (m, d))
    want = calculate_frechet_distance(gen.mean(0), np.cov(gen, rowvar=False), real.mean(0), np.cov(real, rowvar=False))
    _, got = run(rageval.get_scorer("fid", reference=real), gen)
    assert got == pytest.approx(want, rel=1e-6)
    np.savez(tmp_path / "ref.npz", mu=real.mean(0), sigma=np.cov(real, rowvar=False))
    _, from_npz = run(rageval.get_scorer("fid", reference=str(tmp_path / "ref.npz")), gen)
    assert from_npz == pytest.approx(want, rel=1e-6)


def test_fid_subsets_reduce_exactly_and_signature_names_the_reference():
    rng = np.random.default_rng(0)
    gen, real = rng.normal(size=(60, 6)), rng.normal(size=(70, 6))
    scorer = rageval.get_scorer("fid", reference=real)
    stats, _ = run(scorer, gen)
    idx = [3, 10, 11, 40, 59]
    assert scorer.reduce(stats.take(idx))["fid"] == run(scorer, gen[idx])[1]
    other = rageval.get_scorer("fid", reference=real + 1)
    assert scorer.signature != other.signature
    assert np.isnan(scorer.reduce(stats.take([0]))["fid"])


@pytest.mark.parametrize("num_subsets, max_subset_size, n", [(10, 1000, 40), (20, 15, 60), (5, 50, 30)])
def test_kid_matches_clean_fid(num_subsets, max_subset_size, n):
    rng = np.random.default_rng(n)
    gen, real = rng.normal(0.1, 1, (n, 16)), rng.normal(0, 1, (50, 16))
    scorer = rageval.get_scorer("kid", reference=real, num_subsets=num_subsets, max_subset_size=max_subset_size,
                                seed=3)
    stats, got = run(scorer, gen)
    ordered = gen[np.lexsort(gen.T[::-1])]  # the scorer's canonical order of the generated rows
    np.random.seed(3)
    assert got == pytest.approx(kernel_distance(ordered, real, num_subsets, max_subset_size), rel=1e-12)
    perm = rng.permutation(n)
    assert run(scorer, gen[perm])[1] == pytest.approx(got, rel=1e-12)


def test_bad_input():
    real = np.random.default_rng(1).normal(size=(10, 4))
    scorer = rageval.get_scorer("fid", reference=real)
    for feats, row in (([np.zeros(4), np.zeros(5)], 1), ([np.array([np.nan, 0, 0, 0])], 0)):
        with pytest.raises(FieldError) as e:
            scorer.stats({"features": feats})
        assert e.value.row == row
    for params in ({}, {"reference": np.zeros(3)}, {"reference": "/nonexistent.npz"}):
        with pytest.raises(ConfigError):
            rageval.get_scorer("fid", **params)


@pytest.mark.parametrize("n, m, d, spread", [(300, 400, 48, 1.0), (500, 260, 96, 1e3), (130, 900, 128, 1e2)])
def test_fid_eigenvalue_route_equals_sqrtm(n, m, d, spread):
    """More samples than dimensions: the scorer takes tr √(Σ₁Σ₂) from eigvalsh(Lᵀ Σ₁ L); same
    value as pytorch-fid's sqrtm on ill-conditioned, correlated, ReLU'd features."""
    rng = np.random.default_rng(d)
    mix = rng.normal(size=(d, d)) * np.logspace(0, np.log10(spread), d)
    real = np.maximum(rng.normal(size=(m, d)) @ mix, 0)
    gen = np.maximum(rng.normal(0.1, 1.1, (n, d)) @ mix, 0)
    want = calculate_frechet_distance(gen.mean(0), np.cov(gen, rowvar=False), real.mean(0), np.cov(real, rowvar=False))
    scorer = rageval.get_scorer("fid", reference=real)
    _, got = run(scorer, gen)
    assert scorer._factor is not None  # the eigenvalue route was taken
    assert got == pytest.approx(want, rel=1e-7)  # 4e-10 at spread 1e3 (Σ₂'s condition number 4e6)
