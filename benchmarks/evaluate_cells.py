"""evaluate()'s cost per cell type: the same 20,000 queries as plain Python cells, numpy scalars,
numpy arrays per cell, pandas object columns and Arrow-backed pandas columns.

Each query has 100 distinct ranked ids and about 5 relevant ids (a few of them retrieved), plus a
`y_true`/`y_pred` label pair; the scorers are ``ndcg@10``, ``mrr``, ``recall@10`` and
``accuracy``. Prints each cell type's evaluate time, its ratio to plain Python cells, and the share
of that time spent fingerprinting the data (the run directory's identity of the dataset); checks
that every cell type gives the plain cells' scores and fingerprint.

    python benchmarks/evaluate_cells.py [N]
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
    """Plain Python columns: ids, rankings (distinct ids), relevant ids and labels."""
    rng = np.random.default_rng(seed)
    docs = rng.choice(POOL, size=(n, DEPTH + RELEVANT), replace=True)
    retrieved, relevant = [], []
    for q in range(n):
        ranked = list(dict.fromkeys(f"doc-{d:06d}" for d in docs[q]))[:DEPTH]
        hits = rng.choice(DEPTH, size=2, replace=False)  # two relevant ids retrieved, three not
        relevant.append([ranked[h] for h in hits] + [f"doc-x{q}-{j}" for j in range(RELEVANT - 2)])
        retrieved.append(ranked)
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


def main(n: int = 20_000) -> None:
    columns = make_columns(n)
    print(f"{n} queries x {DEPTH} ranked ids, {RELEVANT} relevant; scorers {', '.join(SCORERS)}; "
          "times are the best of 3")
    print(f"{'cells':<14} {'evaluate s':>10} {'x plain':>8} {'fingerprint s':>14} {'share':>6}")
    plain_time = plain_aggregate = plain_print = None
    for name, build in CELLS.items():
        data = build(columns)
        seconds = best(lambda: rageval.evaluate(data, SCORERS, progress=False))
        aggregate = dict(rageval.evaluate(data, SCORERS, progress=False).aggregate)
        fp_seconds, fp = fingerprint_seconds(data)
        if plain_time is None:
            plain_time, plain_aggregate, plain_print = seconds, aggregate, fp
        assert aggregate == plain_aggregate, (name, aggregate, plain_aggregate)
        assert fp == plain_print, (name, fp, plain_print)
        print(f"{name:<14} {seconds:10.3f} {seconds / plain_time:8.2f} {fp_seconds:14.3f} "
              f"{fp_seconds / seconds:6.1%}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
