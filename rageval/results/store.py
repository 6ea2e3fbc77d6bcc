"""On-disk layout of results: a manifest, per-example statistics and scores in Parquet parts.

A results directory holds ``manifest.json`` and ``examples/part-NNNNNN.parquet``; each part is
written whole to a temporary name and renamed, so a process killed at any moment leaves only
complete parts behind. A part has the columns ``_row`` (position in the data), ``id``, and per
scorer key ``stats.<key>`` (list<double>, or JSON text for variable statistics),
``error.<key>`` (null when it succeeded) and ``score.<k>`` for each per-example score.
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
    """Statistics, scores and errors of one batch of examples, for every scorer."""

    rows: list[int]
    ids: list[str]
    stats: dict[str, list] = field(default_factory=dict)      # key -> per-row stats entry or None
    errors: dict[str, list] = field(default_factory=dict)     # key -> per-row message or None
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # score key -> per-row value (NaN on error)

    def to_table(self, variable: set[str]) -> pa.Table:
        cols: dict[str, Any] = {"_row": pa.array(self.rows, pa.int64()), "id": pa.array(self.ids, pa.string())}
        for key, entries in self.stats.items():
            if key in variable:
                cols[f"stats.{key}"] = pa.array([None if e is None else json.dumps(e, ensure_ascii=False)
                                                 for e in entries], pa.string())
            else:
                cols[f"stats.{key}"] = pa.array([None if e is None else np.asarray(e, np.float64).tolist()
                                                 for e in entries], pa.list_(pa.float64()))
            cols[f"error.{key}"] = pa.array(self.errors[key], pa.string())
        for key, values in self.scores.items():
            cols[f"score.{key}"] = pa.array(np.asarray(values, np.float64), pa.float64())
        return pa.table(cols)

    @classmethod
    def from_table(cls, table: pa.Table, variable: set[str]) -> "Part":
        part = cls(rows=table.column("_row").to_pylist(), ids=table.column("id").to_pylist())
        for name in table.column_names:
            kind, _, key = name.partition(".")
            if kind == "stats":
                values = table.column(name).to_pylist()
                part.stats[key] = [None if v is None else (json.loads(v) if key in variable else v) for v in values]
            elif kind == "error":
                part.errors[key] = table.column(name).to_pylist()
            elif kind == "score":
                part.scores[key] = table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)
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


def write_part(directory: str, index: int, part: Part, variable: set[str]) -> str:
    """Write one part atomically; returns its path."""
    folder = os.path.join(directory, EXAMPLES)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"part-{index:06d}.parquet")
    tmp = f"{path}.tmp-{os.getpid()}"
    pq.write_table(part.to_table(variable), tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def read_parts(directory: str, variable: set[str]) -> Iterator[Part]:
    """The complete parts of a results directory, in order (leftover temporary files are ignored)."""
    folder = os.path.join(directory, EXAMPLES)
    if not os.path.isdir(folder):
        return
    for name in sorted(os.listdir(folder)):
        if name.endswith(".parquet"):
            yield Part.from_table(pq.read_table(os.path.join(folder, name)), variable)


def part_count(directory: str) -> int:
    folder = os.path.join(directory, EXAMPLES)
    return sum(n.endswith(".parquet") for n in os.listdir(folder)) if os.path.isdir(folder) else 0
