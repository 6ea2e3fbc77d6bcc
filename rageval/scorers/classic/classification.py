"""Classification metrics over `y_true` / `y_pred` labels, identical to scikit-learn.

One example is one sample with one label (a number, string or bool). Statistics are label
indices, so `reduce` over any subset sees exactly the labels that scikit-learn would see there.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Iterator

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, MeanScorer, Scorer


def _labels(values: list, field: str) -> list:
    for i, v in enumerate(values):
        if isinstance(v, list):
            raise FieldError(field, field, i, "expected one label per example (multi-label arrays are not supported)")
    return values


class Accuracy(MeanScorer):
    """Share of examples whose predicted label equals the true label; matches
    `sklearn.metrics.accuracy_score` (``normalize=True``)."""

    name = "accuracy"
    fields = ("y_true", "y_pred")

    def score_batch(self, batch: Batch) -> list[float]:
        t, p = _labels(batch["y_true"], "y_true"), _labels(batch["y_pred"], "y_pred")
        return [float(a == b) for a, b in zip(t, p)]


_AVERAGES = ("binary", "micro", "macro", "weighted")


class F1(Scorer):
    """F1 score, identical to `sklearn.metrics.f1_score` for single-label data.

    Parameters keep scikit-learn's names: ``average`` (``"binary"`` default, ``"micro"``,
    ``"macro"``, ``"weighted"``), ``pos_label`` (1), ``zero_division`` (``"warn"`` = 0, 0, 1 or
    ``nan``). Per class, ``F1 = 2·tp / (2·tp + fp + fn)``; a class whose denominator is 0 gets
    ``zero_division``. The labels are those present in ``y_true`` or ``y_pred`` of the examples
    reduced (scikit-learn's `unique_labels`), so every bootstrap subset is scored as scikit-learn
    would score it. Statistics: ``[true label index, predicted label index]`` (binary:
    ``[y_true == pos_label, y_pred == pos_label]``); label indices come from a first pass over the data.
    """

    name = "f1"
    fields = ("y_true", "y_pred")
    needs_prepare = True

    def __init__(self, average: str = "binary", pos_label: Any = 1, zero_division: Any = "warn") -> None:
        if average not in _AVERAGES:
            raise ConfigError(f"f1: average must be one of {_AVERAGES}, got {average!r}")
        if not (zero_division == "warn" or zero_division in (0, 1) or
                (isinstance(zero_division, float) and math.isnan(zero_division))):
            raise ConfigError(f"f1: zero_division must be 'warn', 0, 1 or nan, got {zero_division!r}")
        super().__init__(average=average, pos_label=pos_label, zero_division=zero_division)
        self.index: dict[Any, int] = {}

    def _zero(self) -> float:
        z = self.params["zero_division"]
        return 0.0 if z == "warn" else float(z)

    def prepare(self, batches: Callable[[], Iterator[Batch]]) -> None:
        seen: set = set()
        for b in batches():
            seen.update(_labels(b["y_true"], "y_true"))
            seen.update(_labels(b["y_pred"], "y_pred"))
        try:
            labels = sorted(seen)
        except TypeError:
            raise FieldError("y_true", "y_true", None, "labels mix types that cannot be ordered "
                                                       f"({sorted({type(x).__name__ for x in seen})})") from None
        if self.params["average"] == "binary" and len(labels) > 2:
            raise ConfigError(f"f1: average='binary' needs at most two labels, the data has {len(labels)} "
                              f"({labels[:5]}...); choose average='macro', 'micro' or 'weighted'")
        self.index = {x: i for i, x in enumerate(labels)}

    def stats(self, batch: Batch) -> np.ndarray:
        t, p = _labels(batch["y_true"], "y_true"), _labels(batch["y_pred"], "y_pred")
        if self.params["average"] == "binary":
            pos = self.params["pos_label"]
            return np.array([[a == pos, b == pos] for a, b in zip(t, p)], np.float64).reshape(-1, 2)
        if not self.index:
            self.prepare(lambda: iter([batch]))
        try:
            return np.array([[self.index[a], self.index[b]] for a, b in zip(t, p)], np.float64).reshape(-1, 2)
        except KeyError as e:
            raise FieldError("y_pred", "y_pred", None, f"label {e.args[0]!r} was not seen in the first pass") from None

    def reduce(self, stats: np.ndarray) -> dict[str, float]:
        stats = np.asarray(stats, np.float64).reshape(-1, 2)
        if len(stats) == 0:
            return {self.key: math.nan}
        t, p = stats[:, 0].astype(np.int64), stats[:, 1].astype(np.int64)
        if self.params["average"] == "binary":
            tp = float(np.sum(t & p))
            fp, fn = float(np.sum(p & (1 - t))), float(np.sum(t & (1 - p)))
            return {self.key: self._f1(np.array([tp]), np.array([fp]), np.array([fn]))[0]}
        n = int(max(t.max(), p.max())) + 1
        true_count, pred_count = np.bincount(t, minlength=n), np.bincount(p, minlength=n)
        tp = np.bincount(t[t == p], minlength=n).astype(np.float64)
        present = (true_count + pred_count) > 0
        tp = tp[present]
        fp, fn = pred_count[present] - tp, true_count[present] - tp
        average = self.params["average"]
        if average == "micro":
            return {self.key: self._f1(np.array([tp.sum()]), np.array([fp.sum()]), np.array([fn.sum()]))[0]}
        f1 = self._f1(tp, fp, fn)
        if average == "macro":
            return {self.key: float(np.mean(f1))}
        weights = true_count[present].astype(np.float64)
        if weights.sum() == 0:
            return {self.key: self._zero()}
        return {self.key: float(np.average(f1, weights=weights))}

    def _f1(self, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
        denom = 2 * tp + fp + fn
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), self._zero())

    def example_scores(self, stats: np.ndarray) -> dict[str, np.ndarray]:
        """F1 of each example alone: 1 when its label is right, else 0 (binary: an example with
        no positive label on either side gets ``zero_division``)."""
        stats = np.asarray(stats, np.float64).reshape(-1, 2)
        right = (stats[:, 0] == stats[:, 1]).astype(np.float64)
        if self.params["average"] == "binary":
            right = np.where((stats[:, 0] == 0) & (stats[:, 1] == 0), self._zero(), right)
        return {self.key: right}
