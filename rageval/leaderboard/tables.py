"""Leaderboard writers for text formats: Markdown (GitHub tables), CSV, JSON and LaTeX (booktabs).

Names and metric ids come from user data and are escaped for each format: Markdown punctuation
is backslash-escaped (so ``<img ...>`` is text, not HTML), LaTeX specials are escaped.
"""
from __future__ import annotations

import csv as _csv
import io
import json
import math
import re
from typing import TYPE_CHECKING

from rageval.leaderboard.formatting import BEATS, coverage, decimals, interval, legend, marks, number, rank_range

if TYPE_CHECKING:
    from rageval.leaderboard.model import Cell, Leaderboard, System

# Markdown/HTML punctuation; "_" only where it could start or end emphasis (not inside a word)
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|&~]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "<": r"\textless{}", ">": r"\textgreater{}"}


def md_escape(text: str) -> str:
    """Backslash-escape Markdown/HTML punctuation; newlines become spaces (one table row)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in " ".join(str(text).split()))


def markdown(board: Leaderboard) -> str:
    """A GitHub-flavoured Markdown table with a legend."""
    has_wr = any(s.win_rate for s in board.systems)
    head = ["#", "System", "Rank"] + [md_escape(m.id) + (" ↓" if not m.higher_is_better else "")
                                      for m in board.metrics] + (["Mean win rate"] if has_wr else [])
    align = ["---:", ":---", ":---:"] + ["---:"] * (len(head) - 3)
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    for i, s in enumerate(board.systems, 1):
        name = md_escape(s.name) + (" (baseline)" if s.name == board.baseline else "")
        row = [str(i), name, rank_range(s.rank_low, s.rank_high)]
        for m in board.metrics:
            cell = s.metrics.get(m.id)
            row.append(_md_cell(board, s, m.id, cell, decimals(board, m.id)))
        if has_wr:
            row.append(_md_cell(board, s, None, s.win_rate, 3))
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.extend(md_escape(x) for x in legend(board))
    return "\n".join(lines) + "\n"


def _md_cell(board: Leaderboard, s: System, column: str | None, cell: Cell | None, digits: int) -> str:
    if cell is None:
        return "–"
    text = f"{number(cell.value, digits)} {interval(cell, digits)}{coverage(cell)}"
    if column is not None:
        mark, rows = marks(board, s, column)
        if mark:
            text += f" {mark}" + (",".join(map(str, rows)) if mark == BEATS else "")
    return text


def csv(board: Leaderboard) -> str:
    """One row per system: rank range, then value and interval of each metric (full precision)."""
    out = io.StringIO()
    w = _csv.writer(out, lineterminator="\n")
    cols = [m.id for m in board.metrics]
    has_wr = any(s.win_rate for s in board.systems)
    header = ["system", "rank_low", "rank_high"]
    for c in cols + (["mean_win_rate"] if has_wr else []):
        header += [c, f"{c}.ci_low", f"{c}.ci_high"]
    w.writerow(header)
    for s in board.systems:
        row = [s.name, s.rank_low, s.rank_high]
        for cell in [s.metrics.get(c) for c in cols] + ([s.win_rate] if has_wr else []):
            row += ["", "", ""] if cell is None else [_plain(cell.value), _plain(cell.ci_low), _plain(cell.ci_high)]
        w.writerow(row)
    return out.getvalue()


def _plain(x: float) -> str:
    return "" if math.isnan(x) else repr(float(x))


def json_text(board: Leaderboard) -> str:
    """``Leaderboard.to_dict()`` as JSON (NaN written as null)."""
    return json.dumps(board.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def latex(board: Leaderboard) -> str:
    """A booktabs ``tabular`` (needs ``\\usepackage{booktabs}``) followed by the legend as a comment."""
    has_wr = any(s.win_rate for s in board.systems)
    spec = "rlc" + "r" * (len(board.metrics) + has_wr)
    head = [r"\#", "System", "Rank"] + [latex_escape(m.id) + ("" if m.higher_is_better else r" $\downarrow$")
                                        for m in board.metrics] + (["Mean win rate"] if has_wr else [])
    lines = [rf"\begin{{tabular}}{{{spec}}}", r"\toprule", " & ".join(head) + r" \\", r"\midrule"]
    for i, s in enumerate(board.systems, 1):
        row = [str(i), latex_escape(s.name) + (" (baseline)" if s.name == board.baseline else ""),
               rank_range(s.rank_low, s.rank_high).replace("–", "--")]
        for m in board.metrics:
            row.append(_latex_cell(board, s, m.id, s.metrics.get(m.id), decimals(board, m.id)))
        if has_wr:
            row.append(_latex_cell(board, s, None, s.win_rate, 3))
        lines.append(" & ".join(row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    lines += ["% " + latex_escape(x) for x in legend(board)]
    return "\n".join(lines) + "\n"


def _latex_cell(board: Leaderboard, s: System, column: str | None, cell: Cell | None, digits: int) -> str:
    if cell is None:
        return "--"
    small = f"{interval(cell, digits)}{latex_escape(coverage(cell))}"
    text = rf"{number(cell.value, digits)} {{\scriptsize {small}}}".replace("–", "--")
    if column is not None:
        mark, rows = marks(board, s, column)
        if mark == BEATS:
            text += rf"$^{{{','.join(map(str, rows))}}}$"
        elif mark:
            text += r"$^{\uparrow}$" if mark == "▲" else r"$^{\downarrow}$"
    return text
