"""ROUGE (rouge-score) and METEOR (nltk) side by side with rageval, on real sentences, in one process.

Pairs come from the WiCE evidence sentences in ``../shared/data/wice``: the answer is a claim and
its reference two sentences of the cited article, one per line (so ``rougeLsum`` sees two
sentences); METEOR compares the claim with one sentence. rageval runs through
``rageval.evaluate`` on a list of dicts, from cold caches; the reference runs its documented
per-example API (``RougeScorer.score_multi``, ``meteor_score`` on ``str.split`` tokens). WordNet
is loaded before either is timed, and nltk's cache of parsed synsets is emptied before each side,
so neither profits from the other's reads. ``run(n)`` returns one row per comparison; ``n`` overrides the
default sizes (5,000 pairs for ROUGE with stemming, 2,000 for METEOR).
Run: python benchmarks/bench_rouge_meteor.py [N]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from nltk.translate.meteor_score import meteor_score
from rouge_score import rouge_scorer
from timing import row as result_row  # beside this file
from timing import timed

import rageval
from rageval.scorers.text import meteor, rouge
from rageval.scorers.text.wordnet import load_wordnet

WICE = Path(__file__).resolve().parents[2] / "shared" / "data" / "wice" / "entailment_retrieval" / "claim"
ROUGE_TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"]


def wice_pairs(n: int, lines: int) -> list[dict]:
    """``n`` examples ``{answer: claim, references: [lines consecutive evidence sentences]}``."""
    if not WICE.is_dir():
        raise FileNotFoundError(f"{WICE} is absent: the benchmark reads the project's shared WiCE data")
    claims = [json.loads(line) for split in ("dev", "test") for line in (WICE / f"{split}.jsonl").open()]
    out: list[dict] = []
    k = 0
    while len(out) < n:
        for row in claims:
            ev = row["evidence"]
            if k + lines <= len(ev):
                out.append({"answer": row["claim"], "references": ["\n".join(ev[k:k + lines])]})
                if len(out) == n:
                    break
        k += lines
    return out




def bench_rouge(n: int) -> list[dict]:
    data = wice_pairs(n, lines=2)
    rows = []
    for types in [ROUGE_TYPES] + [[t] for t in ROUGE_TYPES]:
        rouge.clear_caches()
        ours, res = timed(lambda: rageval.evaluate(data, [(t, {"use_stemmer": True}) for t in types],
                                                   progress=False))
        scorer = rouge_scorer.RougeScorer(types, use_stemmer=True)
        ref, scores = timed(lambda: [scorer.score_multi(d["references"], d["answer"]) for d in data])
        table = res.to_pandas()
        diff = max(float(np.abs(table[f"{t}{part}"].to_numpy()
                                - np.array([getattr(s[t], attr) for s in scores])).max())
                   for t in types for part, attr in (("", "fmeasure"), (".precision", "precision"),
                                                     (".recall", "recall")))
        rows.append(result_row("+".join(types) + " (use_stemmer)", n, ours, ref, diff))
    return rows


def bench_meteor(n: int) -> list[dict]:
    data = wice_pairs(n, lines=1)
    wordnet = load_wordnet()  # both sides read nltk's WordNet; loading it is not part of either time
    meteor.clear_caches()
    wordnet._synset_offset_cache.clear()
    ours, res = timed(lambda: rageval.evaluate(data, ["meteor"], progress=False))
    wordnet._synset_offset_cache.clear()
    ref, scores = timed(lambda: [meteor_score([r.split() for r in d["references"]], d["answer"].split())
                                 for d in data])
    diff = float(np.abs(res.to_pandas()["meteor"].to_numpy() - np.array(scores)).max())
    return [result_row("meteor", n, ours, ref, diff)]


def run(n: int | None = None) -> list[dict]:
    """Rows ``{scorer, n, rageval_s, reference_s, ratio, max_abs_diff}``; ``ratio`` = reference / rageval."""
    return bench_rouge(n or 5_000) + bench_meteor(n or 2_000)


def main() -> None:
    """One JSON row per line; ``benchmarks/text_metrics.py`` prints them as a table with the others."""
    for row in run(int(sys.argv[1]) if len(sys.argv) > 1 else None):
        print(json.dumps(row))


if __name__ == "__main__":
    main()
