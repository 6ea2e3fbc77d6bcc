"""Throughput of faithfulness with the lexical, the shipped nli and the default judge: a cold run
(empty judge cache: the models read every text; the nli judge has its own cache, so the default
judge's cold run computes its entailment feature too) and a warm one (a second run, no model call), on real
Q² dialogue rows (../shared/data) or, without them, on synthetic rows. There is no reference
implementation to run beside it (RAGAS needs an LLM); values are printed so runs can be compared.

    python benchmarks/rag_judges.py [N]
"""
from __future__ import annotations

import sys
import tempfile
import time

import rageval
from rageval.judges import get_judge
from rageval.metaeval.data import data_dir, load


def rows(n: int) -> dict[str, list]:
    if (data_dir() / "q2-dialogue").exists():
        data = load("q2").rows[:n]
    else:
        data = [{"contexts": [f"Sentence {i} says that item {i} costs {i} euros."],
                 "answer": f"Item {i} costs {i} euros.", "question": f"What does item {i} cost?"} for i in range(n)]
    return {k: [r[k] for r in data] for k in ("contexts", "answer", "question")}


def main(n: int = 200) -> None:
    batch = rows(n)
    with tempfile.TemporaryDirectory() as cache:
        for label, spec in (("lexical", "lexical"), ("nli cold", {"kind": "nli", "cache_dir": cache + "/nli"}),
                            ("default cold", {"kind": "default", "cache_dir": cache}),
                            ("default warm", {"kind": "default", "cache_dir": cache})):
            scorer = rageval.get_scorer("faithfulness", judge=get_judge(spec))
            start = time.perf_counter()
            value = scorer.reduce(scorer.stats(batch))["faithfulness"]
            took = time.perf_counter() - start
            print(f"faithfulness  {label:13s} n={n}  value={value:.4f}  {took:7.2f} s  {n / took:8.1f} examples/s  "
                  f"model calls={scorer.judge.usage()['calls']}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
