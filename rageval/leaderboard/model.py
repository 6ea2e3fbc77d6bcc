"""The leaderboard model: systems (runs) with per-metric values, bootstrap intervals, rank
intervals, HELM's mean win rate across tasks, and paired significance tests between systems.

Conventions:

* a system's name defaults to its run directory's name; runs of several tasks (the manifest's
  ``task``) with the same name are one system;
* intervals: percentile bootstrap (`rageval.stats.bootstrap`), the same resamples of the
  examples for every system of a task (so resampled values are paired);
* rank interval of a system on a metric: ``rank_low = 1 + #systems whose interval lies entirely
  above (better)``, ``rank_high = #systems - #systems whose interval lies entirely below``:
  systems with overlapping intervals share a rank range;
* mean win rate (HELM's ``compute_aggregate_row_win_rates``): in each metric column a system's win
  rate is ``(#systems it beats + (#systems tied with it) / 2) / (#systems - 1)``; the mean over
  the columns where it has a value. Its interval comes from the same bootstrap resamples;
* ranking: by mean win rate when there are several metric columns (tasks x metrics), else by the
  metric; ``rank_by`` chooses another;
* significance: paired tests (`rageval.stats.significance`) against ``baseline`` or between all
  pairs, corrected (Holm by default) within each task and metric.
"""
from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from rageval.leaderboard.render import render
from rageval.results.results import Results, load_results
from rageval.stats.bootstrap import percentile_bounds
from rageval.stats.resampling import SEED, Replicator
from rageval.stats.significance import Comparison, IncomparableError, compare_systems, correct, shared_metrics

WIN_RATE = "mean_win_rate"


@dataclass
class Metric:
    """A leaderboard column: a metric key of one task."""

    id: str                   # the column name: the key, or "task/key" with several tasks
    key: str
    task: str | None
    higher_is_better: bool
    signature: str
    bounds: tuple[float, float] = (-math.inf, math.inf)  # of the scorer's primary value; parts: unknown


@dataclass
class Cell:
    """A system's value on one column, with its interval, rank interval and significance marks."""

    value: float
    ci_low: float
    ci_high: float
    n: int                    # examples the value is computed on
    rank_low: int | None = None
    rank_high: int | None = None
    better_than: list[str] = field(default_factory=list)   # significantly better than these systems
    worse_than: list[str] = field(default_factory=list)
    covered: float = 1.0      # share of the examples the value covers (the rest flagged as undefined, or failed)

    def to_dict(self) -> dict[str, Any]:
        return {"value": _num(self.value), "ci_low": _num(self.ci_low), "ci_high": _num(self.ci_high), "n": self.n,
                "covered": _num(self.covered), "rank_low": self.rank_low, "rank_high": self.rank_high,
                "better_than": self.better_than, "worse_than": self.worse_than}


@dataclass
class System:
    name: str
    runs: list[str]
    metrics: dict[str, Cell]
    rank_low: int = 1
    rank_high: int = 1
    win_rate: Cell | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rank_low": self.rank_low, "rank_high": self.rank_high,
                "metrics": {k: c.to_dict() for k, c in self.metrics.items()},
                WIN_RATE: self.win_rate.to_dict() if self.win_rate else None, "runs": self.runs}


@dataclass
class Leaderboard:
    """Systems in rank order, the metric columns, and the paired comparisons."""

    systems: list[System]
    metrics: list[Metric]
    comparisons: list[Comparison]
    ranked_by: str
    baseline: str | None
    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def tasks(self) -> list[str | None]:
        return list(dict.fromkeys(m.task for m in self.metrics))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``systems``, ``metrics``, ``comparisons`` and the settings."""
        return {"systems": [s.to_dict() for s in self.systems],
                "metrics": [vars(m).copy() for m in self.metrics],
                "comparisons": [{k: _num(v) if isinstance(v, float) else v for k, v in c.to_dict().items()}
                                for c in self.comparisons],
                "ranked_by": self.ranked_by, "baseline": self.baseline, "settings": self.settings,
                "notes": self.notes}

    def render(self, fmt: str = "md") -> str:
        """The leaderboard as ``md``, ``html``, ``csv``, ``json`` or ``latex`` text."""
        return render(self, fmt)


def _num(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


# --- inputs -----------------------------------------------------------------------------------
def load_runs(runs: Any) -> list[tuple[str, str | None, Results]]:
    """``(name, path, results)`` for each run: paths (named after their directory), `Results`
    in a mapping ``name -> Results | path``, or ``(name, Results | path)`` pairs."""
    items = list(runs.items()) if isinstance(runs, Mapping) else list(runs)
    out = []
    for item in items:
        if isinstance(item, (str, os.PathLike)):
            path = os.fspath(item)
            out.append((os.path.basename(os.path.normpath(path)), path, load_results(path)))
        elif isinstance(item, tuple) and len(item) == 2:
            name, value = item
            if isinstance(value, (str, os.PathLike)):
                out.append((str(name), os.fspath(value), load_results(value)))
            else:
                out.append((str(name), None, value))
        else:
            raise TypeError(f"a run is a path, or a (name, Results) pair; got {type(item).__name__} "
                            "(name Results objects with a mapping {name: results})")
    if not out:
        raise ValueError("no runs given")
    return out


def _tasks(runs: list[tuple[str, str | None, Results]]) -> dict[str | None, dict[str, tuple[str | None, Results]]]:
    tasks: dict[str | None, dict[str, tuple[str | None, Results]]] = {}
    for name, path, res in runs:
        task = res.manifest.get("task")
        group = tasks.setdefault(task, {})
        if name in group:
            where = f" ({group[name][0]} and {path})" if path and group[name][0] else ""
            raise ValueError(f"two runs of task {task!r} are named {name!r}{where}; give them distinct names")
        group[name] = (path, res)
    return tasks


# --- building -----------------------------------------------------------------------------------
def build_leaderboard(runs: Any, metrics: Sequence[str] | None = None, baseline: str | None = None,
                      rank_by: str | None = None, method: str = "ar", correction: str = "holm",
                      alpha: float = 0.05, n_resamples: int = 1000, n_trials: int | None = None,
                      seed: int | None = SEED) -> Leaderboard:
    """Build a leaderboard from run directories or `Results` (see `load_runs`).

    ``metrics``: the metric keys to show (default: every scorer's primary key shared by the
    systems of a task). ``baseline``: compare every system with this one (default: all pairs).
    ``rank_by``: a metric key (or ``"task/key"``) or ``"mean_win_rate"`` (the default with
    several metric columns). ``method``: paired test
    ``"ar"`` (approximate randomisation, default) or ``"bs"`` (paired bootstrap); ``n_trials``
    its count (sacrebleu's defaults: 10000 / 1000). ``correction``: ``"holm"``, ``"bh"`` or
    ``"none"``. ``n_resamples``/``seed``: the bootstrap of the intervals.
    Raises `IncomparableError` when the runs of a task differ in examples or scorer signatures.
    """
    loaded = load_runs(runs)
    tasks = _tasks(loaded)
    multi = len(tasks) > 1
    names = list(dict.fromkeys(name for name, _, _ in loaded))
    if baseline is not None and baseline not in names:
        raise ValueError(f"baseline {baseline!r} is not one of the systems: {', '.join(names)}")
    columns: list[Metric] = []
    cells: dict[str, dict[str, Cell]] = {n: {} for n in names}
    replicates: dict[str, dict[str, np.ndarray]] = {}   # column id -> system -> resampled values
    comparisons: list[Comparison] = []
    notes: list[str] = []
    for name, _, res in loaded:
        status = res.manifest.get("status", "complete")
        if status != "complete":
            notes.append(f"{name}: the run is {status} ({len(res)} examples so far)")
    for task, group in tasks.items():
        systems = {name: res for name, (_, res) in group.items()}
        shared = shared_metrics(systems)
        for name, res in systems.items():
            extra = [s.key for s in res.scorers if s.key not in shared]
            if extra:
                notes.append(f"{name}: {', '.join(extra)} left out (not scored for every system"
                             f"{' of task ' + repr(task) if multi else ''})")
        keys = _keys(systems, shared, metrics, task)
        first = next(iter(systems.values()))
        order = {x: i for i, x in enumerate(first.ids)}
        for scorer_key, wanted in keys.items():
            scorer = first.by_scorer[scorer_key].scorer
            per_system = {}
            for name, res in systems.items():
                r = res.by_scorer[scorer_key]
                positions = np.full(len(order), -1, np.int64)
                positions[[order[x] for x in r.ids]] = np.arange(len(r.ids))
                per_system[name] = (Replicator(r.scorer, r.stats, positions).bootstrap(n_resamples, seed)
                                    if len(r.ids) else {k: np.full(n_resamples, math.nan) for k in wanted})
            for key in wanted:
                col = Metric(f"{task}/{key}" if multi else key, key, task, scorer.higher_is_better,
                             scorer.signature, tuple(scorer.bounds) if key == scorer.key else (-math.inf, math.inf))
                columns.append(col)
                replicates[col.id] = {}
                for name, res in systems.items():
                    low, high, _ = percentile_bounds(per_system[name][key], alpha)
                    covered, total = res.aggregate.covered(scorer_key)
                    cells[name][col.id] = Cell(float(res.aggregate[key]), low, high,
                                               res.aggregate.counts[scorer_key][0],
                                               covered=covered / total if key == scorer_key and total else 1.0)
                    replicates[col.id][name] = per_system[name][key]
                _rank_intervals([cells[n][col.id] for n in systems], col.higher_is_better)
        if len(systems) > 1 and keys:
            wanted_keys = [k for ks in keys.values() for k in ks]
            found = compare_systems(systems, baseline if baseline in systems else None, method, "none", alpha,
                                    n_trials, seed, wanted_keys)
            comparisons.extend(replace(c, task=task) for c in found)
    comparisons = correct(comparisons, correction, alpha)
    by_id = {(m.task, m.key): m.id for m in columns}
    for c in comparisons:
        col = by_id[(c.task, c.metric)]
        if c.winner is not None:
            loser = c.a if c.winner == c.b else c.b
            cells[c.winner][col].better_than.append(loser)
            cells[loser][col].worse_than.append(c.winner)

    rows = [System(n, [g[n][0] for g in tasks.values() if n in g and g[n][0]], cells[n]) for n in names]
    if len(columns) > 1:
        _win_rates(rows, columns, replicates, alpha)
    ranked_by = _ranked_by(rank_by, columns)
    for s in rows:
        key_cell = s.win_rate if ranked_by == WIN_RATE else s.metrics.get(ranked_by)
        s.rank_low, s.rank_high = (key_cell.rank_low, key_cell.rank_high) if key_cell else (None, None)
    higher = True if ranked_by == WIN_RATE else next(m.higher_is_better for m in columns if m.id == ranked_by)
    rows.sort(key=lambda s: _sort_key(s, ranked_by, higher))
    settings = {"interval": "percentile bootstrap", "n_resamples": n_resamples, "seed": seed, "alpha": alpha,
                "test": {"ar": "approximate randomisation", "bs": "paired bootstrap"}[method],
                "n_trials": n_trials or (10000 if method == "ar" else 1000), "correction": correction}
    return Leaderboard(rows, columns, comparisons, ranked_by, baseline, settings, notes)


def _keys(systems: Mapping[str, Results], shared: list[str], metrics: Sequence[str] | None,
          task: str | None) -> dict[str, list[str]]:
    """scorer key -> the aggregate keys to show, in scorer order."""
    first = next(iter(systems.values()))
    out: dict[str, list[str]] = {}
    for scorer_key in shared:
        all_keys = first.by_scorer[scorer_key].scorer.keys()
        if metrics is None:
            chosen = [scorer_key]
        else:
            chosen = [k for k in all_keys if k in metrics or f"{task}/{k}" in metrics]
        if chosen:
            out[scorer_key] = chosen
    if metrics is not None:
        known = {k for s in shared for k in first.by_scorer[s].scorer.keys()}
        missing = [m for m in metrics if m not in known and m.split("/", 1)[-1] not in known]
        if missing:
            raise ValueError(f"unknown metric(s) {', '.join(map(repr, missing))}; the runs have "
                             f"{', '.join(sorted(known))}")
    return out


def _rank_intervals(cells: list[Cell], higher_is_better: bool) -> None:
    """Rank ranges by interval overlap (see the module docstring)."""
    sign = 1.0 if higher_is_better else -1.0
    for c in cells:
        if math.isnan(c.value):
            continue
        lo, hi = sorted((sign * c.ci_low, sign * c.ci_high))
        valid = [o for o in cells if not math.isnan(o.value)]
        above = sum(1 for o in valid if o is not c and min(sign * o.ci_low, sign * o.ci_high) > hi)
        below = sum(1 for o in valid if o is not c and max(sign * o.ci_low, sign * o.ci_high) < lo)
        c.rank_low, c.rank_high = 1 + above, len(valid) - below


def helm_win_rates(values: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """HELM win rates of the rows of ``values`` (systems x replicates): per replicate, ``(#worse +
    (#equal - 1) / 2) / (#valid - 1)`` over systems with a non-NaN value; NaN where undefined."""
    v = np.where(higher_is_better, values, -values)
    valid = ~np.isnan(v)
    worse = ((v[:, None, :] > v[None, :, :]) & valid[None, :, :]).sum(axis=1)
    equal = ((v[:, None, :] == v[None, :, :]) & valid[None, :, :]).sum(axis=1)  # includes itself
    total = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = (worse + (equal - 1) / 2) / (total - 1)
    return np.where(valid & (total >= 2), rate, np.nan)


def _win_rates(rows: list[System], columns: list[Metric], replicates: dict[str, dict[str, np.ndarray]],
               alpha: float) -> None:
    names = [s.name for s in rows]
    point_rates, resampled_rates = [], []
    for col in columns:
        point = np.array([[s.metrics[col.id].value if col.id in s.metrics else math.nan] for s in rows])
        n = len(next(iter(replicates[col.id].values())))
        reps = np.array([replicates[col.id].get(name, np.full(n, math.nan)) for name in names])
        point_rates.append(helm_win_rates(point, col.higher_is_better)[:, 0])
        resampled_rates.append(helm_win_rates(reps, col.higher_is_better))
    with warnings.catch_warnings():  # a system without any comparable column: NaN, silently
        warnings.simplefilter("ignore", RuntimeWarning)
        point_mean = np.nanmean(np.array(point_rates), axis=0)
        resampled_mean = np.nanmean(np.array(resampled_rates), axis=0)
    cells = []
    for i, s in enumerate(rows):
        low, high, _ = percentile_bounds(resampled_mean[i], alpha)
        s.win_rate = Cell(float(point_mean[i]), low, high, len(columns))
        cells.append(s.win_rate)
    _rank_intervals(cells, True)


def _ranked_by(rank_by: str | None, columns: list[Metric]) -> str:
    if rank_by is None:
        if len(columns) > 1:
            return WIN_RATE
        if not columns:
            raise ValueError("the runs share no metric to rank by")
        return columns[0].id
    if rank_by in (WIN_RATE, "win_rate"):
        if len(columns) < 2:
            raise ValueError("a mean win rate needs at least two metric columns")
        return WIN_RATE
    ids = [m.id for m in columns]
    if rank_by in ids:
        return rank_by
    matches = [m.id for m in columns if m.key == rank_by]
    if len(matches) == 1:
        return matches[0]
    raise ValueError(f"cannot rank by {rank_by!r}: one of {', '.join(ids + [WIN_RATE])}")


def _sort_key(s: System, ranked_by: str, higher: bool) -> tuple:
    cell = s.win_rate if ranked_by == WIN_RATE else s.metrics.get(ranked_by)
    value = cell.value if cell is not None and not math.isnan(cell.value) else None
    return (value is None, -(value or 0.0) if higher else (value or 0.0), s.name)


__all__ = ["Leaderboard", "System", "Cell", "Metric", "build_leaderboard", "load_runs", "helm_win_rates",
           "IncomparableError", "WIN_RATE"]

