"""Multiple-comparison corrections of p-values: Holm (family-wise error) and Benjamini–Hochberg
(false discovery rate), as adjusted p-values (``statsmodels.stats.multitest.multipletests``'s
``holm`` and ``fdr_bh``).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

METHODS = ("holm", "bh", "none")


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (Holm, 1979).

    With ``p_(1) <= ... <= p_(m)`` sorted: ``adj_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))``.
    Reject where ``adj < alpha``: controls the family-wise error rate at ``alpha``.
    """
    p = np.asarray(p_values, np.float64)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


def benjamini_hochberg(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini–Hochberg step-up adjusted p-values (1995).

    With ``p_(1) <= ... <= p_(m)`` sorted: ``adj_(i) = min_{j >= i} min(1, m p_(j) / j)``.
    Reject where ``adj < alpha``: controls the false discovery rate at ``alpha`` (independent or
    positively dependent tests).
    """
    p = np.asarray(p_values, np.float64)
    m = len(p)
    order = np.argsort(p, kind="stable")
    scaled = m * p[order] / np.arange(1, m + 1)
    adjusted = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    out = np.empty(m)
    out[order] = adjusted
    return out


def adjust(p_values: Sequence[float], method: str = "holm") -> np.ndarray:
    """Adjusted p-values by ``method``: ``holm`` (default), ``bh`` (Benjamini–Hochberg) or ``none``."""
    if method == "holm":
        return holm(p_values)
    if method in ("bh", "fdr_bh", "benjamini-hochberg"):
        return benjamini_hochberg(p_values)
    if method == "none":
        return np.asarray(p_values, np.float64).copy()
    raise ValueError(f"unknown correction {method!r}; one of {', '.join(METHODS)}")
