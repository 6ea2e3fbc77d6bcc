"""On-disk layout of results: a manifest, per-example statistics and scores in Parquet parts.

A results directory holds ``manifest.json`` and ``examples/part-NNNNNN.parquet``; each part is
written whole to a temporary name and renamed, so a process killed at any moment leaves only
complete parts behind. A part has the columns ``_row`` (position in the data), ``id``, and per
scorer key: ``stats.<key>.<j>`` (float64, one column per statistic; variable statistics are
``json.<key>``, JSON text), ``error.<key>`` (null where it succeeded) and ``score.<k>`` for each
per-example score. Statistics of an example a scorer failed on are NaN (JSON: null).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST = "manifest.json"
EXAMPLES = "examples"


@dataclass
class Part:
    """Statistics, scores and errors of one batch of examples, for every scorer.

    ``stats[key]`` is a float array ``(rows, width)`` (NaN rows where the scorer failed) or, for
    variable statistics, a list (None where it failed); ``errors[key]`` a message or None per row.
    """

    rows: list[int]
    ids: list[str]
    stats: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list] = field(default_factory=dict)
    scores: dict[str, np.ndarray] = field(default_factory=dict)

    def to_table(self) -> pa.Table:
        cols: dict[str, Any] = {"_row": pa.array(self.rows, pa.int64()), "id": pa.array(self.ids, pa.string())}
        for key, stats in self.stats.items():
            if isinstance(stats, np.ndarray):
                for j in range(stats.shape[1]):
                    cols[f"stats.{key}.{j}"] = pa.array(stats[:, j], pa.float64())
            else:
                cols[f"json.{key}"] = pa.array([None if e is None else json.dumps(e, ensure_ascii=False)
                                                for e in stats], pa.string())
            cols[f"error.{key}"] = pa.array(self.errors[key], pa.string())
        for key, values in self.scores.items():
            cols[f"score.{key}"] = pa.array(np.asarray(values, np.float64), pa.float64())
        return pa.table(cols)

    @classmethod
    def from_table(cls, table: pa.Table) -> "Part":
        part = cls(rows=table.column("_row").to_pylist(), ids=table.column("id").to_pylist())
        columns: dict[str, list[np.ndarray]] = {}
        for name in table.column_names:
            kind, _, rest = name.partition(".")
            if kind == "stats":
                key, _, _j = rest.rpartition(".")
                columns.setdefault(key, []).append(table.column(name).to_numpy().astype(np.float64))
            elif kind == "json":
                part.stats[rest] = [None if v is None else json.loads(v) for v in table.column(name).to_pylist()]
            elif kind == "error":
                part.errors[rest] = table.column(name).to_pylist()
            elif kind == "score":
                part.scores[rest] = table.column(name).to_numpy().astype(np.float64)
        for key, cols in columns.items():
            part.stats[key] = np.stack(cols, axis=1)
        for key in part.errors:  # a fixed-width scorer that failed on every row stored no column
            part.stats.setdefault(key, np.empty((len(part.ids), 0)))
        return part


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
    folder = os.path.join(directory, EXAMPLES)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"part-{index:06d}.parquet")
    tmp = f"{path}.tmp-{os.getpid()}"
    pq.write_table(part.to_table(), tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def read_parts(directory: str) -> Iterator[Part]:
    """The complete parts of a results directory, in order (leftover temporary files are ignored)."""
    folder = os.path.join(directory, EXAMPLES)
    if not os.path.isdir(folder):
        return
    for name in sorted(os.listdir(folder)):
        if name.endswith(".parquet"):
            yield Part.from_table(pq.read_table(os.path.join(folder, name)))


def part_count(directory: str) -> int:
    folder = os.path.join(directory, EXAMPLES)
    return sum(n.endswith(".parquet") for n in os.listdir(folder)) if os.path.isdir(folder) else 0
