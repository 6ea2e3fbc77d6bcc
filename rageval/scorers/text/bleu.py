"""`bleu`: sacrebleu's corpus BLEU (Papineni et al., 2002), identical to ``sacrebleu.BLEU``, on 0-100.

Per-example statistics are sacrebleu's segment statistics
``[hyp_len, ref_len, correct_1..N, total_1..N]`` (``ref_len`` is the reference length closest to
the hypothesis length, the shorter on ties; ``correct_n`` counts hypothesis n-grams clipped by
their maximum count in any one reference). BLEU over a set of examples is computed from the sums:

    BLEU = BP * exp(mean_n log p_n),  p_n = 100 * correct_n / total_n,
    BP = 1 if hyp_len >= ref_len else exp(1 - ref_len / hyp_len)  (0 when hyp_len = 0),

with sacrebleu's smoothing (`exp`: the k-th zero precision is 100 / (2^k total_n); `floor`: 100 *
smooth_value / total_n; `add-k`: smooth_value added to correct_n and total_n for n > 1; `none`)
and, with `effective_order`, the mean taken over the orders with total_n > 0 only.

Per-example scores (`example_scores`) are sentence BLEU as ``sacrebleu.sentence_bleu`` computes it:
the same parameters but always with ``effective_order=True`` (sacrebleu's recommendation for
sentence-level BLEU; without it a sentence shorter than 4 tokens scores about 0).
Parts: ``bleu.bp`` (brevity penalty) and ``bleu.ratio`` (hyp_len / ref_len).

>>> s = BLEU()
>>> round(s.reduce(s.stats({"answer": ["the cat sat on the mat"],
...                          "references": [["the cat sat on a mat"]]}))["bleu"], 4)
53.7285
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rageval.scorers.text.sacrebleu_compat import SACREBLEU_VERSION, SacrebleuScorer, clipped_matches, yes_no
from rageval.scorers.text.tokenizers import get_tokenizer
from rageval.textutils.ngrams import ngram_matches

#: sacrebleu's BLEU.SMOOTH_DEFAULTS
SMOOTH_DEFAULTS: dict[str, float | None] = {"none": None, "floor": 0.1, "add-k": 1, "exp": None}


def ngrams(tokens: list[str], n: int) -> list:
    """The n-grams of ``tokens`` in order (tokens themselves for n = 1, tuples otherwise)."""
    if n == 1:
        return tokens
    return list(zip(*[tokens[i:] for i in range(n)]))


def closest_ref_len(hyp_len: int, ref_lens: Sequence[int]) -> int:
    """The reference length closest to ``hyp_len``, the shorter one on ties (sacrebleu)."""
    return min(ref_lens, key=lambda r: (abs(hyp_len - r), r))


def compute_bleu(stats: np.ndarray, smooth_method: str = "exp", smooth_value: float | None = None,
                 effective_order: bool = False, max_ngram_order: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(BLEU, brevity penalty) for each row of summed statistics ``[sys_len, ref_len,
    correct_1..N, total_1..N]``, as ``sacrebleu.BLEU.compute_bleu`` computes them.

    Vectorised over rows with the same floating-point operations in the same order as sacrebleu's
    scalar code (IEEE arithmetic in numpy, ``math.log``/``math.exp`` for the transcendentals), so
    the values are bit-identical.
    """
    order = max_ngram_order
    if smooth_value is None:
        smooth_value = SMOOTH_DEFAULTS[smooth_method]
    stats = np.asarray(stats, dtype=np.float64).reshape(-1, 2 + 2 * order)
    sys_len, ref_len = stats[:, 0], stats[:, 1]
    correct, total = stats[:, 2:2 + order].copy(), stats[:, 2 + order:].copy()
    any_match = (correct != 0).any(axis=1)
    if smooth_method == "add-k":
        correct[:, 1:] += smooth_value
        total[:, 1:] += smooth_value
    # sacrebleu stops at the first order with no hypothesis n-grams
    valid = np.cumprod(total != 0, axis=1).astype(bool)
    zero = valid & (correct == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        precisions = np.where(valid & ~zero, 100.0 * correct / total, 0.0)
        if smooth_method == "exp":
            halvings = np.cumsum(zero, axis=1)
            precisions = np.where(zero, 100.0 / (np.exp2(halvings) * total), precisions)
        elif smooth_method == "floor":
            precisions = np.where(zero, 100.0 * smooth_value / total, precisions)
    eff_order = valid.sum(axis=1) if effective_order else np.full(len(stats), order)
    eff_order = np.maximum(eff_order, 1)  # a row without hypothesis n-grams scores 0 below anyway
    # sacrebleu's my_log floors log(0) at -9999999999; terms are summed left to right
    logs = np.array([math.log(p) if p != 0.0 else -9999999999.0 for p in precisions.ravel().tolist()],
                    dtype=np.float64).reshape(precisions.shape)
    log_sum = np.zeros(len(stats))
    for n in range(order):
        log_sum = np.where(n < eff_order, log_sum + logs[:, n], log_sum)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = ref_len / sys_len
    bp_arg = (1 - ratio).tolist()
    bp = np.array([1.0 if s >= r else (math.exp(a) if s > 0 else 0.0)
                   for s, r, a in zip(sys_len.tolist(), ref_len.tolist(), bp_arg)], dtype=np.float64)
    mean_log = (log_sum / eff_order).tolist()
    bleu = np.array([math.exp(m) for m in mean_log], dtype=np.float64) * bp
    return np.where(any_match, bleu, 0.0), bp


class BLEU(SacrebleuScorer):
    """Corpus BLEU identical to ``sacrebleu.BLEU(**params).corpus_score``; parameters as sacrebleu.

    Args:
        tokenize: `13a` (default; None means it too), `intl`, `zh`, `char`, `none`, or with
            the optional MeCab packages `ja-mecab` and `ko-mecab`.
        smooth_method: `exp` (default), `floor`, `add-k` or `none`.
        smooth_value: for `floor` (default 0.1) and `add-k` (default 1).
        lowercase: lowercase hypotheses and references first.
        effective_order: average only over the n-gram orders the hypotheses have.
        max_ngram_order: the highest n-gram order (4).
    """

    name = "bleu"
    bounds = (0.0, 100.0)
    parts = ("bp", "ratio")

    def __init__(self, tokenize: str | None = "13a", smooth_method: str = "exp",
                 smooth_value: float | None = None, lowercase: bool = False,
                 effective_order: bool = False, max_ngram_order: int = 4) -> None:
        if smooth_method not in SMOOTH_DEFAULTS:
            raise ValueError(f"unknown smooth_method {smooth_method!r}; one of {', '.join(SMOOTH_DEFAULTS)}")
        if int(max_ngram_order) != max_ngram_order or max_ngram_order < 1:
            raise ValueError(f"max_ngram_order must be a positive integer, got {max_ngram_order!r}")
        tokenize = "13a" if tokenize is None else tokenize  # sacrebleu's None: its default, 13a
        super().__init__(tokenize=tokenize, smooth_method=smooth_method, smooth_value=smooth_value,
                         lowercase=bool(lowercase), effective_order=bool(effective_order),
                         max_ngram_order=int(max_ngram_order))
        self.tokenizer = get_tokenizer(tokenize)
        self.smooth_method, self.smooth_value = smooth_method, smooth_value
        self.lowercase, self.effective_order = bool(lowercase), bool(effective_order)
        self.max_ngram_order = int(max_ngram_order)
        self.width = 2 + 2 * self.max_ngram_order

    def _tokens(self, sent: str) -> list[str]:
        # sacrebleu's BLEU._preprocess_segment: lowercase, strip the right end, tokenize
        if self.lowercase:
            sent = sent.lower()
        return self.tokenizer.tokens(sent.rstrip())

    def segment_stats(self, hyp: str, refs: list[str]) -> list[float]:
        """``[hyp_len, ref_len, correct_1..N, total_1..N]`` as sacrebleu's
        ``_compute_segment_statistics``."""
        order = self.max_ngram_order
        hyp_tokens = self._tokens(hyp)
        ref_tokens = [self._tokens(r) for r in refs]
        hyp_len = len(hyp_tokens)
        correct = [0] * order
        for n in range(1, min(order, hyp_len) + 1):
            correct[n - 1] = clipped_matches(ngrams(hyp_tokens, n), [ngrams(t, n) for t in ref_tokens])
            if not correct[n - 1]:  # no n-gram of this order matches: no longer one can
                break
        total = [max(0, hyp_len - n) for n in range(order)]
        return [hyp_len, closest_ref_len(hyp_len, [len(t) for t in ref_tokens]), *correct, *total]

    def batch_stats(self, hyps: list[str], refs: list[list[str]]) -> np.ndarray:
        """`segment_stats` of every example at once: the lines tokenized together, the tokens
        numbered, and the clipped matches of all orders counted by `rageval.textutils.ngrams`."""
        order = self.max_ngram_order
        n = len(hyps)
        lines = [*hyps, *[r for rs in refs for r in rs]]
        if self.lowercase:
            lines = [line.lower() for line in lines]
        tokens, lengths = self.tokenizer.tokens_batch([line.rstrip() for line in lines])
        index: dict[str, int] = {}  # each token's id: the position of its first occurrence
        ids = np.fromiter(map(index.setdefault, tokens, range(len(tokens))), dtype=np.int64, count=len(tokens))
        lengths = np.asarray(lengths, dtype=np.int64)
        n_refs = np.fromiter(map(len, refs), dtype=np.int64, count=n)
        owner = np.repeat(np.arange(n), n_refs)
        correct = ngram_matches(ids, lengths, n, owner, order)
        hyp_len, ref_lens = lengths[:n], lengths[n:]
        # the closest reference length, the shorter on ties: the least (distance, length) per hypothesis
        key = np.abs(ref_lens - hyp_len[owner]) * (int(ref_lens.max(initial=0)) + 1) + ref_lens
        starts = np.cumsum(n_refs) - n_refs
        ref_len = np.minimum.reduceat(key, starts) % (int(ref_lens.max(initial=0)) + 1) if n else key
        total = np.maximum(0, hyp_len[:, None] - np.arange(order)[None, :])
        return np.column_stack([hyp_len, ref_len, correct, total]).astype(np.float64).reshape(n, self.width)

    def score(self, totals: np.ndarray, sentence: bool = False) -> dict[str, np.ndarray]:
        bleu, bp = compute_bleu(totals, self.smooth_method, self.smooth_value,
                                self.effective_order or sentence, self.max_ngram_order)
        sys_len, ref_len = totals[:, 0], totals[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(ref_len > 0, sys_len / ref_len, 0.0)
        k = self.key
        return {k: bleu, f"{k}.bp": bp, f"{k}.ratio": ratio}

    def signature_items(self) -> dict:
        # the tokenizer as sacrebleu signs it: for MeCab, with its version and dictionary
        return {**super().signature_items(), "tokenize": self.tokenizer.signature}

    def sacrebleu_signature(self, nrefs: int | str = 1) -> str:
        smooth = self.smooth_method
        default = SMOOTH_DEFAULTS[smooth]
        if default is not None:
            smooth += f"[{(self.smooth_value if self.smooth_value is not None else default):.2f}]"
        return (f"nrefs:{nrefs}|case:{'lc' if self.lowercase else 'mixed'}"
                f"|eff:{yes_no(self.effective_order)}|tok:{self.tokenizer.signature}"
                f"|smooth:{smooth}|version:{SACREBLEU_VERSION}")
