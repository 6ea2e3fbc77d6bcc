"""``rageval meta-eval``: score a judge against the human labels and print (or write) the table."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rageval.core.errors import ConfigError
from rageval.metaeval.data import LOADERS


def _judge_spec(text: str):
    """A kind name, or a JSON object such as '{"kind": "openai", "model": "..."}'."""
    text = text.strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(f"--judge: not valid JSON: {e}") from None
    return text


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rageval meta-eval",
                                description="How well a judge agrees with human labels (WiCE, Q², ClapNQ, EVOUNA).")
    p.add_argument("--judge", type=_judge_spec, action="append",
                   help="judge spec: a kind (default, lexical, embedding, nli, hf, openai) or a JSON object "
                        "with 'kind' and parameters; repeat to compare judges (default: the default judge)")
    p.add_argument("--tasks", nargs="+", choices=list(LOADERS), default=list(LOADERS),
                   help="tasks to run (default: all)")
    p.add_argument("--limit", type=int, default=None, help="at most N units per split (seeded subset)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the intervals (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the subset and the bootstrap (default 0)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--data-dir", "--data", type=Path, default=None, dest="data_dir",
                   help="folder with wice/, q2-dialogue/, clapnq/, evouna/ (default: $RAGEVAL_METAEVAL_DATA, "
                        "else $RAGEVAL_SHARED_DATA, else ../shared/data beside the repository checkout)")
    p.add_argument("--format", choices=("md", "json"), default="md")
    p.add_argument("--output", type=Path, default=None, help="write the table here instead of stdout")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rageval meta-eval``; returns the exit status (0 ok, 2 bad arguments or data)."""
    from rageval.metaeval.evaluate import meta_evaluate, to_markdown

    args = parser().parse_args(argv)
    if args.limit is not None and args.limit < 2:
        print("rageval meta-eval: --limit must be at least 2", file=sys.stderr)
        return 2
    results = []
    try:
        for spec in args.judge or ["default"]:
            results += meta_evaluate(spec, tasks=args.tasks, data_dir=args.data_dir, limit=args.limit,
                                     n_boot=args.bootstrap, seed=args.seed, batch_size=args.batch_size)
    except ConfigError as e:
        print(f"rageval meta-eval: {e}", file=sys.stderr)
        return 2
    text = to_markdown(results) if args.format == "md" else json.dumps([r.to_dict() for r in results], indent=2)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
