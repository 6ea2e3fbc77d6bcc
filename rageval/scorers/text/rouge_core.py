"""Fast, exact re-implementation of rouge-score's tokenizer, n-gram, LCS and summary-level LCS.

Every function returns what the matching function of ``rouge_score.rouge_scorer`` (0.1.2)
returns, to the last bit: the same tokens, the same integer counts, and precision, recall and F
computed with the same float expressions. The speed comes from caching each token's stem, and
from a bit-parallel LCS (`rageval.textutils.lcs`) instead of the O(m·n) table.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from rageval.textutils.lcs import lcs_indices, lcs_length, match_masks
from rageval.textutils.stemming import porter_stem

Score = tuple[float, float, float]
"""(precision, recall, fmeasure), rouge-score's ``Score`` field order."""

_TOKEN = re.compile(r"[a-z0-9]+")
_VALID = re.compile(r"^[a-z0-9]+$")
_STEM_CACHE_LIMIT = 1_000_000
_TEXT_CACHE_LIMIT = 32_768


class RougeTokenizer:
    """rouge-score's ``DefaultTokenizer``: lowercase, split on every run of characters outside
    ``[a-z0-9]``, Porter-stem (nltk, NLTK_EXTENSIONS mode: `rageval.textutils.stemming`) the tokens
    longer than 3 characters when ``use_stemmer``, and drop tokens that are not ``^[a-z0-9]+$``
    afterwards.

    rouge-score replaces non-alphanumeric runs by a space and splits on ``\\s+``; the maximal
    runs of ``[a-z0-9]`` are exactly the non-empty pieces of that split. Stems are cached per
    token (the Porter stemmer is a pure function of its input), and the tokens of recent texts
    are cached too, so scorers that share this tokenizer tokenize a batch once. The returned
    list is shared: do not modify it.

    >>> RougeTokenizer(use_stemmer=True).tokenize("The cats were running!")
    ['the', 'cat', 'were', 'run']
    """

    def __init__(self, use_stemmer: bool = False) -> None:
        self.use_stemmer = bool(use_stemmer)
        self._stemmer = porter_stem if self.use_stemmer else None
        self._stems: dict[str, str | None] = {}
        self._texts: dict[str, list[str]] = {}

    def tokenize(self, text: str) -> list[str]:
        out = self._texts.get(text)
        if out is not None:
            return out
        tokens = _TOKEN.findall(text.lower())
        if self._stemmer is None:
            out = tokens
        else:
            stems = self._stems
            out = []
            for tok in tokens:
                if len(tok) <= 3:
                    out.append(tok)
                    continue
                stem = stems.get(tok, "")
                if stem == "":
                    stem = self._stem(tok)
                if stem is not None:
                    out.append(stem)
        if len(self._texts) >= _TEXT_CACHE_LIMIT:
            self._texts.clear()
        self._texts[text] = out
        return out

    def _stem(self, token: str) -> str | None:
        stem = self._stemmer(token)
        valid = stem if _VALID.match(stem) else None
        if len(self._stems) >= _STEM_CACHE_LIMIT:
            self._stems.clear()
        self._stems[token] = valid
        return valid


def fmeasure(precision: float, recall: float) -> float:
    """rouge-score's ``scoring.fmeasure``: ``2PR / (P + R)``, 0 when ``P + R`` is 0."""
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


NGrams = tuple[Counter, int]
"""n-gram counts and their total."""


def ngrams(tokens: Sequence[str], n: int) -> NGrams:
    """Counts of the n-grams of ``tokens`` and their total (rouge-score's ``_create_ngrams``).

    An n-gram is keyed by its tokens joined with spaces, which no token contains, so keys are
    equal exactly when rouge-score's tuples are.
    """
    if n == 1:
        grams = tokens
    elif n == 2:
        grams = [a + " " + b for a, b in zip(tokens, tokens[1:])]
    else:
        grams = [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return Counter(grams), len(grams)


def ngram_score(target: NGrams, prediction: NGrams) -> Score:
    """ROUGE-N from n-gram counts (rouge-score's ``_score_ngrams``): overlap is the clipped count
    ``sum(min(target[g], prediction[g]))``, precision over the prediction's n-grams, recall over
    the target's, each denominator at least 1."""
    (small, n_target), (large, n_prediction) = target, prediction
    if len(small) > len(large):
        small, large = large, small
    overlap = 0
    get = large.get
    for gram, count in small.items():
        other = get(gram)
        if other:
            overlap += count if count < other else other
    precision = overlap / max(n_prediction, 1)
    recall = overlap / max(n_target, 1)
    return precision, recall, fmeasure(precision, recall)


def lcs_score(target: Sequence[str], prediction: Sequence[str]) -> Score:
    """ROUGE-L (rouge-score's ``_score_lcs``): LCS length over the prediction's length
    (precision) and the target's (recall); all zeros when either side has no tokens."""
    if not target or not prediction:
        return 0.0, 0.0, 0.0
    lcs = lcs_length(target, prediction)
    precision = lcs / len(prediction)
    recall = lcs / len(target)
    return precision, recall, fmeasure(precision, recall)


def summary_lcs_score(ref_sents: Sequence[Sequence[str]], can_sents: Sequence[Sequence[str]]) -> Score:
    """Summary-level ROUGE-L (rouge-score's ``_summary_level_lcs``, ROUGE 1.5.5's rule).

    For each reference sentence, the union of its LCS positions with every candidate sentence;
    each token of that union is a hit while both summaries still have an unused occurrence of
    it. Precision is hits over the candidate's token count, recall over the reference's.
    """
    if not ref_sents or not can_sents:
        return 0.0, 0.0, 0.0
    m = sum(map(len, ref_sents))
    n = sum(map(len, can_sents))
    if not n or not m:
        return 0.0, 0.0, 0.0
    cnt_r: Counter = Counter()
    cnt_c: Counter = Counter()
    for s in ref_sents:
        cnt_r.update(s)
    for s in can_sents:
        cnt_c.update(s)
    hits = 0
    can_masks = [match_masks(c) for c in can_sents]
    for r in ref_sents:
        union: set[int] = set()
        for c, masks in zip(can_sents, can_masks):
            union.update(lcs_indices(r, c, masks))
        for k in sorted(union):
            t = r[k]
            if cnt_c[t] > 0 and cnt_r[t] > 0:
                hits += 1
                cnt_c[t] -= 1
                cnt_r[t] -= 1
    recall = hits / m
    precision = hits / n
    return precision, recall, fmeasure(precision, recall)


def best_by_fmeasure(scores: Sequence[Score]) -> Score:
    """The score with the highest F-measure, the first one on ties (rouge-score's ``score_multi``
    takes ``np.argmax`` over the targets' F-measures)."""
    best = scores[0]
    for s in scores[1:]:
        if s[2] > best[2]:
            best = s
    return best
