"""How a leaderboard's numbers are written, shared by every writer (`tables`, `html`): decimals per
metric scale, intervals, rank ranges, significance marks and the legend that explains them."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rageval.leaderboard.model import Cell, Leaderboard, System

BETTER, WORSE, BEATS = "▲", "▼", "≻"


def decimals(board: Leaderboard, column: str) -> int:
    """2 decimals for metrics on a 0-100 scale (BLEU, chrF, TER), 3 for 0-1 scales: from the
    scorer's declared bounds where they are finite, else from the values shown."""
    bounds = next((m.bounds for m in board.metrics if m.id == column), None)
    if bounds is not None and math.isfinite(bounds[1]):
        return 2 if bounds[1] > 1.5 else 3
    values = [abs(v) for s in board.systems if column in s.metrics
              for v in (s.metrics[column].value, s.metrics[column].ci_low, s.metrics[column].ci_high)
              if not math.isnan(v)]
    return 2 if values and max(values) > 1.5 else 3


def number(x: float, digits: int) -> str:
    return "–" if x is None or math.isnan(x) else f"{x:.{digits}f}"


def interval(cell: Cell, digits: int) -> str:
    return f"[{number(cell.ci_low, digits)}, {number(cell.ci_high, digits)}]"


def coverage(cell: Cell) -> str:
    """`` (95.0% covered)`` where the value leaves examples out (flagged as undefined, or failed), else ""."""
    return "" if cell.covered >= 1.0 or math.isnan(cell.covered) else f" ({100 * cell.covered:.1f}% covered)"


def rank_range(low: int | None, high: int | None) -> str:
    if low is None:
        return "–"
    return str(low) if low == high else f"{low}–{high}"


def marks(board: Leaderboard, system: System, column: str) -> tuple[str, list[int]]:
    """The significance mark of a cell: (``BETTER``/``WORSE``, []) against the baseline, or
    (``BEATS``, [row numbers of the systems it is significantly better than]); ("", []) if none."""
    cell = system.metrics.get(column)
    if cell is None:
        return "", []
    if board.baseline is not None:
        if board.baseline in cell.better_than:
            return BETTER, []
        if board.baseline in cell.worse_than:
            return WORSE, []
        return "", []
    rows = {s.name: i + 1 for i, s in enumerate(board.systems)}
    beaten = sorted(rows[n] for n in cell.better_than if n in rows)
    return (BEATS, beaten) if beaten else ("", [])


def legend(board: Leaderboard) -> list[str]:
    """Plain-text sentences explaining the numbers and marks."""
    st = board.settings
    level = int(round(100 * (1 - st["alpha"])))
    lines = [f"Values: the metric on all examples, with its {level}% {st['interval']} interval "
             f"({st['n_resamples']} resamples, seed {st['seed']}).",
             "Rank: the ranks consistent with the intervals (systems whose intervals overlap share a range); "
             f"ranked by {'mean win rate (HELM)' if board.ranked_by == 'mean_win_rate' else board.ranked_by}."]
    test = (f"{st['test']}, {st['n_trials']} {'trials' if 'random' in st['test'] else 'resamples'}, "
            f"{ {'holm': 'Holm', 'bh': 'Benjamini–Hochberg', 'none': 'no'}.get(st['correction'], st['correction'])} "
            f"correction per metric, α = {st['alpha']}")
    if board.baseline is not None:
        lines.append(f"{BETTER} / {WORSE}: significantly better / worse than the baseline {board.baseline} ({test}).")
    elif len(board.systems) > 1:
        lines.append(f"{BEATS}n: significantly better than system #n ({test}).")
    if any(s.win_rate for s in board.systems):
        lines.append("Mean win rate: the fraction of other systems beaten, averaged over the metric columns (HELM).")
    if any(c.covered < 1.0 for s in board.systems for c in s.metrics.values()):
        lines.append("x% covered: the value is the mean over that share of the examples; the others were flagged "
                     "as undefined for the metric (e.g. an answer with no claims) or failed, and left out.")
    lines.extend(f"Note: {n}" for n in board.notes)
    return lines
