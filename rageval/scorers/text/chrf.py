"""`chrf`: chrF (Popović 2015) and chrF++ (``word_order=2``, Popović 2017), identical to
``sacrebleu.CHRF``, on 0-100.

Per-example statistics are sacrebleu's segment statistics: for each character n-gram order
1..char_order, then each word n-gram order 1..word_order, the triple
``[hyp n-grams, ref n-grams, matched n-grams]`` (matches clipped by the reference counts; the
hypothesis count is 0 when the reference has no n-gram of that order). Character n-grams ignore
whitespace unless ``whitespace=True``; words are split on whitespace with one leading or
trailing punctuation character split off (sacrebleu's rule). With several references, the
statistics of the reference with the best sentence chrF are kept (the first on ties).
The corpus score, from the summed statistics:

    P = mean_n prec_n, R = mean_n rec_n over the orders with both counts > 0,
    chrF = 100 * (1 + beta^2) P R / (beta^2 P + R)

or, with ``eps_smoothing=True``, the mean over all orders of the per-order F-scores with
precision and recall 1e-16 where undefined (chrF++.py, NLTK and Moses). Per-example scores are
sacrebleu's ``sentence_chrf``.

>>> s = CHRF()
>>> round(s.reduce(s.stats({"answer": ["the cat sat"], "references": [["the cat sat down"]]}))["chrf"], 4)
66.0176
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from rageval.scorers.text.bleu import ngrams
from rageval.scorers.text.sacrebleu_compat import SACREBLEU_VERSION, SacrebleuScorer, clipped_matches, yes_no
from rageval.textutils.ngrams import ngram_matches

_PUNCTS = frozenset('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')


def split_words(sent: str) -> list[str]:
    """Words for chrF++: whitespace tokens, a trailing (else a leading) punctuation character of a
    multi-character token split off (sacrebleu's ``CHRF._remove_punctuation``)."""
    words: list[str] = []
    for w in sent.split():
        if len(w) == 1:
            words.append(w)
        elif w[-1] in _PUNCTS:
            words += [w[:-1], w[-1]]
        elif w[0] in _PUNCTS:
            words += [w[0], w[1:]]
        else:
            words.append(w)
    return words


def char_matches(hyp: str, ref: str, order: int) -> list[int]:
    """Clipped character n-gram matches of ``hyp`` against ``ref`` for n = 1..order:
    sum over distinct n-grams g of ``hyp`` of min(count_hyp(g), count_ref(g)).

    A length-n substring of ``ref`` is one of its n-grams, so a hypothesis n-gram is present in the
    reference when ``gram in ref``, and only where its (n-1)-gram prefix is present. Following the
    positions still present order by order checks few n-grams and builds no n-gram table of the
    reference; once the present n-grams are distinct, longer ones are too, and each counts once.
    """
    out = [0] * order
    if not hyp or not ref or not order:
        return out
    common = set(hyp).intersection(ref)
    if not common:
        return out
    count_h, count_r = hyp.count, ref.count
    out[0] = sum([min(count_h(c), count_r(c)) for c in common])
    alive = [i for i, c in enumerate(hyp) if c in common]
    distinct = False
    for n in range(2, order + 1):
        last = len(hyp) - n
        alive = [i for i in alive if i <= last and hyp[i:i + n] in ref]
        if not alive:
            break
        if not distinct:
            grams = [hyp[i:i + n] for i in alive]
            distinct = len(set(grams)) == len(grams)
        if distinct:
            out[n - 1] = len(alive)
        else:
            out[n - 1] = sum([c if c == 1 else min(c, _overlapping_count(ref, g))
                              for g, c in Counter(grams).items()])
    return out


def _overlapping_count(text: str, sub: str) -> int:
    """Occurrences of ``sub`` in ``text``, overlapping ones included (its n-gram count)."""
    k, i = 0, text.find(sub)
    while i >= 0:
        k += 1
        i = text.find(sub, i + 1)
    return k


def chrf_score(stats: np.ndarray, beta: float, eps_smoothing: bool) -> np.ndarray:
    """chrF for each row of ``[hyp, ref, match] * orders`` statistics, as sacrebleu's
    ``CHRF._compute_f_score``, vectorised over rows with its floating-point operations in order."""
    stats = np.asarray(stats, dtype=np.float64)
    stats = stats.reshape(len(stats), stats.shape[-1] // 3, 3)
    eps = 1e-16
    factor = beta ** 2
    rows, orders = stats.shape[:2]
    score = np.zeros(rows)
    avg_prec, avg_rec = np.zeros(rows), np.zeros(rows)
    effective_order = np.zeros(rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(orders):
            n_hyp, n_ref, n_match = stats[:, i, 0], stats[:, i, 1], stats[:, i, 2]
            prec = np.where(n_hyp > 0, n_match / n_hyp, eps)
            rec = np.where(n_ref > 0, n_match / n_ref, eps)
            denom = factor * prec + rec
            score = score + np.where(denom > 0, (1 + factor) * prec * rec / denom, eps)
            both = (n_hyp > 0) & (n_ref > 0)
            avg_prec = np.where(both, avg_prec + prec, avg_prec)
            avg_rec = np.where(both, avg_rec + rec, avg_rec)
            effective_order = effective_order + both
        if eps_smoothing:
            return 100 * score / orders
        avg_prec = np.where(effective_order > 0, avg_prec / effective_order, 0.0)
        avg_rec = np.where(effective_order > 0, avg_rec / effective_order, 0.0)
        f = (1 + factor) * avg_prec * avg_rec
        f = f / ((factor * avg_prec) + avg_rec)
        return np.where(avg_prec + avg_rec != 0, 100 * f, 0.0)


class CHRF(SacrebleuScorer):
    """chrF / chrF++ identical to ``sacrebleu.CHRF(**params).corpus_score``; parameters as sacrebleu.

    Args:
        char_order: character n-gram order (6).
        word_order: word n-gram order (0; 2 gives chrF++).
        beta: weight of recall against precision (2).
        lowercase: compare case-insensitively.
        whitespace: keep whitespace in character n-grams.
        eps_smoothing: chrF++.py-style epsilon smoothing instead of the effective order.
    """

    name = "chrf"
    bounds = (0.0, 100.0)

    def __init__(self, char_order: int = 6, word_order: int = 0, beta: float = 2,
                 lowercase: bool = False, whitespace: bool = False, eps_smoothing: bool = False) -> None:
        for label, value, low in (("char_order", char_order, 0), ("word_order", word_order, 0)):
            if int(value) != value or value < low:
                raise ValueError(f"{label} must be a non-negative integer, got {value!r}")
        if char_order + word_order < 1:
            raise ValueError("char_order + word_order must be at least 1")
        super().__init__(char_order=int(char_order), word_order=int(word_order), beta=beta,
                         lowercase=bool(lowercase), whitespace=bool(whitespace),
                         eps_smoothing=bool(eps_smoothing))
        self.char_order, self.word_order = int(char_order), int(word_order)
        self.beta, self.lowercase = beta, bool(lowercase)
        self.whitespace, self.eps_smoothing = bool(whitespace), bool(eps_smoothing)
        self.width = 3 * (self.char_order + self.word_order)

    def _units(self, sent: str) -> tuple[str, list[str]]:
        """The character string n-grams are taken from, and the words (chrF++)."""
        if self.lowercase:
            sent = sent.lower()
        chars = sent if self.whitespace else "".join(sent.split())
        return chars, (split_words(sent) if self.word_order else [])

    def _pair_stats(self, hyp: tuple[str, list[str]], ref: tuple[str, list[str]]) -> list[int]:
        chars_h, words_h = hyp
        chars_r, words_r = ref
        out: list[int] = []
        for n, m in enumerate(char_matches(chars_h, chars_r, self.char_order), 1):
            n_hyp, n_ref = max(0, len(chars_h) - n + 1), max(0, len(chars_r) - n + 1)
            out += [n_hyp if n_ref else 0, n_ref, m]
        m = 1
        for n in range(1, self.word_order + 1):
            n_hyp, n_ref = max(0, len(words_h) - n + 1), max(0, len(words_r) - n + 1)
            if m and n_hyp and n_ref:  # once no n-gram matches, no longer one can
                m = clipped_matches(ngrams(words_h, n), [ngrams(words_r, n)])
            else:
                m = 0
            out += [n_hyp if n_ref else 0, n_ref, m]
        return out

    def segment_stats(self, hyp: str, refs: list[str]) -> list[int]:
        """``[hyp, ref, match] * (char_order + word_order)`` as sacrebleu's
        ``_compute_segment_statistics`` (the best reference's statistics)."""
        hyp_units = self._units(hyp)
        candidates = [self._pair_stats(hyp_units, self._units(r)) for r in refs]
        if len(candidates) == 1:
            return candidates[0]
        return candidates[int(np.argmax(chrf_score(np.array(candidates), self.beta, self.eps_smoothing)))]

    def batch_stats(self, hyps: list[str], refs: list[list[str]]) -> np.ndarray:
        """`segment_stats` of every example at once: each (hypothesis, reference) pair's character
        and word n-gram matches counted by `rageval.textutils.ngrams` (characters as code points,
        words numbered), then each hypothesis's best reference kept as `segment_stats` keeps it."""
        n = len(hyps)
        n_refs = np.fromiter(map(len, refs), dtype=np.int64, count=n)
        owner = np.repeat(np.arange(n), n_refs)  # each pair's hypothesis
        pairs = len(owner)
        hyp_units = [self._units(h) for h in hyps]
        ref_units = [self._units(r) for rs in refs for r in rs]
        pair_hyp = [hyp_units[i] for i in owner.tolist()]
        columns = []
        if self.char_order:
            chars = [u[0] for u in pair_hyp] + [u[0] for u in ref_units]
            codes = np.frombuffer("".join(chars).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            lengths = np.fromiter(map(len, chars), dtype=np.int64, count=len(chars))
            columns.append((ngram_matches(codes, lengths, pairs, np.arange(pairs), self.char_order),
                            lengths[:pairs], lengths[pairs:], self.char_order))
        if self.word_order:
            words = [u[1] for u in pair_hyp] + [u[1] for u in ref_units]
            flat = [w for ws in words for w in ws]
            index: dict[str, int] = {}  # each word's id: the position of its first occurrence
            ids = np.fromiter(map(index.setdefault, flat, range(len(flat))), dtype=np.int64, count=len(flat))
            lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
            columns.append((ngram_matches(ids, lengths, pairs, np.arange(pairs), self.word_order),
                            lengths[:pairs], lengths[pairs:], self.word_order))
        stats = np.zeros((pairs, self.width), dtype=np.float64)
        col = 0
        for matches, hyp_len, ref_len, order in columns:
            for k in range(order):
                n_hyp, n_ref = np.maximum(0, hyp_len - k), np.maximum(0, ref_len - k)
                stats[:, col] = np.where(n_ref > 0, n_hyp, 0)
                stats[:, col + 1] = n_ref
                stats[:, col + 2] = matches[:, k]
                col += 3
        if pairs == n:
            return stats
        # several references: the statistics of the one with the best sentence chrF, the first on ties
        f = chrf_score(stats, self.beta, self.eps_smoothing)
        starts = np.cumsum(n_refs) - n_refs
        best = [s + int(np.argmax(f[s:s + k])) for s, k in zip(starts.tolist(), n_refs.tolist())]
        return stats[best]

    def score(self, totals: np.ndarray, sentence: bool = False) -> dict[str, np.ndarray]:
        return {self.key: chrf_score(totals, self.beta, self.eps_smoothing)}

    def sacrebleu_signature(self, nrefs: int | str = 1) -> str:
        return (f"nrefs:{nrefs}|case:{'lc' if self.lowercase else 'mixed'}"
                f"|eff:{yes_no(not self.eps_smoothing)}|nc:{self.char_order}|nw:{self.word_order}"
                f"|space:{yes_no(self.whitespace)}|version:{SACREBLEU_VERSION}")
