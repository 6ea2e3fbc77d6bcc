"""The scorer contract: per-example sufficient statistics, and a reduce over any subset of them.

Every scorer — text, RAG, retrieval, classic or vision — maps a columnar batch of canonical
fields to one statistics entry per example (`stats`), and turns the entries of any subset of
examples into its metric (`reduce`). Corpus scores, per-example scores, bootstrap intervals,
paired tests, streaming and merging all follow from these two methods (sacrebleu's design,
generalised).

Statistics come in two shapes:

* fixed width (the default): ``stats`` returns a float array of shape ``(n, width)``;
* variable (``variable_stats = True``): ``stats`` returns a list of JSON-able objects, for
  scorers that keep per-example detail (detections, claims and verdicts).
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np



class Batch(dict):
    """A columnar batch: canonical field name -> one value per example.

    `evaluate` hands every scorer the same `Batch` object, so work several scorers share (the
    retrieval scorers judge the ranked ids against the qrels once) is done once per batch with
    `memo`. Scorers also accept a plain dict (then nothing is shared).
    """

    def memo(self, key: Any, compute: Any) -> Any:
        """``compute()``, computed once per batch object and ``key``."""
        cache = self.__dict__.setdefault("_memo", {})
        if key not in cache:
            cache[key] = compute()
        return cache[key]


def memo(batch: Mapping[str, Sequence[Any]], key: Any, compute: Any) -> Any:
    """``batch.memo(key, compute)`` for a `Batch`, ``compute()`` for any other mapping."""
    return batch.memo(key, compute) if isinstance(batch, Batch) else compute()

Stats = Any
"""A float array of shape (n, width), or a list of n JSON-able objects (``variable_stats``)."""


def take(stats: Stats, index: Sequence[int] | np.ndarray) -> Stats:
    """The statistics of the examples at ``index`` (works for both shapes)."""
    if isinstance(stats, np.ndarray):
        return stats[np.asarray(index, dtype=np.int64)]
    return [stats[i] for i in index]


def concat(parts: Sequence[Stats]) -> Stats:
    """Concatenate statistics of disjoint example sets (merging shards, machines or batches)."""
    parts = list(parts)
    if parts and all(isinstance(p, np.ndarray) for p in parts):
        return np.concatenate(parts, axis=0)
    out: list = []
    for p in parts:
        out.extend(p.tolist() if isinstance(p, np.ndarray) else p)
    return out


class Scorer(ABC):
    """Base class of every scorer.

    Subclasses set the class attributes below, take their parameters (with the reference
    implementation's names) as keyword arguments in ``__init__``, and implement ``stats`` and
    ``reduce``. Models are loaded lazily, on the first ``stats`` call, so that building a scorer
    (for a signature, or to reduce saved statistics) is cheap.
    """

    #: registry name; instances may carry a more specific one (e.g. ``ndcg@10``)
    name: ClassVar[str]
    #: canonical fields the scorer needs in every example
    fields: ClassVar[tuple[str, ...]] = ()
    #: canonical fields used when present
    optional_fields: ClassVar[tuple[str, ...]] = ()
    higher_is_better: ClassVar[bool] = True
    #: True when ``stats`` returns a list of JSON-able objects instead of a float array
    variable_stats: ClassVar[bool] = False
    #: names of the extra values ``reduce`` returns besides the primary one (``name.part`` keys)
    parts: ClassVar[tuple[str, ...]] = ()
    #: bumped whenever a change alters the values the scorer computes
    version: ClassVar[str] = "1"

    def __init__(self, **params: Any) -> None:
        self.params: dict[str, Any] = dict(params)
        self.key: str = type(self).name

    # --- the contract -------------------------------------------------------------------
    def prepare(self, batches: Any) -> None:
        """Optional first pass over the whole corpus (e.g. BERTScore's idf weights).

        ``batches`` is a callable returning a fresh iterator of batches. Scorers that need it set
        ``needs_prepare = True``; the state it builds must enter ``signature``.
        """

    needs_prepare: ClassVar[bool] = False

    @abstractmethod
    def stats(self, batch: Batch) -> Stats:
        """Per-example sufficient statistics for a columnar batch, one entry per example."""

    @abstractmethod
    def reduce(self, stats: Stats) -> dict[str, float]:
        """The metric over the examples whose statistics are given.

        Returns ``{self.key: value}`` plus ``{f"{self.key}.{part}": value}`` for each part.
        """

    def example_scores(self, stats: Stats) -> dict[str, np.ndarray]:
        """Per-example scores, keyed like ``reduce``. By default, ``reduce`` of each single row."""
        keys = self.keys()
        out = {k: np.empty(len(stats)) for k in keys}
        for i in range(len(stats)):
            row = self.reduce(take(stats, [i]))
            for k in keys:
                out[k][i] = row[k]
        return out

    # --- metadata -----------------------------------------------------------------------
    def keys(self) -> list[str]:
        """The aggregate keys this scorer produces: the primary key, then its parts."""
        return [self.key] + [f"{self.key}.{p}" for p in self.parts]

    def signature_items(self) -> dict[str, Any]:
        """Everything that changes the value: parameters, tokenizer, model, versions."""
        return dict(sorted(self.params.items()))

    @property
    def signature(self) -> str:
        """``name|param:value|...|version:X``: saved with every result, enough to reproduce it."""
        items = [f"{k}:{_fmt(v)}" for k, v in self.signature_items().items()]
        return "|".join([self.key, *items, f"version:{self.version}"])

    def spec(self) -> dict[str, Any]:
        """What rebuilds this scorer: ``get_scorer(spec["base"], **spec["params"])``, key ``spec["key"]``;
        ``spec["class"]`` names the class for scorers that are not registered."""
        cls = type(self)
        return {"base": cls.name, "key": self.key, "params": _jsonable(self.params),
                "class": f"{cls.__module__}:{cls.__qualname__}"}

    def __repr__(self) -> str:
        return f"<Scorer {self.signature}>"


class SummedScorer(Scorer):
    """A scorer with fixed-width statistics whose metric is a function of their column sums
    (a mean, BLEU's n-gram counts, macro-F1's confusion counts...).

    Subclasses implement `reduce_sums`, vectorised over rows of sums; `reduce` follows from it.
    Bootstrap resampling and randomisation tests use `reduce_sums` directly, reducing thousands
    of resamples with one matrix product.
    """

    @abstractmethod
    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        """Every key's value for each row of ``sums`` (shape ``(m, width)``: column sums of the
        statistics of ``counts[i]`` examples); NaN where ``counts[i] == 0``."""

    def reduce(self, stats: np.ndarray) -> dict[str, float]:
        stats = np.asarray(stats, dtype=np.float64)
        stats = stats.reshape(len(stats), -1) if len(stats) else stats.reshape(0, max(1, len(self.keys())))
        values = self.reduce_sums(stats.sum(axis=0, keepdims=True), np.array([float(len(stats))]))
        return {k: float(values[k][0]) for k in self.keys()}


class MeanScorer(SummedScorer):
    """A scorer whose per-example statistics are its per-example values and whose metric is the
    mean over examples. Subclasses implement ``score_batch`` returning an ``(n, 1 + len(parts))``
    array (or a 1-D array when there are no parts)."""

    def stats(self, batch: Batch) -> np.ndarray:
        values = np.asarray(self.score_batch(batch), dtype=np.float64)
        return values.reshape(len(values), -1) if len(values) else values.reshape(0, len(self.keys()))

    @abstractmethod
    def score_batch(self, batch: Batch) -> Any:
        """Per-example values: the primary value first, then each part."""

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sums / np.where(counts > 0, counts, math.nan)[:, None]
        return {k: means[:, j] for j, k in enumerate(self.keys())}

    def example_scores(self, stats: np.ndarray) -> dict[str, np.ndarray]:
        stats = np.asarray(stats, dtype=np.float64).reshape(len(stats), -1)
        return {k: stats[:, j].copy() for j, k in enumerate(self.keys())}


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ",".join(map(_fmt, value))
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
