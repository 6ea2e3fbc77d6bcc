"""Elementwise work at a million rows on more than one core, with the same numbers as one core.

numpy runs on one thread. Two ways use the others, each only where the values are bit-identical
to the single-threaded numpy form (so a statistic never depends on the machine or the path):

* `torch_ready` / `torch_view`: torch's CPU kernels split a large tensor over its intra-op
  threads. rageval uses them on zero-copy views of its numpy arrays (``torch.from_numpy``), for
  exact IEEE operations only (subtract, abs, min, multiply, add, divide: correctly rounded, the
  same bits in torch and numpy; torch's ``log`` / ``cosh`` differ from numpy's by an ulp, so
  never those), **only when torch is already imported** (importing it costs about a second,
  0.5-1 s measured, more than it saves on any data that fits in memory: ~2 ms per 1M rows), and
  only on a machine with a core to spare (`quiet`: on an oversubscribed one torch's threads run
  several times slower than one numpy thread).
* `run_chunks`: a function over contiguous row ranges on a few Python threads. numpy releases the
  GIL inside a ufunc loop, so this pays for kernels whose loop dominates (scipy's ``xlogy``: a
  scalar ``log`` per element, 1.7x faster on 2 cores), not for cheap SIMD ones, whose per-call
  overhead holds the GIL (measured: no gain).
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

#: below this many elements one thread is faster (thread hand-off ~0.1 ms)
MIN_ELEMENTS = 1 << 17

_POOL: tuple[int, ThreadPoolExecutor] | None = None  # (the pid that made it: a forked child makes its own)


def cores() -> int:
    """The cores this process may run on (at most 8: elementwise work is bound by memory)."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    return max(1, min(8, n))


def torch_ready(elements: int) -> bool:
    """True when torch is imported already, ``elements`` is large enough for its threads, and the
    machine has cores to spare (`quiet`)."""
    return elements >= MIN_ELEMENTS and "torch" in sys.modules and sys.modules["torch"].get_num_threads() > 1 \
        and quiet()


def quiet() -> bool:
    """True when the 1-minute load average leaves a core free (below the cores less one half).
    torch's OpenMP threads wait for each other at the end of every kernel; on an oversubscribed
    machine that costs more than the threads save: 1M-row huber statistics took 55 ms (median)
    on torch's 2 threads against 16 ms on one numpy thread at load 6.5 on 2 cores, and smape's six
    kernels 309 ms against 19 ms (quiet: 0.9 and 2.9 ms against 3.8 and 4.8 ms). The values are
    the same bits either way, so only the time depends on this."""
    try:
        return os.getloadavg()[0] < cores() - 0.5
    except OSError:  # pragma: no cover - no load average on this platform
        return True


def torch_view(array: Any) -> Any:
    """A zero-copy torch tensor over a numpy array (the caller checked `torch_ready`)."""
    return sys.modules["torch"].from_numpy(array)


def run_chunks(fn: Callable[[int, int], Any], n: int, step: int) -> list[Any]:
    """``fn(lo, hi)`` over contiguous ranges covering ``0..n`` (each a multiple of ``step`` long
    but the last), in order: one range per core on threads when ``n`` is large, else ``fn(0, n)``."""
    global _POOL
    k = cores()
    if n < MIN_ELEMENTS or k < 2:
        return [fn(0, n)]
    size = -(-n // k // step) * step
    if _POOL is None or _POOL[0] != os.getpid():
        _POOL = (os.getpid(), ThreadPoolExecutor(k, thread_name_prefix="rageval-chunks"))
    return list(_POOL[1].map(lambda lo: fn(lo, min(n, lo + size)), range(0, n, size)))


def viewable(*arrays: Any) -> bool:
    """True when every numpy array given has no negative stride (``torch.from_numpy`` refuses those)."""
    return all(not hasattr(a, "strides") or min(a.strides, default=0) >= 0 for a in arrays)


def torch_module() -> Any:
    """The imported torch module (the caller checked `torch_ready`)."""
    return sys.modules["torch"]
