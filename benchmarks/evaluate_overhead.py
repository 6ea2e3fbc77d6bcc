"""evaluate()'s overhead per example over the bare scorer, on 20,000 rows.

Bare: the scorer's own `stats` + `reduce` on one columnar batch. evaluate: a list of dicts
through adapters, field checks, batching, per-example scores and `Results`; and the same with a
run directory (Parquet parts written as it goes). Run: python benchmarks/evaluate_overhead.py [N]
"""
from __future__ import annotations

import random
import sys
import tempfile
import time

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


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
