"""`Results`: per-example statistics, scores and errors of an evaluation, and its aggregate.

The aggregate is recomputed from the statistics (``scorer.reduce``), so it is the corpus metric
over exactly the examples that succeeded; `Aggregate.counts` says how many that is per scorer.
"""
from __future__ import annotations

import math
import os
import shutil
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from rageval.core.errors import IncompatibleError, UnknownScorerError
from rageval.core.ids import join_ids
from rageval.core.registry import get_scorer
from rageval.core.scorer import Scorer, signature_difference
from rageval.core.statistics import KINDS, Rows
from rageval.results.spill import Spill
from rageval.results.store import MANIFEST, Part, read_json, read_parts, write_intervals, write_json, write_part


class Aggregate(dict):
    """The corpus values, ``{key: value}``; ``counts[scorer_key]`` is ``(examples covered, examples)``."""

    def __init__(self, values: dict[str, float], counts: dict[str, tuple[int, int]]) -> None:
        super().__init__(values)
        self.counts = counts

    def covered(self, scorer_key: str) -> tuple[int, int]:
        """``(examples the value covers, examples)``: those scored without error, less those flagged
        and left out of the mean (a scorer's ``<key>.flagged`` share, e.g. faithfulness of an
        answer with no claims)."""
        ok, n = self.counts.get(scorer_key, (0, 0))
        share = self.get(f"{scorer_key}.flagged")
        if share is None or math.isnan(share):
            return ok, n
        return ok - round(share * ok), n


class ScorerResult:
    """One scorer's statistics over the examples it scored, and its errors by id."""

    def __init__(self, scorer: Scorer, ids: Sequence[str], stats: Any, errors: dict[str, str]) -> None:
        self.scorer, self.ids, self.stats, self.errors = scorer, ids, stats, errors

    def subset(self, ids: Sequence[str]) -> Any:
        """Statistics of the given ids, in that order (ids must have succeeded)."""
        where = {x: i for i, x in enumerate(self.ids)}
        return self.stats.take([where[x] for x in ids])


class Results:
    """What `rageval.evaluate` returns, and `rageval.load_results` reads back."""

    def __init__(self, scorers: Sequence[Scorer], parts: Iterable[Part], manifest: dict[str, Any],
                 spill: Spill | None = None) -> None:
        """``parts`` are consumed: each scorer's statistics and scores leave the parts as they are
        joined, so a part's copy is freed before the next scorer's is made (the peak holds one
        scorer's data twice, not every scorer's). ``spill``: the parts are on disk instead (a
        streamed run, see `rageval.results.spill`); they are read when first needed."""
        self.scorers = list(scorers)
        self.manifest = manifest
        self._joined: dict[str, np.ndarray] | None = None  # per-example scores; None: made when first read
        self._spill = spill
        self._id_array: np.ndarray | None = None
        if spill is not None:
            spill.flush()
            spill.keep_with(self)
            self._ids: Sequence[str] | None = None
            self._n = spill.n
            self.by_scorer: Mapping[str, ScorerResult] = _SpilledScorers(self)
            self.aggregate = self._aggregate()
            return
        parts = sorted(parts, key=lambda p: p.rows[0] if p.rows else -1)
        self._ids = join_ids(p.ids for p in parts)  # lazy `IntIds` for default or integer ids
        self._n = len(self._ids)
        keys = [k for s in self.scorers for k in s.keys()]
        if all(k in p.scores for p in parts for k in keys):
            self._joined = {k: np.concatenate([p.scores.pop(k) for p in parts]) if parts else np.empty(0)
                            for k in keys}
        self.by_scorer = {}
        for s in self.scorers:
            kind = s.stats_kind
            pieces = [p.stats.pop(s.key, None) or kind.missing(len(p.ids)) for p in parts]
            no_error = all(p.errors[s.key].count(None) == len(p.errors[s.key]) for p in parts)  # C-speed test
            try:
                stats = kind.concat(pieces) if pieces else kind.missing(0)
            except IncompatibleError as e:
                raise IncompatibleError(f"scorer {s.key!r}: {e}") from None
            del pieces
            self.by_scorer[s.key] = self._result(s, stats, None if no_error else
                                                 [e for p in parts for e in p.errors[s.key]])
        self.aggregate = self._aggregate()

    @property
    def ids(self) -> Sequence[str]:
        """The example ids, in data order (lazy `IntIds` / `TextIds` where they allow)."""
        if self._ids is None:
            self._ids = self._spill.ids()
        return self._ids

    def _result(self, s: Scorer, stats: Any, errors_col: list | None) -> ScorerResult:
        """A scorer's result from its statistics of every example (placeholders where it failed)
        and its error per example (None: it failed on none)."""
        if errors_col is None:
            return ScorerResult(s, self.ids, stats, {})
        failed = np.array([e is not None for e in errors_col], dtype=bool)
        errors = {self.ids[i]: errors_col[i] for i in np.flatnonzero(failed)}
        ok = np.flatnonzero(~failed)
        if self._id_array is None:
            self._id_array = np.array(list(self.ids), dtype=object)
        return ScorerResult(s, self._id_array[ok].tolist(), stats.take(ok), errors)

    @property
    def _scores(self) -> dict[str, np.ndarray]:
        """Per-example scores by key (NaN where the scorer failed): as the parts brought them, or
        computed once from the statistics (`evaluate` without a run directory leaves them to this:
        most runs read the aggregate only, and a per-example macro-F1 costs more than the metric)."""
        if self._joined is None:
            n = len(self.ids)
            joined = {}
            for s in self.scorers:
                r = self.by_scorer[s.key]
                values = {k: np.full(n, math.nan) for k in s.keys()}
                if len(r.ids):
                    ok = np.array([x not in r.errors for x in self.ids], bool) if r.errors else slice(None)
                    for k, v in s.example_scores(r.stats).items():
                        values[k][ok] = v
                joined.update(values)
            self._joined = joined
        return self._joined

    def _aggregate(self) -> Aggregate:
        values: dict[str, float] = {}
        counts: dict[str, tuple[int, int]] = {}
        for s in self.scorers:
            value = None
            if self._spill is None:
                r = self.by_scorer[s.key]
                ok, stats = len(r.ids), r.stats
            else:  # read back one scorer at a time and not kept: no id; by column or summed where it reduces so
                errors = self._spill.errors(s.key)
                mask = None if errors is None else np.array([e is None for e in errors], dtype=bool)
                ok = self._n if mask is None else int(mask.sum())
                value = self._reduce_spilled(s, mask, ok) if ok else None
                if ok and value is None:
                    stats = self._spill.stats(s)
                    stats = stats if mask is None else stats.take(np.flatnonzero(mask))
            counts[s.key] = (ok, self._n)
            if not ok:
                value = dict.fromkeys(s.keys(), float("nan"))
            values.update(s.reduce(stats) if value is None else value)
        return Aggregate(values, counts)

    def _reduce_spilled(self, s: Scorer, mask: np.ndarray | None, ok: int) -> dict[str, float] | None:
        """The aggregate of a spilled scorer without reading its statistics whole (None: it cannot):
        column by column (`Scorer.reduce_columns`), or its label pairs summed (`Scorer.summed_codes`)."""
        if s.stats_kind is Rows:
            return s.reduce_columns(lambda j: self._spill.column(s, j, mask), self._spill.width(s), ok)
        if s.summed_codes:
            summed = self._spill.summed(s, mask)
            return None if summed is None else s.reduce(summed)
        return None

    # --- views --------------------------------------------------------------------------
    def to_pandas(self):
        """One row per example: ``id``, a column per per-example score (named like the aggregate
        keys), and ``<key>.error`` for each scorer that failed on some example."""
        import pandas as pd

        frame = pd.DataFrame({"id": list(self.ids), **self._scores})
        for key, r in self.by_scorer.items():
            if r.errors:
                frame[f"{key}.error"] = [r.errors.get(x) for x in self.ids]
        return frame

    @property
    def errors(self):
        """A table of the examples a scorer failed on: ``id``, ``scorer``, ``error``."""
        import pandas as pd

        rows = [(x, key, msg) for key, r in self.by_scorer.items() for x, msg in r.errors.items()]
        return pd.DataFrame(rows, columns=["id", "scorer", "error"])

    def details(self, key: str) -> dict:
        """Per-example statistics of a scorer, by id (records: e.g. claims and verdicts)."""
        r = self.by_scorer[key]
        return dict(zip(r.ids, r.stats))

    def confidence_intervals(self, n: int = 1000, seed: int | None = 12345, alpha: float = 0.05,
                             keys: Iterable[str] | None = None) -> dict:
        """Percentile bootstrap interval of every aggregate key (see `rageval.stats.confidence_intervals`;
        the default seed is sacrebleu's, so BLEU/chrF/TER intervals equal sacrebleu's)."""
        from rageval.stats import confidence_intervals

        return confidence_intervals(self, n=n, seed=seed, alpha=alpha, keys=keys)

    def scorer(self, key: str) -> Scorer:
        return self.by_scorer[key].scorer

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        lines = [f"<Results: {self._n} examples"]
        for s in self.scorers:
            ok, n = self.aggregate.counts[s.key]
            cover = "" if ok == n else f"  ({ok}/{n} examples; {n - ok} errors)"
            lines.append(f"  {s.key}: {self.aggregate[s.key]:.6g}{cover}")
        return "\n".join(lines) + ">"

    # --- persistence --------------------------------------------------------------------
    def parts(self) -> list[Part]:
        """The results as one `Part` (for saving)."""
        part = Part(rows=range(len(self.ids)), ids=self.ids, scores=dict(self._scores))
        for s in self.scorers:
            r = self.by_scorer[s.key]
            if not r.errors:
                part.stats[s.key], part.errors[s.key] = r.stats, [None] * len(self.ids)
                continue
            ok = np.array([x not in r.errors for x in self.ids], dtype=bool)
            # the succeeded rows, then placeholders, put back in example order
            order = np.empty(len(ok), np.int64)
            order[np.flatnonzero(ok)] = np.arange(ok.sum())
            order[np.flatnonzero(~ok)] = ok.sum() + np.arange((~ok).sum())
            part.stats[s.key] = s.stats_kind.concat([r.stats, s.stats_kind.missing(int((~ok).sum()))]).take(order)
            part.errors[s.key] = [r.errors.get(x) for x in self.ids]
        return [part]

    def save(self, path: str | os.PathLike) -> str:
        """Write the results directory at ``path`` (manifest, aggregate, one Parquet part)."""
        path = os.fspath(path)
        if os.path.exists(os.path.join(path, MANIFEST)):
            shutil.rmtree(os.path.join(path, "examples"), ignore_errors=True)
        os.makedirs(path, exist_ok=True)
        for i, part in enumerate(self.parts()):
            write_part(path, i, part)
        write_summary(path, self)
        return path


class _SpilledScorers(Mapping):
    """`Results.by_scorer` of a spilled run: each scorer's `ScorerResult` read back when first asked for."""

    def __init__(self, results: Results) -> None:
        self._results = results
        self._loaded: dict[str, ScorerResult] = {}

    def __getitem__(self, key: str) -> ScorerResult:
        if key not in self._loaded:
            r = self._results
            s = next((s for s in r.scorers if s.key == key), None)
            if s is None:
                raise KeyError(key)
            self._loaded[key] = r._result(s, r._spill.stats(s), r._spill.errors(key))
        return self._loaded[key]

    def __iter__(self):
        return iter([s.key for s in self._results.scorers])

    def __len__(self) -> int:
        return len(self._results.scorers)


def write_summary(path: str, results: Results) -> None:
    """The manifest of a finished run (with its aggregate and counts) and its intervals (``ci.json``)."""
    write_intervals(results, path)
    write_json(os.path.join(path, MANIFEST), {**results.manifest, "status": "complete",
                                              "aggregate": dict(results.aggregate),
                                              "counts": {k: list(v) for k, v in results.aggregate.counts.items()}})


def scorers_from_manifest(manifest: dict[str, Any], known: Sequence[Scorer] = ()) -> list[Scorer]:
    """Rebuild the scorers a manifest names (cheap: models load lazily).

    A manifest is data someone may have sent: only registered scorers (built-in, or entry-point
    plugins the user installed) are rebuilt, never a class the file names. Any other scorer loads
    as `StatsOnly` (its statistics and per-example scores, no aggregate) with a warning, unless
    ``known`` holds a scorer object with its signature (the user's own scorer classes).
    """
    given = {s.signature: s for s in known}
    out: list[Scorer] = []
    for entry in manifest["scorers"]:
        spec = entry["spec"]
        if entry.get("signature") in given:
            out.append(given[entry["signature"]])
            continue
        try:
            scorer = get_scorer(spec["base"], **spec["params"])
        except (UnknownScorerError, TypeError, ValueError) as e:
            warnings.warn(f"scorer {entry['key']!r} of these results cannot be rebuilt ({e}); its statistics and "
                          "per-example scores load, its aggregate is NaN (register the scorer to reduce them)",
                          UserWarning, stacklevel=3)
            scorer = StatsOnly(entry)
        scorer.key = entry["key"]
        if scorer.needs_first_pass:
            scorer.restore_digest(entry.get("state"))
        out.append(scorer)
    return out


class StatsOnly(Scorer):
    """A scorer of saved results that this installation cannot rebuild: it keeps the saved
    signature, keys and statistics kind; its aggregate is NaN."""

    name = "stats_only"

    def __init__(self, entry: Mapping[str, Any]) -> None:
        super().__init__(**entry["spec"].get("params", {}))
        self.entry = dict(entry)
        self.stats_kind = KINDS.get(entry.get("stats", "json" if entry.get("variable") else "stats"), Rows)
        self.parts = tuple(k[len(entry["key"]) + 1:] for k in entry.get("keys", [])[1:])
        self.higher_is_better = bool(entry.get("higher_is_better", True))

    @property
    def signature(self) -> str:
        return self.entry.get("signature", "")

    def stats(self, batch: Any) -> Any:
        raise UnknownScorerError(f"scorer {self.entry['key']!r} is not registered here: it cannot score new data")

    def reduce(self, stats: Any) -> dict[str, float]:
        return dict.fromkeys(self.keys(), math.nan)

    def example_scores(self, stats: Any) -> dict[str, np.ndarray]:
        return {k: np.full(len(stats), math.nan) for k in self.keys()}


def load_results(path: str | os.PathLike, scorers: Sequence[Scorer] = ()) -> Results:
    """Read a results or run directory written by `Results.save` or `evaluate(output=...)`.

    Registered scorers are rebuilt from the manifest; pass ``scorers`` (objects) for scorers of
    your own that are not registered (matched by signature). Nothing the directory names is
    imported or called."""
    path = os.fspath(path)
    if not os.path.exists(os.path.join(path, MANIFEST)):
        raise FileNotFoundError(f"{path} is not a rageval results directory (no {MANIFEST})")
    manifest = read_json(os.path.join(path, MANIFEST))
    rebuilt = scorers_from_manifest(manifest, scorers)
    return Results(rebuilt, read_parts(path, [s.key for s in rebuilt]), manifest)


def merge(results: Sequence[Results]) -> Results:
    """Results of disjoint example sets scored with the same scorers, as one (e.g. from several
    machines). Equal to one run over all their examples: statistics concatenate (label codes are
    re-coded against the union of the labels), then reduce.

    Refuses results whose scorers differ, naming the scorer; a scorer with a first pass (BERTScore
    with idf) must have used one state on every shard (`rageval.first_pass` builds it).
    """
    results = list(results)
    if not results:
        raise ValueError("merge needs at least one Results")
    first = results[0]
    for r in results[1:]:
        check_same_scorers(first.scorers, r.scorers, "merge")
    parts, offset = [], 0
    for r in results:
        for p in r.parts():
            if offset:  # rows, and the rows error messages name, become rows of the merged data
                p.errors = {k: [_shift_row(e, row, offset) for e, row in zip(v, p.rows)] for k, v in p.errors.items()}
            p.rows = [offset + i for i in p.rows]
            offset += len(p.rows)
            parts.append(p)
    ids = [x for p in parts for x in p.ids]
    if len(set(ids)) != len(ids):
        raise ValueError("cannot merge results that share example ids")
    return Results(first.scorers, parts, {**first.manifest, "merged": len(results)})


def _shift_row(error: str | None, row: int, offset: int) -> str | None:
    """``error`` (which names the example's row in its shard as ``at row N``, see
    `rageval.core.errors.FieldError`) naming its row in the merged data instead."""
    if error is None:
        return None
    return error.replace(f" at row {row}:", f" at row {row + offset}:", 1)


def check_same_scorers(a: Sequence[Scorer], b: Sequence[Scorer], what: str) -> None:
    """Raise `IncompatibleError` unless ``a`` and ``b`` are the same scorers with the same
    signatures; the message names the first scorer that differs and how."""
    keys_a, keys_b = [s.key for s in a], [s.key for s in b]
    if keys_a != keys_b:
        raise IncompatibleError(f"cannot {what} results with different scorers: {keys_a} vs {keys_b}")
    for x, y in zip(a, b):
        problem = signature_difference(x, y)
        if problem:
            raise IncompatibleError(f"cannot {what} results of scorer {x.key!r}: {problem}")


__all__ = ["Aggregate", "Results", "ScorerResult", "load_results", "merge"]
