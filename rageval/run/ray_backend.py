"""The Ray backend of `rageval.evaluate`: scorers' ``stats`` run in Ray Data ``map_batches``, the
driver receives statistics (never the texts of a Ray dataset) and reduces them once.

Two kinds of input reach the workers:

* data the driver already holds (a list, a DataFrame, a .jsonl/.json/.csv or small .parquet file)
  is checked whole on the driver as in a local run, then shipped batch by batch with its row
  positions: every value is computed on exactly the batches of a local run (an ``IterableDataset``
  is streamed through the driver the same way, a window of batches at a time);
* a ``ray.data.Dataset`` (and, under ``backend="ray"``, a Hugging Face ``Dataset``, its Arrow
  table given to ``ray.data.from_arrow``, or a Parquet file) is never read by the driver: workers
  check each batch's fields and score it; the driver numbers the examples in the dataset's order
  (``preserve_order``), so row positions, generated ids and the rows named in errors are those of
  a local run over the same rows. A Parquet file of enough row groups is scored by a few tasks per
  CPU that each read a range of its row groups (`ray_workers.score_row_groups`): no read operator, and no
  texts through the object store; one of fewer row groups is read by ``ray.data.read_parquet``.

CPU scorers run as plain tasks; scorers that load a model (judges, ``model``/``model_type``
parameters) or any call with ``num_gpus`` run in an actor pool (``concurrency=(min, max)``) whose
actors load the model once. Each input batch comes back as one record: its statistics, scores and
errors as an Arrow IPC buffer (the columns of a run directory's part), its size, a field error
that stops the run, and the judges' usage. What runs in the worker processes is
`rageval.run.ray_workers`; this module is the driver's side.

With ``output=``, the workers write the parts of the driver's data into the run directory
themselves (atomically, named after their first row: `rageval.run.rundir.write_worker_part`; the
driver writes a part whose file it does not see, e.g. from a node without the shared filesystem).
A Ray dataset's rows are known to the driver only (it numbers the examples in order as batches
come back), so it hands each batch's statistics buffer and offset to a Ray task that writes the part
(`_Writes`): the driver neither encodes nor writes Parquet. Either way a rerun after a killed worker
or driver resumes from the parts written, and a task Ray retries rewrites its part rather than
duplicating it.
"""
from __future__ import annotations

import functools
import itertools
import json
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rageval.core.errors import ConfigError, FieldError
from rageval.core.ids import IntIds
from rageval.core.registry import get_scorer
from rageval.core.scorer import Batch, Scorer
from rageval.data import parquet
from rageval.data.adapters import SeenIds, Source, load_source
from rageval.results.store import EXAMPLES, Part
from rageval.run.ray_workers import Attempts, ScoringActor, score_local_batch, score_remote_batch, score_row_groups
from rageval.run.rundir import WORKER_PART, write_worker_part

#: ``ray_options`` keys for ``ray.init`` (used when no Ray is running), not ``map_batches``; ``init``
#: holds any other ``ray.init`` arguments (``{"init": {"num_cpus": 8}}``)
INIT_KEYS = ("address", "runtime_env", "namespace", "init")
#: tasks per CPU the driver's batches are grouped into (fewer, longer tasks: less scheduling idle)
TASKS_PER_CPU = 6
#: tasks per CPU that read and score a Parquet path's row groups (`RayScoring._row_groups`): few and
#: long, since Ray Data leaves 0.1-0.2 s between a worker's tasks (1M rows, 20 row groups, 2 workers:
#: 16.6-16.7 s in 4 tasks, 16.7-17.1 in 10, 18.2 in 20; Ray's reader in 12 blocks: 18.2-19.3)
ROW_GROUP_TASKS_PER_CPU = 2
#: scorer parameters that name a model: such scorers run in an actor pool (one model load per actor)
MODEL_PARAMS = ("model", "model_type", "model_name", "model_name_or_path")


def load(data: Any, columns: Mapping[str, str] | None, *, split: str | None, limit: int | None,
         encoding: str) -> Source:
    """The `Source` of ``data`` for a Ray run: a Hugging Face ``Dataset`` becomes a Ray dataset of its
    Arrow table (``ray.data.from_arrow``: ``from_huggingface`` needs aiohttp) and a Parquet file, of
    any size, is read by the workers (`read_parquet`), so that the driver never reads their rows (1M
    rows of text: 1.52x the local run, against 1.33x loaded by the driver and shipped); everything
    else is loaded as for a local run."""
    kinds = {f"{k.__module__.split('.')[0]}.{k.__name__}" for k in type(data).__mro__}
    if kinds & {"datasets.DatasetDict", "datasets.IterableDatasetDict"}:
        if split is None and len(data) != 1:
            raise ConfigError(f"the data has splits {sorted(data)}: choose one with split=")
        split = split if split is not None else next(iter(data))
        if split not in data:
            raise ConfigError(f"no split {split!r}; the data has {sorted(data)}")
        data = data[split]
        kinds = {f"{k.__module__.split('.')[0]}.{k.__name__}" for k in type(data).__mro__}
    if "datasets.Dataset" in kinds:
        import ray.data

        table = data.data.table
        if data._indices is not None:  # a selection's rows, taken by pyarrow (flatten_indices: seconds, a cache file)
            table = table.take(data._indices.column(0))
        source = load_source(ray.data.from_arrow(table), columns, limit=limit)
        source.origin = f"datasets:{data._fingerprint}"
        return source
    if isinstance(data, (str, os.PathLike)) and (os.fspath(data).endswith(".parquet") and os.path.isfile(data)
                                                 or os.path.isdir(data)):
        files = [os.path.abspath(f) for f in parquet.parquet_files(os.fspath(data))]  # in the local run's order
        source = load_source(read_parquet(files), columns, limit=limit)
        source.origin = parquet.origin(os.fspath(data))
        if limit is None:
            source.parquet_files = files
        return source
    return load_source(data, columns, split=split, limit=limit, encoding=encoding)


def read_parquet(path: str | list[str]) -> Any:
    """``ray.data.read_parquet(path)`` (a path or a list of them, read in that order) with Ray's V1
    Parquet reader where Ray has one (2.60: ``DataContext.use_datasource_v2``), in `TASKS_PER_CPU`
    blocks per CPU. Ray 2.60's default V2 reader first lists the files in a task of its own: 0.8-2.8 s
    per call before the first block here, against 0.2-0.5 s for V1 (1,000 rows, busy machine)."""
    import ray
    import ray.data

    ctx = ray.data.DataContext.get_current()
    blocks = TASKS_PER_CPU * max(1, int(ray.cluster_resources().get("CPU", 1)))
    if not hasattr(ctx, "use_datasource_v2"):
        return ray.data.read_parquet(path, override_num_blocks=blocks)
    v2, ctx.use_datasource_v2 = ctx.use_datasource_v2, False
    try:
        return ray.data.read_parquet(path, override_num_blocks=blocks)
    finally:
        ctx.use_datasource_v2 = v2


def connect(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Start or join Ray (``ray.init`` with the `INIT_KEYS` of ``options`` unless Ray is running)
    and describe the cluster for the manifest: nodes, CPUs, GPUs."""
    import ray

    if not ray.is_initialized():
        options = dict(options or {})
        init = {"include_dashboard": False, **(options.pop("init", None) or {})}
        ray.init(**init, **{k: v for k, v in options.items() if k in INIT_KEYS})
    resources = ray.cluster_resources()
    nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
    return {"name": "ray", "ray": ray.__version__, "nodes": nodes, "cpus": resources.get("CPU", 0.0),
            "gpus": resources.get("GPU", 0.0)}


class RayScoring:
    """The parts of a Ray run, in the data's order (iterate once). ``usage`` then holds the
    judges' counters summed over all workers, by scorer key."""

    def __init__(self, source: Source, scorers: list[Scorer], fields: list[str], batch_size: int,
                 done: set[str], score: Callable[..., Part], options: Mapping[str, Any] | None,
                 output: str | None = None) -> None:
        self.source, self.scorers, self.fields, self.batch_size = source, scorers, fields, batch_size
        # per-example scores are computed now only for a run directory's parts (else `Results` computes
        # them from the statistics when first read, as after a local run)
        self.done, self.score = done, functools.partial(score, scores=output is not None)
        #: the run directory the workers write the parts to (evaluate then writes none); None: no output=
        self.output = os.path.realpath(output) if output is not None else None
        self.options = {k: v for k, v in (options or {}).items() if k not in INIT_KEYS}
        #: reruns allowed per task whose worker died (`Attempts`); None: Ray Data's own (unlimited)
        self.max_retries = self.options.pop("max_retries", None)
        if self.max_retries is not None and (isinstance(self.max_retries, bool) or not isinstance(
                self.max_retries, (int, np.integer)) or self.max_retries < -1):
            raise ConfigError(f"ray_options max_retries must be an integer >= 0 (or -1: unlimited), "
                              f"not {self.max_retries!r}")
        self._attempts: Any = None
        self._files: list[tuple[str, int]] = []  # Parquet files read by row groups: (path, row groups)
        self.usage: dict[str, dict[str, Any]] = {}
        if source.remote is not None and done and source.column("id") is None:
            raise ConfigError("resuming a Ray dataset's run needs an id column (columns={'id': ...}): its examples "
                              "are known by id to the workers, which skip the finished ones")

    def __iter__(self) -> Iterator[Part]:
        import ray.data

        blob = _ship(self.scorers)
        if self.source.remote is not None:
            kwargs = {"blob": blob, "fields": self.fields, "columns": self.source.columns,
                      "done": frozenset(self.done), "score": self.score}
            groups = self._row_groups()
            if groups is not None:
                names = self._needed_names(self.source.remote.schema().names)
                kwargs |= {"files": self._files, "names": names, "size": self.batch_size}
                yield from self._run(groups, score_row_groups, kwargs, 1)
                return
            yield from self._run(self._needed_columns(self.source.remote), score_remote_batch, kwargs,
                                 self.batch_size)
            return
        # the driver's batches, all at once; streamed data (an IterableDataset) a window at a time
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        window = 8 * cpus if self.source.streamed else None
        batches = self._local_batches()
        while items := list(itertools.islice(batches, window)):
            # about TASKS_PER_CPU tasks per CPU, each scoring several batches: Ray Data leaves a gap
            # between tasks, which one-batch tasks made idle time (10 core-seconds per 1M rows)
            per_task = -(-len(items) // (TASKS_PER_CPU * cpus))
            ds = ray.data.from_items(items, override_num_blocks=-(-len(items) // per_task))
            kwargs = {"blob": blob, "score": self.score, "output": self.output}
            yield from self._run(ds, score_local_batch, kwargs, per_task)

    def _row_groups(self) -> Any:
        """Parquet files' row groups, numbered across the files in order, as a Ray dataset of
        `ROW_GROUP_TASKS_PER_CPU` ranges per CPU (``first``, ``last``), each read and scored by one
        task (`score_row_groups`; ``self._files``: each file with its number of row groups); None
        for any other source, or fewer row groups than that many tasks (Ray's reader splits them)."""
        import pyarrow.parquet as pq
        import ray
        import ray.data

        if self.source.parquet_files is None:
            return None
        self._files = [(f, pq.ParquetFile(f).metadata.num_row_groups) for f in self.source.parquet_files]
        n = sum(groups for _, groups in self._files)
        tasks = ROW_GROUP_TASKS_PER_CPU * max(1, int(ray.cluster_resources().get("CPU", 1)))
        if n < tasks:
            return None
        bounds = [i * n // tasks for i in range(tasks + 1)]  # as even as can be: sizes differ by at most one
        ranges = [{"first": a, "last": b} for a, b in zip(bounds, bounds[1:])]
        return ray.data.from_items(ranges, override_num_blocks=tasks)

    def _needed_columns(self, ds: Any) -> Any:
        """``ds`` with only the columns the scorers read (and the ids): Ray Data pushes the projection
        into a Parquet read, so the other columns are neither read, stored nor converted."""
        names = list(ds.schema().names)
        keep = self._needed_names(names)
        return ds.select_columns(keep) if len(keep) < len(names) else ds

    def _needed_names(self, names: list[str]) -> list[str]:
        """Those of the columns ``names`` that the scorers read, and the ids."""
        wanted = {self.source.column(f, names) for f in {*self.fields, "id", "reference", "references"}}
        return [n for n in names if n in wanted]

    def _run(self, ds: Any, worker: Callable[..., Any], kwargs: dict[str, Any], batch_size: int) -> Iterator[Part]:
        """Score ``ds`` with ``worker`` in tasks or in an actor pool (``concurrency``: a number, or
        ``(min, max)`` actors; Ray 2.51+'s ``compute`` strategies), yielding its parts in order."""
        import ray
        import ray.data

        remote = worker is score_remote_batch or worker is score_row_groups
        options = dict(self.options)
        if self.max_retries is not None and self.max_retries >= 0:
            if self._attempts is None:  # on the driver's node, which outlives any worker's
                from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

                here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=True)
                self._attempts = ray.remote(num_cpus=0, scheduling_strategy=here)(Attempts).remote()
            kwargs = {**kwargs, "attempts": (self._attempts, int(self.max_retries))}
        actors = options.pop("actors", None)
        if actors is None:
            actors = bool(options.get("num_gpus")) or isinstance(options.get("concurrency"), tuple) or any(
                s.takes_judge or any(p in s.params for p in MODEL_PARAMS) for s in self.scorers)
        concurrency = options.pop("concurrency", None)
        if actors:
            if concurrency is None:
                concurrency = (1, max(1, int(ray.cluster_resources().get("CPU", 1))))
            low, high = concurrency if isinstance(concurrency, tuple) else (concurrency, concurrency)
            options.setdefault("compute", ray.data.ActorPoolStrategy(min_size=low, max_size=high))
            out = ds.map_batches(ScoringActor, fn_constructor_args=(worker,), fn_constructor_kwargs=kwargs,
                                 batch_size=batch_size, batch_format="pyarrow", **options)
        else:
            if concurrency is not None:
                options.setdefault("compute", ray.data.TaskPoolStrategy(size=concurrency))
            out = ds.map_batches(worker, fn_kwargs=kwargs, batch_size=batch_size, batch_format="pyarrow", **options)
        # the driver numbers a Ray dataset's rows in order; the driver's own batches carry their rows
        # (Results sorts the parts), so they come back as they finish
        out.context.execution_options.preserve_order = remote
        keys = [s.key for s in self.scorers]
        offset = 0
        no_ids = remote and self.source.column("id") is None
        seen = SeenIds(self.source.columns.get("id", "id"),
                       earlier=functools.partial(self._ids_before, self.source.remote))
        writes = _Writes(self.output, keys, no_ids) if remote and self.output is not None else None
        try:
            for record in out.iter_rows():
                n = int(record["n"])
                if record["abort"] is not None:
                    field, column, row, problem = json.loads(record["abort"])
                    raise FieldError(field, column, None if row is None else offset + row, problem)
                for key, counters in json.loads(record["usage"]).items():
                    total = self.usage.setdefault(key, {})
                    for name, value in counters.items():
                        total[name] = value if total.get(name) is None else total[name] + (value or 0)
                part = Part.from_table(_unpinned(pa.ipc.open_stream(record["part"]).read_all()), keys)
                if remote:
                    part = _rebased(part, offset, no_ids)
                    if not no_ids:
                        part.ids = _check_unique(part, seen)
                    if writes is not None and part.ids:
                        writes.submit(record["part"], offset, part)
                elif self.output is not None and part.ids:
                    ensure_written(self.output, part)
                offset += n
                if part.ids:
                    yield part
        finally:
            if writes is not None:
                writes.settle(wait=True)  # every part is on disk before the run finishes (or stops)

    def _ids_before(self, ds: Any, stop: int) -> Iterator[str]:
        """The ids of a Ray dataset's rows before row ``stop``, read again (`SeenIds`: only where an
        id's hash was seen before: a duplicate, or a 64-bit collision)."""
        column = self.source.column("id", list(ds.schema().names))
        ids = ds.select_columns([column]).limit(stop)
        ids.context.execution_options.preserve_order = True
        for batch in ids.iter_batches(batch_format="pyarrow", batch_size=65_536):
            yield from (str(x) for x in batch.column(column).to_pylist())

    def _local_batches(self) -> Iterator[dict[str, Any]]:
        """The driver's data as records of (row positions, canonical batch), pickled: Arrow would
        retype Python values (dicts of graded ids become structs)."""
        import ray.cloudpickle as cloudpickle

        for offset, batch in self.source.batches(self.fields, self.batch_size):
            n = len(batch["id"])
            keep = [i for i, x in enumerate(batch["id"]) if x not in self.done] if self.done else list(range(n))
            if not keep:
                continue
            if self.source.streamed:  # as a local run: cross-example checks per batch (the rest were checked whole)
                for s in self.scorers:
                    s.validate(Batch(batch))
            if len(keep) < n:
                batch = {k: v[keep] if isinstance(v, np.ndarray) else [v[i] for i in keep] for k, v in batch.items()}
            yield {"payload": cloudpickle.dumps(([offset + i for i in keep], batch))}


def _ship(scorers: list[Scorer]) -> bytes:
    """The scorers as bytes for the workers. A scorer whose judge or model was built on the driver
    holds locks and handles that do not pickle: it is rebuilt from its spec (the registry), which
    builds its model lazily on the worker, and given the same key and first-pass state."""
    import ray.cloudpickle as cloudpickle

    shipped = []
    for s in scorers:
        try:
            cloudpickle.dumps(s)
            shipped.append(s)
            continue
        except Exception as e:  # noqa: BLE001 - rebuilt below, or reported naming the scorer
            reason = f"{type(e).__name__}: {e}"
        try:
            same = _rebuilt(s).signature == s.signature  # (reading a judged signature builds the judge)
        except Exception:  # noqa: BLE001 - not a registered scorer
            same = False
        if not same:
            raise ConfigError(f"scorer {s.key!r} cannot be sent to Ray workers ({reason}); give it by name and "
                              "parameters (a judge as a spec such as {'kind': 'openai', ...}) instead of an object")
        shipped.append(_rebuilt(s))
    return cloudpickle.dumps(shipped)


def _rebuilt(s: Scorer) -> Scorer:
    """A fresh copy of a registered scorer from its spec, with its key and first-pass state."""
    spec = s.spec()
    fresh = get_scorer(spec["base"], **spec["params"])
    if type(fresh) is not type(s):
        raise TypeError(f"{spec['base']!r} builds a {type(fresh).__name__}, not a {type(s).__name__}")
    fresh.key = s.key
    if s.needs_first_pass:
        fresh.set_state(s.state, pin=True)
    return fresh


def _unpinned(table: pa.Table) -> pa.Table:
    """``table`` (read zero-copy from a record's bytes) with its id column copied: a part keeps its
    ids as Arrow strings, which would otherwise keep the record's whole buffer (statistics, errors,
    ~125 bytes per example) alive for the run."""
    i = table.column_names.index("id")
    ids = table.column(i)
    return table.set_column(i, "id", pc.take(ids, pa.array(np.arange(len(ids), dtype=np.int64))))


def _rebased(part: Part, offset: int, no_ids: bool) -> Part:
    """A Ray dataset's part with the data's row positions: ``offset`` added to each row, the ids
    generated from them when the data has none, and the rows named in field errors moved too."""
    local = part.rows
    n = len(local)
    whole = n > 0 and local[0] == 0 and local[-1] == n - 1  # every row of the batch (rows ascend)
    part.rows = range(offset, offset + n) if whole else [offset + r for r in local]
    if no_ids:  # the row numbers, kept as integers (`IntIds`) as a local run keeps default ids
        part.ids = IntIds(np.asarray(part.rows, np.int64))
    if offset:
        for errors in part.errors.values():
            if errors.count(None) == n:  # no error (C speed)
                continue
            for i, message in enumerate(errors):
                if message is not None:
                    errors[i] = _move_row(message, local[i], offset + local[i])
    return part


def _move_row(message: str, old: int, new: int) -> str:
    """``message`` (naming the example's row as ``at row <old>``, see `rageval.core.errors.FieldError`;
    `rageval.merge` shifts rows the same way) naming row ``new`` instead."""
    return message.replace(f" at row {old}:", f" at row {new}:", 1)


class _Writes:
    """The parts of a Ray dataset, written by Ray tasks: the driver, which numbers the examples in
    order, sends each batch's statistics buffer with its offset to a task (no CPU reserved) that
    moves the rows (`_rebased`) and writes the part (`write_worker_part`), so the driver neither
    encodes nor fsyncs Parquet. A task that failed, or whose file the driver does not see, has
    its part written by the driver."""

    def __init__(self, output: str, keys: list[str], no_ids: bool) -> None:
        import ray

        self.output, self.keys, self.no_ids = output, keys, no_ids
        self.task = ray.remote(num_cpus=0)(_write_remote_part)
        self.pending: dict[Any, Part] = {}

    def submit(self, buffer: bytes, offset: int, part: Part) -> None:
        self.pending[self.task.remote(buffer, offset, self.no_ids, self.keys, self.output)] = part
        self.settle(wait=False)

    def settle(self, wait: bool) -> None:
        """Check the writes done (all of them with ``wait``)."""
        import ray

        if not self.pending:
            return
        done, _ = ray.wait(list(self.pending), num_returns=len(self.pending), timeout=None if wait else 0)
        for ref in done:
            part = self.pending.pop(ref)
            try:
                ray.get(ref)
            except Exception:  # noqa: BLE001 - the driver writes it instead (a real I/O error raises there)
                pass
            ensure_written(self.output, part)


def _write_remote_part(buffer: bytes, offset: int, no_ids: bool, keys: list[str], output: str) -> str:
    """Ray task: the part in ``buffer`` (a batch's Arrow IPC record, rows from 0) at ``offset``, written."""
    part = Part.from_table(pa.ipc.open_stream(buffer).read_all(), keys)
    return write_worker_part(output, _rebased(part, offset, no_ids))


def ensure_written(output: str, part: Part) -> bool:
    """Write ``part`` from the driver if its worker's file is not in the run directory as the driver
    sees it (a worker on a node without the driver's filesystem wrote to its own disk); True if so."""
    if os.path.exists(os.path.join(output, EXAMPLES, WORKER_PART.format(part.rows[0]))):
        return False
    write_worker_part(output, part)
    return True


def _check_unique(part: Part, seen: SeenIds) -> Any:
    """``part.ids`` kept compact, refused where an id repeats in the part or an earlier part had it,
    naming its row (`SeenIds`: 8 bytes an id for the run, where a set of the strings took 80)."""
    rows = list(part.rows)
    return seen.add(part.ids, rows[0], rows) if rows else part.ids
