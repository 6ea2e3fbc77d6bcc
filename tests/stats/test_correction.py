"""Holm and Benjamini–Hochberg adjusted p-values, identical to statsmodels' ``multipletests``."""
from __future__ import annotations

import numpy as np
import pytest

from rageval.stats.correction import adjust, benjamini_hochberg, holm

multitest = pytest.importorskip("statsmodels.stats.multitest",
                                reason="statsmodels (the reference implementation) is not installed")


def p_values(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 30))
    p = rng.random(m) ** rng.uniform(0.5, 4)
    if seed % 3 == 0:  # ties, zeros and ones
        p[rng.integers(0, m, size=m // 2)] = rng.choice([0.0, 1.0, p[0]])
    return p


# statsmodels' holm takes about 0.1 s a call, hence fewer cases for it
@pytest.mark.parametrize("ours,theirs,cases", [(holm, "holm", 40), (benjamini_hochberg, "fdr_bh", 300)])
def test_equals_statsmodels(ours, theirs, cases):
    for seed in range(cases):
        p = p_values(seed)
        np.testing.assert_allclose(ours(p), multitest.multipletests(p, method=theirs)[1], rtol=1e-12, atol=1e-15,
                                   err_msg=f"seed {seed}: {p.tolist()}")


def test_adjust_dispatch():
    p = [0.01, 0.04, 0.03]
    np.testing.assert_array_equal(adjust(p), holm(p))
    np.testing.assert_array_equal(adjust(p, "bh"), benjamini_hochberg(p))
    np.testing.assert_array_equal(adjust(p, "none"), p)
    assert len(adjust([], "holm")) == 0
    with pytest.raises(ValueError, match="unknown correction 'sidak'"):
        adjust(p, "sidak")
