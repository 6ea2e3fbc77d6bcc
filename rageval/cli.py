"""The `rageval` command line: run tasks, list scorers and tasks, leaderboards, meta-evaluation."""
from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from collections.abc import Sequence

from rageval.core.errors import RagevalError


def _run(args: argparse.Namespace) -> int:
    from rageval.run.rundir import unavailable_note
    from rageval.tasks import load_task, run_task

    task = load_task(args.task)
    with warnings.catch_warnings():  # said below, in the command line's terms
        warnings.filterwarnings("ignore", message=r".* was unavailable: ")
        res = run_task(task, output=args.output, limit=args.limit, progress=None if args.progress else False)
    note = unavailable_note(res, list(res.scorers), args.output, option="--output ")
    if note:
        print(f"rageval: warning: {note}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps({"task": task.name, "aggregate": dict(res.aggregate),
                          "counts": {k: list(v) for k, v in res.aggregate.counts.items()}}, indent=2))
        return 0
    width = max(len(k) for k in res.aggregate)
    print(f"task {task.name}: {len(res)} examples" + (f" -> {args.output}" if args.output else ""))
    for key, value in res.aggregate.items():
        scorer_key = key.split(".")[0]
        ok, n = res.aggregate.counts.get(scorer_key, (len(res), len(res)))
        note = "" if ok == n else f"   ({ok}/{n} examples, {n - ok} errors)"
        shown = "nan" if isinstance(value, float) and math.isnan(value) else f"{value:.4f}"
        print(f"  {key:<{width}}  {shown}{note}")
    return 0


def _list(args: argparse.Namespace) -> int:
    if args.what == "scorers":  # by family; a name that also takes a cutoff shows both forms
        from rageval.core.registry import SCORERS

        for family in SCORERS.families():
            print(family)
            for entry in SCORERS.entries(family):
                both = entry.bare and entry.takes_cutoff
                print(f"  {entry.spelling:<20}  {entry.name}@k" if both else f"  {entry.spelling}")
    else:
        from rageval.tasks import list_tasks

        print("\n".join(list_tasks(args.dir)))
    return 0


#: subcommands whose own module parses the rest of the command line
DELEGATES = {"leaderboard": ("rageval.leaderboard.cli", "compare run directories"),
             "meta-eval": ("rageval.metaeval.cli", "score a judge against human labels")}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rageval", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a task file")
    run.add_argument("task")
    run.add_argument("--output", "-o", help="run directory (written as the run goes; resumable)")
    run.add_argument("--limit", type=int, help="score only the first N examples")
    run.add_argument("--format", choices=["text", "json"], default="text")
    run.add_argument("--progress", action="store_true", help="show a progress bar")
    run.set_defaults(func=_run)
    ls = sub.add_parser("list", help="list scorers or tasks")
    ls.add_argument("what", choices=["scorers", "tasks"])
    ls.add_argument("--dir", default="tasks", help="where task files are (default: ./tasks)")
    ls.set_defaults(func=_list)
    for name, (_, text) in DELEGATES.items():
        sub.add_parser(name, help=text + f" (rageval {name} --help)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in DELEGATES:
            import importlib

            return int(importlib.import_module(DELEGATES[argv[0]][0]).main(argv[1:]) or 0)
        args = build_parser().parse_args(argv)
        return args.func(args)
    except (RagevalError, FileNotFoundError) as e:
        print(f"rageval: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
