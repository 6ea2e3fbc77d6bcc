"""Percentile bootstrap confidence intervals for every aggregate of a `Results`, as sacrebleu computes
them for ``corpus_score(..., n_bootstrap=N)`` (``rageval.results.store`` saves them as ``ci.json``).

Method (sacrebleu's ``_bootstrap_resample`` and ``Score.estimate_ci``, for any scorer): draw
``n`` resamples of the examples with replacement (``default_rng(seed).choice``), reduce each
resample's statistics with the scorer's ``reduce``, sort the ``n`` values and take the order
statistics ``lo = floor(n * alpha / 2)`` and ``hi = n - lo - 1`` as the interval (for alpha =
0.05 sacrebleu's ``n // 40``). sacrebleu reports ``mean ± ci``: ``mean`` is the mean of the
resampled values and ``ci`` the half width ``(high - low) / 2``; both are kept here.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from rageval.stats.resampling import SEED, Replicator, bootstrap_many


@dataclass(frozen=True)
class Interval:
    """A point estimate with its bootstrap interval.

    ``value``: the metric on all examples; ``low``/``high``: the interval; ``mean``: the mean of
    the resampled values (sacrebleu's ``μ``); ``half_width``: sacrebleu's ``± ci``.
    """

    value: float
    low: float
    high: float
    mean: float
    alpha: float
    n_resamples: int
    n_examples: int

    @property
    def half_width(self) -> float:
        return 0.5 * (self.high - self.low)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "half_width": self.half_width}


def percentile_bounds(values: np.ndarray, alpha: float = 0.05) -> tuple[float, float, float]:
    """``(low, high, mean)`` of resampled values by sacrebleu's order-statistic rule.

    Sorted values ``v``; ``lo = floor(len(v) * alpha / 2)``, ``low = v[lo]``,
    ``high = v[len(v) - lo - 1]``; ``mean`` is their mean. NaN values (a resample where the
    metric is undefined) are left out; all NaN gives NaN bounds.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    v = np.sort(np.asarray(values, np.float64))
    v = v[~np.isnan(v)]
    if not len(v):
        return math.nan, math.nan, math.nan
    lo = math.floor(len(v) * Fraction(alpha).limit_denominator(10**9) / 2)
    return float(v[lo]), float(v[len(v) - lo - 1]), float(v.mean())


def confidence_intervals(results: Any, n: int = 1000, seed: int | None = SEED, alpha: float = 0.05,
                         keys: Iterable[str] | None = None) -> dict[str, Interval]:
    """Percentile bootstrap interval of every aggregate key of ``results`` (a `Results`).

    Each scorer is resampled over the examples it succeeded on, ``n`` times with ``seed``
    (sacrebleu's default 12345, so BLEU/chrF/TER intervals equal sacrebleu's
    ``corpus_score(n_bootstrap=n)`` on the same data). ``keys`` restricts the keys.

    >>> ci = confidence_intervals(res, n=1000)          # doctest: +SKIP
    >>> ci["bleu"].low, ci["bleu"].high                  # doctest: +SKIP
    """
    if n < 1:
        raise ValueError(f"n (bootstrap resamples) must be positive, got {n!r}")
    wanted = None if keys is None else set(keys)
    out: dict[str, Interval] = {}
    todo = []
    for _key, r in results.by_scorer.items():
        scorer_keys = [k for k in r.scorer.keys() if wanted is None or k in wanted]
        if not scorer_keys:
            continue
        if not len(r.ids):
            for k in scorer_keys:
                out[k] = Interval(math.nan, math.nan, math.nan, math.nan, alpha, n, 0)
            continue
        todo.append((r, scorer_keys))
    replicated = bootstrap_many([Replicator(r.scorer, r.stats) for r, _ in todo], n, seed)  # draws made once
    for (r, scorer_keys), replicates in zip(todo, replicated):
        for k in scorer_keys:
            low, high, mean = percentile_bounds(replicates[k], alpha)
            out[k] = Interval(float(results.aggregate[k]), low, high, mean, alpha, n, len(r.ids))
    order = [k for r in results.by_scorer.values() for k in r.scorer.keys() if k in out]
    return {k: out[k] for k in order}
