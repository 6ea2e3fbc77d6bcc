"""The numpy core of the regression metrics: elementwise losses, the two-pass fractions of
explained deviance, weighted percentiles and the correlations, each written after its reference
(scikit-learn 1.9.1, scipy 1.17) and vectorised over the outputs of ``(n, d)`` arrays.

Conventions: ``t``, ``p`` are ``(n, d)`` float64 arrays (one column per output), ``w`` the sample
weights ``(n,)`` or None (unit weights). Functions return one value per output (``(d,)``).

* `fraction_explained` is scikit-learn's ``_assemble_fraction_of_explained_deviance``
  (``force_finite``: a zero numerator gives 1, a zero denominator 0); `r2_parts` and
  `explained_variance_parts` compute its numerator and denominator with scikit-learn's own
  two-pass expressions on C-contiguous arrays, so the values are scikit-learn's to the last bit on
  the same rows (degenerate data, where scikit-learn's rounding decides, included).
* `weighted_percentile` is scikit-learn's ``_weighted_percentile`` (unstable argsort, weight CDF,
  ``average=True`` midpoint rule).
* `pearson` is scipy's ``pearsonr`` statistic (two-pass, scaled norms, clipped, exact ±1 at n = 2);
  `spearman` is Pearson's r of average ranks (``spearmanr``); `kendall_tau_b` counts discordant
  pairs once over the rows sorted by (x, y) dense ranks (scipy's ``kendalltau``, variant b).
  Constant input, or fewer than two rows: NaN (scipy warns).

>>> t = np.array([[3.0], [-0.5], [2.0], [7.0]]); p = np.array([[2.5], [0.0], [2.0], [8.0]])
>>> float(fraction_explained(*r2_parts(t, p, None), True)[0])
0.9486081370449679
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from rageval.scorers.classic import parallel


def weighted_mean(values: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """``Σ w v / Σ w`` per column (``np.average(values, axis=0, weights=w)``); NaN where Σ w = 0."""
    if w is None:
        return values.mean(axis=0) if len(values) else np.full(values.shape[1], math.nan)
    total = np.sum(w)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.array([np.sum(values[:, j] * w) for j in range(values.shape[1])]) / total


# --- fractions of explained deviance --------------------------------------------------------------
def r2_parts(t: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``(Σ w (y - ŷ)², Σ w (y - ȳ_w)²)`` per output: scikit-learn's ``r2_score`` expressions, the
    same operations in the same order (in place, so the values are the same to the last bit)."""
    t, p = np.ascontiguousarray(t), np.ascontiguousarray(p)
    weight = None if w is None else np.ascontiguousarray(w)[:, None]
    tmp = np.subtract(t, p)
    np.square(tmp, out=tmp)
    if weight is not None:
        np.multiply(weight, tmp, out=tmp)
    numerator = np.sum(tmp, axis=0)
    np.subtract(t, np.average(t, axis=0, weights=w), out=tmp)
    np.square(tmp, out=tmp)
    if weight is not None:
        np.multiply(weight, tmp, out=tmp)
    return numerator, np.sum(tmp, axis=0)


def explained_variance_parts(t: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``(Var_w(y - ŷ), Var_w(y))`` per output: scikit-learn's ``explained_variance_score``
    expressions (in place, the same operations in the same order)."""
    t, p = np.ascontiguousarray(t), np.ascontiguousarray(p)
    w = None if w is None else np.ascontiguousarray(w)
    tmp = np.subtract(t, p)
    diff_avg = np.average(tmp, axis=0, weights=w)
    np.subtract(tmp, diff_avg, out=tmp)
    numerator = np.average(np.square(tmp, out=tmp), axis=0, weights=w)
    np.subtract(t, np.average(t, axis=0, weights=w), out=tmp)
    return numerator, np.average(np.square(tmp, out=tmp), axis=0, weights=w)


#: rows per block of the one-pass sums (temporaries of 256 KiB that stay in cache)
BLOCK = 1 << 15


def _blocked_sums(columns: tuple[np.ndarray, ...], w: np.ndarray | None,
                  terms: Any) -> list[float]:
    """The sums over all rows of the values ``terms(blocks, w_block, buffer)`` returns for each
    block of the 1-D ``columns``: pairwise sums within a block (``terms`` sums with ``np.sum``),
    `math.fsum` across blocks; one pass over memory, the temporaries in cache."""
    n = len(columns[0])
    buffer = np.empty(min(n, BLOCK))
    parts: list[list[float]] = []
    for start in range(0, n, BLOCK):
        end = min(n, start + BLOCK)
        parts.append(terms([c[start:end] for c in columns], None if w is None else w[start:end],
                           buffer[:end - start]))
    return [math.fsum(column) for column in zip(*parts)] if parts else []


def _sum_w(x: np.ndarray, w: np.ndarray | None, buffer: np.ndarray) -> float:
    """``Σ w·x`` of a block (``Σ x`` without weights); ``x`` may be ``buffer``."""
    return float(np.sum(x if w is None else np.multiply(x, w, out=buffer)))


def _sum_w_squares(x: np.ndarray, w: np.ndarray | None, buffer: np.ndarray) -> float:
    """``Σ w·x²`` of a block; overwrites ``buffer`` (``x`` may be ``buffer``)."""
    np.square(x, out=buffer)
    return float(np.sum(buffer if w is None else np.multiply(buffer, w, out=buffer)))


def _r2_column(t: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> tuple[float, float]:
    def first(blocks, wb, buffer):  # Σ w (y - ŷ)², Σ w y, Σ w
        tb, pb = blocks
        return (_sum_w_squares(np.subtract(tb, pb, out=buffer), wb, buffer), _sum_w(tb, wb, buffer),
                len(tb) if wb is None else float(np.sum(wb)))

    numerator, weighted_t, total = _blocked_sums((t, p), w, first)
    mean = weighted_t / total

    def second(blocks, wb, buffer):  # Σ w (y - ȳ)²
        return (_sum_w_squares(np.subtract(blocks[0], mean, out=buffer), wb, buffer),)

    return numerator, _blocked_sums((t,), w, second)[0]


def _explained_variance_column(t: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> tuple[float, float]:
    def first(blocks, wb, buffer):  # Σ w (y - ŷ), Σ w y, Σ w
        tb, pb = blocks
        return (_sum_w(np.subtract(tb, pb, out=buffer), wb, buffer), _sum_w(tb, wb, buffer),
                len(tb) if wb is None else float(np.sum(wb)))

    weighted_e, weighted_t, total = _blocked_sums((t, p), w, first)
    mean_e, mean_t = weighted_e / total, weighted_t / total

    def second(blocks, wb, buffer):  # Σ w (y - ŷ - ē)², Σ w (y - ȳ)²
        tb, pb = blocks
        np.subtract(np.subtract(tb, pb, out=buffer), mean_e, out=buffer)
        return _sum_w_squares(buffer, wb, buffer), _sum_w_squares(np.subtract(tb, mean_t, out=buffer), wb, buffer)

    numerator, denominator = _blocked_sums((t, p), w, second)
    return numerator / total, denominator / total


def _per_output(column_parts: Any, t: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    parts = [column_parts(np.ascontiguousarray(t[:, j]), np.ascontiguousarray(p[:, j]), w) for j in range(t.shape[1])]
    return np.array([a for a, _ in parts], np.float64), np.array([b for _, b in parts], np.float64)


def fast_r2_parts(t: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """`r2_parts` in two passes over memory per output (block by block, pairwise sums within a
    block, `math.fsum` across): equal to scikit-learn's to a few ulps where y_true is not constant
    (the denominator then is far above rounding noise)."""
    return _per_output(_r2_column, t, p, w)


def fast_explained_variance_parts(t: np.ndarray, p: np.ndarray,
                                  w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """`explained_variance_parts` in two passes per output, as `fast_r2_parts` (y_true and the
    residual not constant)."""
    return _per_output(_explained_variance_column, t, p, w)


def fraction_explained(numerator: np.ndarray, denominator: np.ndarray, force_finite: bool) -> np.ndarray:
    """``1 - numerator / denominator`` per output with scikit-learn's ``force_finite`` rules."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if not force_finite:
            return 1 - numerator / denominator
        out = np.ones(len(numerator))
        valid = (denominator != 0) & (numerator != 0)
        out[valid] = 1 - numerator[valid] / denominator[valid]
        out[(numerator != 0) & (denominator == 0)] = 0.0
    return out


# --- weighted percentile --------------------------------------------------------------------------
def weighted_percentile(a: np.ndarray, w: np.ndarray, percentile_rank: float, average: bool = True) -> np.ndarray:
    """scikit-learn 1.9.1's ``_weighted_percentile(a, w, percentile_rank, average)`` per column of
    the ``(n, d)`` array ``a``; NaN (every column) when all weights are 0."""
    a = np.ascontiguousarray(a, np.float64)
    if np.all(w == 0):
        return np.full(a.shape[1], math.nan)
    n, d = a.shape
    sorted_idx = np.argsort(a, axis=0)
    sorted_weights = np.asarray(w, np.float64)[sorted_idx]
    cdf = np.cumsum(sorted_weights.T, axis=1)
    rank = percentile_rank / 100 * cdf[..., -1]
    zero = rank == 0
    rank[zero] = np.nextafter(rank[zero], rank[zero] + 1)
    idx = np.clip(np.array([np.searchsorted(cdf[j], rank[j]) for j in range(d)]), 0, n - 1)
    cols = np.arange(d)
    at = sorted_idx[idx, cols]
    if not average:
        return a[at, cols]
    above = cdf[cols, idx] - rank > np.finfo(np.float64).eps
    nxt = sorted_idx[np.clip(idx + 1, 0, n - 1), cols]
    for j in cols[np.asarray(w)[nxt] == 0]:  # the next value has no weight: the next one that has
        k = np.searchsorted(cdf[j], cdf[j, idx[j]], side="right")
        nxt[j] = sorted_idx[k if k <= n - 1 else idx[j], j]
    return np.where(above, a[at, cols], (a[at, cols] + a[nxt, cols]) / 2)


# --- correlations ---------------------------------------------------------------------------------
def _per_column(fn, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if len(x) < 2:
        return np.full(x.shape[1], math.nan)
    return np.array([fn(np.ascontiguousarray(x[:, j]), np.ascontiguousarray(y[:, j])) for j in range(x.shape[1])])


def _constant(x: np.ndarray) -> bool:
    if x[0] != x[-1] or x[0] != x[len(x) // 2]:  # two values differ: not constant, without a pass
        return False
    return bool(x.min() == x.max())


def _pearson1(x: np.ndarray, y: np.ndarray) -> float:
    if _constant(x) or _constant(y):
        return math.nan
    xm, ym = x - x.mean(), y - y.mean()
    with np.errstate(over="ignore"):
        sxx, syy, sxy = np.einsum("i,i->", xm, xm), np.einsum("i,i->", ym, ym), np.einsum("i,i->", xm, ym)
    if not np.isfinite(sxx * syy) or not sxx * syy > 0:  # huge or tiny values: scipy's scaled norms
        xmax, ymax = np.max(np.abs(xm)), np.max(np.abs(ym))
        xm, ym = xm / xmax, ym / ymax
        sxx, syy, sxy = np.einsum("i,i->", xm, xm), np.einsum("i,i->", ym, ym), np.einsum("i,i->", xm, ym)
    r = float(np.clip(sxy / (math.sqrt(sxx) * math.sqrt(syy)), -1.0, 1.0))
    return float(round(r)) if len(x) == 2 else r


def pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson's r per column (scipy's ``pearsonr(x, y).statistic``)."""
    return _per_column(_pearson1, x, y)


def average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks, ties given their average rank (scipy's ``rankdata(method="average")``)."""
    order = np.argsort(x)
    s = x[order]
    n = len(x)
    starts = np.flatnonzero(np.concatenate([[True], s[1:] != s[:-1]]))
    ranks = np.empty(n)
    if len(starts) == n:
        ranks[order] = np.arange(1, n + 1, dtype=np.float64)
        return ranks
    ends = np.append(starts[1:], n)
    mid = (starts + ends + 1) / 2.0  # the average of ranks starts + 1 .. ends
    ranks[order] = np.repeat(mid, ends - starts)
    return ranks


def _spearman1(x: np.ndarray, y: np.ndarray) -> float:
    if _constant(x) or _constant(y):
        return math.nan
    m = (len(x) + 1) / 2.0  # the mean of average ranks
    rx, ry = parallel.run_all([lambda: average_ranks(x) - m, lambda: average_ranks(y) - m], len(x))
    sxx, syy, sxy = np.einsum("i,i->", rx, rx), np.einsum("i,i->", ry, ry), np.einsum("i,i->", rx, ry)
    return float(np.clip(sxy / math.sqrt(sxx * syy), -1.0, 1.0))


def spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's ρ per column (scipy's ``spearmanr(x, y).statistic``)."""
    return _per_column(_spearman1, x, y)


def dense_ranks(x: np.ndarray) -> tuple[np.ndarray, int]:
    """0-based dense ranks (equal values share one) and the number of distinct values."""
    order = np.argsort(x)
    s = x[order]
    new = np.concatenate([[False], s[1:] != s[:-1]])
    ranks = np.empty(len(x), np.int64)
    ranks[order] = np.cumsum(new)
    return ranks, int(ranks.max()) + 1 if len(x) else 0


def _pairs_tied(counts: np.ndarray) -> int:
    counts = counts[counts > 1].astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def _discordant(x: np.ndarray, y: np.ndarray) -> int:
    """Pairs ordered one way by x and the other by y, over rows sorted by (x, y) dense ranks."""
    try:
        from scipy.stats._stats import _kendall_dis  # scipy's own counter (Fenwick tree, compiled)
    except ImportError:  # pragma: no cover - a scipy without it: the public function does the rest
        return -1
    return int(_kendall_dis(np.ascontiguousarray(x, np.intp), np.ascontiguousarray(y, np.intp)))


def _kendall1(x: np.ndarray, y: np.ndarray) -> float:
    (rx, _), (ry, my) = parallel.run_all([lambda: dense_ranks(x), lambda: dense_ranks(y)], len(x))
    key = np.sort(rx * my + ry)  # rows in (x, y) order, as scipy's two sorts leave them
    xs, ys = key // my, key % my
    dis = _discordant(xs + 1, ys + 1)
    if dis < 0:  # pragma: no cover
        import scipy.stats

        return float(scipy.stats.kendalltau(x, y).statistic)
    size = len(x)
    tot = size * (size - 1) // 2
    xtie = _pairs_tied(np.bincount(xs))
    ytie = _pairs_tied(np.bincount(ys))
    if xtie == tot or ytie == tot:
        return math.nan
    edges = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1], [True]]))
    ntie = _pairs_tied(np.diff(edges))  # rows tied in both x and y
    con_minus_dis = tot - xtie - ytie + ntie - 2 * dis
    tau = con_minus_dis / np.sqrt(tot - xtie) / np.sqrt(tot - ytie)
    return float(min(1.0, max(-1.0, tau)))


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall's tau-b per column (scipy's ``kendalltau(x, y).statistic``)."""
    return _per_column(_kendall1, x, y)


def _ccc1(x: np.ndarray, y: np.ndarray) -> float:
    if _constant(x) or _constant(y):
        return math.nan  # undefined (0/0 Pearson factor)
    mx, my = x.mean(), y.mean()
    # the centred sums block by block into two small buffers (in cache; no n-sized temporaries),
    # `math.fsum` across blocks: 2.2 ms at 1M rows (whole-array deviations and einsum: 5.8 ms)
    n = len(x)
    dx, dy = np.empty(min(n, BLOCK)), np.empty(min(n, BLOCK))
    moments = []
    for start in range(0, n, BLOCK):
        m = min(n, start + BLOCK) - start
        bx = np.subtract(x[start:start + m], mx, out=dx[:m])
        by = np.subtract(y[start:start + m], my, out=dy[:m])
        moments.append((np.einsum("i,i->", bx, bx), np.einsum("i,i->", by, by), np.einsum("i,i->", bx, by)))
    sxx, syy, sxy = (math.fsum(column) for column in zip(*moments))
    n1 = n - 1
    return float(2 * (sxy / n1) / (sxx / n1 + syy / n1 + (mx - my) ** 2))


def ccc(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Lin's concordance correlation per column, (n - 1) denominators (torchmetrics' formula)."""
    return _per_column(_ccc1, x, y)
