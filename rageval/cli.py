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
        res = run_task(task, output=args.output, limit=args.limit, progress=None if args.progress else False,
                       backend=args.backend)
    note = unavailable_note(res, list(res.scorers), args.output, option="--output ")
    if note:
        print(f"rageval: warning: {note}", file=sys.stderr)
    intervals = _intervals(res, args) if args.confidence or args.format == "text" else {}
    if args.format == "json":
        out = {"task": task.name, "aggregate": dict(res.aggregate),
               "counts": {k: list(v) for k, v in res.aggregate.counts.items()}}
        if args.confidence:  # sacrebleu's JSON keys, per aggregate key
            out["confidence"] = {k: _sacrebleu_confidence(ci) for k, ci in intervals.items()}
        print(json.dumps(out, indent=2))
        return 0
    width = max(len(k) for k in res.aggregate)
    print(f"task {task.name}: {len(res)} examples" + (f" -> {args.output}" if args.output else ""))
    for key, value in res.aggregate.items():
        scorer_key = key.split(".")[0]
        ok, n = res.aggregate.counts.get(scorer_key, (len(res), len(res)))
        note = "" if ok == n else f"   ({ok}/{n} examples, {n - ok} errors)"
        if key == scorer_key and f"{key}.flagged" in res.aggregate and n:  # the covered share beside it
            covered, _ = res.aggregate.covered(scorer_key)
            note += f"   covers {covered}/{n} ({100 * covered / n:.1f}%; {ok - covered} flagged, left out)"
        ci = intervals.get(key)
        if ci is not None and args.confidence:  # sacrebleu's text: score (μ = mean ± half width)
            note = f" ({_sacrebleu_confidence(ci)['confidence']}){note}"
        elif ci is not None and not math.isnan(ci.low):
            note = f"  [{ci.low:.4f}, {ci.high:.4f}]{note}"
        print(f"  {key:<{width}}  {_number(value)}{note}")
    if intervals and not args.confidence:
        first = next(iter(intervals.values()))
        print(f"  [...]: {100 * (1 - first.alpha):g}% bootstrap interval, {first.n_resamples} resamples "
              f"(sacrebleu's rule; --no-intervals to skip, --confidence for sacrebleu's mean ± half width)")
    return 0


def _number(value: float) -> str:
    return "nan" if isinstance(value, float) and math.isnan(value) else f"{value:.4f}"


def _intervals(res, args: argparse.Namespace) -> dict:
    """Bootstrap intervals of every aggregate key (none with --no-intervals, or for no examples)."""
    if args.no_intervals and not args.confidence or not len(res):
        return {}
    return res.confidence_intervals(n=args.confidence_n)


def _sacrebleu_confidence(ci) -> dict:
    """sacrebleu's ``--confidence`` fields: the resampled mean and the interval's half width."""
    mean, half = _number(ci.mean), _number(ci.half_width)
    return {"confidence_mean": ci.mean, "confidence_var": ci.half_width, "confidence": f"μ = {mean} ± {half}"}


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
             "meta-eval": ("rageval.metaeval.cli", "score a judge against human labels"),
             "train-judge": ("rageval.judges.train", "fine-tune an entailment judge on labelled pairs")}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rageval", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a task file")
    run.add_argument("task")
    run.add_argument("--output", "-o", help="run directory (written as the run goes; resumable)")
    run.add_argument("--limit", type=int, help="score only the first N examples")
    run.add_argument("--format", choices=["text", "json"], default="text")
    run.add_argument("--progress", action="store_true", help="show a progress bar")
    run.add_argument("--backend", choices=["local", "ray"], default="local",
                     help="where to score: this process (default) or Ray Data (pip install rageval[ray]; "
                          "connects to a running cluster, else starts a local one)")
    run.add_argument("--confidence", "-ci", action="store_true",
                     help="sacrebleu's --confidence output: each value with (μ = resampled mean ± half width)")
    run.add_argument("--confidence-n", "-cin", type=int, default=1000, help="bootstrap resamples (default 1000)")
    run.add_argument("--no-intervals", action="store_true", help="print values only (no bootstrap intervals)")
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
