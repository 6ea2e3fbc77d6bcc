"""Example ids without a Python string per example.

Ids are strings. Data without an id column takes its row numbers as ids (``"0"``, ``"1"``, ...),
and an integer id column (a pandas int64 column) its integers' decimal strings. `IntIds` is such a
sequence of strings kept as one int64 (or uint64) array and made into strings only when read: a
million default ids cost 8 MB, not a million strings (building them was 40% of `evaluate`'s time on
a 1M-row numeric column). `TextIds` keeps other ids as Arrow strings (about their length plus 4
bytes each, where a Python string costs 50 bytes more): the ids of streamed data and of loaded run
directories. `join_ids` keeps pieces of one kind lazy; a mix becomes a plain list.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


class LazyIds(Sequence):
    """A sequence of id strings kept in a compact form; subclasses say where an id occurs
    (`_where`) and how two of their kind compare (`_same`); lookups and list equality follow."""

    __slots__ = ()

    def _where(self, x: Any) -> np.ndarray:
        """The positions holding the id ``x`` (none for anything that is not one of these ids)."""
        raise NotImplementedError

    def _same(self, other: Any) -> bool:
        return list(self) == list(other)

    def __contains__(self, x: Any) -> bool:
        return bool(len(self._where(x)))

    def index(self, x: Any, start: int = 0, stop: int | None = None) -> int:
        stop = len(self) if stop is None else stop
        for i in self._where(x).tolist():
            if start <= i < stop:
                return i
        raise ValueError(f"{x!r} is not in the ids")

    def count(self, x: Any) -> int:
        return len(self._where(x))

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, type(self)):
            return len(self) == len(other) and self._same(other)
        if isinstance(other, (list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # compares like the list it stands for, so unhashable like a list

    def __repr__(self) -> str:
        head = ", ".join(map(repr, self[:3]))
        return f"{type(self).__name__}([{head}{', ...' if len(self) > 3 else ''}], n={len(self)})"


class IntIds(LazyIds):
    """The ids ``str(n)`` for each integer ``n`` of ``numbers``: equal to (and usable as) that list
    of strings. Distinct integers have distinct strings; the caller checks uniqueness."""

    __slots__ = ("numbers",)

    def __init__(self, numbers: np.ndarray, copy: bool = True) -> None:
        """``copy=False``: ``numbers`` is new or a view of another `IntIds`' (never written to), not the
        caller's own array (a user's column changed in place later would change these ids)."""
        numbers = np.asarray(numbers)
        if numbers.dtype.kind not in "iu" or numbers.ndim != 1:
            raise TypeError(f"IntIds takes a 1-D integer array, not {numbers.dtype} of shape {numbers.shape}")
        kind = numbers.dtype if numbers.dtype.kind == "u" and numbers.itemsize == 8 else np.int64
        self.numbers = numbers.astype(kind, copy=copy)  # 1M rows: 18 copies per evaluate were 6 ms

    def __len__(self) -> int:
        return len(self.numbers)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return IntIds(self.numbers[i], copy=False)
        return str(int(self.numbers[i]))  # IndexError as a list raises it

    def __iter__(self) -> Iterator[str]:
        return map(str, self.numbers.tolist())

    def _number(self, x: Any) -> int | None:
        """The integer whose string ``x`` is (None for anything else, e.g. ``"01"`` or ``" 1"``)."""
        if not isinstance(x, str) or not 0 < len(x) <= 21 or not x.isascii():
            return None
        try:
            v = int(x)
        except ValueError:
            return None
        return v if str(v) == x else None

    def _where(self, x: Any) -> np.ndarray:
        v = self._number(x)
        low, high = (0, 2**64) if self.numbers.dtype.kind == "u" else (-2**63, 2**63)
        if v is None or not low <= v < high:
            return np.empty(0, np.int64)
        return np.flatnonzero(self.numbers == v)

    def _same(self, other: IntIds) -> bool:
        return bool(np.all(self.numbers == other.numbers))

    def take(self, index: Any) -> IntIds:
        """The ids at the positions ``index``."""
        return IntIds(self.numbers[np.asarray(index, np.int64)], copy=False)


class TextIds(LazyIds):
    """Ids held as an Arrow string array (or chunked array): equal to (and usable as) the list of
    its strings; iteration makes one chunk of Python strings at a time."""

    __slots__ = ("array",)

    def __init__(self, array: Any) -> None:
        if isinstance(array, (list, tuple)):
            array = arrow_strings(array)
        if array.type not in (pa.string(), pa.large_string()) or array.null_count:
            raise TypeError(f"TextIds takes Arrow strings without nulls, not {array.type}")
        self.array = array

    def _chunks(self) -> list:
        return self.array.chunks if isinstance(self.array, pa.ChunkedArray) else [self.array]

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step == 1:
                return TextIds(self.array.slice(start, max(0, stop - start)))
            return [self[j] for j in range(start, stop, step)]
        j = range(len(self))[i]  # IndexError as a list raises it
        return self.array[j].as_py()

    def __iter__(self) -> Iterator[str]:
        for chunk in self._chunks():
            yield from chunk.to_pylist()

    def _where(self, x: Any) -> np.ndarray:
        if not isinstance(x, str) or not len(self):
            return np.empty(0, np.int64)
        try:
            hit = pc.equal(self.array, pa.scalar(x, pa.string()))
        except (pa.ArrowInvalid, UnicodeEncodeError):  # text UTF-8 cannot hold is no id
            return np.empty(0, np.int64)
        hit = hit.combine_chunks() if isinstance(hit, pa.ChunkedArray) else hit
        return np.flatnonzero(hit.to_numpy(zero_copy_only=False))

    def take(self, index: Any) -> TextIds:
        """The ids at the positions ``index``."""
        return TextIds(self.array.take(pa.array(np.asarray(index, np.int64))))

    def _same(self, other: TextIds) -> bool:
        a, b = self.to_arrow(), other.to_arrow()
        return a.equals(b) if a.type == b.type else super()._same(other)  # Arrow: unequal across types

    def to_arrow(self) -> pa.Array:
        """The ids as one Arrow string array."""
        return self.array.combine_chunks() if isinstance(self.array, pa.ChunkedArray) else self.array


def is_arrow_text(values: Any) -> bool:
    """True for an Arrow string (or large string) array or chunked array without nulls."""
    return isinstance(values, (pa.Array, pa.ChunkedArray)) and values.type in (pa.string(), pa.large_string()) \
        and not values.null_count


def arrow_strings(texts: Sequence[str]) -> pa.Array:
    """Python strings as an Arrow string array, from its two buffers (one join, one encode, the
    byte lengths by a C-level map): 1M ids in about 0.05 s, and without `pyarrow.array`, which
    imports pandas on first use (0.2 s and 30 MB in a process that had not)."""
    joined = "".join(texts)
    data = joined.encode("utf-8")
    lengths = map(len, texts) if len(data) == len(joined) else map(len, map(str.encode, texts))
    offsets = np.zeros(len(texts) + 1, np.int64)
    np.cumsum(np.fromiter(lengths, np.int64, count=len(texts)), out=offsets[1:])
    if offsets[-1] >= 2**31:  # more than 2 GiB of id text in one batch: Arrow's 64-bit offsets
        return pa.array(texts, pa.large_string())
    return pa.StringArray.from_buffers(len(texts), pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data))


#: ``_MASKS[k]``: the low ``k`` bytes of a 64-bit word (k = 8: all of it)
_MASKS = np.array([(1 << 8 * k) - 1 for k in range(8)] + [2**64 - 1], np.uint64)
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))
_SHIFT = np.uint64(33)


#: strings longer than this (bytes) take Python's hash of the string (`text_hashes`)
WORDS_UP_TO = 64


def text_hashes(array: Any) -> np.ndarray:
    """64-bit hashes (int64) of the strings of an Arrow string array, from its buffers, with no
    Python string: a string's byte length, then its bytes as little-endian 64-bit words (the last
    word ends at the string's end, overlapping the one before), folded by xor-shift and multiply,
    then mixed (murmur3's finaliser). A string longer than `WORDS_UP_TO` bytes takes Python's hash
    of it instead (its Python string made): one vector pass per word costs more than that beyond 8
    words. The rule is per string, so equal strings hash equal in every array, chunk and batch;
    unequal strings rarely (where hashes are equal the caller compares the strings). Words are
    read by gathers, or for strings of one length by strided views. 1M distinct ids against making
    their Python strings and hashing them (`benchmarks/ids.py`): "q123" 38 vs 140 ms, UUIDs 42 vs
    166, up to 40 bytes of mixed lengths 94 vs 148; 95-byte URLs (Python's hashes) 183 vs 201 (by
    words: 236 vs 188 where their lengths differ)."""
    if isinstance(array, pa.ChunkedArray):
        parts = [text_hashes(c) for c in array.chunks]
        return np.concatenate(parts) if parts else np.empty(0, np.int64)
    n = len(array)
    if n == 0:
        return np.empty(0, np.int64)
    _, offsets, data = array.buffers()
    kind = np.dtype(np.int64 if array.type == pa.large_string() else np.int32)
    edges = np.frombuffer(offsets, kind, n + 1, array.offset * kind.itemsize).astype(np.int64, copy=False)
    length = np.diff(edges)
    shortest, longest = int(length.min()), int(length.max())
    if shortest > WORDS_UP_TO:  # all long: Python's hashes
        return np.fromiter(map(hash, array.to_pylist()), np.int64, count=n)
    first, stop = int(edges[0]), int(edges[-1])
    padded = np.zeros(stop - first + 8, np.uint8)  # 8 bytes more: every word read lies in it
    if stop > first:
        padded[:stop - first] = np.frombuffer(data, np.uint8, stop - first, first)
    words = np.ndarray((stop - first + 1,), "<u8", buffer=padded, strides=(1,))  # the word at each byte
    start = edges[:-1] - first if first else edges[:-1]
    # in place where it can be: each new 8 MB array costs its page faults (1M ids: 31 -> 20 ms)
    h = length.astype(np.uint64)
    h *= _MIX[0]
    if shortest == longest:  # one length (UUIDs, hex digests): word k of every string is a strided view
        def word_at(k: int) -> np.ndarray:
            return np.ndarray((n,), "<u8", buffer=padded, offset=min(8 * k, max(longest - 8, 0)), strides=(longest,))
    else:
        def word_at(k: int) -> np.ndarray:
            return words[start if k == 0 else np.minimum(start + 8 * k, last)]
        last = start + (length - 8)  # where a string's last word starts
    word = np.array(word_at(0))
    if shortest < 8:  # a short string's word: its own bytes only
        word &= _MASKS[np.minimum(length, 8)]
    h ^= word
    h *= _MIX[1]
    long = np.flatnonzero(length > WORDS_UP_TO) if longest > WORDS_UP_TO else None
    if longest > 8:
        count = (length + 7) // 8
        if long is not None:
            count[long] = 0  # their words are not read
        every = int(count.min())
        for k in range(1, (min(longest, WORDS_UP_TO) + 7) // 8):  # word k of each string that has one
            # a product carries only upwards: the xor-shift brings the high bits down before the next
            # word (without it, strings differing in the top byte of two words collided 3 in 7,000)
            if k < every:  # every string has one
                np.right_shift(h, _SHIFT, out=word)
                h ^= word
                h ^= word_at(k)
                h *= _MIX[1]
            else:
                rows = np.flatnonzero(count > k)
                x = h[rows]
                x ^= x >> _SHIFT
                h[rows] = (x ^ words[np.minimum(start[rows] + 8 * k, last[rows])]) * _MIX[1]
    np.right_shift(h, _SHIFT, out=word)
    h ^= word
    h *= _MIX[2]
    np.right_shift(h, _SHIFT, out=word)
    h ^= word
    hashes = h.view(np.int64)
    if long is not None:
        hashes[long] = np.fromiter(map(hash, array.take(pa.array(long)).to_pylist()), np.int64, count=len(long))
    return hashes


def row_ids(start: int, stop: int) -> IntIds:
    """The default ids of the rows ``start .. stop - 1``: their numbers as strings."""
    return IntIds(np.arange(start, max(start, stop), dtype=np.int64), copy=False)


def join_ids(pieces: Iterable[Sequence[str]]) -> Sequence[str]:
    """The ids of consecutive pieces as one sequence: `IntIds` when every piece is one (of one
    dtype), `TextIds` when every piece is one, else a list."""
    pieces = list(pieces)
    if pieces and all(isinstance(p, IntIds) for p in pieces) and len({p.numbers.dtype for p in pieces}) == 1:
        return IntIds(np.concatenate([p.numbers for p in pieces]), copy=False)
    if pieces and all(isinstance(p, TextIds) for p in pieces) and len({p.array.type for p in pieces}) == 1:
        return TextIds(pa.chunked_array([c for p in pieces for c in p._chunks()], pieces[0].array.type))
    return list(chain.from_iterable(pieces))
