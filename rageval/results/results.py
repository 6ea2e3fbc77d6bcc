"""`Results`: per-example statistics, scores and errors of an evaluation, and its aggregate.

The aggregate is recomputed from the statistics (``scorer.reduce``), so it is the corpus metric
over exactly the examples that succeeded; `Aggregate.counts` says how many that is per scorer.
"""
from __future__ import annotations

import functools
import importlib
import os
import shutil
from typing import Any, Iterable, Sequence

import numpy as np

from rageval.core.errors import UnknownScorerError
from rageval.core.registry import get_scorer
from rageval.core.scorer import Scorer, concat, take
from rageval.results.store import MANIFEST, Part, read_json, read_parts, write_json, write_part


class Aggregate(dict):
    """The corpus values, ``{key: value}``; ``counts[scorer_key]`` is ``(examples covered, examples)``."""

    def __init__(self, values: dict[str, float], counts: dict[str, tuple[int, int]]) -> None:
        super().__init__(values)
        self.counts = counts


class ScorerResult:
    """One scorer's statistics over the examples it scored, and its errors by id."""

    def __init__(self, scorer: Scorer, ids: list[str], stats: Any, errors: dict[str, str]) -> None:
        self.scorer, self.ids, self.stats, self.errors = scorer, ids, stats, errors

    def subset(self, ids: Sequence[str]) -> Any:
        """Statistics of the given ids, in that order (ids must have succeeded)."""
        where = {x: i for i, x in enumerate(self.ids)}
        return take(self.stats, [where[x] for x in ids])


class Results:
    """What `rageval.evaluate` returns, and `rageval.load_results` reads back."""

    def __init__(self, scorers: Sequence[Scorer], parts: Iterable[Part], manifest: dict[str, Any]) -> None:
        self.scorers = list(scorers)
        self.manifest = manifest
        parts = sorted(parts, key=lambda p: p.rows[0] if p.rows else -1)
        self.ids: list[str] = [x for p in parts for x in p.ids]
        self._scores = {k: np.concatenate([p.scores[k] for p in parts]) if parts else np.empty(0)
                        for s in self.scorers for k in s.keys()}
        self.by_scorer: dict[str, ScorerResult] = {}
        all_ids = np.array(self.ids, dtype=object)
        for s in self.scorers:
            errors_col = [e for p in parts for e in p.errors[s.key]]
            failed = np.array([e is not None for e in errors_col], dtype=bool)
            errors = {self.ids[i]: errors_col[i] for i in np.flatnonzero(failed)}
            ok_ids = all_ids[~failed].tolist()
            if s.variable_stats:
                stats: Any = [e for p in parts for e, bad in zip(p.stats[s.key], p.errors[s.key]) if bad is None]
            else:
                stats = _stack([p.stats[s.key] for p in parts])[~failed]
            self.by_scorer[s.key] = ScorerResult(s, ok_ids, stats, errors)
        self.aggregate = self._aggregate()

    def _aggregate(self) -> Aggregate:
        values: dict[str, float] = {}
        counts: dict[str, tuple[int, int]] = {}
        for s in self.scorers:
            r = self.by_scorer[s.key]
            counts[s.key] = (len(r.ids), len(self.ids))
            values.update(s.reduce(r.stats) if len(r.ids) else dict.fromkeys(s.keys(), float("nan")))
        return Aggregate(values, counts)

    # --- views --------------------------------------------------------------------------
    def to_pandas(self):
        """One row per example: ``id``, a column per per-example score (named like the aggregate
        keys), and ``<key>.error`` for each scorer that failed on some example."""
        import pandas as pd

        frame = pd.DataFrame({"id": self.ids, **self._scores})
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

    def details(self, key: str) -> list:
        """Per-example statistics of a scorer with variable statistics (e.g. claims and verdicts)."""
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
        return len(self.ids)

    def __repr__(self) -> str:
        lines = [f"<Results: {len(self.ids)} examples"]
        for s in self.scorers:
            ok, n = self.aggregate.counts[s.key]
            cover = "" if ok == n else f"  ({ok}/{n} examples; {n - ok} errors)"
            lines.append(f"  {s.key}: {self.aggregate[s.key]:.6g}{cover}")
        return "\n".join(lines) + ">"

    # --- persistence --------------------------------------------------------------------
    def parts(self) -> list[Part]:
        """The results as one `Part` (for saving)."""
        part = Part(rows=list(range(len(self.ids))), ids=list(self.ids), scores=dict(self._scores))
        for s in self.scorers:
            r = self.by_scorer[s.key]
            ok = np.array([x not in r.errors for x in self.ids], dtype=bool)
            if s.variable_stats:
                entries = iter(r.stats)
                part.stats[s.key] = [next(entries) if good else None for good in ok]
            else:
                full = np.full((len(self.ids), r.stats.shape[1]), np.nan)
                full[ok] = r.stats
                part.stats[s.key] = full
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


def _stack(arrays: list[np.ndarray]) -> np.ndarray:
    """Fixed-width statistics of consecutive parts as one array; a part where the scorer failed on
    every example holds no column (width 0) and becomes NaN rows."""
    width = max((a.shape[1] for a in arrays), default=0)
    rows = [a if a.shape[1] == width else np.full((len(a), width), np.nan) for a in arrays]
    return np.concatenate(rows) if rows else np.empty((0, 0))


def write_summary(path: str, results: "Results") -> None:
    """The manifest of a finished run (with its aggregate and counts) and its intervals (``ci.json``)."""
    from rageval.stats import write_intervals

    write_intervals(results, path)
    write_json(os.path.join(path, MANIFEST), {**results.manifest, "status": "complete",
                                              "aggregate": dict(results.aggregate),
                                              "counts": {k: list(v) for k, v in results.aggregate.counts.items()}})


def scorers_from_manifest(manifest: dict[str, Any]) -> list[Scorer]:
    """Rebuild the scorers a manifest names (cheap: models load lazily)."""
    out = []
    for entry in manifest["scorers"]:
        spec = entry["spec"]
        try:
            scorer = get_scorer(spec["base"], **spec["params"])
        except UnknownScorerError:
            # an unregistered scorer (defined in the user's code): its class, if importable
            module, _, name = spec.get("class", "").partition(":")
            try:
                cls = functools.reduce(getattr, name.split("."), importlib.import_module(module))
            except (ImportError, AttributeError, ValueError):
                raise UnknownScorerError(f"scorer {spec['base']!r} of these results is neither registered nor "
                                         f"importable ({spec.get('class')!r}); import or register it first") from None
            scorer = cls(**spec["params"])
        scorer.key = entry["key"]
        out.append(scorer)
    return out


def load_results(path: str | os.PathLike) -> Results:
    """Read a results or run directory written by `Results.save` or `evaluate(output=...)`."""
    path = os.fspath(path)
    if not os.path.exists(os.path.join(path, MANIFEST)):
        raise FileNotFoundError(f"{path} is not a rageval results directory (no {MANIFEST})")
    manifest = read_json(os.path.join(path, MANIFEST))
    scorers = scorers_from_manifest(manifest)
    return Results(scorers, read_parts(path), manifest)


def merge(results: Sequence[Results]) -> Results:
    """Results of disjoint example sets scored with the same scorers, as one (e.g. from several machines)."""
    first = results[0]
    sigs = [s.signature for s in first.scorers]
    for r in results[1:]:
        if [s.signature for s in r.scorers] != sigs:
            raise ValueError("cannot merge results computed with different scorer signatures")
    parts, offset = [], 0
    for r in results:
        for p in r.parts():
            p.rows = [offset + i for i in p.rows]
            offset += len(p.rows)
            parts.append(p)
    ids = [x for p in parts for x in p.ids]
    if len(set(ids)) != len(ids):
        raise ValueError("cannot merge results that share example ids")
    return Results(first.scorers, parts, {**first.manifest, "merged": len(results)})


__all__ = ["Aggregate", "Results", "ScorerResult", "load_results", "merge", "concat"]
