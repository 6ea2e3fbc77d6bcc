"""Leaderboards: systems ranked with intervals, rank ranges, significance marks and HELM's mean
win rate, rendered as Markdown, HTML, CSV, JSON or LaTeX.

    from rageval.leaderboard import build_leaderboard
    board = build_leaderboard(["runs/lexical", "runs/lead"], baseline="lead")
    print(board.render("md"))
"""
from rageval.leaderboard.model import Cell, Leaderboard, Metric, System, build_leaderboard, load_runs
from rageval.leaderboard.render import FORMATS, render

__all__ = ["build_leaderboard", "load_runs", "render", "FORMATS", "Leaderboard", "System", "Cell", "Metric"]
