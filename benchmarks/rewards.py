"""Reward throughput: `rageval.training.reward` for bleu, chrf and rougeL on 10,000 distinct completions,
side by side with the Python loop users write inside a TRL reward function (sacrebleu's
``sentence_bleu`` / ``sentence_chrf`` per completion; rouge-score's ``RougeScorer(["rougeL"]).score`` per
completion, with the scorer built once), in one process.

Completions and references are real sentences (the contexts of the demo data, rageval/demo), each
completion a random perturbation of its reference (words dropped, swapped, replaced), all distinct, so no
cache is reused across completions. rageval's reward is called with TRL's keyword arguments on batches of
``--batch`` completions (GRPO's per-step batch); a new reward function per side and repetition, so its
caches start empty. Each side runs ``repeat`` times, the best time kept. ``identical`` says whether every
reward equals the loop's value exactly (bit for bit).
Run: flock /tmp/rageval-bench.lock python benchmarks/rewards.py [N] [--batch B]
"""
from __future__ import annotations

import argparse
import gc
import json
import random
import re
import time
from pathlib import Path

import sacrebleu
from rouge_score import rouge_scorer

from rageval.training import reward

DEMO = Path(__file__).resolve().parent.parent / "rageval" / "demo" / "clapnq_lead.jsonl"


def sentences() -> list[str]:
    """The distinct sentences (5 to 60 words) of the demo data's contexts."""
    out: dict[str, None] = {}
    for line in DEMO.read_text(encoding="utf-8").splitlines():
        for context in json.loads(line)["contexts"]:
            for s in re.split(r"(?<=[.?!])\s+", context):
                if 5 <= len(s.split()) <= 60:
                    out[s] = None
    return list(out)


def pairs(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """``n`` (completion, reference) pairs with distinct completions."""
    rng = random.Random(seed)
    pool = sentences()
    vocab = sorted({w for s in pool for w in s.split()})
    completions, references, seen = [], [], set()
    while len(completions) < n:
        ref = rng.choice(pool)
        words = ref.split()
        for _ in range(rng.randint(1, 4)):
            op, i = rng.random(), rng.randrange(len(words))
            if op < 0.3 and len(words) > 2:
                del words[i]
            elif op < 0.6:
                j = rng.randrange(len(words))
                words[i], words[j] = words[j], words[i]
            else:
                words[i] = rng.choice(vocab)
        hyp = " ".join(words)
        if hyp not in seen:
            seen.add(hyp)
            completions.append(hyp)
            references.append(ref)
    return completions, references


def loop(name: str, completions: list[str], references: list[str]) -> list[float]:
    """What a hand-written TRL reward function does: one reference call per completion."""
    if name == "bleu":
        return [sacrebleu.sentence_bleu(c, [r]).score for c, r in zip(completions, references)]
    if name == "chrf":
        return [sacrebleu.sentence_chrf(c, [r]).score for c, r in zip(completions, references)]
    scorer = rouge_scorer.RougeScorer(["rougeL"])
    return [scorer.score(r, c)["rougeL"].fmeasure for c, r in zip(completions, references)]


def ours(name: str, completions: list[str], references: list[str], batch: int) -> list[float]:
    f = reward(name)
    out: list[float] = []
    for s in range(0, len(completions), batch):
        cs = completions[s:s + batch]
        out += f(prompts=[""] * len(cs), completions=cs, completion_ids=None, trainer_state=None,
                 reference=references[s:s + batch])
    return out


def best(fn, repeat: int) -> tuple[float, list[float]]:
    times, values = [], None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        values = fn()
        times.append(time.perf_counter() - t0)
    return min(times), values


def run(n: int = 10_000, batch: int = 1024, repeat: int = 2) -> list[dict]:
    completions, references = pairs(n)
    rows = []
    for name in ("bleu", "chrf", "rougeL"):
        t_ref, ref = best(lambda: loop(name, completions, references), repeat)
        t_ours, got = best(lambda: ours(name, completions, references, batch), repeat)
        rows.append({"reward": name, "n": n, "batch": batch, "loop_s": round(t_ref, 3), "rageval_s": round(t_ours, 3),
                     "speedup": round(t_ref / t_ours, 2), "identical": got == ref})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(f"{'reward':8} {'n':>6} {'batch':>6} {'loop s':>8} {'rageval s':>10} {'speedup':>8}  identical")
    for r in run(args.n, args.batch, args.repeat):
        print(f"{r['reward']:8} {r['n']:>6} {r['batch']:>6} {r['loop_s']:>8.3f} {r['rageval_s']:>10.3f} "
              f"{r['speedup']:>7.2f}x  {r['identical']}")


if __name__ == "__main__":
    main()
