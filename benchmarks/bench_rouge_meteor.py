"""ROUGE (rouge-score) and METEOR (nltk) side by side with rageval, on real sentences, in one process.

Pairs are distinct (``pairs.distinct_pairs``: WiCE sentences, no answer or reference used twice, as
users' data is); a last row for each metric repeats each claim against its evidence sentences
(``pairs.repeated_pairs``; two per reference for ROUGE, one per line, so ``rougeLsum`` sees two
sentences), the cache-friendly case the earlier figures were measured on. rageval runs through
``rageval.evaluate`` on a list of dicts, from cold caches; the reference runs its documented
per-example API (``RougeScorer.score_multi``, ``meteor_score`` on ``str.split`` tokens). WordNet
is loaded before either is timed, and nltk's cache of parsed synsets is emptied before each side,
so neither profits from the other's reads. Each side runs ``REPEAT`` times, its caches emptied before
each run (rageval's stems, tokens and synonym sets; nltk's synsets), and the best time is kept, so a
busy machine's stalls weigh less on the ratio. ``run(n)`` returns one row per comparison; ``n``
overrides the default size (20,000 pairs).
Run: python benchmarks/bench_rouge_meteor.py [N]
"""
from __future__ import annotations

import json
import sys

import numpy as np
from nltk.translate.meteor_score import meteor_score
from pairs import distinct_pairs, repeated_pairs  # beside this file
from rouge_score import rouge_scorer
from timing import row as result_row
from timing import timed

import rageval
from rageval.scorers.text import meteor, rouge
from rageval.scorers.text.wordnet import load_wordnet

ROUGE_TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"]

REPEAT = 2


def best_cold(fn, clear) -> tuple[float, object]:
    """The best of ``REPEAT`` timings of ``fn()``, ``clear()`` called (untimed) before each."""
    runs = []
    for _ in range(REPEAT):
        clear()
        runs.append(timed(fn))
    return min(t for t, _ in runs), runs[-1][1]


def bench_rouge(n: int) -> list[dict]:
    distinct, repeated = distinct_pairs(n), repeated_pairs(n, lines=2)
    rows = []
    for label, data, types in ([("", distinct, ROUGE_TYPES)] + [("", distinct, [t]) for t in ROUGE_TYPES]
                               + [(" repeated pairs", repeated, ROUGE_TYPES)]):
        ours, res = best_cold(lambda: rageval.evaluate(data, [(t, {"use_stemmer": True}) for t in types],
                                                       progress=False), rouge.clear_caches)
        scorer = rouge_scorer.RougeScorer(types, use_stemmer=True)
        ref, scores = best_cold(lambda: [scorer.score_multi(d["references"], d["answer"]) for d in data], lambda: None)
        table = res.to_pandas()
        diff = max(float(np.abs(table[f"{t}{part}"].to_numpy()
                                - np.array([getattr(s[t], attr) for s in scores])).max())
                   for t in types for part, attr in (("", "fmeasure"), (".precision", "precision"),
                                                     (".recall", "recall")))
        rows.append(result_row("+".join(types) + f" (use_stemmer{label})", n, ours, ref, diff))
    return rows


def bench_meteor(n: int) -> list[dict]:
    return _meteor(distinct_pairs(n), "meteor") + _meteor(repeated_pairs(n), "meteor (repeated pairs)")


def _meteor(data: list[dict], label: str) -> list[dict]:
    n = len(data)
    wordnet = load_wordnet()  # both sides read nltk's WordNet; loading it is not part of either time

    def clear() -> None:
        meteor.clear_caches()
        wordnet._synset_offset_cache.clear()

    ours, res = best_cold(lambda: rageval.evaluate(data, ["meteor"], progress=False), clear)
    ref, scores = best_cold(lambda: [meteor_score([r.split() for r in d["references"]], d["answer"].split())
                                     for d in data], clear)
    diff = float(np.abs(res.to_pandas()["meteor"].to_numpy() - np.array(scores)).max())
    return [result_row(label, n, ours, ref, diff)]


def run(n: int | None = None) -> list[dict]:
    """Rows ``{scorer, n, rageval_s, reference_s, ratio, max_abs_diff}``; ``ratio`` = reference / rageval."""
    return bench_rouge(n or 20_000) + bench_meteor(n or 20_000)


def main() -> None:
    """One JSON row per line; ``benchmarks/text_metrics.py`` prints them as a table with the others."""
    for row in run(int(sys.argv[1]) if len(sys.argv) > 1 else None):
        print(json.dumps(row))


if __name__ == "__main__":
    main()
