"""On-disk layout of results: a manifest, per-example statistics and scores in Parquet parts.

A results directory holds ``manifest.json`` and ``examples/part-NNNNNN.parquet``; each part is
written whole to a temporary name and renamed, so a process killed at any moment leaves only
complete parts behind. A part has the columns ``_row`` (position in the data), ``id``, and per
scorer key: its statistics as its kind writes them (`rageval.core.statistics`: ``stats.<key>.<j>``
float64 columns for fixed-width rows, ``ragged.<key>.<j>`` Arrow list columns, ``json.<key>`` JSON
text, ``coded.<key>.c<j>`` dictionary-encoded labels), ``error.<key>`` (null where it succeeded)
and ``score.<k>`` for each per-example score. An example a scorer failed on holds a placeholder.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from rageval.core.errors import RagevalError
from rageval.core.ids import IntIds, TextIds
from rageval.core.statistics import KINDS, Statistics
from rageval.stats.bootstrap import Interval, confidence_intervals
from rageval.stats.resampling import SEED

MANIFEST = "manifest.json"
#: the file holding a results directory's bootstrap intervals
CI_FILE = "ci.json"
EXAMPLES = "examples"


@dataclass
class Part:
    """Statistics, scores and errors of one batch of examples, for every scorer.

    ``stats[key]`` is a `Statistics` with one entry per row (a placeholder where the scorer
    failed); ``errors[key]`` a message or None per row.
    """

    rows: Sequence[int]
    ids: Sequence[str]
    stats: dict[str, Statistics] = field(default_factory=dict)
    errors: dict[str, list] = field(default_factory=dict)
    scores: dict[str, np.ndarray] = field(default_factory=dict)

    def to_table(self) -> pa.Table:
        rows = self.rows
        rows = np.arange(rows.start, rows.stop, dtype=np.int64) if isinstance(rows, range) else \
            np.asarray(rows, np.int64)
        ids = pc.cast(pa.array(self.ids.numbers), pa.string()) if isinstance(self.ids, IntIds) else \
            self.ids.to_arrow() if isinstance(self.ids, TextIds) else pa.array(self.ids, pa.string())
        cols: dict[str, Any] = {"_row": pa.array(rows.reshape(-1)), "id": ids}
        for key, stats in self.stats.items():
            cols.update(stats.to_arrow(key))
            cols[f"error.{key}"] = pa.array(self.errors[key], pa.string())
        for key, values in self.scores.items():
            cols[f"score.{key}"] = pa.array(np.asarray(values, np.float64), pa.float64())
        return pa.table(cols)

    @classmethod
    def from_table(cls, table: pa.Table, keys: Iterable[str]) -> Part:
        """The part ``to_table`` wrote; ``keys`` are the scorer keys (statistics column names are
        ``<prefix>.<key>[.<column>]`` and keys may hold dots, so they are matched, not split)."""
        part = cls(rows=table.column("_row").to_pylist(), ids=_ids(table))
        keys = list(keys)
        grouped: dict[tuple[str, str], dict[str, Any]] = {}
        for name in table.column_names:
            kind, _, rest = name.partition(".")
            if kind == "error":
                part.errors[rest] = table.column(name).to_pylist()
            elif kind == "score":
                part.scores[rest] = table.column(name).to_numpy().astype(np.float64)
            elif (found := owner(name, keys)) is not None:
                grouped.setdefault(found, {})[rest[len(found[1]) + 1:]] = table.column(name)
        for (kind, key), columns in grouped.items():
            part.stats[key] = KINDS[kind].from_arrow(columns)
        return part


def owner(name: str, keys: Iterable[str]) -> tuple[str, str] | None:
    """``(kind prefix, scorer key)`` of a statistics column ``<prefix>.<key>[.<column>]``; None
    for other columns. Keys may hold dots, so they are matched, not split: the longest wins."""
    kind, _, rest = name.partition(".")
    if kind not in KINDS:
        return None
    key = max((k for k in keys if rest == k or rest.startswith(k + ".")), key=len, default=None)
    return None if key is None else (kind, key)


def _ids(table: pa.Table) -> Sequence[str]:
    """The id column: an `IntIds` when every id is an integer's decimal string (default ids, an
    integer id column), as `evaluate` held them; else `TextIds` over the column as read."""
    ids = table.column("id")
    first = ids[0].as_py() if len(ids) else ""
    if not first.lstrip("-").isdigit() or not first.isascii():  # one look spares two casts that fail
        return TextIds(ids)
    for kind in (pa.int64(), pa.uint64()):
        try:
            numbers = pc.cast(ids, kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        if numbers.null_count == 0 and pc.all(pc.equal(pc.cast(numbers, pa.string()), ids)).as_py() is not False:
            return IntIds(numbers.to_numpy())
    return TextIds(ids)


def write_json(path: str, obj: Any) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, ensure_ascii=False, sort_keys=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_json(path: str) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def write_part(directory: str, index: int, part: Part) -> str:
    """Write one part atomically; returns its path."""
    return write_part_as(directory, f"part-{index:06d}.parquet", part)


def write_part_as(directory: str, name: str, part: Part) -> str:
    """Write ``part`` as ``examples/<name>`` of the results directory ``directory`` atomically (a
    temporary name, fsync, rename: a process killed at any moment leaves the whole part or none);
    returns its path."""
    folder = os.path.join(directory, EXAMPLES)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    tmp = f"{path}.tmp-{os.getpid()}"
    pq.write_table(part.to_table(), tmp, write_page_checksum=True)  # a flipped byte is detected on read
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


class CorruptPartError(RagevalError, OSError):
    """A part file that cannot be read back whole (truncated, or a checksum that does not match)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path} is corrupt or truncated ({reason})")
        self.path = path


def read_part(path: str, keys: Iterable[str]) -> Part:
    """One part file; `CorruptPartError` (naming the file) when it is truncated or damaged."""
    try:
        table = pq.read_table(path, page_checksum_verification=True)
        return Part.from_table(table, list(keys))
    except (OSError, ValueError, KeyError, pa.ArrowException) as e:
        raise CorruptPartError(path, f"{type(e).__name__}: {str(e)[:200]}") from None


def part_files(directory: str) -> list[str]:
    """The part files of a results directory, in order (leftover temporary files are not parts)."""
    folder = os.path.join(directory, EXAMPLES)
    if not os.path.isdir(folder):
        return []
    return [os.path.join(folder, n) for n in sorted(os.listdir(folder)) if n.endswith(".parquet")]


def read_parts(directory: str, keys: Iterable[str]) -> Iterator[Part]:
    """The parts of a results directory, in order; ``keys``: the scorer keys its manifest names.
    Raises `CorruptPartError` naming the first damaged file."""
    keys = list(keys)
    for path in part_files(directory):
        yield read_part(path, keys)


def next_part_index(directory: str) -> int:
    """One past the highest part number present: a new part never overwrites one (even after a
    part was deleted)."""
    folder = os.path.join(directory, EXAMPLES)
    numbers = [int(n[5:11]) for n in os.listdir(folder) if n.startswith("part-") and n.endswith(".parquet")
               and n[5:11].isdigit()] if os.path.isdir(folder) else []
    return max(numbers, default=-1) + 1


def write_intervals(results: Any, directory: str | os.PathLike, n: int = 1000, seed: int | None = SEED,
                    alpha: float = 0.05) -> dict[str, Interval]:
    """Compute the intervals of ``results`` and write them to ``directory/ci.json``."""
    intervals = confidence_intervals(results, n=n, seed=seed, alpha=alpha)
    record = {"method": "percentile bootstrap (sacrebleu)", "n_resamples": n, "seed": seed, "alpha": alpha,
              "config_hash": results.manifest.get("config_hash"),
              "intervals": {k: v.to_dict() for k, v in intervals.items()}}
    write_json(os.path.join(os.fspath(directory), CI_FILE), record)
    return intervals


def read_intervals(directory: str | os.PathLike) -> dict[str, Interval]:
    """The intervals saved in ``directory/ci.json`` by `write_intervals`."""
    record = read_json(os.path.join(os.fspath(directory), CI_FILE))
    return {k: Interval(**{f: v[f] for f in Interval.__dataclass_fields__}) for k, v in record["intervals"].items()}
