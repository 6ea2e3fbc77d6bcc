"""Parquet input: a ``.parquet`` file, or a directory of them (the shards of one table, as Spark,
Ray, Dask and ``datasets`` write them), read in the order of their names.

A table of at most `STREAM_PARQUET_BYTES` on disk is loaded whole (through pandas); a larger one is
streamed record batch by record batch, file after file: memory holds one batch of rows, only the
columns the scorers read are read (`rageval.data.adapters.arrow_column`: numbers and string ids stay
columnar), and the run directory's fingerprint is that of a stream (`origin`: the path, and for a
directory its files' names and sizes). A directory's files are those directly in it whose names
end in ``.parquet`` and do not start with ``_`` or ``.`` (``_SUCCESS``, ``_metadata``, ``.crc``
files are skipped, as pyarrow skips them); a subdirectory holding Parquet files (a Hive-partitioned
table, whose partition columns live in the directory names) is refused rather than read without them.
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import Any

import xxhash

from rageval.core.errors import ConfigError
from rageval.data.adapters import Source, arrow_column, load_source

#: a .parquet file (or directory of them) larger than this (bytes on disk) is streamed, never loaded whole
STREAM_PARQUET_BYTES = 256 * 2**20


def parquet_files(path: str) -> list[str]:
    """``[path]`` for a file; a directory's Parquet files (see the module docstring), sorted by name;
    `ConfigError` for a directory without any, or with a subdirectory of them."""
    if not os.path.isdir(path):
        return [path]
    files, nested = [], []
    for entry in sorted(os.scandir(path), key=lambda e: e.name):
        if entry.name.startswith(("_", ".")):
            continue
        if entry.is_dir():
            nested += [entry.path] if any(_parquet_under(entry.path)) else []
        elif entry.name.lower().endswith(".parquet"):
            files.append(entry.path)
    if nested:
        raise ConfigError(f"{path}: {nested[0]} holds Parquet files of its own (a partitioned table?); rageval "
                          "reads the .parquet files directly in a directory: pass the subdirectory, or the table "
                          "as a pandas DataFrame or a Ray dataset")
    if not files:
        raise ConfigError(f"{path}: a directory without .parquet files (rageval reads a directory of Parquet "
                          "files; other data is read from a file path)")
    return files


def _parquet_under(path: str) -> Iterator[str]:
    for root, _, names in os.walk(path):
        yield from (os.path.join(root, n) for n in names if n.lower().endswith(".parquet"))


def origin(path: str) -> str:
    """The data's origin for the streamed fingerprint: its absolute path, and for a directory a
    digest of its files' names and sizes (a shard added, removed or rewritten changes it)."""
    where = f"file:{os.path.abspath(path)}"
    if not os.path.isdir(path):
        return where
    listing = "\0".join(f"{os.path.basename(f)}\0{os.path.getsize(f)}" for f in parquet_files(path))
    return f"{where}:{xxhash.xxh3_64_hexdigest(listing.encode())}"


def read_parquet(path: str, columns: dict[str, str], *, split: str | None = None, limit: int | None = None,
                 encoding: str = "utf-8") -> Source:
    """A .parquet file or a directory of them, through pandas; one larger than
    `STREAM_PARQUET_BYTES` is streamed (the module docstring)."""
    import pyarrow.parquet as pq

    files = parquet_files(path)
    if sum(os.path.getsize(f) for f in files) > STREAM_PARQUET_BYTES:
        # the column names from the first file's schema: reading a first row read and kept whole row
        # groups (1M rows of text: 72 MiB of a 190 MiB peak, 44 at 100k)
        return Source(columns, stream=lambda: _rows(files, limit),
                      chunks=lambda names, size: _chunks(files, limit, names, size, columns.get("id", "id")),
                      names=lambda: list(pq.ParquetFile(files[0]).schema_arrow.names), origin=origin(path))
    import pandas as pd

    first = pq.read_schema(files[0])
    for f in files[1:]:
        _same_columns(f, pq.read_schema(f), files[0], first, first.names)
    frames = [pd.read_parquet(f) for f in files]
    source = load_source(frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True), columns, limit=limit)
    source.origin = origin(path)
    return source


def _same_columns(path: str, schema: Any, first_path: str, first: Any, names: list[str]) -> None:
    """`ConfigError` naming ``path`` unless its schema has the columns ``names`` of ``first`` (the
    first file's schema) with their types: a directory's files are read as one table."""
    for name in names:
        if name not in schema.names:
            raise ConfigError(f"{path}: no column {name!r}, which {first_path} has (the files of a directory are "
                              "read as one table)")
        if schema.field(name).type != first.field(name).type:
            raise ConfigError(f"{path}: column {name!r} is {schema.field(name).type}, in {first_path} "
                              f"{first.field(name).type} (the files of a directory are read as one table)")


def _rows(files: list[str], limit: int | None) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    rows = (row for f in files for batch in pq.ParquetFile(f, pre_buffer=False).iter_batches(batch_size=4096)
            for row in batch.to_pylist())
    return itertools.islice(rows, limit) if limit is not None else rows


def _chunks(files: list[str], limit: int | None, names: list[str], batch_size: int,
            ids: str = "id") -> Iterator[dict[str, Any]]:
    """The columns ``names`` (those the first file has; every later file must have them too) in
    record batches of up to ``batch_size`` rows, file after file: a number column without nulls as
    one numpy array, the ``ids`` column of strings without nulls as Arrow, any other as its Python
    values (as a DataFrame column is read): no Python object per row, and no other column read."""
    import pyarrow.parquet as pq

    left, first = limit, None
    for path in files:
        # pre_buffer off: with it, pyarrow 26's reader keeps what it read of each column for the whole
        # file (memory grows with the rows: 7 MB per 1M short ids); without it, one row group at most
        file = pq.ParquetFile(path, pre_buffer=False)
        if first is None:
            first = file.schema_arrow
            names = [n for n in names if n in first.names]
        else:
            _same_columns(path, file.schema_arrow, files[0], first, names)
        for batch in file.iter_batches(batch_size=batch_size, columns=names):
            if left is not None:
                batch, left = batch.slice(0, left), left - min(left, batch.num_rows)
            if batch.num_rows:
                yield {n: arrow_column(batch.column(n), n == ids) for n in names}
            if left == 0:
                return
