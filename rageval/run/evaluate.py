"""`evaluate`: run scorers over data, batch by batch, isolating failures per example.

Every field the scorers need is checked before scoring starts. Each batch's statistics, scores
and errors become one `Part`; with ``output=`` each part is written to the run directory as soon
as it is computed, so a killed run resumes where it stopped (see `rageval.run.rundir`).
"""
from __future__ import annotations

import functools
import math
import sys
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.fields import NUMERIC
from rageval.core.ids import IntIds, TextIds
from rageval.core.registry import resolve
from rageval.core.scorer import Batch, Scorer
from rageval.core.statistics import Statistics
from rageval.data.adapters import Source, load_source
from rageval.results.results import Results
from rageval.results.spill import Spill
from rageval.results.store import Part
from rageval.run.rundir import RunDir, build_manifest, unavailable_note


def evaluate(data: Any, scorers: Any, columns: Mapping[str, str] | None = None, output: str | None = None, *,
             split: str | None = None, limit: int | None = None, batch_size: int | None = None,
             progress: bool | None = None, task: str | None = None, encoding: str = "utf-8",
             backend: str = "local", ray_options: Mapping[str, Any] | None = None) -> Results:
    """Score ``data`` with ``scorers``; see DESIGN.md for the arguments.

    ``scorers``: names (``"bleu"``, ``"ndcg@10"``), ``(name, params)`` pairs, ``{"name", "params"}``
    dicts or `Scorer` objects. ``columns`` maps canonical field -> column. ``output``: a run
    directory, written as the run goes and resumed when it already holds this configuration.
    ``batch_size``: rows per batch (None: 1000, or `NUMERIC_BATCH` when every field the scorers take
    is a columnar number). ``progress``: a progress bar (None: when the data has more than one
    batch). ``encoding``: the text encoding of a .jsonl, .json or .csv file.

    ``backend="ray"`` (implied by a ``ray.data.Dataset``) scores on Ray Data (`rageval.run.ray_backend`)
    with the same results; ``ray_options``: ``map_batches`` arguments (``concurrency``, ``num_cpus``,
    ``num_gpus``, ``actors``, ...) and, when no Ray is running, ``address``, ``runtime_env`` and
    ``init`` (other ``ray.init`` arguments) to start or join one.
    """
    scorer_objs = resolve(scorers)
    if not scorer_objs:
        raise ValueError("no scorers given")
    if backend not in ("local", "ray"):
        raise ConfigError(f"backend must be 'local' or 'ray', not {backend!r}")
    on_ray = None
    if backend == "ray" or type(data).__module__.startswith("ray.data"):
        from rageval.run import ray_backend as on_ray

        cluster = on_ray.connect(ray_options)
        source = on_ray.load(data, columns, split=split, limit=limit, encoding=encoding)
    elif ray_options is not None:
        raise ConfigError("ray_options= is for backend='ray'")
    else:
        source = load_source(data, columns, split=split, limit=limit, encoding=encoding)
    if not source.streamed and len(source) == 0:
        raise ConfigError("the data has no rows: there is nothing to score")
    fields = _fields(scorer_objs, source)
    batch_size = _batch_size(batch_size, fields)
    if not source.streamed:
        whole = Batch(source.canonical(fields))  # check every row before any scoring starts
        for s in scorer_objs:
            s.validate(whole)
    for s in scorer_objs:  # before the manifest: what a first pass learns enters the signatures
        if s.needs_first_pass and not s.state_pinned:
            s.prepare(lambda: (Batch(b) for _, b in source.batches(fields, batch_size)))
    manifest = build_manifest(scorer_objs, source, fields, columns, task, cluster if on_ray else None,
                              fingerprint=output is not None)
    run = RunDir.open(output, manifest, lambda: source.fingerprint(fields, legacy=True)) if output else None
    parts: list[Part] = list(run.parts()) if run else []  # what a killed run already finished
    done = {x for p in parts for x in p.ids}
    # a stream held nowhere else keeps its per-example data on disk: the driver's memory stays flat
    spill = Spill([s.key for s in scorer_objs]) if run is None and (source.streamed or on_ray) else None

    total = None if source.streamed else len(source)
    bar = _progress(progress, total, batch_size)
    if bar is not None and done:
        bar.update(len(done))
    try:
        scored = (on_ray.RayScoring(source, scorer_objs, fields, batch_size, done, score_batch, ray_options,
                                    output=run.path if run else None)
                  if on_ray else _local_parts(scorer_objs, source, fields, batch_size, done, scores=run is not None))
        for part in scored:
            if run and not (on_ray and scored.output):  # Ray workers write the parts of the driver's data
                run.write(part)
            if spill is not None:
                spill.add(part)
            else:
                parts.append(part)
            if bar is not None:
                bar.update(len(part.ids))
    except BaseException:
        if run:
            run.close()  # what was written is kept: the same call resumes
        if spill is not None:
            spill.remove()
        raise
    if bar is not None:
        bar.close()
    results = Results(scorer_objs, parts, manifest, spill=spill)
    _record_usage(results, scorer_objs, scored.usage if on_ray else None)
    if run:
        run.finish(results)
    note = unavailable_note(results, scorer_objs, output)
    if note:
        warnings.warn(note, UserWarning, stacklevel=2)
    return results


def _local_parts(scorer_objs: list[Scorer], source: Source, fields: list[str], batch_size: int,
                 done: set[str], scores: bool) -> Iterator[Part]:
    """Score the data batch by batch in this process, skipping the examples in ``done``;
    ``scores``: compute the per-example scores now (for the run directory's parts; else `Results`
    computes them from the statistics when they are first read)."""
    for offset, batch in source.batches(fields, batch_size):
        keep = [i for i, x in enumerate(batch["id"]) if x not in done] if done else range(len(batch["id"]))
        if not keep:
            continue
        if source.streamed:
            for s in scorer_objs:
                s.validate(Batch(batch))
        if len(keep) < len(batch["id"]):
            batch = {k: v[keep] if isinstance(v, np.ndarray) else v.take(keep) if isinstance(v, (IntIds, TextIds))
                     else [v[i] for i in keep] for k, v in batch.items()}
        checked = Batch(batch)
        checked.checked = True  # canonical columns: every field passed its check
        yield score_batch(scorer_objs, checked, [offset + i for i in keep] if done else
                          range(offset, offset + len(keep)), scores=scores)


def first_pass(scorers: Any, *datasets: Any, columns: Mapping[str, str] | None = None, split: str | None = None,
               batch_size: int = 1000) -> list[Scorer]:
    """Build the first-pass state of each scorer that needs one (BERTScore's idf) over all of
    ``datasets`` (shards: each scanned apart, the states merged), and pin it: `evaluate` then
    scores every shard with that one state, so the shards' results merge to the one-shot run.

    >>> scorer, = rageval.first_pass([("bertscore", {"idf": True})], shard_a, shard_b)   # doctest: +SKIP
    >>> rageval.merge([rageval.evaluate(d, [scorer]) for d in (shard_a, shard_b)])       # doctest: +SKIP
    """
    scorer_objs = resolve(scorers)
    for s in scorer_objs:
        if not s.needs_first_pass:
            continue
        states = []
        for data in datasets:
            source = load_source(data, columns, split=split)
            fields = _fields([s], source)
            states.extend(s.scan(Batch(b)) for _, b in source.batches(fields, batch_size))
        if not states:
            raise ValueError(f"first_pass: no data for scorer {s.key!r}")
        s.set_state(functools.reduce(s.merge_states, states), pin=True)
    return scorer_objs


#: rows per batch when every field the scorers take is a columnar number (``y_true``, ``y_pred``,
#: ``y_score``, ``sample_weight``): those scorers work on whole numpy columns, so the default 1000
#: would only add per-batch overhead (1M rows: 1000 batches cost more than the metric itself)
NUMERIC_BATCH = 65_536


def _batch_size(batch_size: int | None, fields: list[str]) -> int:
    if batch_size is not None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer or None, not {batch_size!r}")
        return int(batch_size)
    return NUMERIC_BATCH if fields and set(fields) <= set(NUMERIC) else 1000


def _fields(scorers: list[Scorer], source: Source) -> list[str]:
    available = source.available()
    needed: set[str] = set()
    for s in scorers:
        for f in s.fields:
            if f not in available:
                col = source.columns.get(f, f)
                raise FieldError(f, col, None, f"scorer {s.key!r} needs it, and the data has no column {col!r} "
                                               f"(map one with columns={{{f!r}: ...}})")
        needed.update(s.fields)
        needed.update(f for f in s.optional_fields if f in available)
        if "sample_weight" in available and "sample_weight" not in (*s.fields, *s.optional_fields):
            warnings.warn("the data has sample weights "
                          f"(column {source.columns.get('sample_weight', 'sample_weight')!r}) "
                          f"and scorer {s.key!r} takes none: its value is unweighted", UserWarning, stacklevel=3)
    return sorted(needed)


def score_batch(scorers: list[Scorer], batch: Batch, rows: Sequence[int], scores: bool = True) -> Part:
    """Statistics, per-example scores (unless ``scores`` is False) and errors of every scorer on
    one batch.

    A scorer that fails on the batch is run example by example, so one bad example costs only
    its own result; its error message is kept for that example.
    """
    ids = batch["id"]
    part = Part(rows=rows, ids=ids if isinstance(ids, (list, IntIds, TextIds)) else list(ids))
    n = len(rows)
    for s in scorers:
        stats, errors = _isolated_stats(s, batch, rows)
        part.stats[s.key], part.errors[s.key] = stats, errors
        if not scores:
            continue
        ok = np.ones(n, bool) if errors.count(None) == n else np.array([e is None for e in errors], dtype=bool)
        values = {k: np.full(n, math.nan) for k in s.keys()}
        if ok.any():
            for k, v in s.example_scores(stats.take(np.flatnonzero(ok))).items():
                values[k][ok] = v
        part.scores.update(values)
    return part


def _isolated_stats(s: Scorer, batch: Batch, rows: list[int]) -> tuple[Statistics, list]:
    n = len(rows)
    try:
        return _checked(s, s.make_stats(batch), n)
    except Exception:  # noqa: BLE001 - isolate the failing example(s) below
        if n == 1:
            return s.stats_kind.missing(1), [_describe(rows[0])]
    results = []
    for i in range(n):
        one = Batch({k: v[i:i + 1] for k, v in batch.items()})
        try:
            results.append(_checked(s, s.make_stats(one), 1))
        except Exception:  # noqa: BLE001 - recorded for this example
            results.append((s.stats_kind.missing(1), [_describe(rows[i])]))
    return s.stats_kind.concat([st for st, _ in results]), [e for _, (e,) in results]


def _checked(s: Scorer, stats: Statistics, n: int) -> tuple[Statistics, list]:
    """Statistics and errors; an invalid statistic (non-finite) is an error for its example."""
    if len(stats) != n:
        raise RuntimeError(f"scorer {s.key!r} returned {len(stats)} statistics for {n} examples")
    errors: list = [None] * n
    for i, problem in stats.invalid().items():
        errors[i] = f"scorer {s.key!r} produced {problem}"
    return stats, errors


def _describe(row: int) -> str:
    """The current exception as one line; a `FieldError` raised on a one-example batch names
    the example's row in the data, not its row in that batch."""
    exc = sys.exc_info()[1]
    if isinstance(exc, FieldError) and exc.row in (0, None):
        exc = FieldError(exc.field, exc.column, row, exc.problem)
    return f"{type(exc).__name__}: {exc}" if exc is not None else "unknown error"


def _progress(progress: bool | None, total: int | None, batch_size: int):
    if progress is False or (progress is None and total is not None and total <= batch_size):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="ex", desc="rageval", leave=False)


def _record_usage(results: Results, scorers: list[Scorer], remote: dict | None = None) -> None:
    """The judges' counters in the manifest (``remote``: summed over the Ray workers)."""
    usage = {s.key: (remote or {}).get(s.key) or s.judge.usage() for s in scorers if s.takes_judge}
    if usage:
        results.manifest["usage"] = usage
