"""Agreement of a judge's scores with binary human labels: AUROC, balanced accuracy, Spearman,
Kendall, Cohen's kappa, a dev-chosen threshold and seeded bootstrap confidence intervals.

All functions take ``y`` (human labels, 0/1) and ``s`` (the judge's scores, higher = more
positive) as 1-D arrays, and treat ties exactly (midranks), matching scikit-learn and scipy.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _check(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y)
    s = np.asarray(s, dtype=np.float64)
    if y.ndim != 1 or s.shape != y.shape:
        raise ValueError(f"labels and scores must be 1-D of the same length, got {y.shape} and {s.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite (score or drop flagged examples before meta-evaluating)")
    return y.astype(np.int64), s


def midranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (scipy.stats.rankdata 'average')."""
    values = np.asarray(values)
    order = np.argsort(values, kind="mergesort")
    sorted_v = values[order]
    starts = np.r_[0, np.flatnonzero(sorted_v[1:] != sorted_v[:-1]) + 1]
    ends = np.r_[starts[1:], len(values)]
    avg = (starts + ends + 1) / 2.0  # mean of 1-based ranks start+1 .. end
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def auroc(y: np.ndarray, s: np.ndarray) -> float:
    """Area under the ROC curve: P(s_pos > s_neg) + ½ P(tie) (Mann–Whitney U / (n₁ n₀));
    sklearn.metrics.roc_auc_score. NaN when one class is absent."""
    y, s = _check(y, s)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = midranks(s)
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def balanced_accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    """Mean of the true-positive and true-negative rates (sklearn.metrics.balanced_accuracy_score)."""
    y, pred = np.asarray(y).astype(np.int64), np.asarray(pred).astype(np.int64)
    rates = [np.mean(pred[y == c] == c) for c in (0, 1) if (y == c).any()]
    return float(np.mean(rates))


def cohen_kappa(y: np.ndarray, pred: np.ndarray) -> float:
    """Cohen's kappa (pₒ − pₑ) / (1 − pₑ) between two binary labellings (sklearn's cohen_kappa_score).
    1.0 when both labellings are constant and equal (no disagreement possible)."""
    y, pred = np.asarray(y).astype(np.int64), np.asarray(pred).astype(np.int64)
    po = np.mean(y == pred)
    pe = np.mean(y) * np.mean(pred) + np.mean(1 - y) * np.mean(1 - pred)
    return float((po - pe) / (1 - pe)) if pe < 1 else 1.0


def spearman(y: np.ndarray, s: np.ndarray) -> float:
    """Spearman's rho: Pearson correlation of midranks (scipy.stats.spearmanr). NaN if one is constant."""
    y, s = _check(y, s)
    a, b = midranks(y) - (len(y) + 1) / 2, midranks(s) - (len(y) + 1) / 2
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else float("nan")


def kendall(y: np.ndarray, s: np.ndarray) -> float:
    """Kendall's tau-b (scipy.stats.kendalltau) for binary ``y``, in O(n log n).

    With binary labels only positive–negative pairs can be concordant or discordant, and
    (concordant − discordant) = n₁n₀(2·AUROC − 1); tau-b = that / √((n₀ₚ − tᵧ)(n₀ₚ − tₛ)) with
    n₀ₚ = n(n−1)/2 and tᵧ, tₛ the tied pairs in each variable.
    """
    y, s = _check(y, s)
    n, n1 = len(y), int(y.sum())
    n0 = n - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    pairs = n * (n - 1) / 2
    ties_y = n1 * (n1 - 1) / 2 + n0 * (n0 - 1) / 2
    _, counts = np.unique(s, return_counts=True)
    ties_s = float((counts * (counts - 1) / 2).sum())
    den = np.sqrt((pairs - ties_y) * (pairs - ties_s))
    return float(n1 * n0 * (2 * auroc(y, s) - 1) / den) if den > 0 else float("nan")


def best_threshold(y: np.ndarray, s: np.ndarray) -> float:
    """The threshold t maximising balanced accuracy of ``s >= t`` on (dev) data.

    Candidates are midpoints between consecutive distinct scores (and ±∞ beyond the ends); ties in
    balanced accuracy go to the smallest such t, so the choice is deterministic.
    """
    y, s = _check(y, s)
    u = np.unique(s)
    cands = np.r_[-np.inf, (u[1:] + u[:-1]) / 2, np.inf] if len(u) > 1 else np.r_[u[0], np.inf]
    # rates at every candidate in one pass: sorted scores, cumulative class counts below t
    n1, n0 = max(int(y.sum()), 1), max(len(y) - int(y.sum()), 1)
    order = np.argsort(s, kind="mergesort")
    ss, yy = s[order], y[order]
    below = np.searchsorted(ss, cands, side="left")          # number of scores < t
    pos_below = np.r_[0, np.cumsum(yy)][below]
    neg_below = below - pos_below
    tpr = (int(y.sum()) - pos_below) / n1
    tnr = neg_below / n0
    bacc = (tpr + tnr) / 2
    return float(cands[int(np.argmax(bacc))])


def metrics_at(y: np.ndarray, s: np.ndarray, threshold: float) -> dict[str, float]:
    """AUROC, Spearman, Kendall, and balanced accuracy / Cohen's kappa of ``s >= threshold``."""
    pred = (np.asarray(s) >= threshold).astype(np.int64)
    return {"auroc": auroc(y, s), "balanced_accuracy": balanced_accuracy(y, pred),
            "spearman": spearman(y, s), "kendall": kendall(y, s), "kappa": cohen_kappa(y, pred)}


def bootstrap(y: np.ndarray, s: np.ndarray, metric: Callable[[np.ndarray, np.ndarray], dict[str, float]],
              n: int = 1000, seed: int = 0, alpha: float = 0.05) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap ``(low, high)`` intervals (level 1 − alpha) for each value of ``metric``,
    resampling examples with replacement, ``n`` times, from ``numpy.random.default_rng(seed)``.
    Resamples where a value is undefined (one class only) are left out of that value's interval."""
    y, s = _check(y, s)
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {}
    for _ in range(n):
        idx = rng.integers(0, len(y), len(y))
        for k, v in metric(y[idx], s[idx]).items():
            draws.setdefault(k, []).append(v)
    out = {}
    for k, vals in draws.items():
        v = np.asarray(vals)
        v = v[np.isfinite(v)]
        out[k] = ((float(np.quantile(v, alpha / 2)), float(np.quantile(v, 1 - alpha / 2)))
                  if len(v) else (float("nan"), float("nan")))
    return out
