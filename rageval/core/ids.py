"""Example ids without a Python string per example.

Ids are strings. Data without an id column takes its row numbers as ids (``"0"``, ``"1"``, ...),
and an integer id column (a pandas int64 column) its integers' decimal strings. `IntIds` is such a
sequence of strings kept as one int64 (or uint64) array and made into strings only when read: a
million default ids cost 8 MB, not a million strings (building them was 40% of `evaluate`'s time on
a 1M-row numeric column). `join_ids` keeps integer pieces lazy; anything else becomes a plain list.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import Any

import numpy as np


class IntIds(Sequence):
    """The ids ``str(n)`` for each integer ``n`` of ``numbers``: equal to (and usable as) that list
    of strings. Distinct integers have distinct strings; the caller checks uniqueness."""

    __slots__ = ("numbers",)

    def __init__(self, numbers: np.ndarray) -> None:
        numbers = np.asarray(numbers)
        if numbers.dtype.kind not in "iu" or numbers.ndim != 1:
            raise TypeError(f"IntIds takes a 1-D integer array, not {numbers.dtype} of shape {numbers.shape}")
        self.numbers = numbers if numbers.dtype.kind == "u" and numbers.itemsize == 8 else numbers.astype(np.int64)

    def __len__(self) -> int:
        return len(self.numbers)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return IntIds(self.numbers[i])
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
        if v is None or (self.numbers.dtype.kind == "u" and v < 0) or not -2**63 <= v < 2**64:
            return np.empty(0, np.int64)
        if self.numbers.dtype.kind == "i" and v >= 2**63:
            return np.empty(0, np.int64)
        return np.flatnonzero(self.numbers == v)

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
        if isinstance(other, IntIds):
            return len(self) == len(other) and bool(np.all(self.numbers == other.numbers))
        if isinstance(other, (list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # compares like the list it stands for, so unhashable like a list

    def __repr__(self) -> str:
        head = ", ".join(map(repr, self[:3]))
        return f"IntIds([{head}{', ...' if len(self) > 3 else ''}], n={len(self)})"


def row_ids(start: int, stop: int) -> IntIds:
    """The default ids of the rows ``start .. stop - 1``: their numbers as strings."""
    return IntIds(np.arange(start, max(start, stop), dtype=np.int64))


def join_ids(pieces: Iterable[Sequence[str]]) -> Sequence[str]:
    """The ids of consecutive pieces as one sequence: `IntIds` when every piece is one (of one
    dtype), else a list."""
    pieces = list(pieces)
    if pieces and all(isinstance(p, IntIds) for p in pieces) and len({p.numbers.dtype for p in pieces}) == 1:
        return IntIds(np.concatenate([p.numbers for p in pieces]))
    return list(chain.from_iterable(pieces))
