"""Statistics containers: the few kinds of per-example sufficient statistics, with one interface.

Every scorer's ``stats`` yields one of these kinds (the class attribute ``Scorer.stats_kind``):

* `Rows` — a fixed-width float row per example (a mean-type value, BLEU's n-gram counts...);
* `Ragged` — a float array of varying length per example, with fixed columns (an image's
  detections with their scores and match flags); stored as Arrow list columns;
* `Records` — a JSON-able record per example (claims and verdicts);
* `Coded` — categorical columns coded against a vocabulary the statistics carry (a classifier's
  true and predicted labels), plus optional float columns (a sample weight). Concatenating codes
  of runs that saw different labels re-codes them against the union, so codes mean the same thing
  in every run that is merged or compared.

The interface, the same for every kind: ``len``, `take` (a subset, in the given order), `concat`
(disjoint example sets: batches, shards, machines), `missing` (placeholder rows for examples a
scorer failed on), `to_arrow` / `from_arrow` (Parquet columns), `aligned` (two systems'
statistics on one coding, for paired tests), and `coerce` (what a scorer's ``stats`` returned,
arrays, lists or torch tensors, as the kind). Evaluation, storage, resampling and merging each
have one code path for all kinds.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np

from rageval.core.convert import is_torch
from rageval.core.errors import IncompatibleError


def to_numpy(value: Any) -> Any:
    """A torch tensor (any device, with grad) as a numpy array; anything else unchanged."""
    return value.detach().cpu().numpy() if is_torch(value) else value


class Statistics(ABC):
    """The statistics of ``len(self)`` examples, one entry per example."""

    #: column-name prefix in a Parquet part (``<prefix>.<scorer key>[.<column>]``)
    prefix: ClassVar[str]

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def take(self, index: Sequence[int] | np.ndarray) -> Statistics:
        """The statistics of the examples at ``index``, in that order."""

    @classmethod
    @abstractmethod
    def concat(cls, parts: Sequence[Statistics]) -> Statistics:
        """The statistics of disjoint example sets, one after the other."""

    @classmethod
    @abstractmethod
    def missing(cls, n: int) -> Statistics:
        """``n`` placeholder entries, for examples a scorer failed on (never reduced)."""

    @classmethod
    @abstractmethod
    def coerce(cls, value: Any) -> Statistics:
        """What a scorer's ``stats`` returned, as this kind."""

    @abstractmethod
    def to_arrow(self, key: str) -> dict[str, Any]:
        """Arrow columns named ``<prefix>.<key>...``."""

    @classmethod
    @abstractmethod
    def from_arrow(cls, columns: dict[str, Any]) -> Statistics:
        """Read back what `to_arrow` wrote: ``columns`` maps the name's rest after the key to the
        column (for `Rows`, ``"0"``, ``"1"``...)."""

    def invalid(self) -> dict[int, str]:
        """Entries that are not valid statistics (a non-finite number), by position: those
        examples are recorded as failed."""
        return {}

    def summable(self) -> np.ndarray | None:
        """The float rows whose column sums a scorer's ``reduce_sums`` takes by default (fixed-width
        rows: themselves; other kinds: None, the scorer's ``sum_rows`` says)."""
        return None

    def aligned(self, other: Statistics) -> tuple[Statistics, Statistics]:
        """``self`` and ``other`` on one coding (a no-op but for `Coded`)."""
        return self, other

    def select(self, use_self: np.ndarray, other: Statistics) -> Statistics:
        """Row ``i`` from ``self`` where ``use_self[i]``, else from ``other`` (same length)."""
        n = len(self)
        index = np.where(np.asarray(use_self, bool), np.arange(n), n + np.arange(n))
        return type(self).concat([self, other]).take(index)


def _index(index: Sequence[int] | np.ndarray) -> np.ndarray:
    return np.asarray(index, dtype=np.int64).reshape(-1)


def _columns_in_order(columns: dict[str, Any], tag: str = "") -> list[Any]:
    names = sorted((int(k[len(tag):]), k) for k in columns if k.startswith(tag) and k[len(tag):].isdigit())
    return [columns[k] for _, k in names]


# --- fixed-width rows --------------------------------------------------------------------------
class Rows(Statistics):
    """A float64 row of fixed width per example (``values``, shape ``(n, width)``)."""

    prefix = "stats"

    def __init__(self, values: Any) -> None:
        values = np.asarray(values, dtype=np.float64)
        self.values = values.reshape(len(values), -1) if values.ndim != 2 else values

    def __len__(self) -> int:
        return len(self.values)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.values if dtype is None else self.values.astype(dtype, copy=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape

    def tolist(self) -> list:
        return self.values.tolist()

    def __getitem__(self, item: Any) -> Any:
        return self.values[item]

    def take(self, index: Sequence[int] | np.ndarray) -> Rows:
        return Rows(self.values[_index(index)])

    @classmethod
    def concat(cls, parts: Sequence[Statistics]) -> Rows:
        arrays = [p.values for p in parts]
        width = max((a.shape[1] for a in arrays), default=0)
        # a batch the scorer failed on entirely holds placeholders of width 0: NaN rows
        rows = [a if a.shape[1] == width else np.full((len(a), width), np.nan) for a in arrays]
        return Rows(np.concatenate(rows) if rows else np.empty((0, 0)))

    @classmethod
    def missing(cls, n: int) -> Rows:
        return Rows(np.full((n, 0), np.nan))

    @classmethod
    def coerce(cls, value: Any) -> Rows:
        if isinstance(value, Rows):
            return value
        values = np.asarray(to_numpy(value), dtype=np.float64)
        return Rows(values.reshape(len(values), -1) if len(values) else values.reshape(0, 0))

    def invalid(self) -> dict[int, str]:
        with np.errstate(over="ignore"):
            if not self.values.size or np.isfinite(np.sum(self.values)):  # NaN and inf propagate: one pass
                return {}
        bad = np.flatnonzero(~np.isfinite(self.values).all(axis=1))  # an overflowing sum: row by row
        return {int(i): f"a non-finite statistic {self.values[i].tolist()}" for i in bad}

    def summable(self) -> np.ndarray:
        return self.values

    def to_arrow(self, key: str) -> dict[str, Any]:
        import pyarrow as pa

        return {f"stats.{key}.{j}": pa.array(self.values[:, j], pa.float64()) for j in range(self.values.shape[1])}

    @classmethod
    def from_arrow(cls, columns: dict[str, Any]) -> Rows:
        cols = [np.asarray(c.to_numpy(), np.float64) for c in _columns_in_order(columns)]
        return Rows(np.stack(cols, axis=1)) if cols else Rows(np.empty((0, 0)))


# --- ragged numeric rows -----------------------------------------------------------------------
class Ragged(Statistics):
    """A float64 array of shape ``(length_i, width)`` per example, stored flat: ``values`` of shape
    ``(sum of lengths, width)`` and ``offsets`` (``n + 1`` entries; example ``i`` is
    ``values[offsets[i]:offsets[i + 1]]``)."""

    prefix = "ragged"

    def __init__(self, values: Any, offsets: Any) -> None:
        values = np.asarray(values, dtype=np.float64)
        self.values = values.reshape(len(values), -1) if values.ndim != 2 else values
        self.offsets = np.asarray(offsets, dtype=np.int64)
        if self.offsets.ndim != 1 or not len(self.offsets) or self.offsets[0] != 0 or \
                self.offsets[-1] != len(self.values) or np.any(np.diff(self.offsets) < 0):
            raise ValueError("ragged statistics: offsets must rise from 0 to the number of values")

    @classmethod
    def from_arrays(cls, arrays: Sequence[Any], width: int | None = None) -> Ragged:
        """One array per example (a row ``(width,)`` per item, or 1-D for width 1)."""
        arrays = [np.asarray(to_numpy(a), np.float64) for a in arrays]
        if width is None:
            width = next((a.reshape(len(a), -1).shape[1] for a in arrays if a.size), 1)
        rows = [a.reshape(-1, width) for a in arrays]
        offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
        values = np.concatenate(rows) if rows else np.empty((0, width))
        return cls(values, offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> np.ndarray:
        return self.values[self.offsets[i]:self.offsets[i + 1]]

    def __iter__(self) -> Iterator[np.ndarray]:
        return (self[i] for i in range(len(self)))

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def owner(self) -> np.ndarray:
        """The example each value row belongs to."""
        return np.repeat(np.arange(len(self)), self.lengths)

    def take(self, index: Sequence[int] | np.ndarray) -> Ragged:
        index = _index(index)
        lengths = self.lengths[index]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        # the flat positions of the chosen examples' values, in order, without a Python loop
        starts = np.repeat(self.offsets[index] - offsets[:-1], lengths)
        return Ragged(self.values[np.arange(offsets[-1]) + starts], offsets)

    @classmethod
    def concat(cls, parts: Sequence[Statistics]) -> Ragged:
        parts = list(parts)
        width = max((p.values.shape[1] for p in parts if len(p.values)), default=None)
        if width is None:
            width = max((p.values.shape[1] for p in parts), default=0)
        values = [p.values if len(p.values) else np.empty((0, width)) for p in parts]
        lengths = [p.lengths for p in parts]
        all_lengths = np.concatenate(lengths) if lengths else np.empty(0, np.int64)
        offsets = np.concatenate([[0], np.cumsum(all_lengths)]).astype(np.int64)
        return Ragged(np.concatenate(values) if values else np.empty((0, width)), offsets)

    @classmethod
    def missing(cls, n: int) -> Ragged:
        return Ragged(np.empty((0, 0)), np.zeros(n + 1, np.int64))

    @classmethod
    def coerce(cls, value: Any) -> Ragged:
        return value if isinstance(value, Ragged) else cls.from_arrays(list(value))

    def invalid(self) -> dict[int, str]:
        bad = np.unique(self.owner[~np.isfinite(self.values).all(axis=1)]) if self.values.size else []
        return {int(i): "a non-finite value in its ragged statistics" for i in bad}

    def to_arrow(self, key: str) -> dict[str, Any]:
        import pyarrow as pa

        offsets = pa.array(self.offsets.astype(np.int32) if self.offsets[-1] < 2**31 else self.offsets)
        list_type = pa.ListArray if offsets.type == pa.int32() else pa.LargeListArray
        out = {f"ragged.{key}.{j}": list_type.from_arrays(offsets, pa.array(self.values[:, j], pa.float64()))
               for j in range(self.values.shape[1])}
        if not out:  # width 0: keep the lengths
            out[f"ragged.{key}.n"] = pa.array(self.lengths, pa.int64())
        return out

    @classmethod
    def from_arrow(cls, columns: dict[str, Any]) -> Ragged:
        import pyarrow as pa

        cols = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in _columns_in_order(columns)]
        if not cols:
            lengths = np.asarray(columns["n"].to_numpy(), np.int64)
            return Ragged(np.empty((0, 0)), np.concatenate([[0], np.cumsum(lengths)]))
        offsets = np.asarray(cols[0].offsets.to_numpy(), np.int64)
        offsets = offsets - offsets[0]
        values = np.stack([np.asarray(c.flatten().to_numpy(zero_copy_only=False), np.float64) for c in cols], axis=1)
        return Ragged(values, offsets)


# --- JSON-able records -------------------------------------------------------------------------
class Records(Statistics, Sequence):
    """A JSON-able record per example (a dict of claims and verdicts, say); None for a
    placeholder."""

    prefix = "json"

    def __init__(self, items: Sequence[Any]) -> None:
        self.items = list(items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: Any) -> Any:
        return self.items[i]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __eq__(self, other: Any) -> bool:
        return list(self) == list(other) if isinstance(other, (Records, list)) else NotImplemented

    def take(self, index: Sequence[int] | np.ndarray) -> Records:
        items = self.items
        return Records([items[i] for i in _index(index)])

    @classmethod
    def concat(cls, parts: Sequence[Statistics]) -> Records:
        return Records([x for p in parts for x in p.items])

    @classmethod
    def missing(cls, n: int) -> Records:
        return Records([None] * n)

    @classmethod
    def coerce(cls, value: Any) -> Records:
        return value if isinstance(value, Records) else Records(list(value))

    def to_arrow(self, key: str) -> dict[str, Any]:
        import pyarrow as pa

        return {f"json.{key}": pa.array([None if e is None else json.dumps(e, ensure_ascii=False) for e in self.items],
                                        pa.string())}

    @classmethod
    def from_arrow(cls, columns: dict[str, Any]) -> Records:
        return Records([None if v is None else json.loads(v) for v in columns[""].to_pylist()])


# --- categorical codes -------------------------------------------------------------------------
class Coded(Statistics):
    """Categorical columns as codes into ``vocab`` (a sorted tuple of labels), plus optional float
    columns. ``codes`` has shape ``(n, k)`` (-1: no label, in placeholders); labels are compared by
    value (``1 == 1.0 == True``, as numpy); ``values`` ``(n, m)``.

    Codes mean nothing without their vocabulary, so the vocabulary travels with them: `concat`
    re-codes every part against the union of their vocabularies, and `aligned` puts two systems'
    statistics on one coding.
    """

    prefix = "coded"

    def __init__(self, codes: Any, vocab: Sequence[Any], values: Any = None) -> None:
        codes = np.asarray(codes, dtype=np.int64)
        self.codes = codes.reshape(len(codes), -1) if codes.ndim != 2 else codes
        self.vocab = tuple(vocab)
        n = len(self.codes)
        values = np.empty((n, 0)) if values is None else np.asarray(values, np.float64)
        self.values = values.reshape(n, -1) if values.ndim != 2 else values

    @classmethod
    def encode(cls, columns: Sequence[Sequence[Any]], values: Any = None,
               vocab: Sequence[Any] | None = None) -> Coded:
        """Code the label ``columns`` (each one label per example) against their sorted labels
        (or ``vocab``, which must hold every label)."""
        columns = [list(c) for c in columns]
        if vocab is None:
            vocab = sorted({x for c in columns for x in c})
        index = {x: i for i, x in enumerate(vocab)}
        n = len(columns[0]) if columns else 0
        codes = np.empty((n, len(columns)), np.int64)
        for j, c in enumerate(columns):
            codes[:, j] = [index[x] for x in c]
        return cls(codes, vocab, values)

    def __len__(self) -> int:
        return len(self.codes)

    def labels(self, column: int) -> list:
        """Column ``column`` decoded (None in placeholders)."""
        return [self.vocab[c] if c >= 0 else None for c in self.codes[:, column]]

    def take(self, index: Sequence[int] | np.ndarray) -> Coded:
        index = _index(index)
        return Coded(self.codes[index], self.vocab, self.values[index])

    @classmethod
    def concat(cls, parts: Sequence[Statistics]) -> Coded:
        parts = list(parts)
        try:
            vocab = sorted({x for p in parts for x in p.vocab})
        except TypeError:
            kinds = sorted({type(x).__name__ for p in parts for x in p.vocab})
            raise IncompatibleError(f"label codes cannot be combined: the labels mix types that do not order "
                                    f"({', '.join(kinds)}); labels must be all strings or all numbers") from None
        where = {x: i for i, x in enumerate(vocab)}
        k = max((p.codes.shape[1] for p in parts), default=0)
        m = max((p.values.shape[1] for p in parts), default=0)
        codes, values = [], []
        for p in parts:
            recode = np.array([where[x] for x in p.vocab] + [-1], np.int64)
            c = recode[p.codes] if p.codes.shape[1] == k else np.full((len(p), k), -1, np.int64)
            codes.append(c)
            values.append(p.values if p.values.shape[1] == m else np.full((len(p), m), np.nan))
        return Coded(np.concatenate(codes) if codes else np.empty((0, k), np.int64), vocab,
                     np.concatenate(values) if values else np.empty((0, m)))

    @classmethod
    def missing(cls, n: int) -> Coded:
        return Coded(np.full((n, 0), -1, np.int64), ())

    @classmethod
    def coerce(cls, value: Any) -> Coded:
        if not isinstance(value, Coded):
            raise TypeError(f"a scorer with coded statistics returns Coded, not {type(value).__name__}")
        return value

    def invalid(self) -> dict[int, str]:
        bad = np.flatnonzero(~np.isfinite(self.values).all(axis=1)) if self.values.size else []
        return {int(i): f"a non-finite statistic {self.values[i].tolist()}" for i in bad}

    def summed(self) -> Coded:
        """One row per distinct code row (in sorted order), its value columns summed, on the same
        vocabulary: what a scorer with `Scorer.summed_codes` reduces to the same value, where the
        sums are exact (`exact_sums`)."""
        if not len(self):
            return self
        rows, inverse = np.unique(self.codes, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        values = [np.bincount(inverse, weights=self.values[:, j], minlength=len(rows))
                  for j in range(self.values.shape[1])]
        return Coded(rows, self.vocab, np.stack(values, axis=1) if values else None)

    def exact_sums(self) -> bool:
        """Whether any order of summing each value column is exact: integer values whose absolute
        sum stays below 2**53 (unit weights, counts)."""
        v = self.values
        with np.errstate(invalid="ignore", over="ignore"):
            return bool(np.all(v == np.rint(v)) and np.all(np.abs(v).sum(axis=0) < 2.0 ** 53))

    def aligned(self, other: Statistics) -> tuple[Coded, Coded]:
        both = Coded.concat([self, other])
        n = len(self)
        return both.take(np.arange(n)), both.take(np.arange(n, n + len(other)))

    def to_arrow(self, key: str) -> dict[str, Any]:
        import pyarrow as pa

        # the vocabulary as the Arrow dictionary, each label as JSON text (keeps 1, "1" and True apart)
        dictionary = pa.array([json.dumps(x) for x in self.vocab], pa.string())
        out = {}
        for j in range(self.codes.shape[1]):
            c = self.codes[:, j]
            indices = pa.array(c, pa.int32(), mask=c < 0)
            out[f"coded.{key}.c{j}"] = pa.DictionaryArray.from_arrays(indices, dictionary)
        for j in range(self.values.shape[1]):
            out[f"coded.{key}.v{j}"] = pa.array(self.values[:, j], pa.float64())
        return out

    @classmethod
    def from_arrow(cls, columns: dict[str, Any]) -> Coded:
        import pyarrow as pa

        code_cols = _columns_in_order(columns, "c")
        value_cols = _columns_in_order(columns, "v")
        # each chunk's dictionary decoded once; the vocabulary is the labels some row uses
        chunks: list[list[tuple[list, np.ndarray, np.ndarray]]] = []  # per column: (labels, codes, used)
        for col in code_cols:
            pieces = []
            for chunk in (col.chunks if isinstance(col, pa.ChunkedArray) else [col]):
                if not pa.types.is_dictionary(chunk.type):
                    chunk = chunk.dictionary_encode()
                codes = np.asarray(chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)
                used = np.unique(codes[codes >= 0])
                dictionary = chunk.dictionary
                pieces.append(([json.loads(dictionary[int(i)].as_py()) for i in used], codes, used))
            chunks.append(pieces)
        vocab = sorted({x for pieces in chunks for labels, _, _ in pieces for x in labels})
        where = {x: i for i, x in enumerate(vocab)}
        n = sum(len(c) for _, c, _ in chunks[0]) if chunks else (len(value_cols[0]) if value_cols else 0)
        codes = np.empty((n, len(chunks)), np.int64)
        for j, pieces in enumerate(chunks):
            at = 0
            for labels, c, used in pieces:
                recode = np.full(int(used.max()) + 2 if len(used) else 1, -1, np.int64)  # last entry: -1 -> -1
                recode[used] = [where[x] for x in labels]
                codes[at:at + len(c), j] = recode[c]
                at += len(c)
        values = np.stack([np.asarray(c.to_numpy(), np.float64) for c in value_cols], axis=1) if value_cols else None
        return Coded(codes, vocab, values)


KINDS: dict[str, type[Statistics]] = {k.prefix: k for k in (Rows, Ragged, Records, Coded)}
"""Statistics kinds by their Parquet column prefix."""


def concat(parts: Sequence[Statistics]) -> Statistics:
    """Concatenate statistics of one kind (of disjoint example sets)."""
    parts = list(parts)
    if not parts:
        raise ValueError("concat needs at least one part")
    return type(parts[0]).concat(parts)


__all__ = ["Statistics", "Rows", "Ragged", "Records", "Coded", "KINDS", "concat"]
