"""Timing helpers shared by the benchmark sections, and the row format `text_metrics.py` prints."""
from __future__ import annotations

import time
from collections.abc import Callable


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """Wall-clock seconds of one call of ``fn``, and what it returned."""
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """The least wall-clock seconds of ``repeat`` calls of ``fn``, and what the last call returned."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def row(scorer: str, n: int, ours: float, ref: float, diff: float) -> dict:
    """One comparison: rageval's and the reference's seconds, their ratio and the largest difference."""
    return {"scorer": scorer, "n": n, "rageval_s": ours, "reference_s": ref, "ratio": ref / ours,
            "max_abs_diff": diff}
