"""The dataset fingerprint: a hash of canonical columns that does not depend on how cells were typed.

The same data given as plain Python cells, numpy scalars (``numpy.str_`` ids, numpy numbers), numpy
arrays per cell, pandas object columns or Arrow-backed columns has the same canonical columns up to
the type of their text (`rageval.core.fields` keeps ``numpy.str_``, a ``str``), and the same
fingerprint. Text columns are hashed as their UTF-8 text joined by NUL at C speed (no Python object
per cell; item lengths precede the text instead when an item holds a NUL): a column of strings as
that text; a column of lists of strings as (row lengths, text); a column of id -> grade dicts as
(row lengths, key text, grades as float64); a columnar numeric field (a numpy array, see
`rageval.core.fields`) as its dtype, shape and bytes. Any other column (numbers, labels, arrays) is pickled
with a fixed protocol, as it holds plain Python values. Fingerprints carry the prefix ``v2:``;
`legacy_fingerprint` computes the version-1 form (a pickle of every column) for run directories
written before it.
"""
from __future__ import annotations

import pickle
from collections.abc import Mapping
from itertools import chain
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from rageval.core.fields import TEXT_TYPES
from rageval.core.ids import LazyIds, TextIds

VERSION = "v2:"


def fingerprint(columns: Mapping[str, list]) -> str:
    """``v2:`` and 16 hex digits of xxh3-128 over the columns, in field order."""
    hasher = xxhash.xxh3_128()
    for name, values in sorted(columns.items()):
        hasher.update(name.encode() + b"\0")
        _digest(hasher, values)
    return VERSION + hasher.hexdigest()[:16]


def legacy_fingerprint(columns: Mapping[str, list]) -> str:
    """The version-1 fingerprint (a protocol-4 pickle of the plain columns) of run directories
    written before ``v2:``; text is copied to plain ``str`` first, as version 1 saw it."""
    hasher = xxhash.xxh3_128()
    pickler = pickle.Pickler(SimpleNamespace(write=hasher.update), protocol=4)
    pickler.fast = True
    pickler.dump(sorted((name, _plain(values)) for name, values in columns.items()))
    return hasher.hexdigest()[:16]


def _digest(hasher: Any, values: list | np.ndarray) -> None:
    if isinstance(values, np.ndarray):  # a columnar numeric field: its dtype, shape and bytes
        hasher.update(b"A" + values.dtype.str.encode() + np.asarray(values.shape, np.int64).tobytes())
        hasher.update(np.ascontiguousarray(values).tobytes())
        return
    if isinstance(values, LazyIds):  # ids held compact: as the list of their strings
        joined = _arrow_joined(values) if isinstance(values, TextIds) and len(values) else None
        if joined is not None:  # the list's form (below), joined by Arrow: 1M ids 187 -> 7 ms
            hasher.update(b"SJ")
            hasher.update(joined)
            return
        values = list(values)  # integer ids, none, or an id holding a NUL: the list itself
    kinds = set(map(type, values))
    nested = bool(values) and (not kinds - {list} or not kinds - {dict})
    if values and (nested or not kinds - TEXT_TYPES):
        lengths = _lengths(values) if nested else None
        try:
            text = _text(values, lengths)
            # a dict column: id -> grade (numbers); any other dict (e.g. panoptic segments) is pickled
            grades = _grades(values) if dict in kinds else b""
        except (TypeError, ValueError):  # an item that is not text, a value that is not a number
            text = None
        if text is not None:
            hasher.update(b"S" if lengths is None else b"L" if list in kinds else b"D")
            if lengths is not None:
                hasher.update(lengths.tobytes())
            hasher.update(text)
            hasher.update(grades)
            return
    hasher.update(b"P")
    pickler = pickle.Pickler(SimpleNamespace(write=hasher.update), protocol=4)
    pickler.fast = True
    pickler.dump(values)


def _arrow_joined(ids: TextIds) -> Any:
    """The ids' UTF-8 text joined by NUL (the ``J`` form of `_text`), joined by Arrow; None where an
    id holds a NUL."""
    array = ids.to_arrow()
    if array.type != pa.large_string():
        array = array.cast(pa.large_string())  # binary_join has no kernel for a large list of strings
    one = pa.LargeListArray.from_arrays(pa.array([0, len(array)], pa.int64()), array)
    joined = pc.binary_join(one, pa.scalar("\0", pa.large_string()))[0].as_buffer()
    if np.count_nonzero(np.frombuffer(joined, np.uint8) == 0) != len(array) - 1:
        return None
    return joined


def _grades(rows: list[dict]) -> bytes:
    """The dicts' values as float64 bytes; TypeError unless every one is a Python number."""
    values = list(chain.from_iterable(map(dict.values, rows)))
    if set(map(type, values)) - {int, float}:
        raise TypeError("not id -> grade dicts")
    return np.array(values, np.float64).tobytes()


def _text(values: list, lengths: np.ndarray | None) -> bytes:
    """The texts (``lengths``: the number of items of each row of a nested column) as one
    unambiguous byte string: joined by NUL when no item holds a NUL (the count of NULs tells: two
    C-speed passes), else each item preceded by its length. TypeError where an item is not text."""
    if lengths is None:
        joined, separators = "\0".join(values), len(values) - 1
    else:
        joined = "\0".join(map("\0".join, values))
        separators = int(np.maximum(lengths - 1, 0).sum()) + len(values) - 1
    encoded = joined.encode("utf-8", "surrogatepass")  # a NUL character is the byte 0 in UTF-8
    if np.count_nonzero(np.frombuffer(encoded, np.uint8) == 0) == separators:  # 3x str.count's speed
        return b"J" + encoded
    items = values if lengths is None else list(chain.from_iterable(values))
    return b"N" + _lengths(items).tobytes() + "".join(items).encode("utf-8", "surrogatepass")


def _lengths(items: list) -> np.ndarray:
    return np.fromiter(map(len, items), np.int64, count=len(items))


def _plain(values: list) -> list:
    """The column with every ``numpy.str_`` (also inside lists and as dict keys) as ``str``, and a
    columnar numeric field as the list of Python numbers version 1 held."""
    if isinstance(values, np.ndarray):
        return values.tolist()
    def plain(v: Any) -> Any:
        if type(v) is np.str_:
            return str.__str__(v)
        if type(v) is list:
            return [plain(x) for x in v]
        if type(v) is dict:
            return {plain(k): x for k, x in v.items()}
        return v
    return [plain(v) for v in values]
