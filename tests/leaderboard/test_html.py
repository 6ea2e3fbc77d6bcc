"""The HTML leaderboard in a real headless browser (Debian's ``chromium``): the table renders, sorts
(by the page's own script, through ``#sort=``), and user data shows as text and runs nothing."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest

import rageval
from rageval.leaderboard import build_leaderboard

BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no chromium on PATH (Debian: apt-get install chromium)")

EVIL = "<img src=x onerror=alert(1)>"
EVIL_ATTR = "x\" onmouseover=\"document.title='pwned'\" data-q='"
EVIL_SCRIPT = "<script>document.title='pwned'</script>"
REFS = ["paris", "blue whale", "neil armstrong", "oxygen", "tokyo", "1969"]


def results(quality: float, seed: int):
    rng = np.random.default_rng(seed)
    data = [{"id": f"q{i}", "answer": REFS[i % 6] if rng.random() < quality else "no idea", "references": [REFS[i % 6]]}
            for i in range(120)]
    return rageval.evaluate(data, scorers=["exact_match", "token_f1", "bleu"])


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    board = build_leaderboard({EVIL: results(0.9, 1), EVIL_ATTR: results(0.5, 2), EVIL_SCRIPT: results(0.2, 3),
                               "plain": results(0.6, 4)}, n_trials=500)
    folder = tmp_path_factory.mktemp("html")
    path = folder / "board.html"
    path.write_text(board.render("html"), encoding="utf-8")
    return board, path


def chromium(*args: str, tmp) -> subprocess.CompletedProcess:
    cmd = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=True)


class Dom(HTMLParser):
    """The elements of a dumped DOM: tag names, the table's row order and name cells, the title."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.rows: list[str] = []
        self.names: list[str] = []
        self.title = ""
        self._in: list[str] = []
        self._name_cell = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        self._in.append(tag)
        if tag == "tr" and "data-system" in a:
            self.rows.append(a["data-system"])
        if tag == "th" and a.get("scope") == "row":
            self._name_cell = True
            self.names.append("")

    def handle_endtag(self, tag):
        if tag == "th":
            self._name_cell = False
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        if self._in and self._in[-1] == "title" and "body" not in self._in:  # not the SVG titles
            self.title += data
        if self._name_cell:
            self.names[-1] += data


def dump(path, fragment: str, tmp) -> Dom:
    out = chromium("--virtual-time-budget=3000", "--dump-dom", path.as_uri() + fragment, tmp=tmp).stdout
    dom = Dom()
    dom.feed(out)
    assert dom.rows, f"no table rows in the dumped DOM: {out[:500]!r}"
    return dom


def column(board, metric: str) -> str:
    return f"c{3 + [m.id for m in board.metrics].index(metric)}"


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sorted_by_the_page_script(page, tmp_path, direction):
    board, path = page
    dom = dump(path, f"#sort={column(board, 'token_f1')}-{direction}", tmp_path)
    expected = sorted(board.systems, key=lambda s: s.metrics["token_f1"].value, reverse=direction == "desc")
    assert dom.rows == [s.name for s in expected]
    sorted_head = [a for t, a in dom.tags if t == "th" and a.get("aria-sort")]
    assert [a["data-col"] for a in sorted_head] == [column(board, "token_f1")]


def test_sort_by_name(page, tmp_path):
    board, path = page
    ascending, descending = dump(path, "#sort=c1-asc", tmp_path).rows, dump(path, "#sort=c1-desc", tmp_path).rows
    assert sorted(ascending) == sorted(s.name for s in board.systems)
    assert descending == ascending[::-1]
    assert ascending.index("plain") > ascending.index(EVIL)  # "<img..." before "plain" in any collation


def test_user_data_is_text_and_runs_nothing(page, tmp_path):
    board, path = page
    dom = dump(path, "", tmp_path)
    assert dom.rows == [s.name for s in board.systems]   # unsorted: rank order
    assert [n.strip().replace(" (baseline)", "") for n in dom.names] == [s.name for s in board.systems]
    tags = [t for t, _ in dom.tags]
    assert "img" not in tags
    assert tags.count("script") == 1                      # the page's own script only
    assert dom.title == "rageval leaderboard"
    assert not any("onmouseover" in a or "onerror" in a for _, a in dom.tags)


def test_self_contained(page):
    _, path = page
    text = path.read_text(encoding="utf-8")
    dom = Dom()
    dom.feed(text)
    assert not any({"src", "href"} & set(a) for _, a in dom.tags)
    assert not {"link", "img", "iframe", "object", "embed"} & {t for t, _ in dom.tags}
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text)
    assert "Content-Security-Policy" in text and "default-src 'none'" in text


def test_screenshot_shows_the_table(page, tmp_path):
    import matplotlib.image

    _, path = page
    shot = tmp_path / "shot.png"
    chromium("--hide-scrollbars", "--window-size=1200,900", f"--screenshot={shot}", path.as_uri(), tmp=tmp_path)
    img = matplotlib.image.imread(str(shot))[..., :3]
    assert img.shape[:2] == (900, 1200)
    dark = img.mean(axis=2) < 0.5                          # text and plot strokes
    assert dark.mean() > 0.005, "the screenshot is blank"
    # the table: rows of dark text below the heading, in the upper part of the page
    rows_with_text = np.flatnonzero(dark[:, :].any(axis=1))
    assert len(rows_with_text) > 100
    header_band = img[100:200].reshape(-1, 3)
    assert (np.abs(header_band - np.array([0xf4, 0xf6, 0xf9]) / 255).max(axis=1) < 0.01).mean() > 0.05, \
        "the table header's background is not where the table should be"
    assert os.path.getsize(shot) > 10_000
