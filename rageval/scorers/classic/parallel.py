"""Elementwise work at a million rows on more than one core, with the same numbers as one core.

numpy runs on one thread. `run_chunks` runs a function over contiguous row ranges on a few Python
threads: numpy releases the GIL inside a ufunc loop, so this pays for kernels whose loop dominates
(scipy's ``xlogy``: a scalar ``log`` per element; Poisson deviance statistics 12.7 -> 7.5 ms at 1M
rows on 2 idle cores), not for cheap SIMD ones, whose per-call overhead holds the GIL (huber: no
gain, measured). Each block is computed as on one thread, so the values are the same bits; on a
busy machine the threads just share the cores (no slower than one thread, measured).

Decision, measured: torch's multi-threaded CPU kernels on zero-copy views (``torch.from_numpy``) are
not used, although exact operations there give numpy's bits and on 2 idle cores they were 2-4x
faster (huber statistics 0.9 ms against 3.8 ms). torch's OpenMP threads wait for each other at the
end of every kernel, and with any other busy process on the machine that wait dominates: at a load
of 1.0 on 2 cores huber statistics took 27 ms and smape's six kernels 84 ms (numpy: 4-5 ms); at a
load of 6.5, 55 ms and 309 ms (medians). The load average cannot tell our own process from others,
so no switch was reliable; rageval keeps one predictable numpy thread there.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

#: below this many rows one thread is faster (thread hand-off ~0.1 ms)
MIN_ELEMENTS = 1 << 17

_POOL: tuple[int, ThreadPoolExecutor] | None = None  # (the pid that made it: a forked child makes its own)


def cores() -> int:
    """The cores this process may run on (at most 8: elementwise work is bound by memory)."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    return max(1, min(8, n))


def run_chunks(fn: Callable[[int, int], Any], n: int, step: int) -> list[Any]:
    """``fn(lo, hi)`` over contiguous ranges covering ``0..n`` (each a multiple of ``step`` long
    but the last), in order: one range per core on threads when ``n`` is large, else ``fn(0, n)``."""
    k = cores()
    if n < MIN_ELEMENTS or k < 2:
        return [fn(0, n)]
    size = -(-n // k // step) * step
    return list(_pool(k).map(lambda lo: fn(lo, min(n, lo + size)), range(0, n, size)))


def run_all(calls: list[Callable[[], Any]], n: int) -> list[Any]:
    """Independent ``calls``, each over ``n`` rows, on threads when ``n`` is large (numpy's sorts
    and gathers release the GIL: the two rankings of a correlation), in order."""
    k = cores()
    if n < MIN_ELEMENTS or k < 2 or len(calls) < 2:
        return [call() for call in calls]
    return list(_pool(k).map(lambda call: call(), calls))


def _pool(k: int) -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None or _POOL[0] != os.getpid():
        _POOL = (os.getpid(), ThreadPoolExecutor(k, thread_name_prefix="rageval-chunks"))
    return _POOL[1]
