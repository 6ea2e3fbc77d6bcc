"""evaluate()'s overhead per example over the bare scorer, on 20,000 rows.

Bare: the scorer's own `stats` + `reduce` on one columnar batch. evaluate: a list of dicts
through adapters, field checks, batching, per-example scores and `Results`; and the same with a
run directory (Parquet parts written as it goes). Then evaluate(mse) on a DataFrame of 1M numeric rows
(columnar fields): its time minus the time the scorer spent in its own `stats` and `reduce` during that
same call, per row. Run: python benchmarks/evaluate_overhead.py [N] [numeric N]
"""
from __future__ import annotations

import random
import sys
import tempfile
import time

import numpy as np
import pandas as pd

import rageval

WORDS = "the a of cat dog river bank money stream water flows quickly slowly into under over".split()


def make(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    sent = lambda: " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 20)))  # noqa: E731
    return [{"id": f"q{i}", "answer": sent(), "references": [sent() for _ in range(rng.randint(1, 3))]}
            for i in range(n)]


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(n: int = 20_000) -> None:
    rows = make(n)
    batch = {"id": [r["id"] for r in rows], "answer": [r["answer"] for r in rows],
             "references": [r["references"] for r in rows]}
    print(f"{n} examples; times are the best of 3")
    print(f"{'scorer':<12} {'bare s':>8} {'evaluate s':>11} {'+run dir s':>11} {'overhead µs/ex':>15} "
          f"{'(run dir)':>10}")
    for name in ("exact_match", "token_f1"):
        scorer = rageval.get_scorer(name)
        bare = best(lambda: scorer.reduce(scorer.stats(batch)))
        full = best(lambda: rageval.evaluate(rows, [name], progress=False))
        with tempfile.TemporaryDirectory() as tmp:
            counter = iter(range(100))
            disk = best(lambda: rageval.evaluate(rows, [name], output=f"{tmp}/{next(counter)}", progress=False))
        res = rageval.evaluate(rows, [name], progress=False)
        assert res.aggregate[name] == scorer.reduce(scorer.stats(batch))[name]
        print(f"{name:<12} {bare:8.3f} {full:11.3f} {disk:11.3f} {1e6 * (full - bare) / n:15.1f} "
              f"{1e6 * (disk - bare) / n:10.1f}")


def timed(scorer, spent: list) -> None:
    """Wrap ``scorer``'s own `stats` and `reduce` to add the seconds they take to ``spent[0]``."""
    for name in ("stats", "reduce"):
        method = getattr(scorer, name)

        def wrapper(*args, _method=method, **kwargs):
            t = time.perf_counter()
            try:
                return _method(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - t
        setattr(scorer, name, wrapper)


def numeric(n: int = 1_000_000) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"y_true": rng.normal(size=n), "y_pred": rng.normal(size=n)})
    print(f"\nevaluate(mse) on a DataFrame of {n} numeric rows (best of 3; scorer = its stats + reduce "
          f"inside that call)")
    print(f"{'batch_size':>10} {'evaluate s':>11} {'scorer s':>9} {'overhead s':>11} {'ns/row':>8}")
    for batch_size in (1000, 100_000):
        best_run = None
        for _ in range(3):
            scorer, spent = rageval.get_scorer("mse"), [0.0]
            timed(scorer, spent)
            t = time.perf_counter()
            res = rageval.evaluate(frame, [scorer], progress=False, batch_size=batch_size)
            total = time.perf_counter() - t
            if best_run is None or total - spent[0] < best_run[0] - best_run[1]:
                best_run = (total, spent[0])
        total, inside = best_run
        expected = float(np.mean((frame["y_true"].to_numpy() - frame["y_pred"].to_numpy()) ** 2))
        assert abs(res.aggregate["mse"] - expected) <= 1e-12 * expected
        print(f"{batch_size:>10} {total:11.3f} {inside:9.3f} {total - inside:11.3f} {1e9 * (total - inside) / n:8.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
    numeric(int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000)
