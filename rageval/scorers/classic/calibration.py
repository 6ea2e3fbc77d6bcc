"""Expected calibration error: ``ece`` over ``y_true`` and ``y_score``.

* **Binary:** ``y_true`` 0/1 and one probability (of label 1) per example.
* **Multiclass** (top-label): one probability vector per example, column ``j`` for the ``j``-th
  class in sorted order (integer labels ``0 .. C-1`` are their own column; other labels need
  ``labels=``, see `rageval.scorers.classic.inputs`). Each example's confidence is its largest
  probability and its outcome 1 when that column (the first of tied maxima, as ``torch.max``) is
  its true class: torchmetrics' ``multiclass_calibration_error(norm="l1")``, which then bins the
  (confidence, outcome) pairs exactly as the binary case. torchmetrics casts the confidences to
  float32 there; here they stay float64, equal to torchmetrics' own ``_ce_compute`` on the
  float64 confidences to 1e-12 (and to its float32 result to float32 precision).

``ECE = Σ_b (n_b / N) · |acc_b - conf_b|`` over the bins ``b`` holding examples, with ``acc_b``
the share of outcomes 1 (label 1, or a correct top label) and ``conf_b`` the mean probability
(confidence) in the bin, weighted by ``sample_weight`` where given (the references take no
weights). Statistics per example: ``[probability, outcome, weight]``, the same in both cases.

* ``strategy="uniform"`` (default): ``n_bins`` equal-width bins on [0, 1], torchmetrics'
  ``binary_calibration_error(norm="l1")`` exactly: boundaries ``torch.linspace(0, 1, n_bins + 1)``
  and ``bucketize(right=True)``, so a probability of exactly 1 has a bin of its own, as there.
  Statistics per example are its bin's one-hot count, probability and label columns: any subset
  and every bootstrap resample reduce exactly by sums.
* ``strategy="quantile"``: equal-mass bins at the percentiles of the probabilities
  (confidences) of the examples reduced, scikit-learn's ``calibration_curve(strategy="quantile")``
  binning of the (probability, outcome) pairs (``np.percentile`` edges with linear
  interpolation, ``searchsorted`` on the inner edges, so tied probabilities share a bin and a bin
  may hold more or fewer than ``N / n_bins``; empty bins are dropped). The edges are the
  percentiles of the probabilities unweighted (calibration_curve takes no weights); a
  ``sample_weight`` weighs the bins' counts and sums only, so unlike the uniform bins an integer
  weight is not the example repeated. The bins depend on the whole subset, so each subset is
  binned anew (no summed form).

>>> s = ECE(n_bins=2)
>>> round(s.reduce(s.stats({"y_true": [0, 1, 1], "y_score": [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]}))["ece"], 4)
0.0333
"""
from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, Scorer
from rageval.core.statistics import Rows, Statistics
from rageval.scorers.classic import inputs, parallel
from rageval.scorers.classic.probabilistic import binary_inputs, class_probabilities
from rageval.scorers.classic.ranking_metrics import numeric_column


def fast_inputs(batch: Batch, labels: list | None) -> tuple[np.ndarray, np.ndarray] | None:
    """``(probability, outcome)`` of every example without the checked path's temporaries, where
    ``y_true`` and ``y_score`` are numpy arrays of valid values (integer or bool labels; float
    probabilities in [0, 1]); None otherwise, or at the first doubt, and the checked path then
    raises its error (the class-column check of multiclass labels raises here, as it would there
    after the probabilities passed)."""
    y, score = batch["y_true"], batch["y_score"]
    if not (isinstance(y, np.ndarray) and isinstance(score, np.ndarray)) or y.ndim != 1 or not len(y) or \
            score.dtype.kind != "f" or score.ndim not in (1, 2) or len(score) != len(y):
        return None
    if not (score.min() >= 0 and score.max() <= 1):  # NaN fails too
        return None
    score = score.astype(np.float64, copy=False)
    if score.ndim == 1:
        return (score, y) if y.dtype.kind in "biu" and y.min() >= 0 and y.max() <= 1 else None
    if not score.shape[1] or (labels is not None and len(labels) != score.shape[1]):
        return None
    column = inputs.class_columns(y, labels, score.shape[1])
    # the first of tied maxima, as torch.max; row blocks on threads (numpy's argmax releases the GIL):
    # 1M rows of 5 classes 18 -> 10 ms on 2 cores
    top = np.empty(len(score), np.intp)
    parallel.run_chunks(lambda lo, hi: np.argmax(score[lo:hi], axis=1, out=top[lo:hi]), len(score), 1 << 15)
    n, k = score.shape  # each row's top probability from the flat array (half take_along_axis's time)
    return np.ascontiguousarray(score).ravel().take(np.arange(0, n * k, k) + top), top == column


def _all_ones(w: np.ndarray) -> bool:
    return w[0] == 1.0 and not np.count_nonzero(w != 1.0)


def bin_edges(n_bins: int) -> np.ndarray:
    """``torch.linspace(0, 1, n_bins + 1)`` in float64 (torchmetrics' boundaries, bit for bit;
    ``np.linspace`` differs in the last bit of some edges), or ``np.linspace`` without torch."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is installed with rageval's classic metrics
        return np.linspace(0.0, 1.0, n_bins + 1)
    return torch.linspace(0, 1, n_bins + 1, dtype=torch.float64).numpy()


class ECE(Scorer):
    """Expected calibration error (see the module docstring for both strategies)."""

    name = "ece"
    fields: ClassVar[tuple[str, ...]] = ("y_true", "y_score")
    optional_fields: ClassVar[tuple[str, ...]] = ("sample_weight",)
    higher_is_better = False
    bounds: ClassVar[tuple[float, float]] = (0.0, 1.0)

    def __init__(self, n_bins: int = 15, strategy: str = "uniform", labels: Sequence[Any] | None = None) -> None:
        if isinstance(n_bins, bool) or not isinstance(n_bins, numbers.Integral) or n_bins < 1:
            raise ConfigError(f"ece: n_bins must be a positive integer, got {n_bins!r}")
        if strategy not in ("uniform", "quantile"):
            raise ConfigError(f"ece: strategy must be 'uniform' or 'quantile', got {strategy!r}")
        labels = inputs.check_labels_param(self.name, labels, ordered=False)
        super().__init__(n_bins=int(n_bins), strategy=strategy, **({} if labels is None else {"labels": labels}))
        self.n_bins, self.strategy = int(n_bins), strategy
        self.labels = None if labels is None else sorted(labels)
        self.edges = bin_edges(self.n_bins)

    def bins(self, p: np.ndarray) -> np.ndarray:
        """Each probability's bin, ``searchsorted(edges, p, side="right") - 1`` (torchmetrics'
        ``bucketize(right=True) - 1``): ``floor(p · n_bins)``, and the binary search only for the
        few probabilities with ``p · n_bins`` within 1e-6 of an integer, where the float64 edges
        (a few ulps from ``j / n_bins``) may say otherwise (1M rows: 2 ms instead of 12 ms for a
        lookup of every probability's edges)."""
        x = p * self.n_bins
        out = x.astype(np.int64)
        np.minimum(out, self.n_bins, out=out)
        np.subtract(x, out, out=x)  # the distance above the guessed edge (p <= 1: at most 1 ulp below 0)
        np.subtract(x, 0.5, out=x)
        near = np.flatnonzero(np.abs(x, out=x) > 0.5 - 1e-6)
        if self.n_bins > 1_000_000:  # the rounding of p · n_bins nears 1e-6: search every probability
            near = np.arange(len(p))
        out[near] = np.searchsorted(self.edges, p[near], side="right") - 1
        return out

    def validate(self, batch: Batch) -> None:
        inputs.check_widths(batch, ("y_score",))

    def stats(self, batch: Batch) -> Rows:
        fast = fast_inputs(batch, self.labels)
        if fast is not None:
            p, y = fast
        elif inputs.is_matrix(batch["y_score"]):  # top-label: the largest probability, and whether it is right
            with warnings.catch_warnings():  # rows need not sum to one here (torchmetrics does not ask)
                warnings.simplefilter("ignore", UserWarning)
                prob, column = class_probabilities(batch, self.labels)
            top = np.argmax(prob, axis=1)
            y, p = top == column, prob[np.arange(len(prob)), top]
        else:
            y, p = binary_inputs(batch)
        weights = batch.get("sample_weight")
        w = 1.0 if weights is None else numeric_column(batch, "sample_weight")
        if weights is not None and len(w) != len(y):
            raise FieldError("sample_weight", "sample_weight", None, f"{len(w)} weights for {len(y)} examples")
        columns = np.empty((3, len(y)))  # stored column by column: written and read contiguously
        columns[0], columns[1], columns[2] = p, y, w
        return Rows(columns.T)

    def sum_rows(self, stats: Statistics) -> Any:
        """Per example, in its bin's columns of the ``3 (n_bins + 1)`` (count, confidence,
        accuracy) blocks: its weight, weight x probability and weight x outcome; zeros elsewhere.
        Three non-zeros per row, so the rows are a scipy sparse CSR array (1M rows, 15 bins: 40 MB
        instead of 384 MB dense), which resampling multiplies as it would the dense rows."""
        if self.strategy != "uniform":
            return None
        import scipy.sparse

        v = np.asarray(stats, np.float64).reshape(len(stats), 3)
        k = self.n_bins + 1
        b = self.bins(v[:, 0])
        columns = np.stack([b, k + b, 2 * k + b], axis=1).reshape(-1)
        values = np.stack([v[:, 2], v[:, 2] * v[:, 0], v[:, 2] * v[:, 1]], axis=1).reshape(-1)
        return scipy.sparse.csr_array((values, columns, np.arange(0, 3 * len(v) + 1, 3)), shape=(len(v), 3 * k))

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        k = sums.shape[1] // 3
        n, conf, acc = sums[:, :k], sums[:, k:2 * k], sums[:, 2 * k:]
        with np.errstate(invalid="ignore", divide="ignore"):
            conf_bin = np.nan_to_num(conf / n)
            acc_bin = np.nan_to_num(acc / n)
            value = (np.abs(acc_bin - conf_bin) * (n / n.sum(axis=1, keepdims=True))).sum(axis=1)
        return {self.key: np.where(counts > 0, value, math.nan)}

    def reduce(self, stats: Statistics) -> dict[str, float]:
        v = np.asarray(stats, np.float64).reshape(len(stats), 3)
        if not len(v):
            return {self.key: math.nan}
        if self.strategy == "uniform":  # per-bin sums in row order, as torchmetrics' scatter_add_
            k = self.n_bins + 1
            p, y, w = v[:, 0], v[:, 1], v[:, 2]
            b = self.bins(p)
            # one bincount over (bin, outcome) gives each bin's count and its count of outcomes 1
            # (outcomes are 0 or 1): integers without weights, exact; weighted, the weight of each
            # bin is summed per outcome first (a different rounding from one sum, ~1 ulp)
            pairs = np.add(b, b, out=b)
            pairs += y == 1
            if _all_ones(w):
                by_outcome = np.bincount(pairs, minlength=2 * k).astype(np.float64)
                conf = np.bincount(pairs >> 1, weights=p, minlength=k)
            else:
                by_outcome = np.bincount(pairs, weights=w, minlength=2 * k)
                conf = np.bincount(pairs >> 1, weights=w * p, minlength=k)
            by_outcome = by_outcome.reshape(k, 2)
            sums = np.concatenate([by_outcome.sum(axis=1), conf, by_outcome[:, 1]])
            return {self.key: float(self.reduce_sums(sums[None, :], np.array([float(len(v))]))[self.key][0])}
        p, y, w = v[:, 0], v[:, 1], v[:, 2]
        edges = np.percentile(p, np.linspace(0, 1, self.n_bins + 1) * 100)
        ids = np.searchsorted(edges[1:-1], p)
        total = np.bincount(ids, weights=w, minlength=len(edges))
        conf = np.bincount(ids, weights=w * p, minlength=len(edges))
        acc = np.bincount(ids, weights=w * y, minlength=len(edges))
        used = total != 0
        value = np.sum(np.abs(acc[used] / total[used] - conf[used] / total[used]) * total[used]) / total.sum()
        return {self.key: float(value)}
