"""What runs in the Ray worker processes of `rageval.run.ray_backend` (whose docstring describes the
run): the scorers unpickled once per process, the functions `map_batches` calls on the driver's
batches (`score_local_batch`), on a Ray dataset's (`score_remote_batch`) and on a Parquet file's
row groups (`score_row_groups`), and the record each batch becomes: its statistics, scores and
errors as a compressed Arrow IPC buffer, its size, a field error that stops the run, and the
judges' usage. A task's starts are counted with the driver's `Attempts` actor.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from rageval.core.errors import FieldError
from rageval.core.scorer import Batch, Scorer
from rageval.data.adapters import Source, arrow_column
from rageval.results.store import Part
from rageval.run.rundir import write_worker_part

#: scorers unpickled in this worker process, by the digest of their bytes: models load once per process
_SCORERS: dict[str, list[Scorer]] = {}


def _scorers(blob: bytes) -> list[Scorer]:
    import ray.cloudpickle as cloudpickle

    key = hashlib.sha256(blob).hexdigest()
    if key not in _SCORERS:
        _SCORERS.clear()
        _SCORERS[key] = cloudpickle.loads(blob)
    return _SCORERS[key]


class ScoringActor:
    """An actor of the pool: unpickles the scorers once (a judge's model loads on its first batch)."""

    def __init__(self, worker: Callable[..., dict], **kwargs: Any) -> None:
        self.worker, self.kwargs = worker, kwargs
        _scorers(kwargs["blob"])

    def __call__(self, batch: pa.Table) -> dict[str, list]:
        return self.worker(batch, **self.kwargs)


def score_local_batch(batch: pa.Table, *, blob: bytes, score: Callable[..., Part],
                       output: str | None, attempts: tuple | None = None) -> dict[str, list]:
    """Score batches the driver checked and shipped with their row positions; with ``output`` (a
    run directory) write each part there too (`write_worker_part`)."""
    import ray.cloudpickle as cloudpickle

    _count_attempt(attempts)
    scorers = _scorers(blob)
    out: dict[str, list] = {"n": [], "part": [], "abort": [], "usage": []}
    for payload in batch.column("payload").to_pylist():
        rows, canonical = cloudpickle.loads(payload)
        before = _usage(scorers)
        checked = Batch(canonical)
        checked.checked = True  # the driver checked every field, as a local run's batches
        part = score(scorers, checked, rows)
        if output is not None:
            with contextlib.suppress(OSError):  # not writable from this node: the driver writes it (ensure_written)
                write_worker_part(output, part)
        _append(out, len(rows), part, None, _usage_delta(before, _usage(scorers)))
    return out


def score_remote_batch(batch: pa.Table, *, blob: bytes, fields: list[str], columns: dict[str, str],
                        done: frozenset, score: Callable[..., Part], attempts: tuple | None = None) -> dict[str, list]:
    """Check and score one batch of a Ray dataset. Rows are positions in the batch; the driver
    adds the batch's offset. A field error is returned (the driver raises it with the data's row)."""
    _count_attempt(attempts)
    scorers = _scorers(blob)
    n = batch.num_rows
    out: dict[str, list] = {"n": [], "part": [], "abort": [], "usage": []}
    ids = columns.get("id", "id")
    raw = {name: arrow_column(batch.column(name), name == ids) for name in batch.column_names}
    try:
        canonical = Source(dict(columns), table=raw).canonical(fields, raw, 0)
        for s in scorers:
            s.validate(Batch(canonical))
    except FieldError as e:
        _append(out, n, Part(rows=[], ids=[]), json.dumps([e.field, e.column, e.row, e.problem]), {})
        return out
    keep = [i for i, x in enumerate(canonical["id"]) if x not in done] if done else list(range(n))
    if len(keep) < n:
        canonical = {k: v[keep] if isinstance(v, np.ndarray) else [v[i] for i in keep] for k, v in canonical.items()}
    checked = Batch(canonical)
    checked.checked = True  # every field passed its check just above, as a local run's batches
    before = _usage(scorers)
    part = score(scorers, checked, keep) if keep else Part(rows=[], ids=[])
    _append(out, n, part, None, _usage_delta(before, _usage(scorers)))
    return out


def score_row_groups(batch: pa.Table, *, files: list[tuple[str, int]], names: list[str], size: int,
                     **kwargs: Any) -> Iterator[dict[str, list]]:
    """Read the row groups ``first`` to ``last`` (each row of ``batch``; numbered across ``files``,
    each ``(path, row groups)``, in order) of Parquet files, columns ``names``, in batches of
    ``size`` rows, and check and score each (`score_remote_batch`) in order: the workers read the
    files, and their rows never travel through the object store. Yields each row group's records as
    it is done (the driver, and a run directory's writes, need not wait for the task: a worker
    killed midway loses one row group's work)."""
    import pyarrow.parquet as pq

    starts = np.cumsum([0] + [groups for _, groups in files])  # the first global number of each file
    opened: dict[int, Any] = {}
    for first, last in zip(batch.column("first").to_pylist(), batch.column("last").to_pylist()):
        for number in range(first, last):
            k = int(np.searchsorted(starts, number, side="right")) - 1  # its file
            if k not in opened:  # one file open at a time
                opened = {k: pq.ParquetFile(files[k][0], pre_buffer=False)}
            out: dict[str, list] = {"n": [], "part": [], "abort": [], "usage": []}
            for records in opened[k].iter_batches(batch_size=size, row_groups=[number - int(starts[k])], columns=names):
                for key, values in score_remote_batch(pa.Table.from_batches([records]), **kwargs).items():
                    out[key].extend(values)
                if out["abort"][-1] is not None:  # a field error: the driver stops the run at this batch
                    yield out
                    return
            if out["n"]:  # (an empty row group gives no record)
                yield out


class Attempts:
    """Ray actor (no CPU, owned by the driver): how many times each task has started. Ray 2.60 has
    no named ``map_batches`` parameter for ``max_retries`` (``ray_remote_args`` is deprecated, removed
    in 2.64) and Ray Data reruns a task whose worker died without limit, so ``ray_options``'s
    ``max_retries`` is kept here: a task started more than ``max_retries + 1`` times stops the run."""

    def __init__(self) -> None:
        self.started: dict[str, int] = {}

    def start(self, task: str) -> int:
        self.started[task] = self.started.get(task, 0) + 1
        return self.started[task]


#: tasks this worker process has counted (a task scores several batches; a rerun is a new process)
_COUNTED: set[str] = set()


def _count_attempt(attempts: tuple | None) -> None:
    """Count this task's start with the driver's `Attempts` (a rerun keeps its Ray task id) and stop
    it, as a scorer error that Ray does not retry, once it has started more than ``max_retries + 1`` times."""
    if attempts is None:
        return
    import ray

    counter, max_retries = attempts
    task = ray.get_runtime_context().get_task_id()
    if task in _COUNTED:
        return
    _COUNTED.add(task)
    started = ray.get(counter.start.remote(task))
    if started > max_retries + 1:
        raise RuntimeError(f"a Ray task's worker died {started - 1} time(s) (its process was killed or its node "
                           f"lost) and ray_options allows max_retries={max_retries}: the run stops here; run the "
                           "same call again with output= to resume from the parts written")


#: a record's part compressed (zstd, level 1): text metrics' statistics and ids take 14 bytes an example,
#: not 95, so the driver maps 6 MiB of the object store's shared pages over 1M rows, not 58 (its peak
#: RSS 245 -> 257 MiB from 100k to 1M rows, against 256 -> 305; lz4: 24 bytes, 20 MiB). Encoding
#: costs the workers 0.1 ms and decoding the driver 0.07 ms per 1,000 rows.
_IPC = pa.ipc.IpcWriteOptions(compression="zstd")


def _append(out: dict[str, list], n: int, part: Part, abort: str | None, usage: dict) -> None:
    sink = pa.BufferOutputStream()
    table = part.to_table()
    with pa.ipc.new_stream(sink, table.schema, options=_IPC) as writer:
        writer.write_table(table)
    out["n"].append(n)
    out["part"].append(sink.getvalue().to_pybytes())
    out["abort"].append(abort)
    out["usage"].append(json.dumps(usage))


def _usage(scorers: list[Scorer]) -> dict[str, dict[str, Any]]:
    return {s.key: s.judge.usage() for s in scorers if s.takes_judge}


def _usage_delta(before: dict, after: dict) -> dict:
    return {key: {name: (v - before[key].get(name, 0) if isinstance(v, (int, float)) and not isinstance(v, bool)
                         and isinstance(before[key].get(name, 0), (int, float)) else v)
                  for name, v in counters.items()} for key, counters in after.items()}
