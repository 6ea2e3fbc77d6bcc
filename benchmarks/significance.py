"""Bootstrap intervals and paired tests (rageval.stats) side by side with sacrebleu, in one process,
and the false-positive rate of both paired tests on synthetic systems of equal quality.

Systems are EVOUNA NQ answers (``../shared/data/evouna``, the first N non-improper questions;
gpt35 is the baseline, gpt4 the system) against the first gold answer, or random word salads when
the folder is absent. Timed: sacrebleu's ``corpus_score(n_bootstrap=1000)`` minus a plain
``corpus_score`` (the resampling alone) vs rageval's bootstrap over precomputed statistics, and
sacrebleu's ``PairedTest`` (bs 1000 / ar 10000, statistics extraction included, as sacrebleu
always extracts) vs rageval's tests on precomputed statistics. Best of ``repeat`` runs each.
The level study draws pairs of systems whose per-example scores share a difficulty and differ
only by noise (no true difference) and counts p < 0.05 over ``trials`` draws.
Run: python benchmarks/significance.py [N]
"""
from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import numpy as np
import sacrebleu
from sacrebleu.significance import PairedTest
from timing import best  # beside this file

import rageval
from rageval.core.scorer import MeanScorer
from rageval.stats.bootstrap import percentile_bounds
from rageval.stats.resampling import Replicator
from rageval.stats.significance import approximate_randomization, paired_bootstrap

EVOUNA = Path(__file__).resolve().parents[2] / "shared" / "data" / "evouna" / "NQ.json"
logging.getLogger("sacrebleu").setLevel(logging.WARNING)


def systems(n: int) -> tuple[list[str], list[str], list[str], str]:
    if EVOUNA.exists():
        rows = [r for r in json.load(open(EVOUNA, encoding="utf-8")) if not r.get("improper")][:n]
        return ([r["answer_gpt35"] for r in rows], [r["answer_gpt4"] for r in rows],
                [r["golden_answer"].split("/")[0] for r in rows], "evouna NQ")
    rng = np.random.default_rng(0)
    words = "the a of cat dog sat on mat ran fast slow red blue".split()
    sent = lambda: " ".join(rng.choice(words, size=rng.integers(3, 15)))  # noqa: E731
    refs = [sent() for _ in range(n)]
    return [sent() for _ in refs], [r if rng.random() < 0.3 else sent() for r in refs], refs, "synthetic"


class Values(MeanScorer):
    name = "value"

    def score_batch(self, batch):
        return batch["value"]


def level(trials: int, n: int = 100) -> dict[str, float]:
    """Fraction of p < 0.05 when the two systems do not differ (nominal 0.05)."""
    hits = {"bs": 0, "ar": 0}
    for seed in range(trials):
        rng = np.random.default_rng(seed)
        difficulty = rng.random(n)
        a = np.clip(difficulty + rng.normal(0, 0.25, n), 0, 1)[:, None]
        b = np.clip(difficulty + rng.normal(0, 0.25, n), 0, 1)[:, None]
        hits["bs"] += paired_bootstrap(Values(), a, b, 1000, seed)["value"].p_value < 0.05
        hits["ar"] += approximate_randomization(Values(), a, b, 2000, seed)["value"].p_value < 0.05
    return {k: v / trials for k, v in hits.items()}


def run(n: int = 2000, repeat: int = 3, trials: int = 1000) -> list[dict]:
    base, system, refs, origin = systems(n)
    scorer = rageval.get_scorer("bleu")
    stats_a = scorer.stats({"answer": base, "references": [[r] for r in refs]})
    stats_b = scorer.stats({"answer": system, "references": [[r] for r in refs]})
    rows = []

    plain, _ = best(lambda: sacrebleu.BLEU().corpus_score(base, [refs]), repeat)
    t_ref, ref = best(lambda: sacrebleu.BLEU().corpus_score(base, [refs], n_bootstrap=1000), repeat)
    t_ours, reps = best(lambda: Replicator(scorer, stats_a).bootstrap(1000), repeat)
    low, high, mean = percentile_bounds(reps["bleu"])
    rows.append({"what": "BLEU 95% CI, 1000 resamples", "data": origin, "n": len(refs),
                 "sacrebleu": f"{ref._mean:.4f} ± {ref._ci:.4f}", "rageval": f"{mean:.4f} ± {(high - low) / 2:.4f}",
                 "sacrebleu_s": round(t_ref - plain, 4), "rageval_s": round(t_ours, 4),
                 "speedup": round((t_ref - plain) / t_ours, 1)})
    for test, fn, count in (("bs", paired_bootstrap, 1000), ("ar", approximate_randomization, 10000)):
        os.environ["SACREBLEU_SEED"] = "12345"
        t_ref, ref = best(lambda: PairedTest([("a", base), ("b", system)], {"BLEU": sacrebleu.BLEU()}, [refs],
                                             test_type=test, n_samples=count)()[1]["BLEU"][1], repeat)
        t_ours, ours = best(lambda: fn(scorer, stats_a, stats_b, count, 12345)["bleu"], repeat)
        rows.append({"what": f"paired {test} on BLEU, {count}", "data": origin, "n": len(refs),
                     "sacrebleu": ref.p_value, "rageval": ours.p_value, "sacrebleu_s": round(t_ref, 4),
                     "rageval_s": round(t_ours, 4), "speedup": round(t_ref / t_ours, 1),
                     "note": "sacrebleu time includes extracting both systems' statistics"})
    t, rates = best(lambda: level(trials), 1)
    rows.append({"what": f"false-positive rate at alpha 0.05, {trials} null pairs, n=100", "data": "synthetic",
                 "paired_bs": rates["bs"], "ar": rates["ar"], "seconds": round(t, 2)})
    return rows


if __name__ == "__main__":
    for row in run(int(sys.argv[1]) if len(sys.argv) > 1 else 2000):
        print(json.dumps(row))
