"""Distinct text pairs for the text-metric benchmarks, as users' answers and references are.

WiCE's claims and evidence sentences (../shared/data/wice) repeat: a claim comes with several
evidence sentences, and articles share sentences, so a benchmark over them lets per-sentence caches
(tokens, stems, n-grams, embeddings) pay off more than they do on real data. `distinct_pairs`
gives ``n`` pairs ``{answer, references: [reference]}`` in which no answer and no reference occurs
twice: the answer is a claim or an evidence sentence, the reference the next evidence sentence of
the same claim, and a sentence already used is perturbed (a word dropped, two neighbours swapped,
a word of another sentence inserted; seeded) until it is new. `repeated_pairs` keeps the old
claim-against-its-evidence pairs, to report the cache-friendly case separately.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

WICE = Path(__file__).resolve().parents[2] / "shared" / "data" / "wice" / "entailment_retrieval" / "claim"


def _claims() -> list[dict]:
    if not WICE.is_dir():
        raise FileNotFoundError(f"{WICE} is absent: the benchmark reads the project's shared WiCE data")
    return [json.loads(line) for split in ("dev", "test") for line in (WICE / f"{split}.jsonl").open(encoding="utf-8")]


def _perturb(rng: random.Random, text: str, vocabulary: list[str]) -> str:
    words = text.split()
    move = rng.randrange(3) if len(words) > 2 else 2
    if move == 0:
        del words[rng.randrange(len(words))]
    elif move == 1:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    else:
        words.insert(rng.randrange(len(words) + 1), rng.choice(vocabulary))
    return " ".join(words)


def distinct_pairs(n: int, seed: int = 0) -> list[dict]:
    """``n`` pairs, every answer and every reference a string used once (see the module docstring)."""
    rng = random.Random(seed)
    claims = _claims()
    vocabulary = sorted({w for c in claims[:500] for w in c["claim"].split()})
    seen: set[str] = set()

    def fresh(text: str) -> str:
        while text in seen or not text.strip():
            text = _perturb(rng, text or rng.choice(vocabulary), vocabulary)
        seen.add(text)
        return text

    out: list[dict] = []
    while len(out) < n:
        for c in claims:
            ev = c["evidence"]
            for answer, reference in [(c["claim"], ev[0])] + list(zip(ev[::2], ev[1::2])):
                out.append({"answer": fresh(answer), "references": [fresh(reference)]})
                if len(out) == n:
                    return out
    return out


def repeated_pairs(n: int, lines: int = 1) -> list[dict]:
    """The cache-friendly pairs: each claim against ``lines`` consecutive evidence sentences, the claim
    repeated for each group of its evidence."""
    claims = _claims()
    out: list[dict] = []
    k = 0
    while len(out) < n:
        for row in claims:
            ev = row["evidence"]
            if k + lines <= len(ev):
                out.append({"answer": row["claim"], "references": ["\n".join(ev[k:k + lines])]})
                if len(out) == n:
                    return out
        k += lines
    return out
