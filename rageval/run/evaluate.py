"""`evaluate`: run scorers over data, batch by batch, isolating failures per example.

Every field the scorers need is checked before scoring starts. Each batch's statistics, scores
and errors become one `Part`; with ``output=`` each part is written to the run directory as soon
as it is computed, so a killed run resumes where it stopped (see `rageval.run.rundir`).
"""
from __future__ import annotations

import math
import sys
from typing import Any, Mapping

import numpy as np

from rageval.core.errors import FieldError
from rageval.core.registry import resolve
from rageval.core.scorer import Batch, Scorer
from rageval.data.adapters import Source, load_source
from rageval.results.results import Results
from rageval.results.store import Part
from rageval.run.rundir import RunDir, build_manifest


def evaluate(data: Any, scorers: Any, columns: Mapping[str, str] | None = None, output: str | None = None, *,
             split: str | None = None, limit: int | None = None, batch_size: int = 1000,
             progress: bool | None = None, task: str | None = None) -> Results:
    """Score ``data`` with ``scorers``; see DESIGN.md for the arguments.

    ``scorers``: names (``"bleu"``, ``"ndcg@10"``), ``(name, params)`` pairs, ``{"name", "params"}``
    dicts or `Scorer` objects. ``columns`` maps canonical field -> column. ``output``: a run
    directory, written as the run goes and resumed when it already holds this configuration.
    ``progress``: a progress bar (None: when the data has more than one batch).
    """
    scorer_objs = resolve(scorers)
    if not scorer_objs:
        raise ValueError("no scorers given")
    source = load_source(data, columns, split=split, limit=limit)
    fields = _fields(scorer_objs, source)
    if not source.streamed:
        source.canonical(fields)  # check every row before any scoring starts
    for s in scorer_objs:  # before the manifest: what a first pass learns enters the signatures
        if s.needs_prepare:
            s.prepare(lambda: (b for _, b in source.batches(fields, batch_size)))
    manifest = build_manifest(scorer_objs, source, fields, columns, task)
    run = RunDir.open(output, manifest) if output else None
    parts: list[Part] = list(run.parts()) if run else []  # what a killed run already finished
    done = {x for p in parts for x in p.ids}

    total = None if source.streamed else len(source)
    bar = _progress(progress, total, batch_size)
    if bar is not None and done:
        bar.update(len(done))
    for offset, batch in source.batches(fields, batch_size):
        keep = [i for i, x in enumerate(batch["id"]) if x not in done]
        if not keep:
            continue
        if len(keep) < len(batch["id"]):
            batch = {k: [v[i] for i in keep] for k, v in batch.items()}
        part = score_batch(scorer_objs, Batch(batch), [offset + i for i in keep])
        if run:
            run.write(part)
        parts.append(part)
        if bar is not None:
            bar.update(len(keep))
    if bar is not None:
        bar.close()
    results = Results(scorer_objs, parts, manifest)
    _record_usage(results, scorer_objs)
    if run:
        run.finish(results)
    return results


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
    return sorted(needed)


def score_batch(scorers: list[Scorer], batch: Batch, rows: list[int]) -> Part:
    """Statistics, per-example scores and errors of every scorer on one batch.

    A scorer that fails on the batch is run example by example, so one bad example costs only
    its own result; its error message is kept for that example.
    """
    part = Part(rows=rows, ids=list(batch["id"]))
    n = len(rows)
    for s in scorers:
        stats, errors = _isolated_stats(s, batch, rows)
        part.stats[s.key], part.errors[s.key] = stats, errors
        ok = np.array([e is None for e in errors], dtype=bool)
        values = {k: np.full(n, math.nan) for k in s.keys()}
        if ok.any():
            ok_stats = [e for e, good in zip(stats, ok) if good] if s.variable_stats else stats[ok]
            for k, v in s.example_scores(ok_stats).items():
                values[k][ok] = v
        part.scores.update(values)
    return part


def _isolated_stats(s: Scorer, batch: Batch, rows: list[int]) -> tuple[Any, list]:
    n = len(rows)
    try:
        return _checked(s, s.stats(batch), n)
    except Exception:  # noqa: BLE001 - isolate the failing example(s) below
        if n == 1:
            return _failed(s, 1), [_describe(rows[0])]
    results = []
    for i in range(n):
        one = {k: v[i:i + 1] for k, v in batch.items()}
        try:
            results.append(_checked(s, s.stats(one), 1))
        except Exception:  # noqa: BLE001 - recorded for this example
            results.append((_failed(s, 1), [_describe(rows[i])]))
    errors = [e for _, (e,) in results]
    if s.variable_stats:
        return [st[0] for st, _ in results], errors
    width = max(st.shape[1] for st, _ in results)
    return np.concatenate([st if st.shape[1] == width else np.full((1, width), np.nan) for st, _ in results]), errors


def _failed(s: Scorer, n: int) -> Any:
    return [None] * n if s.variable_stats else np.full((n, 0), np.nan)


def _checked(s: Scorer, stats: Any, n: int) -> tuple[Any, list]:
    """Statistics and errors; a non-finite fixed-width statistic is an error for its example."""
    if len(stats) != n:
        raise RuntimeError(f"scorer {s.key!r} returned {len(stats)} statistics for {n} examples")
    errors: list = [None] * n
    if s.variable_stats:
        return list(stats), errors
    stats = np.asarray(stats, np.float64).reshape(n, -1)
    for i in np.flatnonzero(~np.isfinite(stats).all(axis=1)):
        errors[i] = f"scorer {s.key!r} produced a non-finite statistic {stats[i].tolist()}"
        stats[i] = np.nan
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


def _record_usage(results: Results, scorers: list[Scorer]) -> None:
    usage = {s.key: s.judge.usage() for s in scorers if hasattr(getattr(s, "judge", None), "usage")}
    if usage:
        results.manifest["usage"] = usage
