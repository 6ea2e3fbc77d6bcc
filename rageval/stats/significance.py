"""Paired significance tests between systems scored on the same examples: paired bootstrap and
approximate randomisation as sacrebleu's ``--paired-bs`` / ``--paired-ar`` define them, for every
scorer, with multiple-comparison correction over several systems.

Both tests follow sacrebleu 2.x ``significance.py`` (itself Moses'
``bootstrap-hypothesis-difference-significance.pl`` and MultEval's approximate randomisation):

* paired bootstrap: ``n`` resamples of the examples (the same resamples for both systems),
  ``d_i = |m_B(resample_i) - m_A(resample_i)|``; the statistic is ``d_i - mean(d)`` and it is
  compared with the observed ``|m_B - m_A|``;
* approximate randomisation: in each of ``n`` trials every example's pair of statistics is
  swapped between the systems with probability 1/2; the statistic is ``|m(A') - m(B')|``.

The p-value is ``(c + 1) / (n + 1)`` with ``c`` the number of statistics at least as large as the
observed difference. One deliberate difference from sacrebleu: sacrebleu counts ``>`` where
MultEval counts ``>=`` (its comment: "if we want to score the same system against itself having a
zero difference should not be attributed to chance"). With ``>`` a system compared with itself
gets p = 1/(n+1), i.e. "significant"; here ties count (with a 1e-9 relative tolerance for floating
point), so it gets p = 1. Where no statistic ties with the observed difference, the p-values are
sacrebleu's. Note also that the Moses/sacrebleu bootstrap statistic is anti-conservative for
small differences (its false-positive rate on identical-distribution systems is well above
alpha; see ``benchmarks/significance.py``); approximate randomisation holds its level and is the
default of `compare` and the leaderboards.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from rageval.core.errors import IncompatibleError
from rageval.core.scorer import Scorer, signature_difference
from rageval.core.statistics import Statistics as Stats
from rageval.stats.correction import adjust
from rageval.stats.resampling import SEED, Replicator, randomization_masks

#: test names and their default number of resamples / trials (sacrebleu's)
METHODS = {"ar": 10000, "bs": 1000}


class IncomparableError(IncompatibleError):
    """Two runs cannot be compared: their examples or their scorer signatures differ."""


@dataclass(frozen=True)
class PairedTest:
    """The outcome of one paired test on one metric key."""

    value_a: float
    value_b: float
    p_value: float
    method: str
    n_samples: int
    n_examples: int


@dataclass(frozen=True)
class Comparison(PairedTest):
    """System ``b`` against system ``a`` on ``metric``; ``p_adjusted`` and ``significant`` after the
    correction over the family of comparisons of that metric."""

    a: str = ""
    b: str = ""
    metric: str = ""
    higher_is_better: bool = True
    p_adjusted: float | None = None
    significant: bool | None = None
    correction: str | None = None
    alpha: float | None = None
    task: str | None = None

    @property
    def delta(self) -> float:
        return self.value_b - self.value_a

    @property
    def winner(self) -> str | None:
        """The better system's name when the difference is significant, else None."""
        if not self.significant or self.value_a == self.value_b:
            return None
        b_better = (self.value_b > self.value_a) == self.higher_is_better
        return self.b if b_better else self.a

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        first = {k: d.pop(k) for k in ("a", "b", "metric")}
        return {**first, **d, "delta": self.delta, "winner": self.winner}


def monte_carlo_p_value(null: np.ndarray, observed: float, rtol: float = 1e-9) -> float:
    """``(#{null >= observed} + 1) / (len(null) + 1)``; a statistic within ``rtol`` (relative,
    floored at 1e-12 absolute) below ``observed`` counts as a tie (MultEval's convention)."""
    null = np.asarray(null, np.float64)
    null = null[~np.isnan(null)]
    if math.isnan(observed):
        return math.nan
    tol = max(abs(observed) * rtol, 1e-12)
    return (int(np.sum(null >= observed - tol)) + 1) / (len(null) + 1)


def paired_bootstrap(scorer: Scorer, stats_a: Stats, stats_b: Stats, n: int = METHODS["bs"],
                     seed: int | None = SEED) -> dict[str, PairedTest]:
    """sacrebleu's paired bootstrap test (``--paired-bs``) of every key of ``scorer``.

    ``stats_a`` / ``stats_b``: the two systems' statistics on the same examples, row by row.
    """
    _check_rows(stats_a, stats_b)
    stats_a, stats_b = scorer.stats_kind.coerce(stats_a).aligned(scorer.stats_kind.coerce(stats_b))
    rep_a, rep_b = Replicator(scorer, stats_a).bootstrap(n, seed), Replicator(scorer, stats_b).bootstrap(n, seed)
    full_a, full_b = scorer.reduce(stats_a), scorer.reduce(stats_b)
    out = {}
    for k in scorer.keys():
        diffs = np.abs(rep_b[k] - rep_a[k])
        diffs = diffs[~np.isnan(diffs)]
        null = diffs - diffs.mean() if len(diffs) else diffs
        p = monte_carlo_p_value(null, abs(full_b[k] - full_a[k]))
        out[k] = PairedTest(float(full_a[k]), float(full_b[k]), p, "bs", n, len(stats_a))
    return out


def approximate_randomization(scorer: Scorer, stats_a: Stats, stats_b: Stats, n: int = METHODS["ar"],
                              seed: int | None = SEED) -> dict[str, PairedTest]:
    """sacrebleu's paired approximate randomisation test (``--paired-ar``) of every key of ``scorer``."""
    _check_rows(stats_a, stats_b)
    stats_a, stats_b = scorer.stats_kind.coerce(stats_a).aligned(scorer.stats_kind.coerce(stats_b))
    ra, rb = Replicator(scorer, stats_a), Replicator(scorer, stats_b)
    full_a, full_b = scorer.reduce(stats_a), scorer.reduce(stats_b)
    nulls: dict[str, list] = {k: [] for k in scorer.keys()}
    for mask in randomization_masks(len(stats_a), n, seed):
        first, second = ra.swapped(rb, mask)
        for k in nulls:
            nulls[k].append(np.abs(first[k] - second[k]))
    out = {}
    for k, parts in nulls.items():
        p = monte_carlo_p_value(np.concatenate(parts), abs(full_b[k] - full_a[k]))
        out[k] = PairedTest(float(full_a[k]), float(full_b[k]), p, "ar", n, len(stats_a))
    return out


TESTS = {"ar": approximate_randomization, "bs": paired_bootstrap}


def _check_rows(a: Stats, b: Stats) -> None:
    if len(a) != len(b):
        raise IncomparableError(f"paired tests need the same examples: {len(a)} vs {len(b)} rows")
    if not len(a):
        raise IncomparableError("paired tests need at least one example")


# --- systems (Results) ---------------------------------------------------------------------
def shared_metrics(systems: Mapping[str, Any]) -> list[str]:
    """The scorer keys every system has, after checking the systems are comparable.

    Raises `IncomparableError` when the systems' example ids differ (as sets) or when a scorer key
    they share has different signatures (different parameters, tokenizer, model or version).
    """
    names = list(systems)
    if len(names) < 2:
        return [s.key for s in systems[names[0]].scorers] if names else []
    first = names[0]
    ids = set(systems[first].ids)
    for name in names[1:]:
        other = set(systems[name].ids)
        if other != ids:
            raise IncomparableError(
                f"cannot compare {first!r} and {name!r}: their examples differ "
                f"({len(ids - other)} ids only in {first!r}, e.g. {_some(ids - other)}; "
                f"{len(other - ids)} only in {name!r}, e.g. {_some(other - ids)}). "
                "Paired comparisons need the same examples, matched by id.")
    keys = [s.key for s in systems[first].scorers]
    scorers = {name: {s.key: s for s in systems[name].scorers} for name in names}
    shared = [k for k in keys if all(k in scorers[name] for name in names)]
    for k in shared:
        for name in names[1:]:
            problem = signature_difference(scorers[first][k], scorers[name][k])
            if problem:
                raise IncomparableError(f"cannot compare {first!r} and {name!r} on {k!r}: {problem}")
    return shared


def _some(ids: set, k: int = 3) -> str:
    return ", ".join(repr(x) for x in sorted(ids, key=str)[:k]) or "none"


def compare(a: Any, b: Any, method: str = "ar", n: int | None = None, seed: int | None = SEED,
            keys: Sequence[str] | None = None, names: tuple[str, str] = ("A", "B")) -> list[Comparison]:
    """Paired test of `Results` ``b`` against ``a`` on each metric (default: every key of every
    shared scorer), on the examples both succeeded on, matched by id (in ``a``'s order).

    ``method``: ``"ar"`` (approximate randomisation, default, 10000 trials) or ``"bs"`` (paired
    bootstrap, 1000 resamples); ``n`` overrides the count. Raises `IncomparableError` when the
    runs' example ids or scorer signatures differ. Uncorrected; see `compare_systems`.
    """
    if method not in TESTS:
        raise ValueError(f"unknown test {method!r}; one of {', '.join(TESTS)}")
    test, count = TESTS[method], n or METHODS[method]
    out = []
    for key in shared_metrics({names[0]: a, names[1]: b}):
        ra, rb = a.by_scorer[key], b.by_scorer[key]
        wanted = [k for k in ra.scorer.keys() if keys is None or k in keys]
        if not wanted:
            continue
        ok_b = set(rb.ids)
        ids = [x for x in ra.ids if x in ok_b]
        if not ids:
            raise IncomparableError(f"no example where both {names[0]!r} and {names[1]!r} have {key!r}")
        results = test(ra.scorer, ra.subset(ids), rb.subset(ids), count, seed)
        for k in wanted:
            t = results[k]
            out.append(Comparison(**asdict(t), a=names[0], b=names[1], metric=k,
                                  higher_is_better=ra.scorer.higher_is_better))
    return out


def compare_systems(systems: Mapping[str, Any], baseline: str | None = None, method: str = "ar",
                    correction: str = "holm", alpha: float = 0.05, n: int | None = None,
                    seed: int | None = SEED, keys: Sequence[str] | None = None) -> list[Comparison]:
    """Paired tests between named `Results`: every system against ``baseline``, or all pairs.

    p-values are corrected over the comparisons of each metric (Holm by default, ``"bh"`` for
    Benjamini–Hochberg, ``"none"``); ``significant`` is ``p_adjusted < alpha``.
    """
    names = list(systems)
    if baseline is not None and baseline not in systems:
        raise ValueError(f"baseline {baseline!r} is not one of the systems: {', '.join(names)}")
    shared_metrics(systems)  # refuse before any test runs
    if baseline is not None:
        pairs = [(baseline, x) for x in names if x != baseline]
    else:
        pairs = list(itertools.combinations(names, 2))
    raw = [c for a, b in pairs for c in compare(systems[a], systems[b], method, n, seed, keys, (a, b))]
    return correct(raw, correction, alpha)


def correct(comparisons: Sequence[Comparison], correction: str = "holm", alpha: float = 0.05) -> list[Comparison]:
    """The comparisons with ``p_adjusted`` / ``significant`` set, correcting within each metric
    (and task) family."""
    out = list(comparisons)
    families: dict[tuple, list[int]] = {}
    for i, c in enumerate(out):
        families.setdefault((c.task, c.metric), []).append(i)
    for members in families.values():
        adjusted = adjust([out[i].p_value for i in members], correction)
        for i, p in zip(members, adjusted):
            out[i] = replace(out[i], p_adjusted=float(p), significant=bool(p < alpha), correction=correction,
                             alpha=alpha)
    return out
