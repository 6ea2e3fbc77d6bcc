"""The leaderboard as one self-contained HTML page: a sortable table, a per-metric interval plot
in inline SVG and the list of comparisons; no external resource of any kind.

Everything that comes from user data (system, task and metric names, signatures, notes) is
escaped with `html.escape` (quotes included) and never placed inside the script, which is a
constant. A Content-Security-Policy allows only that script (by its hash) and no network.
Sorting: click a column header, or open the page with ``#sort=<column id>-<asc|desc>``.
"""
from __future__ import annotations

import base64
import hashlib
import html
import math
from typing import TYPE_CHECKING

from rageval.leaderboard.formatting import BEATS, coverage, decimals, interval, legend, marks, number, rank_range

if TYPE_CHECKING:
    from rageval.leaderboard.model import Cell, Leaderboard, System

TITLE = "rageval leaderboard"

SCRIPT = """
(function () {
  var table = document.getElementById('board');
  if (!table) { return; }
  var tbody = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  function key(row, i) { return row.cells[i].getAttribute('data-value') || ''; }
  function sortBy(i, dir) {
    var numeric = heads[i].getAttribute('data-type') === 'num';
    var rows = Array.prototype.slice.call(tbody.rows);
    rows.sort(function (a, b) {
      var x = key(a, i), y = key(b, i), r;
      if (numeric) {
        var xn = x === '' ? NaN : parseFloat(x), yn = y === '' ? NaN : parseFloat(y);
        if (isNaN(xn) || isNaN(yn)) { return isNaN(xn) - isNaN(yn); }
        r = xn - yn;
      } else {
        r = x.localeCompare(y);
      }
      return dir === 'asc' ? r : -r;
    });
    rows.forEach(function (row) { tbody.appendChild(row); });
    for (var j = 0; j < heads.length; j++) { heads[j].removeAttribute('aria-sort'); }
    heads[i].setAttribute('aria-sort', dir === 'asc' ? 'ascending' : 'descending');
  }
  function column(id) {
    for (var j = 0; j < heads.length; j++) { if (heads[j].getAttribute('data-col') === id) { return j; } }
    return -1;
  }
  Array.prototype.forEach.call(heads, function (th, i) {
    var button = th.querySelector('button');
    if (!button) { return; }
    button.addEventListener('click', function () {
      var now = th.getAttribute('aria-sort');
      var dir = now ? (now === 'ascending' ? 'desc' : 'asc') : th.getAttribute('data-first');
      sortBy(i, dir);
      try { history.replaceState(null, '', '#sort=' + th.getAttribute('data-col') + '-' + dir); } catch (e) {}
    });
  });
  var m = /^#sort=(c[0-9]+)-(asc|desc)$/.exec(location.hash);
  if (m && column(m[1]) >= 0) { sortBy(column(m[1]), m[2]); }
})();
"""

STYLE = """
:root { color-scheme: light; --ink: #1d2330; --muted: #5f6b7a; --line: #d9dee5; --accent: #2458c6;
        --good: #137a3c; --bad: #b42318; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 2rem 0 .5rem; }
.meta, .legend, .note { color: var(--muted); font-size: .9rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { padding: .45rem .6rem; border-bottom: 1px solid var(--line); text-align: right; vertical-align: top; }
th.name, td.name { text-align: left; overflow-wrap: anywhere; min-width: 9rem; }
thead th { position: sticky; top: 0; background: #f4f6f9; }
thead th button { font: inherit; font-weight: 600; border: 0; background: none; cursor: pointer; padding: 0;
                  color: var(--ink); }
thead th[aria-sort=ascending] button::after { content: " \\25B2"; color: var(--accent); }
thead th[aria-sort=descending] button::after { content: " \\25BC"; color: var(--accent); }
tbody tr:nth-child(even) { background: #fafbfc; }
.ci { display: block; color: var(--muted); font-size: .8rem; white-space: nowrap; }
.better { color: var(--good); font-weight: 600; }
.worse { color: var(--bad); font-weight: 600; }
.beats { color: var(--good); font-size: .8rem; }
figure { margin: 1rem 0 1.5rem; }
figcaption { font-weight: 600; margin-bottom: .25rem; }
svg text { font: 12px system-ui, sans-serif; fill: var(--ink); }
svg .axis { stroke: var(--line); }
svg .interval { stroke: var(--accent); stroke-width: 3; }
svg .point { fill: var(--ink); }
svg .baseline .interval { stroke: #8a5a00; }
details { margin: 1rem 0; }
"""


def e(text: object) -> str:
    """HTML-escape user data (quotes too), for text and attribute values alike."""
    return html.escape(str(text), quote=True)


def page(board: Leaderboard) -> str:
    """The whole page as a string."""
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    csp = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'"
    tasks = [t for t in board.tasks if t is not None]
    meta = f"{len(board.systems)} systems" + (f" · tasks: {', '.join(map(str, tasks))}" if tasks else "")
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{TITLE}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
             "<h1>Leaderboard</h1>", f'<p class="meta">{e(meta)}</p>', _table(board),
             '<div class="legend">' + "".join(f"<p>{e(x)}</p>" for x in legend(board)) + "</div>",
             "<h2>Intervals</h2>", *(_plot(board, i) for i in range(len(board.metrics))),
             _comparisons(board), f"<script>{SCRIPT}</script>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _table(board: Leaderboard) -> str:
    has_wr = any(s.win_rate for s in board.systems)
    heads = [("#", "num", "asc", ""), ("System", "text", "asc", "name"), ("Rank", "num", "asc", "")]
    heads += [(m.id + ("" if m.higher_is_better else " ↓"), "num", "desc" if m.higher_is_better else "asc", "")
              for m in board.metrics]
    if has_wr:
        heads.append(("Mean win rate", "num", "desc", ""))
    cells = []
    for i, (label, kind, first, cls) in enumerate(heads):
        title = ""
        if 3 <= i < 3 + len(board.metrics):
            title = f' title="{e(board.metrics[i - 3].signature)}"'
        css = ' class="name"' if cls == "name" else ""
        cells.append(f'<th scope="col" data-col="c{i}" data-type="{kind}" data-first="{first}"{css}{title}>'
                     f'<button type="button">{e(label)}</button></th>')
    rows = []
    for n, s in enumerate(board.systems, 1):
        tds = [f'<td data-value="{n}">{n}</td>',
               f'<th scope="row" class="name" data-value="{e(s.name)}">{e(s.name)}'
               + (' <span class="note">(baseline)</span>' if s.name == board.baseline else "") + "</th>",
               f'<td data-value="{_sortable(s.rank_low)}">{e(rank_range(s.rank_low, s.rank_high))}</td>']
        for m in board.metrics:
            tds.append(_cell(board, s, m.id, s.metrics.get(m.id), decimals(board, m.id)))
        if has_wr:
            tds.append(_cell(board, s, None, s.win_rate, 3))
        rows.append(f'<tr data-system="{e(s.name)}">' + "".join(tds) + "</tr>")
    return ('<table id="board">\n<thead><tr>' + "".join(cells) + "</tr></thead>\n<tbody>\n"
            + "\n".join(rows) + "\n</tbody>\n</table>")


def _sortable(x: float | int | None) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else repr(x)


def _cell(board: Leaderboard, s: System, column: str | None, cell: Cell | None, digits: int) -> str:
    if cell is None:
        return '<td data-value="">–</td>'
    mark_html = ""
    if column is not None:
        mark, rows = marks(board, s, column)
        if mark == BEATS:
            mark_html = f' <span class="beats" title="significantly better than #{",".join(map(str, rows))}">' \
                        f'{BEATS}{",".join(map(str, rows))}</span>'
        elif mark:
            cls = "better" if mark == "▲" else "worse"
            mark_html = f' <span class="{cls}" title="significantly {cls} than the baseline">{mark}</span>'
    return (f'<td data-value="{_sortable(cell.value)}">{number(cell.value, digits)}{mark_html}'
            f'<span class="ci">{interval(cell, digits)}{coverage(cell)}</span></td>')


def _plot(board: Leaderboard, index: int) -> str:
    """One metric's values and intervals, a row per system, as inline SVG."""
    m = board.metrics[index]
    digits = decimals(board, m.id)
    rows = [(s, s.metrics[m.id]) for s in board.systems if m.id in s.metrics and not math.isnan(s.metrics[m.id].value)]
    if not rows:
        return ""
    lows = [min(c.ci_low, c.value) for _, c in rows if not math.isnan(c.ci_low)] or [c.value for _, c in rows]
    highs = [max(c.ci_high, c.value) for _, c in rows if not math.isnan(c.ci_high)] or [c.value for _, c in rows]
    lo, hi = min(lows), max(highs)
    pad = (hi - lo) * 0.05 or max(abs(hi), 1.0) * 0.05
    lo, hi = lo - pad, hi + pad
    left, width, row_h, top = 200, 420, 24, 10
    height = top + row_h * len(rows) + 30

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * width

    out = [f'<figure><figcaption>{e(m.id)}{"" if m.higher_is_better else " (lower is better)"}</figcaption>',
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 20}" height="{height}" role="img" '
           f'aria-label="{e(m.id)}: values and intervals">']
    for i, (s, c) in enumerate(rows):
        y = top + row_h * i + row_h / 2
        label = s.name if len(s.name) <= 26 else s.name[:25] + "…"
        cls = ' class="baseline"' if s.name == board.baseline else ""
        out.append(f"<g{cls}><title>{e(s.name)}: {number(c.value, digits)} {interval(c, digits)}</title>"
                   f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{e(label)}</text>')
        if not (math.isnan(c.ci_low) or math.isnan(c.ci_high)):
            out.append(f'<line class="interval" x1="{x(c.ci_low):.1f}" x2="{x(c.ci_high):.1f}" '
                       f'y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<circle class="point" cx="{x(c.value):.1f}" cy="{y:.1f}" r="4"/></g>')
    axis_y = top + row_h * len(rows) + 6
    out.append(f'<line class="axis" x1="{left}" x2="{left + width}" y1="{axis_y}" y2="{axis_y}"/>')
    ticks = (lo + pad, (lo + hi) / 2, hi - pad) if number(lo + pad, digits) != number(hi - pad, digits) else (lo + pad,)
    for v in ticks:
        out.append(f'<text x="{x(v):.1f}" y="{axis_y + 16}" text-anchor="middle">{number(v, digits)}</text>')
    out.append("</svg></figure>")
    return "".join(out)


def _comparisons(board: Leaderboard) -> str:
    if not board.comparisons:
        return ""
    head = "".join(f"<th>{h}</th>" for h in ("A", "B", "Metric", "B − A", "p", "p adjusted", "Significant"))
    rows = []
    for c in board.comparisons:
        metric = c.metric if c.task is None or len(board.tasks) < 2 else f"{c.task}/{c.metric}"
        rows.append("<tr>" + "".join(f"<td>{x}</td>" for x in (
            e(c.a), e(c.b), e(metric), f"{c.delta:+.4g}", f"{c.p_value:.4g}",
            "–" if c.p_adjusted is None else f"{c.p_adjusted:.4g}", "yes" if c.significant else "no")) + "</tr>")
    return (f"<details><summary>Paired comparisons ({len(board.comparisons)})</summary>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></details>")
