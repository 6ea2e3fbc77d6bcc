"""Dataset adapters: any supported input becomes a `Source` of canonical, checked columns.

Supported: `datasets.Dataset`, `DatasetDict` (with `split=`), `IterableDataset` (streamed),
`pandas.DataFrame`, `list[dict]`, `ray.data.Dataset` (scored where it lies, by the Ray backend), and
paths to `.jsonl`, `.json`, `.csv` and `.parquet` files and to directories of Parquet files
(`rageval.data.parquet`: over `STREAM_PARQUET_BYTES` streamed record batch by record batch, never
loaded whole).
Each is an entry of `ADAPTERS` (a `rageval.core.registry.Registry`), named by the data's type or by
the file extension; a package adds its own through the entry-point group ``rageval.adapters``.
`columns` maps canonical field -> the user's column. Every field a scorer needs is checked over
all rows before any scoring starts (streamed data: batch by batch, before that batch is scored).
"""
from __future__ import annotations

import codecs
import itertools
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import numpy as np
import pyarrow as pa
import xxhash

from rageval.core.convert import is_missing
from rageval.core.errors import ConfigError, FieldError
from rageval.core.fields import FIELDS, NUMERIC, STRUCTURED, check_references, check_str, numeric_array
from rageval.core.ids import IntIds, TextIds, is_arrow_text, row_ids, text_hashes
from rageval.core.registry import Registry
from rageval.data.fingerprint import fingerprint, legacy_fingerprint


@dataclass
class Source:
    """Canonical data for one evaluation.

    Materialised data keeps its raw columns in ``table``; streamed data yields raw rows from
    ``stream``, or (``chunks``, where the format stores columns) raw columns of up to ``batch_size``
    rows from ``chunks(column_names, batch_size)``; ``remote`` is a ``ray.data.Dataset`` that
    workers read (the driver reads only its schema; ``stream`` pulls its rows, for a first pass).
    ``columns`` maps canonical field -> user column; ``names``, where the format stores a schema,
    gives streamed data's column names without reading a row.
    """

    columns: dict[str, str]
    table: dict[str, list] | None = None
    stream: Callable[[], Iterator[Mapping[str, Any]]] | None = None
    chunks: Callable[[list[str], int], Iterator[Mapping[str, Sequence[Any]]]] | None = None
    origin: str = ""
    remote: Any = None
    names: Callable[[], list[str]] | None = None
    #: the Parquet files that ``remote`` reads, in order, where the workers may read them by row groups instead
    parquet_files: list[str] | None = None
    _checked: dict[tuple[str, ...], dict[str, list]] = dc_field(default_factory=dict, repr=False)

    # --- shape --------------------------------------------------------------------------
    def __len__(self) -> int:
        if self.table is None:
            raise TypeError("a streamed source has no length")
        return len(next(iter(self.table.values()))) if self.table else 0

    @property
    def streamed(self) -> bool:
        return self.table is None

    def available(self) -> set[str]:
        """Canonical fields this data can provide."""
        raw = set(self.table) if self.table is not None else set(self._peek_keys())
        fields = {f for f in FIELDS if self.column(f, raw) is not None}
        if fields & {"reference", "references"}:
            fields |= {"reference", "references"}
        return fields | {"id"}

    def column(self, field: str, raw: Iterable[str] | None = None) -> str | None:
        """The user's column holding ``field``, or None."""
        raw = set(self.table) if raw is None and self.table is not None else set(raw or self._peek_keys())
        name = self.columns.get(field, field)
        return name if name in raw else None

    def _peek_keys(self) -> list[str]:
        if self.remote is not None:
            return list(self.remote.schema().names)
        if self.names is not None:
            return self.names()
        first = next(iter(self.stream()), None) if self.stream else None
        return list(first) if first else []

    # --- canonical columns --------------------------------------------------------------
    def canonical(self, fields: Iterable[str], raw: Mapping[str, Sequence[Any]] | None = None,
                  offset: int = 0) -> dict[str, list]:
        """Checked canonical columns for ``fields`` (always with ``id``), from the whole table or
        from the raw ``raw`` batch whose first row is row ``offset``."""
        names = tuple(sorted(set(fields) | {"id"}))
        if raw is None and names in self._checked:
            return self._checked[names]
        table = self.table if raw is None else raw
        n = len(next(iter(table.values()))) if table else 0
        out = {f: self._field(f, table, n, offset) for f in names}
        if raw is None:
            self._checked[names] = out
        return out

    def _field(self, f: str, raw: Mapping[str, Sequence[Any]], n: int, offset: int) -> list:
        if f == "id":
            col = self.column("id", raw)
            if col is None:
                return row_ids(offset, offset + n)  # "offset", "offset + 1", ... made only when read
            values = raw[col]
            if isinstance(values, np.ndarray) and values.dtype.kind in "iu" and values.ndim == 1:
                return _int_ids(values, col, offset)
            if is_arrow_text(values):  # kept as Arrow: no Python string per id
                ids = TextIds(values)
                _check_unique(ids, text_hashes(values), col, offset)
                return ids
            ids = FIELDS["id"]("id", col, values, offset)
            _check_unique(ids, np.fromiter(map(hash, ids), np.int64, count=len(ids)), col, offset)
            return ids
        if f in ("reference", "references"):
            return self._reference(f, raw, offset)
        if f not in FIELDS:
            raise ConfigError(f"unknown canonical field {f!r}; known: {', '.join(FIELDS)}")
        col = self.column(f, raw)
        if col is None:
            raise FieldError(f, self.columns.get(f, f), None,
                             f"missing: the data has no column {self.columns.get(f, f)!r} "
                             f"(columns: {', '.join(map(str, raw)) or 'none'}); map one with columns={{{f!r}: ...}}")
        return FIELDS[f](f, col, raw[col], offset)

    def _reference(self, f: str, raw: Mapping[str, Sequence[Any]], offset: int) -> list:
        single, multi = self.column("reference", raw), self.column("references", raw)
        col = multi or single
        values = raw[col] if col else None
        if multi and single:  # rows may use either column; `references` wins where both are set
            values = [r if is_missing(m) else m for m, r in zip(raw[multi], raw[single])]
            col = f"{multi}/{single}"
        if col is None:
            wanted = self.columns.get(f, f)
            raise FieldError(f, wanted, None, f"missing: the data has neither a 'reference' nor a 'references' "
                                              f"column (columns: {', '.join(map(str, raw))})")
        refs = check_references(f, col, values, offset)
        if f == "references":
            return refs
        out = []
        for i, r in enumerate(refs):
            if len(r) != 1:
                raise FieldError(f, col, offset + i, f"this scorer needs exactly one reference, the row has {len(r)}")
            out.append(r[0])
        return check_str(f, col, out, offset)

    def batches(self, fields: Iterable[str], batch_size: int) -> Iterator[tuple[int, dict[str, list]]]:
        """``(offset, canonical batch)`` pairs over the data, in order."""
        fields = list(fields)
        if self.table is not None:
            data = self.canonical(fields)
            n = len(data["id"])
            for start in range(0, n, batch_size):
                yield start, {k: v[start:start + batch_size] for k, v in data.items()}
            return
        offset = 0
        seen = SeenIds(self.columns.get("id", "id"), earlier=self._ids_before)
        for raw in self._raw_batches(fields, batch_size):
            batch = self.canonical(fields, raw, offset)
            batch["id"] = seen.add(batch["id"], offset)
            yield offset, batch
            offset += len(batch["id"])

    def _ids_before(self, stop: int) -> Iterator[str]:
        """The ids of the rows before row ``stop``, read again from the stream."""
        offset = 0
        for raw in self._raw_batches([], 4096):
            n = min(len(next(iter(raw.values()))) if raw else 0, stop - offset)
            yield from self._field("id", {c: v[:n] for c, v in raw.items()}, n, offset)
            offset += n
            if offset >= stop:
                return

    def _raw_batches(self, fields: list[str], batch_size: int) -> Iterator[Mapping[str, Sequence[Any]]]:
        if self.chunks is not None:  # only the columns the fields take, read as columns
            refs = {"reference", "references"}
            wanted = {*fields, "id"} | (refs if refs & {*fields} else set())
            yield from self.chunks(sorted({self.columns.get(f, f) for f in wanted}), batch_size)
            return
        rows = iter(self.stream())
        while chunk := list(itertools.islice(rows, batch_size)):
            yield {k: [r.get(k) for r in chunk] for k in chunk[0]}

    def fingerprint(self, fields: Iterable[str], legacy: bool = False) -> str:
        """A hash of the canonical data for ``fields`` (streamed data: of its origin), the same
        however the cells were typed (`rageval.data.fingerprint`); ``legacy``: the version-1 form
        that run directories written before ``v2:`` fingerprints hold."""
        if self.table is None:
            return "stream:" + xxhash.xxh3_128_hexdigest(self.origin.encode())[:16]
        columns = self.canonical(fields)
        return legacy_fingerprint(columns) if legacy else fingerprint(columns)


class SeenIds:
    """The ids of a stream so far, to refuse an id that an earlier batch had, in 8 bytes an id: the
    ids' hashes in sorted runs (merged when one is no longer than the next: each hash is merged
    about log2(rows / batch) times). A hash seen before is told from a real duplicate by the ids
    themselves: read again from the source by ``earlier(offset)`` (the ids of the rows before
    ``offset``: a stream can be read again, and a hit is rare: a duplicate, which ends the run, or
    a 64-bit collision), or, without ``earlier``, kept compact (`TextIds`, `IntIds`). A set of a
    stream's strings held 50-100 bytes an id for the whole run."""

    def __init__(self, column: str, earlier: Callable[[int], Iterable[str]] | None = None) -> None:
        self.column = column
        self.earlier = earlier
        self.runs: list[np.ndarray] = []
        self.ids: list[Sequence[str]] = []

    def add(self, ids: Sequence[str], offset: int, rows: Sequence[int] | None = None) -> Sequence[str]:
        """``ids`` (one batch starting at row ``offset``; ``rows``: each one's row where they are not
        ``offset``, ``offset + 1``...) kept compact; `FieldError` at the first row whose id an earlier
        batch, or an earlier row of this one, had."""
        compact = ids if isinstance(ids, (IntIds, TextIds)) else TextIds(ids)
        # an integer id is its own hash (uint64 ids viewed as int64: the same bits); text: from its
        # Arrow buffers, the same hash in every batch
        hashes = compact.numbers.view(np.int64) if isinstance(compact, IntIds) else text_hashes(compact.array)
        order = np.argsort(hashes, kind="stable")
        ranked = hashes[order]
        hit = np.zeros(len(hashes), bool)
        hit[order[1:][ranked[1:] == ranked[:-1]]] = True  # a hash an earlier row of the batch has
        for run in self.runs:  # sorted needles: each search starts where the last one ended
            pos = np.minimum(np.searchsorted(run, ranked), len(run) - 1)
            hit[order[run[pos] == ranked]] = True
        hits = np.flatnonzero(hit).tolist()
        if hits:
            self._refuse_duplicates(compact, hashes, hits, offset, rows)
        run = ranked
        while self.runs and len(self.runs[-1]) <= len(run):
            run = np.concatenate([self.runs.pop(), run])  # two sorted runs: a merge (in place)
            run.sort(kind="stable")
        self.runs.append(run)
        if self.earlier is None:
            self.ids.append(compact)
        return compact

    def _refuse_duplicates(self, ids: Sequence[str], hashes: np.ndarray, hits: list[int], offset: int,
                           rows: Sequence[int] | None) -> None:
        """`FieldError` at the first of the rows ``hits`` (whose hash was seen before) whose id was."""
        wanted = {ids[i] for i in hits}
        if self.earlier is None:
            found = {x for x in wanted if any(x in earlier for earlier in self.ids)}
        else:
            found = {x for x in self.earlier(offset) if x in wanted}
        for i in hits:
            x = ids[i]
            if x in found or any(ids[j] == x for j in np.flatnonzero(hashes[:i] == hashes[i])):
                raise FieldError("id", self.column, offset + i if rows is None else rows[i], f"duplicate id {x!r}")


def _int_ids(values: np.ndarray, column: str, offset: int) -> IntIds:
    """A numpy integer id column (a pandas int64 column) as its strings (`IntIds`: made when read),
    checked unique on the integers (one sort; distinct integers have distinct decimal strings): 1M
    ids in 0.03 s, where a Python call per id and a set of strings took 1.6 s."""
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    repeats = order[1:][ranked[1:] == ranked[:-1]]  # every occurrence after a value's first
    if repeats.size:
        row = int(repeats.min())
        raise FieldError("id", column, offset + row, f"duplicate id {str(values[row])!r}")
    return IntIds(values)


def _check_unique(ids: Sequence[str], hashes: np.ndarray, column: str, offset: int) -> None:
    """`FieldError` at the first row whose id an earlier row has, from the ids' 64-bit ``hashes``
    (Arrow ids: `text_hashes`; listed strings: Python's) sorted and compared with their neighbours
    (1M listed strings: 66 ms, where a set of them took 144 ms, most of it in scattered writes to
    its table; 1M Arrow ids: 27 ms); only the rows of a repeated hash (a duplicate, or a 64-bit
    collision) are read as strings, in row order, to name the row."""
    ranked = np.sort(hashes)
    repeated = ranked[1:][ranked[1:] == ranked[:-1]]
    if not len(repeated):
        return
    rows = np.flatnonzero(np.isin(hashes, repeated))
    seen: set[str] = set()
    for i, x in zip(rows.tolist(), ids.take(rows) if isinstance(ids, TextIds) else [ids[i] for i in rows]):
        if x in seen:
            raise FieldError("id", column, offset + i, f"duplicate id {x!r}")
        seen.add(x)


def load_source(data: Any, columns: Mapping[str, str] | None = None, split: str | None = None,
                limit: int | None = None, encoding: str = "utf-8") -> Source:
    """Wrap ``data`` (see the module docstring) as a `Source`, keeping at most ``limit`` rows.
    ``encoding``: the text encoding of a .jsonl, .json or .csv file. The adapter is the `ADAPTERS`
    entry named by the data's type (its class or a base class) or by a path's file extension."""
    columns = dict(columns or {})
    for f in columns:
        if f not in FIELDS:
            raise ConfigError(f"columns: unknown canonical field {f!r}; known: {', '.join(FIELDS)}")
    if isinstance(data, (str, os.PathLike)):
        return _from_path(os.fspath(data), columns, limit, encoding, split)
    for kind in type(data).__mro__[:-1]:  # the class, then its bases (object last: never an adapter)
        name = kind.__module__.split(".")[0] + "." + kind.__name__
        if name in ADAPTERS:
            return ADAPTERS.get(name)(data, columns, split=split, limit=limit, encoding=encoding)
    raise ConfigError(f"unsupported data of type {type(data).__module__}.{type(data).__qualname__}: "
                      f"known kinds are {_known_kinds()}")


def _known_kinds() -> str:
    names = ADAPTERS.names()
    return (", ".join(n for n in names if not n.startswith(".")) + "; or a path to a "
            + "/".join(n for n in names if n.startswith(".")) + " file")


# --- the built-in adapters: each takes (data, columns, *, split, limit, encoding) -------------

def from_dataset_dict(data: Any, columns: dict[str, str], *, split: str | None = None, limit: int | None = None,
                      encoding: str = "utf-8") -> Source:
    """A `datasets.DatasetDict` or `IterableDatasetDict`: its one split, or ``split``."""
    if split is None:
        if len(data) != 1:
            raise ConfigError(f"the data has splits {sorted(data)}: choose one with split=")
        split = next(iter(data))
    if split not in data:
        raise ConfigError(f"no split {split!r}; the data has {sorted(data)}")
    return load_source(data[split], columns, None, limit)


def from_dataset(data: Any, columns: dict[str, str], *, split: str | None = None, limit: int | None = None,
                 encoding: str = "utf-8") -> Source:
    """A `datasets.Dataset`, materialised from its Arrow table (`arrow_column`): number columns
    without nulls as numpy arrays and the id column of strings as Arrow (no Python object per
    cell), the others as `Dataset.to_dict` gives them (its ``to_pydict``; a dataset with features
    that datasets decodes from JSON text goes through ``to_dict`` itself). A selection of rows
    (``select``, ``filter``, ``shuffle``, ``train_test_split``, ``limit=``) is taken from the table
    by pyarrow at once. Against ``to_dict``, 1M rows of a string id, two number and one text
    column: whole 0.15 -> 0.05 s; every third row 1.8 -> 0.04 s; shuffled 6.2 -> 0.2 s."""
    if limit is not None:
        data = data.select(range(min(limit, len(data))))
    origin = f"datasets:{data._fingerprint}"
    if _json_fields(data):
        return Source(columns, table=data.to_dict(), origin=origin)
    arrow = data.data.table
    if data._indices is not None:  # a selection: its rows taken by pyarrow at once (datasets' own
        arrow = arrow.take(data._indices.column(0))  # take: 1.0 s for 333k strided rows, 3.7 s shuffled)
    ids = columns.get("id", "id")
    return Source(columns, table={c: arrow_column(arrow.column(c), c == ids) for c in arrow.column_names},
                  origin=origin)


def _json_fields(data: Any) -> bool:
    """True where ``Dataset.to_dict`` decodes some column from JSON text (datasets' ``Json`` feature)."""
    try:
        from datasets.utils.json import get_json_field_paths_from_feature
    except ImportError:  # a datasets without JSON features
        return False
    return bool(get_json_field_paths_from_feature(data.features))


def from_iterable_dataset(data: Any, columns: dict[str, str], *, split: str | None = None,
                          limit: int | None = None, encoding: str = "utf-8") -> Source:
    """A `datasets.IterableDataset`, streamed batch by batch."""
    stream = (lambda: itertools.islice(iter(data), limit)) if limit is not None else (lambda: iter(data))
    return Source(columns, stream=stream, origin=f"iterable:{data.info.dataset_name}:{data.split}:{limit}")


def from_ray_dataset(data: Any, columns: dict[str, str], *, split: str | None = None, limit: int | None = None,
                     encoding: str = "utf-8") -> Source:
    """A `ray.data.Dataset`, scored by the Ray backend where its blocks lie; its origin (for the
    streamed fingerprint) is the dataset as Ray prints it: its schema (and first rows once
    materialised), as the driver does not read the data."""
    if limit is not None:
        data = data.limit(limit)
    return Source(columns, stream=lambda: iter(data.iter_rows()), remote=data, origin=f"ray:{data}")


def from_pandas(data: Any, columns: dict[str, str], *, split: str | None = None, limit: int | None = None,
                encoding: str = "utf-8") -> Source:
    """A `pandas.DataFrame` (numeric columns stay numpy arrays, see `_pandas_column`)."""
    frame = data if limit is None else data.head(limit)
    ids = columns.get("id", "id")
    return Source(columns, table={str(c): _pandas_column(frame[c], str(c) == ids) for c in frame.columns},
                  origin="pandas")


def from_rows(data: list, columns: dict[str, str], *, split: str | None = None, limit: int | None = None,
              encoding: str = "utf-8") -> Source:
    """A list of dicts, one per example."""
    rows = data if limit is None else data[:limit]
    return Source(columns, table=_columns_of(rows), origin="list")


#: input adapters: a data type, written ``"<top-level module>.<class>"`` (matched against the data's
#: class and its bases), or a file extension (``".csv"``) -> a function ``(data, columns, *, split,
#: limit, encoding) -> Source`` (a file adapter gets the path). A package adds one through the
#: entry-point group ``rageval.adapters`` (``"polars.DataFrame = my_package.adapters:from_polars"``).
ADAPTERS = Registry("data adapter", error=ConfigError, entry_points="rageval.adapters")
ADAPTERS.register("datasets.DatasetDict", "rageval.data.adapters:from_dataset_dict", "datasets")
ADAPTERS.register("datasets.IterableDatasetDict", "rageval.data.adapters:from_dataset_dict", "datasets")
ADAPTERS.register("datasets.Dataset", "rageval.data.adapters:from_dataset", "datasets")
ADAPTERS.register("datasets.IterableDataset", "rageval.data.adapters:from_iterable_dataset", "datasets")
ADAPTERS.register("ray.Dataset", "rageval.data.adapters:from_ray_dataset", "ray")
ADAPTERS.register("pandas.DataFrame", "rageval.data.adapters:from_pandas", "pandas")
ADAPTERS.register("builtins.list", "rageval.data.adapters:from_rows", "python")
ADAPTERS.register(".jsonl", "rageval.data.adapters:read_jsonl", "files")
ADAPTERS.register(".json", "rageval.data.adapters:read_json", "files")
ADAPTERS.register(".csv", "rageval.data.adapters:read_csv", "files")
ADAPTERS.register(".parquet", "rageval.data.parquet:read_parquet", "files")


def _pandas_column(series: Any, ids: bool = False) -> Any:
    """A DataFrame column as a list of Python values (an Arrow-backed column through pyarrow,
    which builds them faster than pandas; its missing values become None), or, when it holds one
    number per row and no missing value, as one numpy array (`rageval.core.fields.numeric_array`:
    numeric fields stay columnar, no Python object per cell); the ``ids`` column, when it holds
    strings without a missing value (pandas 3's Arrow-backed ``str`` dtype, or Python strings in an
    ``object`` column), as an Arrow array (`TextIds`)."""
    array = numeric_array(series)
    if array is not None:
        return array
    if getattr(series.dtype, "storage", None) == "pyarrow":
        arrow = series.array.__arrow_array__()
        if getattr(arrow, "num_chunks", 0) == 1:  # a ChunkedArray's to_pylist adds up chunk lists: 1M strings
            arrow = arrow.chunk(0)  # from one chunk, 59 -> 49 ms
        return arrow if ids and is_arrow_text(arrow) else arrow.to_pylist()
    if ids and series.dtype == object:  # Python strings (pandas before 3, or dtype=object) made Arrow:
        import pandas as pd  # 1M ids 105 -> 51 ms with the hashes (all of them str: the check is pandas')

        if pd.api.types.infer_dtype(series, skipna=False) == "string":
            try:
                return pa.array(series.to_numpy(), pa.large_string())
            except (pa.ArrowException, UnicodeEncodeError):  # text UTF-8 cannot hold: the list path names it
                pass
    return series.tolist()


def _columns_of(rows: list) -> dict[str, list]:
    keys: dict[str, None] = {}
    for i, r in enumerate(rows):
        if type(r) is not dict and not isinstance(r, Mapping):
            raise FieldError("(row)", "(row)", i, f"expected a dict per example, got {type(r).__name__}")
        keys.update(dict.fromkeys(r))
    return {k: [r.get(k) for r in rows] for k in keys}


def _from_path(path: str, columns: dict[str, str], limit: int | None, encoding: str = "utf-8",
               split: str | None = None) -> Source:
    if not os.path.exists(path):
        raise ConfigError(f"no such file: {path}")
    ext = "." + path.rsplit(".", 1)[-1].lower() if "." in os.path.basename(path) else ""
    if os.path.isdir(path):
        ext = ".parquet"  # the one kind of directory read: Parquet files (rageval.data.parquet)
    if not ext.strip(".") or ext not in ADAPTERS:
        raise ConfigError(f"{path}: unsupported file type {ext or '(no extension)'}; known: "
                          f"{', '.join(n for n in ADAPTERS.names() if n.startswith('.'))}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigError(f"unknown text encoding {encoding!r}") from None
    try:
        source = ADAPTERS.get(ext)(path, columns, split=split, limit=limit, encoding=encoding)
    except UnicodeDecodeError as e:
        raise _decode_error(path, encoding, e) from None
    if not os.path.isdir(path):  # a directory's origin also digests its files (rageval.data.parquet)
        source.origin = f"file:{os.path.abspath(path)}"
    return source


def _decode_error(path: str, encoding: str, error: UnicodeDecodeError) -> ConfigError:
    """A file that is not ``encoding`` text, named with the line of its first bad byte (found by
    decoding it again, line by line, only now that it failed)."""
    hint = "; pass encoding= (e.g. encoding='latin-1') if the file is in another encoding"
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with open(path, "rb") as fh:
        for chunk in itertools.chain(fh, [None]):
            try:
                text = decoder.decode(b"", final=True) if chunk is None else decoder.decode(chunk)
            except UnicodeDecodeError as e:
                line += e.object[:e.start].decode(encoding, errors="replace").count("\n")
                return ConfigError(f"{path}, line {line}: not valid {encoding} text ({e.reason}: "
                                   f"{e.object[e.start:e.end]!r}){hint}")
            line += text.count("\n")
    return ConfigError(f"{path}: not valid {encoding} text ({error.reason}){hint}")


def read_jsonl(path: str, columns: dict[str, str], *, split: str | None = None, limit: int | None = None,
               encoding: str = "utf-8") -> Source:
    """A .jsonl file: one JSON object per line (blank lines skipped)."""
    with open(path, encoding=encoding) as fh:
        rows = []
        for lineno, line in enumerate(fh, 1):
            if limit is not None and len(rows) >= limit:
                break
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError as e:
                    raise ConfigError(f"{path}, line {lineno}: not valid JSON ({e})") from None
    return from_rows(rows, columns)


def read_json(path: str, columns: dict[str, str], *, split: str | None = None, limit: int | None = None,
              encoding: str = "utf-8") -> Source:
    """A .json file: a list of examples, or ``{"data": [...]}``."""
    with open(path, encoding=encoding) as fh:
        rows = json.load(fh)
    if isinstance(rows, dict) and "data" in rows:
        rows = rows["data"]
    if not isinstance(rows, list):
        raise ConfigError(f"{path}: expected a JSON list of examples (or {{'data': [...]}})")
    return from_rows(rows, columns, limit=limit)


def read_csv(path: str, columns: dict[str, str], *, split: str | None = None, limit: int | None = None,
             encoding: str = "utf-8") -> Source:
    """A .csv file: text fields stay text ("42" is an answer, not a number), numeric fields parse
    (an empty cell there is a missing value), list and mapping fields are JSON text."""
    import pandas as pd

    text = {columns.get(f, f): str for f in FIELDS if f not in NUMERIC}
    empty = {columns.get(f, f): [""] for f in NUMERIC}
    frame = pd.read_csv(path, dtype=text, keep_default_na=False, na_values=empty, encoding=encoding)
    for f in STRUCTURED:
        col = columns.get(f, f)
        if col in frame.columns:
            frame[col] = [_json_cell(v, f, col, i) for i, v in enumerate(frame[col])]
    return load_source(frame, columns, limit=limit)


def arrow_column(column: Any, ids: bool = False) -> Any:
    """An Arrow column as the adapters give it: numbers without nulls as one numpy array, the
    ``ids`` column's strings without nulls as the Arrow array (`TextIds`): no Python object per
    cell; anything else as its Python values."""
    array = numeric_array(column)
    if array is not None:
        return array
    return column if ids and is_arrow_text(column) else column.to_pylist()


def _json_cell(value: str, field: str, column: str, row: int) -> Any:
    """A CSV cell holding a list or mapping as JSON (a bare string stays a string)."""
    if value[:1] not in ("[", "{"):
        return value
    try:
        return json.loads(value)
    except ValueError as e:
        raise FieldError(field, column, row, f"not valid JSON ({e})") from None
