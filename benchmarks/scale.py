"""Scale-out and streaming: ``backend="ray"`` against the local run on generated text data, and the
driver's peak memory when data is streamed.

``speed [N]`` (default 1,000,000 rows): text metrics (exact_match, token_f1, bleu) on a Parquet
file of N generated answer/reference pairs, scored (1) locally, (2) on Ray with one worker and (3)
with two (``ray.data.read_parquet(path)`` in blocks of `BLOCK_BYTES`: the workers read, check and
score; the driver receives statistics), and with ``backend="ray"`` and two workers (4) the path
itself (each task reads and scores a range of its row groups: `rageval.run.ray_workers.score_row_groups`), (5)
the same rows as a directory of 8 Parquet files (row groups numbered across the files), and (6)
the same rows as a DataFrame the driver reads, checks and ships. A no-op scorer run locally and on one Ray worker
gives the Ray path's per-row overhead. Every Ray run's aggregate is checked equal to the local one.
Ray is started once (``num_cpus=2``) and every path is warmed up on 100k rows (imports, worker
processes, each process's first Parquet read) before timing; each case is then timed twice, local
included, and its faster run kept (a Ray task can land on a worker process started since the
warm-up: one such run of the path took 18.2 s, against 16.5-17.1 s). Each row also gives the driver's CPU
seconds, the CPU seconds of every other process (Ray's workers, and any other load on the machine)
and the idle core-seconds, so a busy machine shows.

``rss [N ...]`` (default 100,000 and 1,000,000): each case in a fresh process, its peak resident
memory (``ru_maxrss`` of the driver; Ray workers are other processes): the Parquet file streamed
locally (``STREAM_PARQUET_BYTES = 0``), with text and with classic scorers; loaded whole, for
contrast; read by Ray workers as a Ray dataset; and the path with ``backend="ray"``.

Run: flock /tmp/rageval-bench.lock python benchmarks/scale.py speed|rss [N ...]
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile

import numpy as np
from timing import timed  # beside this file

import rageval
from rageval.core.scorer import MeanScorer

TEXT = ["exact_match", "token_f1", "bleu"]
CLASSIC = ["accuracy", ("f1", {"average": "macro"}), "mse"]
FOLDER = os.path.join(tempfile.gettempdir(), "rageval-scale")


class Noop(MeanScorer):
    """Scores 0 for every example: what is left of a run's time is the path's own overhead."""

    name = "noop"
    fields = ("answer",)

    def score_batch(self, batch):
        return np.zeros(len(batch["answer"]))


def data_file(n: int) -> str:
    """A Parquet file of ``n`` generated examples (written once): id, answer and reference of 4-12
    words, integer labels y_true / y_pred in 0..4."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    os.makedirs(FOLDER, exist_ok=True)
    path = os.path.join(FOLDER, f"data-{n}.parquet")
    if not os.path.exists(path):
        rng = np.random.default_rng(n)
        words = np.array("the a cat dog sat ran on under mat far away home in 1984 paris blue".split())

        def texts():
            lengths = rng.integers(4, 13, n)
            flat = words[rng.integers(0, len(words), lengths.sum())]
            cuts = np.cumsum(lengths)[:-1]
            return [" ".join(t) for t in np.split(flat, cuts)]

        pq.write_table(pa.table({"id": [f"q{i}" for i in range(n)], "answer": texts(), "reference": texts(),
                                 "y_true": rng.integers(0, 5, n), "y_pred": rng.integers(0, 5, n)}),
                       path, row_group_size=50_000)
    return path


def data_dir(n: int, files: int = 8) -> str:
    """`data_file`'s rows as a directory of ``files`` Parquet files of consecutive rows (shards, as
    Spark or Ray write them; row groups of 50,000 rows), written once."""
    import pyarrow.parquet as pq

    folder = os.path.join(FOLDER, f"data-{n}-{files}-files")
    if not os.path.isdir(folder):
        table = pq.read_table(data_file(n))
        os.makedirs(folder + ".tmp", exist_ok=True)
        for k in range(files):
            lo, hi = k * n // files, (k + 1) * n // files
            pq.write_table(table.slice(lo, hi - lo), os.path.join(folder + ".tmp", f"part-{k:05d}.parquet"),
                           row_group_size=50_000)
        os.rename(folder + ".tmp", folder)
    return folder


#: Ray Data's target block size for the Ray runs: Ray 2.60 reads this one file as one block of ~100 MiB
#: (one read task, then one worker) by default; 8 MiB blocks stream from the read to both workers
BLOCK_BYTES = 8 << 20


def remote(path: str):
    """The file as a Ray dataset read by the workers, in blocks of at most `BLOCK_BYTES` (Ray 2.60's
    default reader, DataSourceV2)."""
    import ray.data

    ray.data.DataContext.get_current().target_max_block_size = BLOCK_BYTES
    return ray.data.read_parquet(path)


def _ray_cpu() -> float:
    """CPU seconds so far of Ray's processes on this machine (workers, raylet, GCS, helpers)."""
    import psutil

    total = 0.0
    for proc in psutil.process_iter(["cmdline", "cpu_times"]):
        cmd, times = " ".join(proc.info["cmdline"] or []), proc.info["cpu_times"]
        if times is not None and ("ray::" in cmd or "/site-packages/ray/" in cmd):
            total += times.user + times.system
    return total


def measured(fn) -> tuple[dict, object]:
    """Wall seconds of ``fn()``, with the CPU seconds of this process (the driver, every thread), of
    Ray's processes (workers and daemons; those that ended during the call are missed), of everything
    else on the machine, and the machine's idle core-seconds: a busy machine shows."""
    import psutil

    c0, p0, r0 = psutil.cpu_times(), resource.getrusage(resource.RUSAGE_SELF), _ray_cpu()
    seconds, out = timed(fn)
    c1, p1, r1 = psutil.cpu_times(), resource.getrusage(resource.RUSAGE_SELF), _ray_cpu()
    driver = (p1.ru_utime - p0.ru_utime) + (p1.ru_stime - p0.ru_stime)
    busy = sum(getattr(c1, k) - getattr(c0, k) for k in ("user", "system", "nice", "irq", "softirq"))
    return {"seconds": seconds, "driver_cpu_s": driver, "ray_cpu_s": r1 - r0, "other_cpu_s": busy - driver - (r1 - r0),
            "idle_core_s": (c1.idle - c0.idle) + (c1.iowait - c0.iowait)}, out


def best_of(repeat: int, fn) -> tuple[dict, object]:
    """`measured` ``repeat`` times: the fastest run's figures (a Ray task can land on a worker process
    that Ray started since the warm-up, which pays its imports and first Parquet read again)."""
    return min((measured(fn) for _ in range(repeat)), key=lambda r: r[0]["seconds"])


def speed(n: int, repeat: int = 2) -> list[dict]:
    import pandas as pd
    import ray
    import ray.data

    path = data_file(n)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    # warm every path first, each on the same 100k rows: imports, Ray's worker processes, and the first
    # Parquet read of each process (1-3 CPU-seconds once per process: a long-lived cluster has paid it)
    small = data_file(100_000)
    rageval.evaluate(small, TEXT + [Noop()], progress=False)
    for workers in (1, 2):
        rageval.evaluate(remote(small), TEXT + [Noop()], progress=False, ray_options={"concurrency": workers})
    for data in (small, data_dir(100_000), pd.read_parquet(small)):
        rageval.evaluate(data, TEXT + [Noop()], progress=False, backend="ray", ray_options={"concurrency": 2})
    rows = []
    for label, scorers in (("text", TEXT), ("noop", [Noop()])):
        local, res_local = best_of(repeat, lambda: rageval.evaluate(path, scorers, progress=False, batch_size=10_000))
        rows.append({"case": f"{label} local", "n": n, **local, "us_per_row": 1e6 * local["seconds"] / n})
        runs = [(f"{label} ray x{w}", w, lambda: remote(path)) for w in ((1, 2) if label == "text" else (1,))]
        if label == "text":  # the two-line switch: the same path, backend="ray" (the workers read it)
            runs.append(("text ray x2, the path (tasks read and score its row groups)", 2, lambda: path))
            runs.append(("text ray x2, a directory of 8 files (row groups across files)", 2, lambda: data_dir(n)))
            runs.append(("text ray x2, a DataFrame the driver reads and ships", 2, lambda: pd.read_parquet(path)))
        for case, workers, data in runs:
            run, res = best_of(repeat, lambda: rageval.evaluate(data(), scorers, progress=False, batch_size=10_000,
                                                                backend="ray", ray_options={"concurrency": workers}))
            assert res.aggregate == res_local.aggregate, (res.aggregate, res_local.aggregate)
            rows.append({"case": case, "n": n, **run, "us_per_row": 1e6 * run["seconds"] / n,
                         "speedup_vs_local": local["seconds"] / run["seconds"]})
    ray.shutdown()
    by = {r["case"]: r for r in rows}
    rows.append({"case": "ray overhead per row (noop ray x1 - noop local)", "n": n,
                 "us_per_row": by["noop ray x1"]["us_per_row"] - by["noop local"]["us_per_row"]})
    rows.append({"case": "parallel efficiency (x1 seconds / (2 * x2 seconds))", "n": n,
                 "efficiency": by["text ray x1"]["seconds"] / (2 * by["text ray x2"]["seconds"])})
    return rows


class PeakMemory:
    """The peaks of this process's private (``RssAnon``) and shared (``RssShmem``: Ray's object
    store mapped by the driver) resident memory, sampled every 10 ms from ``/proc/self/status``
    (Linux; ``ru_maxrss`` holds only their sum's peak)."""

    def __init__(self) -> None:
        import threading

        self.peaks = {"RssAnon": 0, "RssShmem": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            with open("/proc/self/status") as fh:
                for line in fh:
                    key = line.split(":")[0]
                    if key in self.peaks:
                        self.peaks[key] = max(self.peaks[key], int(line.split()[1]))

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def rss_case(n: int, case: str) -> dict:
    """One case, run in this process: its peak RSS in MiB, and the peaks of its private and
    shared (object-store) parts."""
    import rageval.data.parquet as parquet

    path = data_file(n)
    scorers = CLASSIC if case == "classic streamed" else TEXT
    if case.endswith("streamed"):
        parquet.STREAM_PARQUET_BYTES = 0
    if case.startswith("text") and case.endswith("on ray"):
        import ray
        import ray.data

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        ray.data.DataContext.get_current().enable_progress_bars = False
    data = remote(path) if case == "text on ray" else path
    backend = "ray" if case.endswith("on ray") else "local"
    with PeakMemory() as memory:
        seconds, res = timed(lambda: rageval.evaluate(data, scorers, progress=False, batch_size=10_000,
                                                      backend=backend))
    assert len(res) == n
    return {"case": case, "n": n, "seconds": seconds,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "peak_private_mib": memory.peaks["RssAnon"] / 1024, "peak_shared_mib": memory.peaks["RssShmem"] / 1024}


def rss(sizes: list[int]) -> list[dict]:
    rows = []
    for case in ("text streamed", "classic streamed", "text loaded", "text on ray", "text path on ray"):
        for n in sizes:
            data_file(n)
            done = subprocess.run([sys.executable, __file__, "rss-case", str(n), case], capture_output=True,
                                  text=True, check=True)
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        peaks = [r["peak_rss_mib"] for r in rows[-len(sizes):]]
        rows.append({"case": f"{case}: largest / smallest peak", "ratio": max(peaks) / min(peaks)})
    return rows


def main(argv: list[str]) -> None:
    what = argv[0] if argv else "speed"
    if what == "rss-case":
        print(json.dumps(rss_case(int(argv[1]), argv[2])))
        return
    sizes = [int(a) for a in argv[1:]]
    rows = speed(sizes[0] if sizes else 1_000_000) if what == "speed" else rss(sizes or [100_000, 1_000_000])
    for r in rows:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}))


if __name__ == "__main__":
    main(sys.argv[1:])
