"""The text-metric benchmark: rageval against each reference implementation, in one process, with
values, times and ratios printed as one table beside the speed goals of the text-metric issue.

Sections are the modules ``benchmarks/bench_*.py`` that exist. Each exposes
``run(n: int | None = None) -> list[dict]``, one row per comparison with the keys ``scorer``,
``n`` (examples), ``rageval_s`` and ``reference_s`` (seconds), ``ratio`` (reference_s /
rageval_s: above 1 means rageval is faster) and ``max_abs_diff`` (largest difference of the
values), and optionally ``value`` and ``reference_value`` (the corpus values compared); ``n``
overrides the section's default sizes, None keeps them. A ``bench_*.py`` module whose ``run``
does not take ``n=None`` is not a section and is skipped with a note. A section that fails is
reported and the others still run.

Run: python benchmarks/text_metrics.py [--n N] [--only bleu_chrf,rouge_meteor] [--json]
"""
from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import sys
import traceback
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
ROW_KEYS = ("scorer", "n", "rageval_s", "reference_s", "ratio", "max_abs_diff")

#: the speed goals on distinct pairs (reference time / rageval time), by the scorer a row's label starts with
GOALS = {"bleu": 3.0, "chrf": 4.0, "rouge": 8.0, "meteor": 5.0, "bertscore": 3.0}


def sections(only: list[str] | None = None) -> dict[str, Path]:
    """Section name (``bench_<name>.py``) -> path, for the sections present."""
    found = {p.stem[len("bench_"):]: p for p in sorted(HERE.glob("bench_*.py"))}
    if only:
        missing = sorted(set(only) - set(found))
        if missing:
            raise SystemExit(f"no section {', '.join(missing)}; present: {', '.join(found)}")
        found = {k: v for k, v in found.items() if k in only}
    return found


def is_section(module: ModuleType) -> bool:
    """Whether ``module.run`` follows the convention: ``run(n=None)``."""
    run = getattr(module, "run", None)
    if not callable(run):
        return False
    param = inspect.signature(run).parameters.get("n")
    return param is not None and param.default is None


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"benchmarks.{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def goal(scorer: str) -> float | None:
    for prefix, value in GOALS.items():
        if scorer.lower().startswith(prefix):
            return value
    return None


def table(rows: list[dict]) -> str:
    """The rows as a fixed-width text table."""
    header = ["scorer", "n", "rageval s", "reference s", "ratio", "goal", "met", "max |diff|",
              "rageval value", "reference value"]
    value = lambda r, k: f"{r[k]:.6f}" if isinstance(r.get(k), (int, float)) else "-"  # noqa: E731
    lines = []
    for r in rows:
        if "error" in r:
            lines.append([r["scorer"], "", "", "", "", "", "", r["error"], "", ""])
            continue
        g = goal(r["scorer"])
        lines.append([r["scorer"], str(r["n"]), f"{r['rageval_s']:.3f}", f"{r['reference_s']:.3f}",
                      f"{r['ratio']:.2f}x", f"{g:g}x" if g else "-",
                      ("yes" if r["ratio"] >= g else "NO") if g else "-", f"{r['max_abs_diff']:.2e}",
                      value(r, "value"), value(r, "reference_value")])
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(header)]
    fmt = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
                                  for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([fmt(header), fmt(["-" * w for w in widths])] + [fmt(line) for line in lines])


def run_all(n: int | None = None, only: list[str] | None = None) -> list[dict]:
    """Every section's rows, in section order; a failing section gives one row with ``error``."""
    rows: list[dict] = []
    for name, path in sections(only).items():
        try:
            module = load(path)
            if not is_section(module):
                print(f"[text_metrics] skipped {path.name}: its run() does not take n=None "
                      f"(not a text-metric section)", file=sys.stderr, flush=True)
                continue
            print(f"[text_metrics] running {name} ...", file=sys.stderr, flush=True)
            got = module.run(n)
        except Exception as exc:  # noqa: BLE001 - report the section, keep the others
            traceback.print_exc()
            rows.append({"scorer": name, "error": f"{type(exc).__name__}: {exc}"})
            continue
        for row in got:
            missing = [k for k in ROW_KEYS if k not in row]
            if missing:
                raise ValueError(f"section {name} returned a row without {missing}: {row}")
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=None, help="examples per comparison (default: each section's)")
    parser.add_argument("--only", default=None, help="comma-separated sections, e.g. bleu_chrf,rouge_meteor")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON lines instead")
    args = parser.parse_args(argv)
    rows = run_all(args.n, args.only.split(",") if args.only else None)
    if args.json:
        for row in rows:
            print(json.dumps(row))
    else:
        print(table(rows))


if __name__ == "__main__":
    main()
