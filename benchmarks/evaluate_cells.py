"""evaluate()'s cost per cell type: the same 20,000 queries as plain Python cells, numpy scalars,
numpy arrays per cell, pandas object columns and Arrow-backed pandas columns.

Each query has 100 distinct ranked ids and about 5 relevant ids (a few of them retrieved), plus a
`y_true`/`y_pred` label pair; the scorers are ``ndcg@10``, ``mrr``, ``recall@10`` and
``accuracy``. Prints each cell type's evaluate time (in memory: no fingerprint is taken), its
ratio to plain Python cells, and what fingerprinting the data adds to it when a run directory is
written (``output=``: the fingerprint is the directory's identity of the dataset); checks that every
cell type gives the plain cells' scores and fingerprint.

    python benchmarks/evaluate_cells.py [N] [ROUNDS]
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from evaluate_overhead import best  # beside this file

import rageval
from rageval.data.adapters import load_source

SCORERS = ["ndcg@10", "mrr", "recall@10", "accuracy"]
FIELDS = ["id", "relevant_ids", "retrieved_ids", "y_pred", "y_true"]
DEPTH, RELEVANT, POOL = 100, 5, 500_000


def make_columns(n: int, seed: int = 0) -> dict[str, list]:
    """Plain Python columns: ids, rankings (distinct ids), relevant ids and labels. Every id is a
    new str object whose hash is not yet computed, as when the data was just read from a file."""
    rng = np.random.default_rng(seed)
    draws = rng.choice(POOL, size=(n, DEPTH + RELEVANT), replace=True)
    retrieved, relevant = [], []
    for q in range(n):
        _, first = np.unique(draws[q], return_index=True)  # distinct ids, deduplicated as numbers
        ranked = draws[q][np.sort(first)][:DEPTH].tolist()
        assert len(ranked) == DEPTH
        hits = rng.choice(DEPTH, size=2, replace=False).tolist()  # two relevant ids retrieved, three not
        retrieved.append([f"doc-{d:06d}" for d in ranked])
        relevant.append([f"doc-{ranked[h]:06d}" for h in hits] + [f"doc-x{q}-{j}" for j in range(RELEVANT - 2)])
    return {"id": [f"q{q}" for q in range(n)], "retrieved_ids": retrieved, "relevant_ids": relevant,
            "y_true": rng.integers(0, 4, n).tolist(), "y_pred": rng.integers(0, 4, n).tolist()}


def rows_of(columns: dict[str, list]) -> list[dict]:
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def numpy_scalars(c: dict[str, list]) -> list[dict]:
    """What ``list(np.array(...))`` gives: numpy.str_ ids, numpy integer labels."""
    return rows_of({"id": list(np.array(c["id"])),
                    "retrieved_ids": [list(np.array(r)) for r in c["retrieved_ids"]],
                    "relevant_ids": [list(np.array(r)) for r in c["relevant_ids"]],
                    "y_true": list(np.array(c["y_true"])), "y_pred": list(np.array(c["y_pred"]))})


def numpy_arrays(c: dict[str, list]) -> list[dict]:
    """One numpy array per list cell (numpy integer labels)."""
    return rows_of({"id": c["id"], "retrieved_ids": [np.array(r) for r in c["retrieved_ids"]],
                    "relevant_ids": [np.array(r) for r in c["relevant_ids"]],
                    "y_true": list(np.array(c["y_true"])), "y_pred": list(np.array(c["y_pred"]))})


def pandas_objects(c: dict[str, list]) -> pd.DataFrame:
    """Object columns holding numpy-typed cells (lists of numpy.str_, numpy integers)."""
    cells = numpy_scalars(c)
    return pd.DataFrame({k: pd.Series([r[k] for r in cells], dtype=object) for k in c})


def arrow_columns(c: dict[str, list]) -> pd.DataFrame:
    """Arrow-backed columns: ``string[pyarrow]`` ids, Arrow list<string> rankings, int64 labels."""
    ids = pd.ArrowDtype(pa.list_(pa.string()))
    return pd.DataFrame({"id": pd.Series(c["id"], dtype="string[pyarrow]"),
                         "retrieved_ids": pd.Series(c["retrieved_ids"], dtype=ids),
                         "relevant_ids": pd.Series(c["relevant_ids"], dtype=ids),
                         "y_true": pd.Series(c["y_true"], dtype="int64[pyarrow]"),
                         "y_pred": pd.Series(c["y_pred"], dtype="int64[pyarrow]")})


CELLS: dict[str, Callable[[dict[str, list]], Any]] = {
    "plain Python": rows_of, "numpy scalars": numpy_scalars, "numpy arrays": numpy_arrays,
    "pandas object": pandas_objects, "Arrow-backed": arrow_columns}


def fingerprint_seconds(data: Any) -> tuple[float, str]:
    """Seconds to fingerprint the checked data (the checks themselves excluded), and the fingerprint."""
    source = load_source(data)
    source.canonical(FIELDS)
    return best(lambda: source.fingerprint(FIELDS)), source.fingerprint(FIELDS)


def measure(name: str, n: int) -> tuple[float, float, dict, str]:
    """evaluate's seconds, fingerprint seconds, aggregate and fingerprint on freshly built cells
    (built anew for every measurement, so that no cell type inherits another's memory layout)."""
    data = CELLS[name](make_columns(n))
    seconds = best(lambda: rageval.evaluate(data, SCORERS, progress=False), 1)
    aggregate = dict(rageval.evaluate(data, SCORERS, progress=False).aggregate)
    fp_seconds, fingerprint = fingerprint_seconds(data)
    return seconds, fp_seconds, aggregate, fingerprint


def main(n: int = 20_000, rounds: int = 3) -> None:
    print(f"{n} queries x {DEPTH} ranked ids, {RELEVANT} relevant; scorers {', '.join(SCORERS)}; "
          f"times are the best of {rounds} interleaved rounds")
    runs: dict[str, list] = {name: [] for name in CELLS}
    for _ in range(rounds):  # interleaved, so that a busy machine slows every cell type alike
        for name in CELLS:
            runs[name].append(measure(name, n))
    plain = runs["plain Python"]
    plain_seconds = min(r[0] for r in plain)
    print(f"{'cells':<14} {'evaluate s':>10} {'x plain':>8} {'fingerprint s':>14} {'+ with output=':>15}")
    for name, measured in runs.items():
        seconds, fp_seconds = min(r[0] for r in measured), min(r[1] for r in measured)
        assert all(r[2] == plain[0][2] for r in measured), (name, measured[0][2], plain[0][2])
        assert all(r[3] == plain[0][3] for r in measured), (name, measured[0][3], plain[0][3])
        print(f"{name:<14} {seconds:10.3f} {seconds / plain_seconds:8.2f} {fp_seconds:14.3f} "
              f"{fp_seconds / seconds:15.1%}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
