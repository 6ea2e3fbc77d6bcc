"""A streamed run's per-example data on disk, so the process that drives it holds constant memory.

`evaluate` hands every `Part` of a streamed source (an ``IterableDataset``, a Parquet file read
in pieces, a Ray dataset) without ``output=`` to a `Spill`: parts are gathered up to `SPILL_ROWS`
examples, joined and written as one Parquet file (the layout of a results directory, see
`rageval.results.store`) in a temporary folder, and dropped. `Results` reads it back lazily:

- the aggregate of a scorer that reduces its `Rows` statistics column by column
  (`Scorer.reduce_columns`: means, BLEU, chrF, the regression losses...) reads one or two columns
  of one scorer at a time (8 bytes per example each), the same bits as the in-memory reduce;
- a label scorer (`Scorer.summed_codes`) reduces each file's rows summed by distinct label pair
  (`Coded.summed`), which holds a few rows, where those sums are exact (integer weights);
- any other scorer's statistics, the ids and the per-example scores are read when first asked for.

The folder is removed with the `Results` that reads it (or at interpreter exit).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from rageval.core.ids import join_ids
from rageval.core.scorer import Scorer
from rageval.core.statistics import Coded, Statistics
from rageval.results.store import Part, owner

#: examples gathered before a spill file is written: bounds both the memory a spill holds (and
#: the allocator keeps what a write's temporaries took) and the number of files read back
SPILL_ROWS = 16_384


class Spill:
    """Parts written to a temporary results folder as they come; see the module docstring."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.path = tempfile.mkdtemp(prefix="rageval-spill-")
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.path, True)
        self.keys = list(keys)
        self.files: list[str] = []
        self.n = 0
        self._pending: list[Part] = []
        self._pending_rows = 0
        self._order: np.ndarray | None = None
        self._ordered = False
        self.rows_per_file = SPILL_ROWS

    def add(self, part: Part) -> None:
        self._pending.append(part)
        self._pending_rows += len(part.ids)
        self.n += len(part.ids)
        if self._pending_rows >= self.rows_per_file:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        parts = sorted(self._pending, key=lambda p: p.rows[0] if len(p.rows) else -1)
        path = os.path.join(self.path, f"part-{len(self.files):06d}.parquet")
        table = join(parts).to_table()
        # scratch data: no fsync, no rename, no column statistics, and dictionaries only where Arrow
        # has them (label codes): 20k rows of text metrics written in 3.9 ms and read in 4.8, not 6.8 / 8.6
        labels = [f.name for f in table.schema if pa.types.is_dictionary(f.type)]
        pq.write_table(table, path, use_dictionary=labels, write_statistics=False)
        del table
        self.files.append(path)
        self._pending, self._pending_rows = [], 0
        del parts
        give_back_freed_memory()

    def remove(self) -> None:
        """Delete the folder now (a run that failed)."""
        self._cleanup()

    def keep_with(self, owner_obj: Any) -> None:
        """Remove the folder when ``owner_obj`` (the `Results` reading it) is collected."""
        self._cleanup.detach()
        self._cleanup = weakref.finalize(owner_obj, shutil.rmtree, self.path, True)

    # --- reading back ---------------------------------------------------------------------
    def _column(self, name: str, missing: Any = None) -> pa.ChunkedArray:
        """Column ``name`` of every file, in file order (``missing``: the Arrow value of a file
        without it: a batch a scorer failed on whole holds no statistics columns)."""
        chunks = []
        for path in self.files:
            f = pq.ParquetFile(path)
            if name in f.schema_arrow.names:
                chunks.extend(f.read(columns=[name]).column(name).chunks)
            else:
                chunks.append(pa.nulls(f.metadata.num_rows, pa.float64()) if missing is None else missing(f))
        return pa.chunked_array(chunks) if chunks else pa.chunked_array([], pa.float64())

    def order(self) -> np.ndarray | None:
        """The permutation putting the examples of the files (in file order) in data order; None
        when they already are (parts came in order, as from any local source)."""
        if not self._ordered:
            last, ordered = -1, True
            for chunk in self._column("_row").chunks:  # checked chunk by chunk: no full-length temporaries
                rows = chunk.to_numpy()
                if len(rows) and (rows[0] <= last or not (rows[1:] > rows[:-1]).all()):
                    ordered = False
                    break
                last = rows[-1] if len(rows) else last
            if not ordered:
                self._order = np.argsort(self._column("_row").to_numpy(), kind="stable")
            self._ordered = True
        return self._order

    def _in_order(self, values: np.ndarray) -> np.ndarray:
        order = self.order()
        return values if order is None else values[order]

    def ids(self) -> Sequence[str]:
        from rageval.results.store import _ids

        pieces = [_ids(pq.read_table(path, columns=["id"])) for path in self.files]
        ids = join_ids(pieces)
        order = self.order()
        if order is None:
            return ids
        return ids.take(order) if hasattr(ids, "take") else [ids[i] for i in order]

    def errors(self, key: str) -> list | None:
        """Scorer ``key``'s error per example in data order, or None when it failed on none."""
        column = self._column(f"error.{key}")
        if column.null_count == len(column):
            return None
        errors = column.to_pylist()
        order = self.order()
        return errors if order is None else [errors[i] for i in order]

    def stats(self, scorer: Scorer) -> Statistics:
        """Scorer's statistics of every example in data order (placeholders where it failed)."""
        kind = scorer.stats_kind
        if not self.files:
            return kind.missing(0)
        cut = len(kind.prefix) + len(scorer.key) + 2
        files = [pq.ParquetFile(path) for path in self.files]
        names = [self._names(f, scorer) for f in files]
        if names and all(n == names[0] for n in names):  # one layout: the kind reads the columns as chunks, once
            tables = [f.read(columns=names[0]) for f in files]
            columns = {n[cut:]: pa.chunked_array([c for t in tables for c in t.column(n).chunks],
                                                 tables[0].schema.field(n).type) for n in names[0]}
            del tables
            stats = kind.from_arrow(columns) if columns else kind.missing(self.n)
            del columns
            pa.default_memory_pool().release_unused()  # the columns read: back to the system, not kept by the pool
        else:  # some file holds a batch the scorer failed on whole (no statistics columns)
            stats = kind.concat([self._file_stats(f, scorer, ns) for f, ns in zip(files, names)])
        order = self.order()
        return stats if order is None else stats.take(order)

    def _names(self, f: pq.ParquetFile, scorer: Scorer) -> list[str]:
        """The statistics columns of ``scorer`` in file ``f`` (none: it failed on the file's batch whole)."""
        return [n for n in f.schema_arrow.names if owner(n, self.keys) == (scorer.stats_kind.prefix, scorer.key)]

    def _file_stats(self, f: pq.ParquetFile, scorer: Scorer, names: list[str]) -> Statistics:
        """The statistics of file ``f``'s examples (placeholders where ``names`` is empty), read once."""
        kind = scorer.stats_kind
        if not names:
            return kind.missing(f.metadata.num_rows)
        cut = len(kind.prefix) + len(scorer.key) + 2
        table = f.read(columns=names)
        return kind.from_arrow({n[cut:]: table.column(n) for n in names})

    def width(self, scorer: Scorer) -> int:
        """How many `Rows` statistics columns the scorer stored (the widest file's)."""
        return max((_width(path, scorer.key) for path in self.files), default=0)

    def column(self, scorer: Scorer, j: int, ok: np.ndarray | None) -> np.ndarray:
        """Column ``j`` of the scorer's stored `Rows` statistics, float64 in data order, of the
        examples ``ok`` (a mask in data order; None: all)."""
        name, column, at = f"stats.{scorer.key}.{j}", np.empty(self.n), 0
        for path in self.files:  # file by file into one array: no second copy of the column
            f = pq.ParquetFile(path)
            n = f.metadata.num_rows
            held = name in f.schema_arrow.names
            column[at:at + n] = f.read(columns=[name]).column(name).to_numpy() if held else np.nan
            at += n
        column = self._in_order(column)
        return column if ok is None else column[ok]

    def summed(self, scorer: Scorer, ok: np.ndarray | None) -> Coded | None:
        """The `Coded` statistics of the examples ``ok`` (a mask in data order; None: all) with one
        row per distinct code row and their values summed (`Coded.summed`), read file by file, for a
        scorer with `Scorer.summed_codes`; None where a sum could round (non-integer values, or
        absolute sums from 2**53) or the statistics hold no codes (multilabel indicators)."""
        if ok is not None and self.order() is not None:
            in_files = np.empty_like(ok)
            in_files[self.order()] = ok
            ok = in_files
        parts, at, magnitude = [], 0, 0.0
        for path in self.files:
            f = pq.ParquetFile(path)
            n = f.metadata.num_rows
            names = self._names(f, scorer)
            keep = slice(None) if ok is None else np.flatnonzero(ok[at:at + n])
            at += n
            if not names:  # a batch the scorer failed on whole: every row an error
                continue
            stats = self._file_stats(f, scorer, names)
            stats = stats if ok is None else stats.take(keep)
            if not len(stats):
                continue
            if not stats.codes.shape[1] or not stats.exact_sums():
                return None
            magnitude += float(np.abs(stats.values).sum(axis=0).max(initial=0.0))
            parts.append(stats.summed())
            if len(parts) >= 64:
                parts = [Coded.concat(parts).summed()]
        if magnitude >= 2.0 ** 53:
            return None
        return Coded.concat(parts).summed() if parts else None


def give_back_freed_memory() -> None:
    """Return what was freed since the last file to the system: Arrow's pool, and glibc's heap
    (`malloc_trim`), which otherwise keeps what each file's temporaries took, so that the process
    grew with the rows (classic scorers, 1M rows: 224 MiB peak against 179 at 100k; with this, 208).
    Cheap next to writing the file; a no-op without glibc."""
    pa.default_memory_pool().release_unused()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _malloc_trim() -> Any:
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl, Windows)
        return None


_MALLOC_TRIM = _malloc_trim()


def _width(path: str, key: str) -> int:
    names = pq.ParquetFile(path).schema_arrow.names
    return sum(1 for n in names if n.startswith(f"stats.{key}.") and n[len(key) + 7:].isdigit())


def join(parts: Iterable[Part]) -> Part:
    """Consecutive parts as one (statistics concatenated by kind, ids joined)."""
    parts = list(parts)
    if len(parts) == 1:
        return parts[0]
    joined = Part(rows=np.concatenate([np.asarray(p.rows, np.int64).reshape(-1) for p in parts]),
                  ids=join_ids(p.ids for p in parts))
    for key in parts[0].stats:
        joined.stats[key] = type(parts[0].stats[key]).concat([p.stats[key] for p in parts])
        joined.errors[key] = [e for p in parts for e in p.errors[key]]
    if all(p.scores for p in parts):
        joined.scores = {k: np.concatenate([p.scores[k] for p in parts]) for k in parts[0].scores}
    return joined


__all__ = ["SPILL_ROWS", "Spill", "join"]
