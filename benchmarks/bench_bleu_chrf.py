"""BLEU, chrF, chrF++ and TER (sacrebleu) side by side with rageval, on real sentences, in one process.

Pairs are distinct (``pairs.distinct_pairs``: WiCE claims and evidence sentences, perturbed where
they repeat, so no answer and no reference occurs twice and no cache is reused across pairs). rageval runs through
``rageval.evaluate`` on a list of dicts (which also computes every per-example score) with a new
scorer, so its tokenizer cache starts empty; sacrebleu runs ``corpus_score`` with a new metric
object. Each side is timed ``repeat`` times, the best time kept. ``max_abs_diff`` is the largest
difference of the corpus score and of the first 1,000 per-example scores against sacrebleu's
``sentence_score``. ``run(n)`` overrides the sizes (20,000 pairs; 1,000 short pairs for TER).
Run: python benchmarks/bench_bleu_chrf.py [N]
"""
from __future__ import annotations

import gc
import json
import sys
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np
import sacrebleu
from pairs import distinct_pairs  # beside this file

import rageval

#: (row label, rageval scorer name, parameters, sacrebleu metric class, default number of pairs)
CASES = [
    ("bleu", "bleu", {}, sacrebleu.BLEU, 20_000),
    ("chrf", "chrf", {}, sacrebleu.CHRF, 20_000),
    ("chrf++ (word_order=2)", "chrf", {"word_order": 2}, sacrebleu.CHRF, 20_000),
    ("ter (sentences <= 25 words)", "ter", {}, sacrebleu.TER, 1_000),
]


def wice_pairs(n: int, max_words: int | None = None) -> list[dict]:
    """``n`` distinct pairs (`pairs.distinct_pairs`), at most ``max_words`` words on each side."""
    if max_words is None:
        return distinct_pairs(n)
    short = [p for p in distinct_pairs(20 * n)
             if max(len(p["answer"].split()), len(p["references"][0].split())) <= max_words]
    if len(short) < n:
        raise ValueError(f"fewer than {n} distinct pairs of at most {max_words} words")
    return short[:n]


def _fresh_heap() -> None:
    # collect what earlier runs left (scorers and their caches hold reference cycles) so that no
    # run pays for traversing another's garbage; keep the collector on while timing, as in use
    gc.collect()
    gc.enable()


def best_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The best of ``repeat`` timings of ``fn()`` from a collected heap, and its last output."""
    outputs: list = []
    times = timeit.repeat(lambda: outputs.append(fn()), setup=_fresh_heap, number=1, repeat=repeat)
    return min(times), outputs[-1]


def bench(label: str, name: str, params: dict, metric: type, n: int, repeat: int = 3) -> dict:
    data = wice_pairs(n, max_words=25 if name == "ter" else None)
    hyps = [d["answer"] for d in data]
    refs = [d["references"][0] for d in data]
    ours_s, res = best_time(lambda: rageval.evaluate(data, [(name, params)], progress=False), repeat)
    ref_s, score = best_time(lambda: metric(**params).corpus_score(hyps, [refs]), repeat)
    sentence = metric(**({**params, "effective_order": True} if name == "bleu" else params))
    k = min(n, 1000)
    expected = np.array([sentence.sentence_score(h, [r]).score for h, r in zip(hyps[:k], refs[:k])])
    per = res.to_pandas()[name].to_numpy()[:k]
    diff = max(abs(res.aggregate[name] - score.score), float(np.abs(per - expected).max()))
    return {"scorer": label, "n": n, "rageval_s": ours_s, "reference_s": ref_s, "ratio": ref_s / ours_s,
            "max_abs_diff": diff, "value": res.aggregate[name], "reference_value": score.score}


def run(n: int | None = None) -> list[dict]:
    """Rows ``{scorer, n, rageval_s, reference_s, ratio, max_abs_diff}`` (plus both values);
    ``ratio`` = reference / rageval."""
    return [bench(label, name, params, metric, n or default)
            for label, name, params, metric, default in CASES]


def main() -> None:
    """One JSON row per line; ``benchmarks/text_metrics.py`` prints them as a table with the others."""
    for row in run(int(sys.argv[1]) if len(sys.argv) > 1 else None):
        print(json.dumps(row))


if __name__ == "__main__":
    main()
