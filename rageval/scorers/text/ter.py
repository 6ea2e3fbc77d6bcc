"""`ter`: translation edit rate (Snover et al., 2006), identical to ``sacrebleu.TER``, on 0-100
(lower is better).

Per-example statistics are sacrebleu's ``[edits, ref_len]``: the fewest edits (insertions,
deletions, substitutions, and shifts of word blocks) turning the hypothesis into the closest
reference, and the references' average length in words. As in sacrebleu, references go
through the Tercom normaliser twice (hypotheses once), which matters with ``normalized=True``.
Corpus TER = 100 * sum(edits) /
sum(ref_len) (100 when the references are empty and there are edits, 0 when there are none).
Per-example scores are sacrebleu's ``sentence_ter``.

The shift search and the beam edit distance follow sacrebleu's ``metrics/lib_ter.py`` step for
step, heuristics and limits included (Tercom's shift ranking, a beam of 25 around the
length-scaled diagonal, at most 1000 shift candidates): that module is Copyright 2020 Memsource,
Apache License 2.0, and builds on Tercom (github.com/jhclark/tercom) and PyTer (MIT).

>>> s = TER()
>>> s.reduce(s.stats({"answer": ["a b c d"], "references": [["b c d a"]]}))["ter"]
25.0
"""
from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from rageval.scorers.text.sacrebleu_compat import SACREBLEU_VERSION, SacrebleuScorer, yes_no
from rageval.scorers.text.tokenizers import TokenizerTercom

_MAX_SHIFT_SIZE = 10
_MAX_SHIFT_DIST = 50
_BEAM_WIDTH = 25
_MAX_CACHE_SIZE = 10000
_MAX_SHIFT_CANDIDATES = 1000
_INFINITY = int(1e16)

_NOP, _SUB, _INS, _DEL, _UNDEF = " ", "s", "i", "d", "x"
_FLIP = str.maketrans(_INS + _DEL, _DEL + _INS)


def edit_rate(hyp: list[str], ref: list[str]) -> tuple[int, int]:
    """(number of edits with shifts, reference length) for one hypothesis and one reference
    (sacrebleu's ``translation_edit_rate``)."""
    if not ref:
        return len(hyp), 0
    distance = _BeamEditDistance(ref)
    shifts = 0
    words = hyp
    checked = 0
    while True:
        delta, shifted, checked = _best_shift(words, ref, distance, checked)
        if checked >= _MAX_SHIFT_CANDIDATES or delta <= 0:
            break
        shifts += 1
        words = shifted
    edits, _ = distance(words)
    return shifts + edits, len(ref)


def _best_shift(hyp: list[str], ref: list[str], distance: _BeamEditDistance,
                checked: int) -> tuple[int, list[str], int]:
    """The shift that lowers the edit distance most, ranked as Tercom ranks them:
    (gain, then longer, then earlier in the hypothesis, then earlier target)."""
    pre_score, inv_trace = distance(hyp)
    # the alignment is read from the trace rewriting the reference into the hypothesis
    align, ref_err, hyp_err = _alignment(inv_trace.translate(_FLIP))
    best = None
    for start_h, start_r, length in _matching_blocks(hyp, ref):
        if sum(hyp_err[start_h:start_h + length]) == 0 or sum(ref_err[start_r:start_r + length]) == 0:
            continue  # shift only a wrong block onto a wrong place
        if start_h <= align[start_r] < start_h + length:
            continue  # not within itself
        prev_idx = -1
        for offset in range(-1, length):
            if start_r + offset == -1:
                idx = 0
            elif start_r + offset in align:
                idx = align[start_r + offset] + 1  # sacrebleu inserts before the index
            else:
                break
            if idx == prev_idx:
                continue
            prev_idx = idx
            shifted = _shift(hyp, start_h, length, idx)
            candidate = (pre_score - distance(shifted)[0], length, -start_h, -idx, shifted)
            checked += 1
            if not best or candidate > best:
                best = candidate
        if checked >= _MAX_SHIFT_CANDIDATES:
            break
    if not best:
        return 0, hyp, checked
    return best[0], best[4], checked


def _shift(words: list[str], start: int, length: int, target: int) -> list[str]:
    """``words`` with the block ``[start, start + length)`` moved to ``target``."""
    if target < start:
        return words[:target] + words[start:start + length] + words[target:start] + words[start + length:]
    if target > start + length:
        return words[:start] + words[start + length:target] + words[start:start + length] + words[target:]
    return (words[:start] + words[start + length:length + target] + words[start:start + length]
            + words[length + target:])


def _matching_blocks(hyp: list[str], ref: list[str]) -> Iterator[tuple[int, int, int]]:
    """(hyp start, ref start, length) of equal word blocks, at most 10 words long and 50
    positions apart, in sacrebleu's order (by hyp start, ref start, then length)."""
    n_h, n_r = len(hyp), len(ref)
    positions: dict[str, list[int]] = {}
    for j, word in enumerate(ref):
        positions.setdefault(word, []).append(j)
    for start_h in range(n_h):
        for start_r in positions.get(hyp[start_h], ()):  # blocks start with equal words
            if abs(start_r - start_h) > _MAX_SHIFT_DIST:
                continue
            length = 0
            while hyp[start_h + length] == ref[start_r + length] and length < _MAX_SHIFT_SIZE:
                length += 1
                yield start_h, start_r, length
                if n_h == start_h + length or n_r == start_r + length:
                    break


def _alignment(trace: str) -> tuple[dict[int, int], list[int], list[int]]:
    """Reference position -> hypothesis position, and error flags per reference and hypothesis
    position, from a trace of edit operations."""
    pos_h = pos_r = -1
    hyp_err: list[int] = []
    ref_err: list[int] = []
    align: dict[int, int] = {}
    for op in trace:
        if op == _NOP or op == _SUB:
            pos_h += 1
            pos_r += 1
            align[pos_r] = pos_h
            err = int(op == _SUB)
            hyp_err.append(err)
            ref_err.append(err)
        elif op == _INS:
            pos_h += 1
            hyp_err.append(1)
        elif op == _DEL:
            pos_r += 1
            align[pos_r] = pos_h
            ref_err.append(1)
        else:
            raise ValueError(f"unknown edit operation {op!r}")
    return align, ref_err, hyp_err


class _BeamEditDistance:
    """Levenshtein distance to a fixed reference over a beam around the diagonal, with the trace
    of operations, caching the matrix rows of hypothesis prefixes in a trie (sacrebleu's
    ``BeamEditDistance``; a row is kept as a list of costs and a list of operations)."""

    def __init__(self, ref: list[str]) -> None:
        self.ref = ref
        self.n_ref = len(ref)
        self.initial_row = (list(range(self.n_ref + 1)), [_INS] * (self.n_ref + 1))
        self.cache: dict = {}
        self.cache_size = 0

    def __call__(self, hyp: list[str]) -> tuple[int, str]:
        start, rows = self._cached_rows(hyp)
        distance, new_rows, trace = self._edit_distance(hyp, start, rows)
        self._add_cache(hyp, new_rows)
        return distance, trace

    def _edit_distance(self, hyp: list[str], start: int, cached: list) -> tuple[int, list, str]:
        n_h, n_r, ref = len(hyp), self.n_ref, self.ref
        rows = cached + [([_INFINITY] * (n_r + 1), [_UNDEF] * (n_r + 1)) for _ in range(n_h - start)]
        ratio = n_r / n_h if hyp else 1
        beam = math.ceil(ratio / 2 + _BEAM_WIDTH) if _BEAM_WIDTH < ratio / 2 else _BEAM_WIDTH
        for i in range(start + 1, n_h + 1):
            diag = math.floor(i * ratio)
            lo = max(0, diag - beam)
            hi = n_r + 1 if i == n_h else min(n_r + 1, diag + beam)
            prev = rows[i - 1][0]
            costs, ops = rows[i]
            word = hyp[i - 1]
            if lo == 0:
                costs[0], ops[0] = prev[0] + 1, _DEL
                lo = 1
            for j in range(lo, hi):
                # Tercom prefers no-op/substitution, then insertion, then deletion; the trace is
                # flipped later, so deletion is tried before insertion here (strict improvements
                # over an unset cell, as sacrebleu)
                best, op = _INFINITY, _UNDEF
                if word == ref[j - 1]:
                    cost, sub_op = prev[j - 1], _NOP
                else:
                    cost, sub_op = prev[j - 1] + 1, _SUB
                if cost < best:
                    best, op = cost, sub_op
                cost = prev[j] + 1
                if cost < best:
                    best, op = cost, _DEL
                cost = costs[j - 1] + 1
                if cost < best:
                    best, op = cost, _INS
                costs[j], ops[j] = best, op
        trace = []
        i, j = n_h, n_r
        while i > 0 or j > 0:
            op = rows[i][1][j]
            trace.append(op)
            if op == _SUB or op == _NOP:
                i -= 1
                j -= 1
            elif op == _INS:
                j -= 1
            elif op == _DEL:
                i -= 1
            else:
                raise ValueError(f"unknown edit operation {op!r}")
        return rows[-1][0][-1], rows[len(cached):], "".join(reversed(trace))

    def _add_cache(self, hyp: list[str], rows: list) -> None:
        # rows are never written once computed, so the cache keeps them as they are
        if self.cache_size >= _MAX_CACHE_SIZE:
            return
        node = self.cache
        skip = len(hyp) - len(rows)
        for i in range(skip):
            node = node[hyp[i]][0]
        for word, row in zip(hyp[skip:], rows):
            if word not in node:
                node[word] = ({}, row)
                self.cache_size += 1
            node = node[word][0]

    def _cached_rows(self, hyp: list[str]) -> tuple[int, list]:
        node = self.cache
        start = 0
        rows = [self.initial_row]
        for word in hyp:
            if word not in node:
                break
            start += 1
            node, row = node[word]
            rows.append(row)
        return start, rows


class TER(SacrebleuScorer):
    """TER identical to ``sacrebleu.TER(**params).corpus_score``; parameters as sacrebleu.

    Args:
        normalized: Tercom's normalisation (unescaping, punctuation tokenization).
        no_punct: remove punctuation.
        asian_support: CJK handling for ``normalized`` / ``no_punct``.
        case_sensitive: keep case (TER lowercases by default).
    """

    name = "ter"
    higher_is_better = False
    bounds = (0.0, float("inf"))  # edits per reference word: above 100 when the hypothesis is longer

    def __init__(self, normalized: bool = False, no_punct: bool = False,
                 asian_support: bool = False, case_sensitive: bool = False) -> None:
        super().__init__(normalized=bool(normalized), no_punct=bool(no_punct),
                         asian_support=bool(asian_support), case_sensitive=bool(case_sensitive))
        self.normalized, self.no_punct = bool(normalized), bool(no_punct)
        self.asian_support, self.case_sensitive = bool(asian_support), bool(case_sensitive)
        self.tokenizer = TokenizerTercom(self.normalized, self.no_punct, self.asian_support,
                                         self.case_sensitive)
        self.width = 2

    def segment_stats(self, hyp: str, refs: list[str]) -> list[float]:
        """``[fewest edits over the references, average reference length]`` (sacrebleu)."""
        tokens = self.tokenizer.tokens
        hyp_words = tokens(hyp.rstrip())
        best, ref_lengths = _INFINITY, 0
        for ref in refs:
            # sacrebleu's TER preprocesses references twice (in Metric._cache_references and again
            # in TER._extract_reference_info); with normalized=True the second pass can split
            # more (e.g. "john's ," -> "john 's ,"), so do the same
            ref_words = tokens(" ".join(tokens(ref.rstrip())))
            edits, ref_len = edit_rate(hyp_words, ref_words)
            ref_lengths += ref_len
            best = min(best, edits)
        return [best, ref_lengths / len(refs)]

    def score(self, totals: np.ndarray, sentence: bool = False) -> dict[str, np.ndarray]:
        edits, ref_len = totals[:, 0], totals[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(ref_len > 0, edits / ref_len, np.where(edits > 0, 1.0, 0.0))
        return {self.key: 100 * rate}

    def sacrebleu_signature(self, nrefs: int | str = 1) -> str:
        return (f"nrefs:{nrefs}|case:{'mixed' if self.case_sensitive else 'lc'}|tok:tercom"
                f"|norm:{yes_no(self.normalized)}|punct:{yes_no(not self.no_punct)}"
                f"|asian:{yes_no(self.asian_support)}|version:{SACREBLEU_VERSION}")
