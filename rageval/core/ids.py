"""Example ids without a Python string per example.

Data without an id column takes its row numbers as ids (``"0"``, ``"1"``, ...). `RowIds` is that
sequence of strings, made only when one is read: a million default ids cost two integers, not a
million strings (building them was 40% of `evaluate`'s time on a 1M-row numeric column).
`join_ids` keeps consecutive pieces lazy; anything else becomes a plain list.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import Any

import numpy as np


class RowIds(Sequence):
    """The ids ``str(start) ... str(stop - 1)``: equal to (and usable as) that list of strings."""

    __slots__ = ("start", "stop")

    def __init__(self, start: int, stop: int) -> None:
        self.start, self.stop = int(start), max(int(start), int(stop))

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step == 1:
                return RowIds(self.start + start, self.start + max(start, stop))
            return [str(self.start + j) for j in range(start, stop, step)]
        r = range(self.start, self.stop)[i]  # IndexError as a list raises it
        return str(r)

    def __iter__(self) -> Iterator[str]:
        return map(str, range(self.start, self.stop))

    def __contains__(self, x: Any) -> bool:
        if not isinstance(x, str) or not x.isdecimal() or not x.isascii() or (x != "0" and x[0] == "0"):
            return False
        return self.start <= int(x) < self.stop

    def index(self, x: Any, start: int = 0, stop: int | None = None) -> int:
        i = int(x) - self.start if x in self else -1
        if not start <= i < (len(self) if stop is None else stop):
            raise ValueError(f"{x!r} is not in the ids")
        return i

    def count(self, x: Any) -> int:
        return int(x in self)

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, RowIds):
            return len(self) == len(other) and (not len(self) or self.start == other.start)
        if isinstance(other, (list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # a mutable-looking sequence, like the list it stands for

    def __repr__(self) -> str:
        return f"RowIds({self.start}, {self.stop})"

    def numbers(self) -> np.ndarray:
        """The row numbers, as int64."""
        return np.arange(self.start, self.stop, dtype=np.int64)


def join_ids(pieces: Iterable[Sequence[str]]) -> Sequence[str]:
    """The ids of consecutive pieces as one sequence: one `RowIds` when every piece is a `RowIds`
    continuing the previous one, else a list."""
    pieces = list(pieces)
    if pieces and all(isinstance(p, RowIds) for p in pieces) and \
            all(a.stop == b.start for a, b in zip(pieces, pieces[1:])):
        return RowIds(pieces[0].start, pieces[-1].stop)
    return list(chain.from_iterable(pieces))

