"""String id columns checked unique: rageval's Arrow path against Python strings, side by side.

For N distinct ids of five shapes (short counters "q123", UUIDs, ids of up to 40 bytes of mixed
lengths, URLs that differ only in their middle, of one length and of mixed lengths), held as
pandas' Arrow-backed ``str`` column:

* ``arrow``: what rageval does with such a column: `rageval.core.ids.text_hashes` over the Arrow
  buffers, then the sort and neighbour compare of `_check_unique` (no Python string per id);
* ``python``: what it did before, and still does for listed ids: the Python strings made from the
  column (``to_pylist``), Python's ``hash`` of each, the same sort and compare;
* ``set``: the plain way, ``len(set(strings)) == n`` on the same Python strings (made first, as
  the other two pay for their input too).

Best of ``--repeat`` runs each; ratio = python s / arrow s (> 1: the Arrow path faster). The
ids are distinct, so no row walks the strings; each check's verdict is asserted.

Run: flock /tmp/rageval-bench.lock python benchmarks/ids.py [--n 1000000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import uuid

import numpy as np
import pandas as pd
from timing import best  # beside this file

from rageval.core.ids import TextIds, text_hashes
from rageval.data.adapters import _check_unique


def shapes(n: int) -> dict[str, list[str]]:
    rng = np.random.default_rng(0)
    return {"short (q123)": [f"q{i}" for i in range(n)],
            "UUID (36 B)": [str(uuid.UUID(int=int(x))) for x in rng.integers(0, 2**63, n)],
            "mixed (<= 40 B)": ["x" * (i % 33) + str(i) for i in range(n)],
            "URL (95 B)": [f"https://example.org/some/long/path/segment/{i:07d}/document.html?version=2&lang=en-US"
                           f"&ref=abc" for i in range(n)],
            "URL (89-95 B)": [f"https://example.org/some/long/path/segment/{i}/document.html?version=2&lang=en-US"
                              f"&ref=abc" for i in range(n)]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    print(f"{a.n:,} distinct ids; best of {a.repeat}; ratio = python s / arrow s")
    print(f"{'ids':<18} {'arrow s':>8} {'python s':>9} {'set s':>8} {'ratio':>6}")
    for label, texts in shapes(a.n).items():
        column = pd.Series(texts, dtype="str").array.__arrow_array__()

        def arrow(column=column):
            ids = TextIds(column)
            _check_unique(ids, text_hashes(column), "id", 0)
            return len(ids)

        def python(column=column):
            ids = column.to_pylist()
            _check_unique(ids, np.fromiter(map(hash, ids), np.int64, count=len(ids)), "id", 0)
            return len(ids)

        def plain(column=column):
            ids = column.to_pylist()
            return len(set(ids)) == len(ids)

        (arrow_s, n1), (python_s, n2), (set_s, unique) = (best(f, a.repeat) for f in (arrow, python, plain))
        assert n1 == n2 == a.n and unique
        print(f"{label:<18} {arrow_s:>8.4f} {python_s:>9.4f} {set_s:>8.4f} {python_s / arrow_s:>6.2f}")


if __name__ == "__main__":
    main()
