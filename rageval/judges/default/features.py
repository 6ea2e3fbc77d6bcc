"""The default judge's features: lexical evidence (word coverage weighted by Zipf information, BM25,
numbers, names, word order, containment) and the sentence-window cosine of MiniLM embeddings, each
in [0, 1]. Pure functions of the texts (and of given unit vectors); `judge.DefaultJudge` computes
the embeddings and combines the features with the weights of `weights`."""
from __future__ import annotations

import functools
import html
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rageval.judges.lexical import stopwords
from rageval.models import DEFAULT_EMBEDDING_MODEL
from rageval.textutils.lcs import lcs_length
from rageval.textutils.stemming import porter_stem

_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({w: str(i) for i, w in enumerate(
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split()) if i})
_NUMBER_WORDS.update({"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
                      "eighty": "80", "ninety": "90", "hundred": "100", "thousand": "1000"})
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
_WORD = re.compile(r"\w+")
_ARTICLES = frozenset({"a", "an", "the"})
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
#: pieces of English contractions left by word tokenisation ("don't" -> "don", "t"): not content
_CONTRACTIONS = frozenset("s t d ll re ve m don doesn didn isn wasn aren weren hasn haven hadn couldn wouldn "
                          "shouldn won ain".split())


def normalize(text: str) -> str:
    """HTML entities unescaped, NFKD with accents removed, case-folded, thousands separators
    dropped ("10,000" -> "10000")."""
    text = unicodedata.normalize("NFKD", html.unescape(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return _THOUSANDS.sub("", text)


@functools.lru_cache(maxsize=200_000)
def _token(word: str) -> str:
    word = _NUMBER_WORDS.get(word, word)
    m = _ORDINAL.match(word)
    return m.group(1) if m else word


def tokens(text: str) -> list[str]:
    """Word tokens of `normalize`d text; number words and ordinals become digits ("sixth" -> "6")."""
    return [_token(w) for w in _WORD.findall(normalize(text))]


@functools.lru_cache(maxsize=4096)
def stems(text: str) -> frozenset[str]:
    """The stems of the text's tokens (cached: a premise is compared with each of its claims)."""
    return frozenset(porter_stem(w) for w in tokens(text))


@functools.lru_cache(maxsize=1)
def _ranks() -> dict[str, int]:
    """Frequency rank of each whole word in the MiniLM (BERT uncased) WordPiece vocabulary, whose
    entries after the special and single-character tokens are in decreasing corpus frequency."""
    from rageval.models import resolve_model

    vocab = (Path(resolve_model(DEFAULT_EMBEDDING_MODEL)) / "vocab.txt").read_text(encoding="utf-8").split("\n")
    start = vocab.index("the")
    return {w: i - start + 1 for i, w in enumerate(vocab[start:], start) if w and not w.startswith("##")}


def weight(word: str) -> float:
    """Information weight log(1 + rank): by Zipf's law, −log p(word) up to a constant. Words outside
    the vocabulary (rarer than all of it) get the rank 2·|vocabulary|."""
    ranks = _ranks()
    return math.log1p(ranks.get(word, 2 * len(ranks)))


def _content_words(text: str) -> list[str]:
    """Distinct tokens of the text without stop words (all its tokens when it has only stop words)."""
    words = list(dict.fromkeys(tokens(text)))
    return [w for w in words if w not in stopwords() and w not in _CONTRACTIONS] or words


def weighted_coverage(target: str, source: str) -> float:
    """Σ weight(w)·[stem(w) ∈ stems(source)] / Σ weight(w) over the distinct content words w of the
    target (all its words when it has only stop words); 1.0 for a target without words."""
    content = _content_words(target)
    if not content:
        return 1.0
    found = stems(source)
    ws = np.array([weight(w) for w in content])
    hit = np.array([porter_stem(w) in found for w in content])
    return float((ws * hit).sum() / ws.sum())


#: BM25 parameters: the usual k1 and b (Robertson & Zaragoza 2009) and a fixed average document length
#: of 100 words (the passage size of DPR-style retrieval), so that a score needs no corpus statistics
BM25_K1, BM25_B, BM25_AVGDL = 1.2, 0.75, 100.0


def bm25(query: str, passage: str) -> float:
    """Normalised BM25 of the passage for the query, in [0, 1):
    Σ_q weight(q)·tf·(k1+1)/(tf + k1·(1 − b + b·|passage|/avgdl)) / ((k1+1)·Σ_q weight(q)) over the
    distinct content words q of the query, tf = occurrences of stem(q) among the passage's stemmed
    tokens, with `weight` (Zipf information) in place of a corpus IDF; 0.0 for a query without words.
    Term-frequency saturation and length normalisation are what word coverage lacks: a long passage
    that mentions each question word once scores below a short one that dwells on them."""
    content = _content_words(query)
    passage_stems = [porter_stem(w) for w in tokens(passage)]
    if not content or not passage_stems:
        return 0.0
    counts = Counter(passage_stems)
    norm = BM25_K1 * (1 - BM25_B + BM25_B * len(passage_stems) / BM25_AVGDL)
    ws = np.array([weight(w) for w in content])
    tf = np.array([counts[porter_stem(w)] for w in content], dtype=np.float64)
    return float((ws * tf / (tf + norm)).sum() / ws.sum())


@functools.lru_cache(maxsize=4096)
def _content_stems(text: str) -> tuple[str, ...]:
    skip = stopwords()
    return tuple(porter_stem(w) for w in tokens(text) if w not in skip)


def ordered_coverage(target: str, sentences: Sequence[str]) -> float:
    """Longest common subsequence of the target's content-word stems (stop words dropped, in text
    order, repeats kept) with those of one source sentence, over the number of the target's; the
    best sentence counts; 1.0 for a target without content words. Word order matters here, unlike in
    `weighted_coverage`: "Italian cuisine was influenced by French" finds every word in "French
    cuisine was influenced by Italian" but only 2 of its 4 content words in order."""
    claim = _content_stems(target)
    if not claim:
        return 1.0
    return max(lcs_length(claim, _content_stems(s)) for s in sentences) / len(claim)


def number_coverage(target: str, source: str) -> float:
    """Share of the target's numbers (digit tokens, number words included) found in the source;
    1.0 when the target has none."""
    nums = {t for t in tokens(target) if t.isdigit()}
    if not nums:
        return 1.0
    return len(nums & set(tokens(source))) / len(nums)


_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*")


def names(text: str) -> list[str]:
    """Capitalised names: runs of capitalised words, except at the start of the text or of a
    sentence ("The river Seine flows to Le Havre." -> ["Seine", "Le Havre"])."""
    return _NAME.findall(text)


def name_coverage(target: str, source: str) -> float:
    """Share of the target's `names` all of whose words (stemmed) occur in the source; 1.0 when the
    target has none. Names and numbers are where unsupported details most often hide."""
    found = [tokens(n) for n in names(target)]
    found = [ws for ws in found if ws]
    if not found:
        return 1.0
    have = stems(source)
    return sum(all(porter_stem(w) in have for w in ws) for ws in found) / len(found)


def _content_tokens(text: str) -> list[str]:
    return [t for t in tokens(text) if t not in _ARTICLES]


def contains(text: str, phrase: str) -> float:
    """1.0 when the phrase's tokens (articles dropped) occur contiguously in the text's, else 0.0."""
    p, t = " ".join(_content_tokens(phrase)), " ".join(_content_tokens(text))
    return float(bool(p) and f" {p} " in f" {t} ")


def compact_contains(text: str, phrase: str) -> float:
    """1.0 when the phrase's letters and digits (articles dropped) occur contiguously in the text's:
    spacing, hyphens and glued footnote marks ignored ("non-partisan" in "nonpartisan", "1926" in
    "in19261")."""
    p = "".join(_content_tokens(phrase))
    return float(bool(p) and p in "".join(_content_tokens(text)))


def window_cosine(vec: dict[str, np.ndarray], text: str, sentences: Sequence[str]) -> float:
    """Largest cosine (floored at 0) between ``text`` and a sentence or pair of adjacent sentences;
    a pair's vector is the normalised sum of its sentences' vectors (mean pooling makes that close
    to embedding the pair, at half the cost). ``vec`` maps each text to its unit vector."""
    m = np.stack([vec[s] for s in sentences])
    if len(sentences) > 1:
        pairs = m[:-1] + m[1:]
        m = np.vstack([m, pairs / np.linalg.norm(pairs, axis=1, keepdims=True).clip(1e-12)])
    return max(float((m @ vec[text]).max()), 0.0)
