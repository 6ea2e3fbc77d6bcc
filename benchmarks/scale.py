"""Scale-out and streaming: ``backend="ray"`` against the local run on generated text data, and the
driver's peak memory when data is streamed.

``speed [N]`` (default 1,000,000 rows): text metrics (exact_match, token_f1, bleu) on a Parquet
file of N generated answer/reference pairs, scored (1) locally, (2) on Ray with one worker and (3)
with two (``ray.data.read_parquet(path).repartition(BLOCKS)``: the workers read, check and score; the
driver receives statistics). A no-op scorer run locally and on one Ray worker gives the Ray path's per-row
overhead. Every Ray run's aggregate is checked equal to the local one. Ray is started once
(``num_cpus=2``) before timing.

``rss [N ...]`` (default 100,000 and 1,000,000): each case in a fresh process, its peak resident
memory (``ru_maxrss`` of the driver; Ray workers are other processes): the Parquet file streamed
locally (``STREAM_PARQUET_BYTES = 0``), with text and with classic scorers; loaded whole, for
contrast; and read by Ray workers.

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
#: blocks the Ray dataset is split into (Ray 2.60 reads this file as one block: one worker only)
BLOCKS = 20
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


def remote(path: str):
    """The file as a Ray dataset of `BLOCKS` blocks, read by the workers (the split is timed too)."""
    import ray.data

    return ray.data.read_parquet(path).repartition(BLOCKS)


def speed(n: int) -> list[dict]:
    import ray
    import ray.data

    path = data_file(n)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    rows = []
    for label, scorers in (("text", TEXT), ("noop", [Noop()])):
        local_s, local = timed(lambda: rageval.evaluate(path, scorers, progress=False, batch_size=10_000))
        rows.append({"case": f"{label} local", "n": n, "seconds": local_s, "us_per_row": 1e6 * local_s / n})
        for workers in (1, 2) if label == "text" else (1,):
            s, res = timed(lambda: rageval.evaluate(remote(path), scorers,
                                                    progress=False, batch_size=10_000,
                                                    ray_options={"concurrency": workers}))
            assert res.aggregate == local.aggregate, (res.aggregate, local.aggregate)
            rows.append({"case": f"{label} ray x{workers}", "n": n, "seconds": s, "us_per_row": 1e6 * s / n,
                         "speedup_vs_local": local_s / s})
    ray.shutdown()
    noop_local = next(r for r in rows if r["case"] == "noop local")
    noop_ray = next(r for r in rows if r["case"] == "noop ray x1")
    rows.append({"case": "ray overhead per row (noop ray x1 - noop local)", "n": n,
                 "us_per_row": noop_ray["us_per_row"] - noop_local["us_per_row"]})
    one = next(r for r in rows if r["case"] == "text ray x1")
    two = next(r for r in rows if r["case"] == "text ray x2")
    rows.append({"case": "parallel efficiency (x1 seconds / (2 * x2 seconds))", "n": n,
                 "efficiency": one["seconds"] / (2 * two["seconds"])})
    return rows


def rss_case(n: int, case: str) -> dict:
    """One case, run in this process: its peak RSS in MiB."""
    import rageval.data.adapters as adapters

    path = data_file(n)
    scorers = CLASSIC if case == "classic streamed" else TEXT
    if case.endswith("streamed"):
        adapters.STREAM_PARQUET_BYTES = 0
    if case == "text on ray":
        import ray
        import ray.data

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        ray.data.DataContext.get_current().enable_progress_bars = False
        data = remote(path)
    else:
        data = path
    seconds, res = timed(lambda: rageval.evaluate(data, scorers, progress=False, batch_size=10_000))
    assert len(res) == n
    return {"case": case, "n": n, "seconds": seconds,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def rss(sizes: list[int]) -> list[dict]:
    rows = []
    for case in ("text streamed", "classic streamed", "text loaded", "text on ray"):
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
