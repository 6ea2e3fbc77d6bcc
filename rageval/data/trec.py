"""TREC run and qrels files (and ranx / ir_measures dicts) as rows that `rageval.evaluate` takes.

A run file holds ``qid Q0 docno rank score tag`` lines, a qrels file ``qid iteration docno grade``
lines (whitespace-separated; blank lines and ``#`` comments skipped; as trec_eval, anything after
the last field is ignored). Rankings follow trec_eval,
not the file: each query's documents are ordered by score descending, ties broken by docno
*descending* (byte order, trec_eval's ``comp_sim_docno``); the rank column is ignored. A docno
ranked twice for one query, or judged twice, is an error, as in trec_eval.

`from_trec` joins the two the way trec_eval does: one row per query found in both, in qid order,
with ``id`` = qid, ``retrieved_ids`` and ``relevant_ids``. trec_eval's options that shape the data
are parameters here: ``complete=True`` is ``-c`` (every qrels query gets a row; one missing from
the run has an empty ranking and scores 0, which is what ``-c`` averages in) and ``depth=M`` is
``-M`` (only the first M documents of each ranking count).

>>> rows = from_trec({"q1": {"d1": 0.5, "d2": 0.9}}, {"q1": {"d1": 1}})
>>> rows[0]["retrieved_ids"], rows[0]["relevant_ids"]
(['d2', 'd1'], {'d1': 1})
"""
from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from typing import Any

from rageval.core.errors import ConfigError

Run = Mapping[str, Mapping[str, float]]
Qrels = Mapping[str, Mapping[str, float]]


def read_run(source: str | os.PathLike | Iterable[str]) -> dict[str, dict[str, float]]:
    """A TREC run file (a path, or its lines) as ``{qid: {docno: score}}``. A malformed line, a
    score that is not a finite number or a docno ranked twice for a query raises `ConfigError`
    naming the file and the line."""
    run: dict[str, dict[str, float]] = {}
    for where, fields in _records(source, 6, "qid Q0 docno rank score tag"):
        qid, docno, score = fields[0], fields[2], _number(fields[4], where, "score")
        docs = run.setdefault(qid, {})
        if docno in docs:
            raise ConfigError(f"{where}: document {docno!r} is ranked twice for query {qid!r} (trec_eval: "
                              "'duplicate docs')")
        docs[docno] = score
    return run


def read_qrels(source: str | os.PathLike | Iterable[str]) -> dict[str, dict[str, int | float]]:
    """A TREC qrels file (a path, or its lines) as ``{qid: {docno: grade}}`` (grades below 0 mean
    judged-but-unjudged to trec_eval, and are kept). A docno judged twice for a query raises."""
    qrels: dict[str, dict[str, int | float]] = {}
    for where, fields in _records(source, 4, "qid iteration docno grade"):
        qid, docno, grade = fields[0], fields[2], _number(fields[3], where, "grade")
        docs = qrels.setdefault(qid, {})
        if docno in docs:
            raise ConfigError(f"{where}: document {docno!r} is judged twice for query {qid!r}")
        docs[docno] = int(grade) if float(grade).is_integer() else grade
    return qrels


def ranking(scores: Mapping[str, float], depth: int | None = None) -> list[str]:
    """Docnos by score descending, ties by docno descending (trec_eval's order), the first ``depth``.

    trec_eval breaks ties with ``strcmp`` on the UTF-8 bytes; UTF-8 keeps code point order, so
    Python's string order is the same order: two C-level sorts (docno descending, then a stable
    sort by score descending) give it."""
    ordered = sorted(sorted(scores, reverse=True), key=scores.__getitem__, reverse=True)
    return ordered if depth is None else ordered[:depth]


def from_trec(run: Run | str | os.PathLike, qrels: Qrels | str | os.PathLike, *, complete: bool = False,
              depth: int | None = None) -> list[dict[str, Any]]:
    """Rows ``{"id", "retrieved_ids", "relevant_ids"}`` for the queries trec_eval evaluates.

    ``run`` and ``qrels``: file paths, or dicts ``{qid: {docno: score}}`` / ``{qid: {docno:
    grade}}`` (ranx and ir_measures use these). Without ``complete`` (trec_eval's default) a row per
    query in both; ``complete=True`` (trec_eval ``-c``): a row per qrels query. ``depth``
    (trec_eval ``-M``): keep the first ``depth`` documents of each ranking.
    """
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 1):
        raise ConfigError(f"depth must be a positive integer (trec_eval -M), got {depth!r}")
    run = read_run(run) if isinstance(run, (str, os.PathLike)) else _checked(run, "run")
    qrels = read_qrels(qrels) if isinstance(qrels, (str, os.PathLike)) else _checked(qrels, "qrels")
    qids = sorted(qrels) if complete else sorted(set(run) & set(qrels))
    return [{"id": q, "retrieved_ids": ranking(run.get(q, {}), depth), "relevant_ids": dict(qrels[q])}
            for q in qids]


def _checked(table: Any, what: str) -> dict[str, dict[str, float]]:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{what} must be a file path or a dict {{qid: {{docno: value}}}}, got {type(table).__name__}")
    out = {}
    for qid, docs in table.items():
        if not isinstance(docs, Mapping):
            raise ConfigError(f"{what}[{qid!r}] must be a dict {{docno: value}}, got {type(docs).__name__}")
        for docno, value in docs.items():
            try:
                finite = not isinstance(value, (bool, str)) and math.isfinite(float(value))
            except (TypeError, ValueError):
                finite = False
            if not finite:
                raise ConfigError(f"{what}[{qid!r}][{docno!r}] must be a finite number, got {value!r}")
        out[str(qid)] = {str(d): float(v) if what == "run" else v for d, v in docs.items()}
    return out


def _number(text: str, where: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ConfigError(f"{where}: the {what} {text!r} is not a finite number")
    return value


def _records(source: str | os.PathLike | Iterable[str], width: int, shape: str) -> Iterable[tuple[str, list[str]]]:
    """(``file:line``, fields) for each record of ``source``; a line with fewer fields raises
    `ConfigError` naming the file, the line and the expected shape."""
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        try:
            with open(name, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError as e:
            raise ConfigError(f"cannot read {name}: {e.strerror or e}") from None
        except UnicodeDecodeError as e:
            raise ConfigError(f"{name} is not UTF-8 text ({e.reason} at byte {e.start})") from None
    else:
        name, lines = "<lines>", list(source)
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) < width:  # trec_eval skips whatever follows the last field it reads
            raise ConfigError(f"{name}:{number}: expected {width} fields ({shape}), got {len(fields)}: {line[:80]!r}")
        yield f"{name}:{number}", fields
