"""Leaderboards from run directories: values, intervals and rank ranges, significance marks, HELM's
mean win rate over tasks, refusal of incomparable runs, the md/csv/json/latex writers and the CLI."""
from __future__ import annotations

import csv
import io
import json
import os
from collections import defaultdict

import numpy as np
import pytest

import rageval
from rageval.core.scorer import MeanScorer
from rageval.leaderboard import build_leaderboard
from rageval.leaderboard.cli import main
from rageval.leaderboard.model import helm_win_rates
from rageval.leaderboard.tables import latex_escape, md_escape
from rageval.stats import IncomparableError, confidence_intervals

REFS = ["paris", "blue whale", "neil armstrong", "oxygen", "tokyo", "1969", "the pacific ocean", "mount everest"]
N = 160
EVIL = "<img src=x onerror=alert(1)> & | _x_ %$#{}"


def answers(quality: float, seed: int) -> list[str]:
    """The reference with probability ``quality``, else a wrong answer with partial overlap."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(N):
        ref = REFS[i % len(REFS)]
        out.append(ref if rng.random() < quality else f"{ref.split()[0]} perhaps" if rng.random() < 0.5 else "no idea")
    return out


def make_run(path, quality, seed, task=None, scorers=("exact_match", "token_f1", "bleu"), ids=None):
    data = [{"id": ids[i] if ids else f"q{i}", "answer": a, "references": [REFS[i % len(REFS)]]}
            for i, a in enumerate(answers(quality, seed))]
    rageval.evaluate(data, scorers=list(scorers), output=str(path), task=task)
    return str(path)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return {"strong": make_run(root / "strong", 0.9, 1), "weak": make_run(root / "weak", 0.2, 2),
            "weak2": make_run(root / "weak2", 0.2, 3)}


@pytest.fixture(scope="module")
def board(runs):
    return build_leaderboard(list(runs.values()), n_trials=2000)


def test_systems_named_after_run_directories_with_values_and_intervals(board, runs):
    assert sorted(s.name for s in board.systems) == sorted(runs)
    assert [m.id for m in board.metrics] == ["exact_match", "token_f1", "bleu"]
    for s in board.systems:
        res = rageval.load_results(runs[s.name])
        ci = confidence_intervals(res, n=1000)
        for key, cell in s.metrics.items():
            assert cell.value == res.aggregate[key]
            assert (cell.ci_low, cell.ci_high) == (ci[key].low, ci[key].high)
            assert cell.n == N


def test_rank_ranges_and_marks(board):
    order = [s.name for s in board.systems]
    assert order[0] == "strong" and board.ranked_by == "mean_win_rate"
    top = board.systems[0]
    assert (top.metrics["token_f1"].rank_low, top.metrics["token_f1"].rank_high) == (1, 1)
    for s in board.systems[1:]:  # the two weak systems overlap: they share ranks 2-3
        assert (s.metrics["token_f1"].rank_low, s.metrics["token_f1"].rank_high) == (2, 3)
    assert sorted(top.metrics["token_f1"].better_than) == ["weak", "weak2"]
    weak = next(s for s in board.systems if s.name == "weak")
    assert weak.metrics["token_f1"].worse_than == ["strong"]
    assert "weak2" not in weak.metrics["token_f1"].better_than
    # every pair on every metric, Holm within each metric
    assert len(board.comparisons) == 3 * 3
    assert all(c.correction == "holm" and c.method == "ar" for c in board.comparisons)


def test_rank_by_a_metric_and_interval_overlap_rule(runs):
    board = build_leaderboard(list(runs.values()), rank_by="token_f1", n_trials=500)
    assert board.ranked_by == "token_f1"
    cells = [s.metrics["token_f1"] for s in board.systems]
    for c in cells:
        above = sum(o.ci_low > c.ci_high for o in cells)
        below = sum(o.ci_high < c.ci_low for o in cells)
        assert (c.rank_low, c.rank_high) == (1 + above, len(cells) - below)
    assert [s.rank_low for s in board.systems] == [c.rank_low for c in cells]


def test_json_form(board):
    data = json.loads(board.render("json"))
    assert {"systems", "comparisons"} <= set(data)
    for s in data["systems"]:
        assert {"name", "metrics", "rank_low", "rank_high"} <= set(s)
        for cell in s["metrics"].values():
            assert {"value", "ci_low", "ci_high"} <= set(cell)
            assert cell["ci_low"] <= cell["value"] <= cell["ci_high"]
    for c in data["comparisons"]:
        assert {"a", "b", "metric", "p_value", "significant"} <= set(c)
        assert 0 < c["p_value"] <= 1 and isinstance(c["significant"], bool)


def test_baseline_mode(runs):
    board = build_leaderboard(list(runs.values()), baseline="weak", n_trials=500)
    assert {(c.a, c.b) for c in board.comparisons} == {("weak", "strong"), ("weak", "weak2")}
    md = board.render("md")
    assert "weak (baseline)" in md and "▲" in md and "significantly better / worse than the baseline weak" in md
    with pytest.raises(ValueError, match="baseline 'nobody'"):
        build_leaderboard(list(runs.values()), baseline="nobody")


def test_markdown(board):
    md = board.render("md")
    lines = md.splitlines()
    assert lines[0].startswith("| # | System | Rank | exact_match | token_f1 | bleu | Mean win rate |")
    rows = [line for line in lines if line.startswith("| ") and line[2].isdigit()]
    assert [r.split(" | ")[1] for r in rows] == [s.name for s in board.systems]
    assert "≻2,3" in rows[0]  # strong beats both weak systems on some metric


def test_csv_round_trip(board):
    rows = list(csv.DictReader(io.StringIO(board.render("csv"))))
    assert [r["system"] for r in rows] == [s.name for s in board.systems]
    for r, s in zip(rows, board.systems):
        for key, cell in s.metrics.items():
            assert float(r[key]) == cell.value and float(r[f"{key}.ci_low"]) == cell.ci_low
        assert float(r["mean_win_rate"]) == s.win_rate.value


def test_latex(board):
    tex = board.render("latex")
    assert tex.startswith("\\begin{tabular}{rlcrrrr}") and "\\bottomrule" in tex
    assert tex.count(" \\\\\n") == len(board.systems) + 1


def test_escaping_in_text_formats():
    assert md_escape(EVIL) == "\\<img src=x onerror=alert(1)\\> \\& \\| \\_x\\_ %$#{}"
    assert md_escape("exact_match\nrow") == "exact_match row"
    assert latex_escape(EVIL) == ("\\textless{}img src=x onerror=alert(1)\\textgreater{} \\& | \\_x\\_ "
                                  "\\%\\$\\#\\{\\}")


def test_user_names_escaped_in_every_format(runs):
    board = build_leaderboard({EVIL: runs["strong"], "plain": runs["weak"]}, n_trials=200)
    assert EVIL not in board.render("md") and md_escape(EVIL) in board.render("md")
    assert latex_escape(EVIL) in board.render("latex")
    assert EVIL in [r["system"] for r in csv.DictReader(io.StringIO(board.render("csv")))]
    assert EVIL in [s["name"] for s in json.loads(board.render("json"))["systems"]]
    page = board.render("html")
    assert EVIL not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


class Errors(MeanScorer):
    """A lower-is-better metric (the fraction of wrong answers)."""

    name = "error_rate"
    higher_is_better = False
    fields = ("answer", "references")

    def score_batch(self, batch):
        return [float(a != r[0]) for a, r in zip(batch["answer"], batch["references"])]


def test_lower_is_better_column():
    def res(quality, seed):
        data = [{"id": f"q{i}", "answer": a, "references": [REFS[i % len(REFS)]]}
                for i, a in enumerate(answers(quality, seed))]
        return rageval.evaluate(data, scorers=[Errors()])
    board = build_leaderboard({"bad": res(0.1, 1), "good": res(0.9, 2)}, n_trials=500)
    assert [s.name for s in board.systems] == ["good", "bad"]
    assert board.systems[0].metrics["error_rate"].better_than == ["bad"]
    assert (board.systems[0].rank_low, board.systems[1].rank_low) == (1, 2)
    assert "error_rate ↓" in board.render("md")


# --- several tasks: HELM mean win rate -------------------------------------------------------
def helm_reference(table: list[list[float | None]], lower_is_better: list[bool]) -> list[float | None]:
    """HELM's ``compute_aggregate_row_win_rates`` (helm/benchmark/presentation/summarize.py), rows x columns."""
    per_row = defaultdict(list)
    for j, lower in enumerate(lower_is_better):
        counts = defaultdict(int)
        for row in table:
            if row[j] is not None:
                counts[row[j]] += 1
        wins, acc = {}, 0
        for value, count in sorted(counts.items(), reverse=lower):
            wins[value] = acc + (count - 1) / 2
            acc += count
        if acc < 2:
            continue
        for i, row in enumerate(table):
            if row[j] is not None:
                per_row[i].append(wins[row[j]] / (acc - 1))
    return [float(np.mean(per_row[i])) if per_row[i] else None for i in range(len(table))]


@pytest.mark.parametrize("seed", range(40))
def test_win_rates_equal_helm(seed):
    rng = np.random.default_rng(seed)
    k, m = int(rng.integers(2, 7)), int(rng.integers(1, 6))
    values = rng.integers(0, 4, size=(k, m)).astype(float)  # many ties
    values[rng.random((k, m)) < 0.15] = np.nan
    lower = [bool(x) for x in rng.random(m) < 0.3]
    rates = np.array([helm_win_rates(values[:, [j]], not lower[j])[:, 0] for j in range(m)]).T
    ours = [float(np.nanmean(r)) if not np.all(np.isnan(r)) else None for r in rates]
    table = [[None if np.isnan(v) else float(v) for v in row] for row in values]
    ref = helm_reference(table, lower)
    assert [None if x is None else pytest.approx(x) for x in ref] == ours


def test_several_tasks(tmp_path):
    paths = []
    for task, qualities in (("t1", {"a": 0.9, "b": 0.5, "c": 0.1}), ("t2", {"a": 0.3, "b": 0.8, "c": 0.2})):
        for name, q in qualities.items():
            paths.append(make_run(tmp_path / task / name, q, len(paths), task=task, scorers=("token_f1",)))
    board = build_leaderboard(paths, n_trials=500)
    assert board.ranked_by == "mean_win_rate"
    assert [m.id for m in board.metrics] == ["t1/token_f1", "t2/token_f1"]
    table = [[s.metrics[m.id].value for m in board.metrics] for s in board.systems]
    ref = helm_reference(table, [False, False])
    assert [s.win_rate.value for s in board.systems] == pytest.approx(ref)
    assert [s.name for s in board.systems][0] in ("a", "b")
    assert all(len(s.runs) == 2 for s in board.systems)
    assert {c.task for c in board.comparisons} == {"t1", "t2"}
    for s in board.systems:
        assert s.win_rate.ci_low <= s.win_rate.value <= s.win_rate.ci_high
    assert "t1/token_f1" in board.render("md")


# --- refusals ------------------------------------------------------------------------------------
def test_runs_with_different_examples_are_refused(tmp_path, runs):
    other = make_run(tmp_path / "other", 0.5, 4, ids=[f"x{i}" for i in range(N)])
    with pytest.raises(IncomparableError, match="examples differ"):
        build_leaderboard([runs["strong"], other])


def test_runs_with_different_signatures_are_refused(tmp_path, runs):
    other = make_run(tmp_path / "intl", 0.5, 4, scorers=("exact_match", "token_f1", ("bleu", {"tokenize": "intl"})))
    with pytest.raises(IncomparableError, match="'bleu': the scorer signatures differ"):
        build_leaderboard([runs["strong"], other])


def test_duplicate_names_are_refused(tmp_path, runs):
    copy = make_run(tmp_path / "strong", 0.5, 4)
    with pytest.raises(ValueError, match="named 'strong'"):
        build_leaderboard([runs["strong"], copy])


def test_metrics_not_shared_are_left_out_with_a_note(tmp_path, runs):
    fewer = make_run(tmp_path / "fewer", 0.5, 4, scorers=("token_f1",))
    board = build_leaderboard([runs["strong"], fewer], n_trials=200)
    assert [m.id for m in board.metrics] == ["token_f1"]
    assert any("exact_match, bleu left out" in n for n in board.notes)


# --- command line ---------------------------------------------------------------------------------
def test_cli_stdout_and_file(runs, tmp_path, capsys):
    assert main([runs["strong"], runs["weak"], "--trials", "200"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| # | System |") and "| strong |" in out
    target = tmp_path / "board.json"
    assert main([f"best={runs['strong']}", runs["weak"], "--format", "json", "--baseline", "weak", "--output",
                 str(target), "--metric", "token_f1", "--test", "bs", "--correction", "bh"]) == 0
    data = json.loads(target.read_text())
    assert [s["name"] for s in data["systems"]] == ["best", "weak"]
    assert list(data["systems"][0]["metrics"]) == ["token_f1"]
    assert data["comparisons"][0]["a"] == "weak" and data["settings"]["correction"] == "bh"


def test_cli_errors(runs, tmp_path, capsys):
    assert main([runs["strong"], str(tmp_path / "missing")]) == 2
    assert "rageval leaderboard: error:" in capsys.readouterr().err
    other = make_run(tmp_path / "other", 0.5, 4, ids=[f"x{i}" for i in range(N)])
    assert main([runs["strong"], other]) == 2
    assert "examples differ" in capsys.readouterr().err
    assert main([runs["strong"], "--metric", "nope"]) == 2
    assert "unknown metric(s) 'nope'" in capsys.readouterr().err


def test_through_the_rageval_command(runs, capsys):
    from rageval.cli import main as rageval_main

    assert rageval_main(["leaderboard", runs["strong"], runs["weak"], "--format", "csv", "--trials", "100"]) == 0
    assert capsys.readouterr().out.startswith("system,rank_low,rank_high,")
    assert os.path.isdir(runs["strong"])


class Picky(MeanScorer):
    """token overlap that fails on the examples whose answer is "no idea"."""

    name = "picky"
    fields = ("answer", "references")

    def score_batch(self, batch):
        if "no idea" in batch["answer"]:
            raise ValueError("cannot score 'no idea'")
        return [float(a == r[0]) for a, r in zip(batch["answer"], batch["references"])]


def test_failed_examples(runs):
    def res(quality, seed):
        data = [{"id": f"q{i}", "answer": a, "references": [REFS[i % len(REFS)]]}
                for i, a in enumerate(answers(quality, seed))]
        return rageval.evaluate(data, scorers=[Picky()])
    a, b = res(0.9, 1), res(0.3, 2)
    board = build_leaderboard({"a": a, "b": b}, n_trials=300)
    for s, r in zip(sorted(board.systems, key=lambda s: s.name), (a, b)):
        cell = s.metrics["picky"]
        assert cell.n == len(r.by_scorer["picky"].ids) < N and cell.value == r.aggregate["picky"]
        assert (cell.ci_low, cell.ci_high) != (cell.value, cell.value)
    both = set(a.by_scorer["picky"].ids) & set(b.by_scorer["picky"].ids)
    assert board.comparisons[0].n_examples == len(both)


def test_incomplete_runs_are_noted(tmp_path, runs):
    import shutil

    copy = tmp_path / "unfinished"
    shutil.copytree(runs["weak"], copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps({**manifest, "status": "running"}))
    board = build_leaderboard([runs["strong"], str(copy)], n_trials=200)
    assert f"unfinished: the run is running ({N} examples so far)" in board.notes
    assert "Note: unfinished: the run is running" in board.render("md")


def test_the_covered_share_is_shown_beside_values_that_leave_examples_out():
    """faithfulness leaves out examples it cannot judge (no contexts): each cell carries the share it
    covers, every writer shows it, and the legend says what it means."""
    def res(no_context_every: int):
        data = [{"id": f"q{i}", "answer": f"{REFS[i % len(REFS)]} is the answer.",
                 "contexts": [] if i % no_context_every == 0 else [f"The answer is {REFS[i % len(REFS)]}."]}
                for i in range(40)]
        return rageval.evaluate(data, scorers=[rageval.get_scorer("faithfulness", judge="lexical")])
    a, b = res(4), res(41)  # a: 10 of 40 left out; b: 1 of 40
    board = build_leaderboard({"a": a, "b": b}, n_trials=200)
    cells = {s.name: s.metrics["faithfulness"] for s in board.systems}
    assert cells["a"].covered == 30 / 40 and cells["b"].covered == 39 / 40
    for fmt in ("md", "html", "latex"):
        text = board.render(fmt).replace("\\%", "%")  # LaTeX escapes %
        assert "(75.0% covered)" in text and "(97.5% covered)" in text, fmt
        assert "x% covered: the value is the mean over that share of the examples" in text, fmt
    assert "(75.0\\% covered)" in board.render("latex")  # a bare % would start a LaTeX comment
    assert json.loads(board.render("json"))["systems"][0]["metrics"]["faithfulness"]["covered"] in (0.75, 0.975)
    parts = build_leaderboard({"a": a, "b": b}, n_trials=200, metrics=["faithfulness.flagged"])
    assert {s.metrics["faithfulness.flagged"].covered for s in parts.systems} == {1.0}  # a share of all examples
    assert "covered" not in parts.render("md")
