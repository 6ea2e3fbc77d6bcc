"""The numpy core of the per-example regression losses and of the regression statistics: the
columns read as ``(n, d)`` float64 arrays, each loss per element written after its reference (in
place, ``out=``, and bit for bit the reference's numbers), the ``[loss (d), weight]`` statistics
built block by block (on more than one core where the numbers stay the same,
`rageval.scorers.classic.parallel`), and the blocked weighted sums that reduce them.

Conventions: ``t``, ``p`` are ``y_true`` and ``y_pred`` (``(n, d)`` arrays, or 1-D), ``out`` an array
of their shape; each ``*_into`` function writes the loss into ``out`` (and may return ``out.max()``
where it computed it anyway). References: scikit-learn 1.9.1 (squared, absolute, percentage,
squared-log, pinball, Tweedie), torch (``huber_loss``), torchmetrics (log-cosh, SMAPE).

>>> t, p, out = np.array([3.0, -0.5]), np.array([2.5, 0.0]), np.empty(2)
>>> huber_into(t, p, 1.0, out); out.tolist()
[0.125, 0.125]
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from rageval.core.errors import FieldError
from rageval.core.statistics import Rows
from rageval.scorers.classic import parallel

EPS_TM = 1.17e-06  # torchmetrics' clamp in symmetric_mean_absolute_percentage_error
#: the largest weighted loss one example may have: sums over up to 2**32 examples stay finite
LARGEST = np.finfo(np.float64).max / 2**32
#: rows per block of an elementwise loss or a weighted sum (its temporaries, 256 KiB each, stay in cache)
BLOCK = 1 << 15


# --- reading the columns ----------------------------------------------------------------------------
def read_column(batch: Any, field: str, finite: bool = True) -> np.ndarray:
    """``batch[field]`` as an ``(n, d)`` float64 array; `FieldError` naming field and row otherwise
    (``finite=False``: non-finite values are let through, for a caller that finds them later)."""
    values = batch[field]
    arr = np.asarray(values) if isinstance(values, np.ndarray) else None
    if arr is None or arr.dtype.kind not in "biuf":
        rows = []
        for i, v in enumerate(values):
            a = np.asarray(v.tolist() if hasattr(v, "tolist") and not isinstance(v, np.ndarray) else v)
            if a.dtype.kind not in "biuf" or a.ndim > 1 or a.size == 0:
                raise FieldError(field, field, i, f"expected a number or a 1-d array of numbers, got {v!r:.60}")
            rows.append(a.astype(np.float64).ravel())
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            first = len(rows[0])
            i = next(j for j, r in enumerate(rows) if len(r) != first)
            raise FieldError(field, field, i, f"has {len(rows[i])} outputs, row 0 has {first}")
        arr = np.array(rows, dtype=np.float64).reshape(len(rows), -1 if rows else 1)
    checked = getattr(batch, "checked", False) and isinstance(values, np.ndarray)  # fields.py found it finite
    arr = arr.astype(np.float64, copy=False).reshape(len(arr), -1 if len(arr) else 1)  # no rows: one output
    if finite and not checked:
        check_finite(arr, field)
    return arr


def check_finite(arr: np.ndarray, field: str) -> None:
    """`FieldError` at the first row of ``arr`` with a NaN or an infinity."""
    if not np.isfinite(np.sum(arr)):  # NaN, inf propagate (an overflowing sum: row by row)
        bad = np.flatnonzero(~np.isfinite(arr).all(axis=1))
        if len(bad):
            raise FieldError(field, field, int(bad[0]), f"not finite: {arr[bad[0]].tolist()}")


def column_rows(*blocks: np.ndarray) -> Rows:
    """``Rows`` of the ``(n, d_i)`` / ``(n,)`` blocks side by side, stored column by column
    (Fortran order), so that reduce reads each column as one contiguous array."""
    n = len(blocks[0])
    cols = [b.reshape(n, -1) if n else b.reshape(0, b.shape[1] if b.ndim == 2 else 1) for b in blocks]
    out = np.empty((sum(c.shape[1] for c in cols), n))
    j = 0
    for c in cols:
        out[j:j + c.shape[1]] = c.T
        j += c.shape[1]
    return Rows(out.T)


# --- sums ---------------------------------------------------------------------------------------------
def weighted_sums(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """``(Σ x·w, Σ w)`` in one pass: per block of 32k rows (in cache) the products into one small
    buffer and pairwise sums, `math.fsum` across blocks; no array of n products. Not a BLAS dot:
    its threads, woken per call, stall against torch's on a busy machine (0.005 -> 0.24 s at 1M rows);
    not ``einsum``: its sum depends on the memory layout (a strided column sums otherwise).
    ``np.add.reduce`` is ``np.sum`` (the same pairwise sums) without its Python wrapper: 1M rows 1.1 -> 1.0 ms."""
    buffer = np.empty(min(len(x), BLOCK))
    products, weights = [], []
    add = np.add.reduce
    for start in range(0, len(x), BLOCK):
        xb, wb = x[start:start + BLOCK], w[start:start + BLOCK]
        products.append(float(add(np.multiply(xb, wb, out=buffer[:len(xb)]))))
        weights.append(float(add(wb)))
    return math.fsum(products), math.fsum(weights)


def all_ones(w: np.ndarray) -> bool:
    """True when every weight is 1 (or there is none)."""
    # w[0] first: weighted data rarely starts at 1; then one compare and count (min and max: two passes)
    return len(w) == 0 or (w[0] == 1.0 and not np.count_nonzero(w != 1.0))


def constant_column(a: np.ndarray) -> bool:
    """True where a column of ``a`` holds one value (the first and last rows compared first)."""
    if len(a) > 1 and np.all(a[0] != a[-1]):
        return False
    return bool(np.any(a.min(axis=0) == a.max(axis=0)))


# --- the statistics [loss (d), weight] -------------------------------------------------------------------
def loss_rows(into: Callable[[np.ndarray, np.ndarray, np.ndarray], Any], t: np.ndarray, p: np.ndarray,
              w: np.ndarray | float, nonnegative: bool = True, threaded: bool = False
              ) -> tuple[np.ndarray, float, float]:
    """The ``[loss (d), weight]`` statistics of ``(n, d)`` ``t``, ``p`` and weights ``w`` (a float:
    every weight), stored column by column (``(d + 1, n)``; reduce reads contiguous columns), with the
    largest ``|loss|`` and ``|weight|`` (NaN where any is NaN), for the overflow check.

    ``into(t, p, out)`` writes the loss of rows in place (`fill_rows`, block by block; on threads
    when ``threaded``: kernels whose ufunc loop dominates, scipy's xlogy; see `parallel`)."""
    n, d = t.shape
    columns = np.empty((d + 1, n))

    def fill(lo: int, hi: int) -> np.ndarray:
        return fill_rows(into, t, p, w, columns, lo, hi, nonnegative)

    largest, scale = np.max(parallel.run_chunks(fill, n, BLOCK) if threaded else [fill(0, n)], axis=0)
    return columns, float(largest), float(scale)


def fill_rows(into: Callable[[np.ndarray, np.ndarray, np.ndarray], Any], t: np.ndarray, p: np.ndarray,
              w: np.ndarray | float, columns: np.ndarray, lo: int, hi: int, nonnegative: bool) -> np.ndarray:
    """Rows ``lo:hi`` of ``columns`` (`loss_rows`), block by block so that everything after the
    loss reads cache; returns ``[largest |loss|, largest |weight|]`` of those rows (NaN if any is NaN)."""
    d = t.shape[1]
    loss = columns[:d].T
    unweighted = isinstance(w, float)
    if unweighted:
        columns[d, lo:hi] = w  # a fill (copying a broadcast scalar block by block is several times slower)
    tops, scales = [0.0], [w if unweighted else 0.0]
    with np.errstate(over="ignore", invalid="ignore"):  # per thread: errstate is not inherited
        for start in range(lo, hi, BLOCK):
            end = min(hi, start + BLOCK)
            block = loss[start:end]
            top = into(t[start:end], p[start:end], block)
            tops.append(block.max() if top is None else top)
            if not nonnegative:
                tops.append(-block.min())
            if not unweighted:
                wb = columns[d, start:end]
                np.copyto(wb, w[start:end])
                scales += [wb.max(), -wb.min()]
    return np.array([np.max(tops), np.max(scales)])


# --- the losses per element -----------------------------------------------------------------------------
def squared_into(t: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
    """``(y - ŷ)²`` (scikit-learn's ``mean_squared_error``)."""
    np.square(np.subtract(t, p, out=out), out=out)


def absolute_into(t: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
    """``|ŷ - y|`` (scikit-learn's ``mean_absolute_error``)."""
    np.abs(np.subtract(p, t, out=out), out=out)


def percentage_into(t: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
    """``|ŷ - y| / max(|y|, eps)`` (scikit-learn's ``mean_absolute_percentage_error``)."""
    np.abs(np.subtract(p, t, out=out), out=out)
    np.divide(out, np.maximum(np.abs(t), np.finfo(np.float64).eps), out=out)


def squared_log_into(t: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
    """``(log1p y - log1p ŷ)²`` (scikit-learn's ``mean_squared_log_error``)."""
    np.square(np.subtract(np.log1p(t, out=out), np.log1p(p), out=out), out=out)


def pinball(t: np.ndarray, p: np.ndarray, alpha: float) -> np.ndarray:
    """scikit-learn's pinball loss per element: ``α·s·d - (1 - α)(1 - s)·d``, d = y - ŷ, s = [d ≥ 0]."""
    diff = t - p
    sign = (diff >= 0).astype(diff.dtype)
    return alpha * sign * diff - (1 - alpha) * (1 - sign) * diff


def pinball_into(t: np.ndarray, p: np.ndarray, alpha: float, out: np.ndarray) -> None:
    """`pinball` in place: α·1·d - (1-α)·0·d = α·d where d >= 0, α·0·d - (1-α)·1·d = -((1-α)·d) else;
    with 0 <= α <= 1 the larger of α·d and (α - 1)·d = -((1-α)·d) is that one (NaN propagates)."""
    d = np.subtract(t, p, out=out)
    above = np.multiply(d, alpha)
    np.maximum(np.multiply(d, alpha - 1, out=out), above, out=out)


def tweedie(t: np.ndarray, p: np.ndarray, power: float) -> np.ndarray:
    """scikit-learn's ``_mean_tweedie_deviance`` per element."""
    if power == 0:
        return (t - p) ** 2
    if power == 1:
        from scipy.special import xlogy

        return 2 * (xlogy(t, t / p) - t + p)
    if power == 2:
        return 2 * (np.log(p / t) + t / p - 1)
    y = np.where(t > 0, t, 0.0) if power < 0 else t
    return 2 * (np.power(y, 2 - power) / ((1 - power) * (2 - power)) - t * np.power(p, 1 - power) / (1 - power)
                + np.power(p, 2 - power) / (2 - power))


def tweedie_into(t: np.ndarray, p: np.ndarray, power: float, out: np.ndarray) -> None:
    """`tweedie` in place for powers 0, 1 and 2 (the same operations in the same order)."""
    if power == 0:
        np.square(np.subtract(t, p, out=out), out=out)
    elif power == 1:
        from scipy.special import xlogy

        xlogy(t, np.divide(t, p, out=out), out=out)
        np.multiply(np.add(np.subtract(out, t, out=out), p, out=out), 2, out=out)
    elif power == 2:
        np.log(np.divide(p, t, out=out), out=out)
        ratio = np.divide(t, p)
        np.multiply(np.subtract(np.add(out, ratio, out=out), 1, out=out), 2, out=out)
    else:
        out[...] = tweedie(t, p, power)


def huber(t: np.ndarray, p: np.ndarray, delta: float) -> np.ndarray:
    """torch's ``huber_loss(reduction="none")``: ``0.5 e²`` if ``|e| < δ`` else ``δ (|e| - 0.5 δ)``."""
    a = np.abs(t - p)
    return np.where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta))


def huber_into(t: np.ndarray, p: np.ndarray, delta: float, out: np.ndarray) -> None:
    """`huber` in place: c = min(|e|, δ); (|e| - 0.5 c)·c is torch's 0.5·|e|·|e| where |e| < δ
    (|e| - 0.5|e| = 0.5|e| exactly) and δ(|e| - 0.5 δ) elsewhere: the same numbers, with no mask."""
    a = np.abs(np.subtract(t, p, out=out), out=out)
    c = np.minimum(a, delta)
    half = np.multiply(c, -0.5)
    np.multiply(np.add(half, a, out=half), c, out=out)


def log_cosh_into(t: np.ndarray, p: np.ndarray, out: np.ndarray) -> float:
    """torchmetrics' ``log(cosh(ŷ - y))``; where ``cosh`` overflows (``|ŷ - y| > ~710``) the stable
    form ``|e| + log1p(exp(-2|e|)) - log 2`` of the same function. Returns ``out.max()``."""
    with np.errstate(over="ignore"):
        np.log(np.cosh(np.subtract(p, t, out=out), out=out), out=out)
    top = out.max()
    if not top < np.inf:  # cosh overflowed: those elements from the stable form
        a = np.abs(p - t)
        huge = ~(out < np.inf)
        out[huge] = (a + np.log1p(np.exp(-2 * a)) - math.log(2))[huge]
        top = out.max()
    return top


def smape(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """torchmetrics' ``2 |ŷ - y| / max(|y| + |ŷ|, 1.17e-6)``."""
    return 2 * np.abs(p - t) / np.maximum(np.abs(t) + np.abs(p), EPS_TM)


def smape_into(t: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
    """`smape` in place."""
    np.multiply(np.abs(np.subtract(p, t, out=out), out=out), 2, out=out)
    scale = np.abs(t)
    np.add(scale, np.abs(p), out=scale)
    np.divide(out, np.maximum(scale, EPS_TM, out=scale), out=out)
