"""``rageval leaderboard RUN_DIR... [--format md|html|csv|json|latex] [--baseline NAME] [--output FILE]``.

A run is given as ``RUN_DIR`` (named after the directory) or ``NAME=RUN_DIR``. The leaderboard
goes to standard output unless ``--output`` names a file.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from rageval.core.errors import RagevalError
from rageval.leaderboard.model import build_leaderboard
from rageval.leaderboard.render import FORMATS
from rageval.stats.resampling import SEED


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rageval leaderboard",
                                description="Rank systems (run directories) with confidence intervals, rank ranges "
                                            "and paired significance tests.")
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories, or NAME=RUN_DIR")
    p.add_argument("--format", "-f", choices=FORMATS, default="md")
    p.add_argument("--baseline", "-b", metavar="NAME", help="compare every system with this one (default: all pairs)")
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")
    p.add_argument("--metric", "-m", action="append", metavar="KEY",
                   help="a metric to show (repeatable; default: each scorer's primary value)")
    p.add_argument("--rank-by", metavar="KEY", help="metric to rank by, or mean_win_rate")
    p.add_argument("--test", choices=["ar", "bs"], default="ar",
                   help="paired test: approximate randomisation (default) or paired bootstrap (sacrebleu's)")
    p.add_argument("--trials", type=int, help="randomisation trials / bootstrap resamples of the test "
                                              "(default 10000 / 1000)")
    p.add_argument("--correction", choices=["holm", "bh", "none"], default="holm")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples of the intervals")
    p.add_argument("--seed", type=int, default=SEED)
    return p


def _run_arg(arg: str) -> str | tuple[str, str]:
    if "=" in arg and not os.path.exists(arg):
        name, path = arg.split("=", 1)
        return name, path
    return arg


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rageval leaderboard``; returns the exit status."""
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        board = build_leaderboard([_run_arg(a) for a in args.runs], metrics=args.metric, baseline=args.baseline,
                                  rank_by=args.rank_by, method=args.test, correction=args.correction,
                                  alpha=args.alpha, n_resamples=args.resamples, n_trials=args.trials, seed=args.seed)
        text = board.render(args.format)
    except (RagevalError, FileNotFoundError, ValueError) as err:
        print(f"rageval leaderboard: error: {err}", file=sys.stderr)
        return 2
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
