"""Meta-evaluation: how well a judge, through the RAG scorers, agrees with human labels.

For each task (a labelled set from `rageval.metaeval.data`), every row is scored by the task's
scorer with the given judge; a unit's score is the maximum over its rows; a threshold is chosen on
the dev split (maximising balanced accuracy) and the test split reports AUROC, balanced accuracy
and Cohen's kappa at that threshold, Spearman and Kendall, each with a seeded percentile
bootstrap 95% interval.
"""
from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from rageval.core.registry import get_scorer
from rageval.judges import Judge, JudgeError, get_judge
from rageval.metaeval import metrics
from rageval.metaeval.data import LOADERS, LabelledSet, load

#: AUROC goals of the default offline judge on the test splits (issue 4), with the simple baselines
GOALS: dict[str, float] = {"wice": 0.78, "q2": 0.80, "clapnq": 0.92, "evouna-nq": 0.93, "evouna-tq": 0.975}
BASELINES: dict[str, float] = {"wice": 0.70, "q2": 0.73, "clapnq": 0.89, "evouna-nq": 0.925, "evouna-tq": 0.966}


@dataclass
class TaskResult:
    """The agreement of one judge with the human labels of one task (test split)."""

    task: str
    scorer: str
    judge: str
    n_dev: int
    n_test: int
    threshold: float
    metrics: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    dev_auroc: float
    unscored: int = 0          # units without a score (flagged or judge errors), left out
    errors: int = 0            # rows whose judge call failed
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_rows(scorer: Any, rows: Sequence[dict[str, Any]], batch_size: int = 256) -> tuple[np.ndarray, int]:
    """Each row's score by ``scorer`` (NaN where flagged or where the judge failed), and the number
    of judge failures. A failing batch is rescored row by row (judge calls are cached)."""
    out = np.full(len(rows), math.nan)
    errors = 0
    for start in range(0, len(rows), batch_size):
        chunk = rows[start:start + batch_size]
        try:
            entries = scorer.stats(_columnar(chunk, scorer))
        except JudgeError:
            entries = []
            for row in chunk:
                try:
                    entries.extend(scorer.stats(_columnar([row], scorer)))
                except JudgeError:
                    entries.append(None)
                    errors += 1
        for i, e in enumerate(entries):
            if e is not None and e["flag"] is None:
                out[start + i] = e["score"]
    return out, errors


def _columnar(rows: Sequence[dict[str, Any]], scorer: Any) -> dict[str, list]:
    names = [f for f in (*scorer.fields, *scorer.optional_fields) if f in rows[0]]
    return {f: [r[f] for r in rows] for f in names}


def unit_scores(data: LabelledSet, row_scores: np.ndarray) -> dict[str, float]:
    """The maximum row score of each unit (rows without a score ignored; NaN if a unit has none)."""
    best: dict[str, float] = {}
    for u, s in zip(data.unit, row_scores):
        if not math.isnan(s):
            best[u] = max(best.get(u, -math.inf), float(s))
    return {u: best.get(u, math.nan) for u in data.labels}


def evaluate_set(data: LabelledSet, judge: Judge, n_boot: int = 1000, seed: int = 0,
                 batch_size: int = 256) -> TaskResult:
    """Meta-evaluate ``judge`` on one labelled set (see the module docstring)."""
    scorer = get_scorer(data.scorer, judge=judge)
    row_scores, errors = score_rows(scorer, data.rows, batch_size)
    scores = unit_scores(data, row_scores)
    scored = [u for u in data.labels if not math.isnan(scores[u])]
    part = {sp: [u for u in scored if data.splits[u] == sp] for sp in ("dev", "test")}
    y = {sp: np.array([data.labels[u] for u in us], dtype=np.int64) for sp, us in part.items()}
    s = {sp: np.array([scores[u] for u in us], dtype=np.float64) for sp, us in part.items()}
    if not len(y["dev"]) or not len(y["test"]):
        raise ValueError(f"{data.name}: no scored examples in the dev or test split")
    t = metrics.best_threshold(y["dev"], s["dev"])
    at = lambda yy, ss: metrics.metrics_at(yy, ss, t)  # noqa: E731
    return TaskResult(task=data.name, scorer=data.scorer, judge=judge.signature, n_dev=len(y["dev"]),
                      n_test=len(y["test"]), threshold=t, metrics=at(y["test"], s["test"]),
                      intervals=metrics.bootstrap(y["test"], s["test"], at, n=n_boot, seed=seed),
                      dev_auroc=metrics.auroc(y["dev"], s["dev"]),
                      unscored=len(data.labels) - len(scored), errors=errors, note=data.note)


def subsample(data: LabelledSet, limit: int, seed: int = 0) -> LabelledSet:
    """At most ``limit`` units per split, drawn without replacement by ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    keep: set[str] = set()
    for sp in ("dev", "test"):
        units = data.units(sp)
        pick = rng.choice(len(units), size=min(limit, len(units)), replace=False) if units else []
        keep.update(units[i] for i in pick)
    return data.subset(keep)


def meta_evaluate(judge: Any = None, tasks: Iterable[str] | None = None,
                  data_dir: str | os.PathLike | None = None,
                  limit: int | None = None, n_boot: int = 1000, seed: int = 0,
                  batch_size: int = 256) -> list[TaskResult]:
    """Meta-evaluate a judge (any `rageval.judges.get_judge` spec) on the given tasks (default: all
    of `rageval.metaeval.data.LOADERS`), read from ``data_dir`` (default: `rageval.metaeval.data.data_dir`);
    ``limit`` keeps a seeded subset of units per split."""
    judge_obj = get_judge(judge)
    out = []
    for name in (tasks or list(LOADERS)):
        data = load(name, data_dir)
        if limit is not None:
            data = subsample(data, limit, seed)
        out.append(evaluate_set(data, judge_obj, n_boot=n_boot, seed=seed, batch_size=batch_size))
    return out


def to_markdown(results: Sequence[TaskResult], goals: bool = True) -> str:
    """A markdown table: one row per (judge, task) with the test split's AUROC [95% CI], balanced
    accuracy, kappa, Spearman, Kendall, the dev threshold, sizes, the dev split's AUROC, and
    (``goals``) the default judge's goal and the simple baseline."""
    head = ["judge", "task", "scorer", "AUROC [95% CI]", "bal. acc.", "kappa", "Spearman", "Kendall",
            "threshold (dev)", "n test", "unscored", "AUROC dev"]
    if goals:
        head += ["goal", "baseline"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        m, ci = r.metrics, r.intervals
        cells = [r.judge.split("|")[0].removeprefix("kind:"), r.task, r.scorer,
                 f"{m['auroc']:.3f} [{ci['auroc'][0]:.3f}, {ci['auroc'][1]:.3f}]",
                 f"{m['balanced_accuracy']:.3f}", f"{m['kappa']:.3f}", f"{m['spearman']:.3f}",
                 f"{m['kendall']:.3f}", f"{r.threshold:.3f}", str(r.n_test), str(r.unscored), f"{r.dev_auroc:.3f}"]
        if goals:
            cells += [f"{GOALS[r.task]:.3f}" if r.task in GOALS else "",
                      f"{BASELINES[r.task]:.3f}" if r.task in BASELINES else ""]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
