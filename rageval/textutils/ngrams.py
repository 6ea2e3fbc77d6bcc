"""Clipped n-gram matches for a whole batch of hypotheses at once, in numpy (BLEU's and chrF's core).

For hypothesis h with references R(h), order n's clipped matches are

    matches_n(h) = sum over distinct n-grams g of h of min(count_h(g), max_{r in R(h)} count_r(g)),

sacrebleu's clipped counts (with one reference: the size of the multiset intersection). Sequences
are integer ids (tokens or characters) concatenated into one array; an n-gram is the integer
``code = id_1 * 2^(b(n-1)) + ... + id_n`` (``b`` bits per id), made from the (n-1)-gram codes by a
shift, and re-numbered densely (``np.unique``) before a code could overflow 62 bits, so the codes
are exact: two n-grams have the same code only when they are equal. An n-gram is counted where it
lies wholly inside its sequence. Per order, the (hypothesis, code) keys are sorted and counted in
runs, references' counts are maxed per hypothesis, and the counts meet through ``searchsorted``:
a few sorts of the batch's positions instead of a Counter per sentence and order.

>>> ids = np.array([0, 1, 2, 0, 1, 3])  # hypothesis [0, 1, 2], its reference [0, 1, 3]
>>> ngram_matches(ids, np.array([3, 3]), 1, np.array([0]), 3).tolist()
[[2, 1, 0]]
"""
from __future__ import annotations

import numpy as np

__all__ = ["ngram_matches", "dense_ids"]

_KEY_BITS = 62


def _bits(n: int) -> int:
    """Bits to hold the values 0..n-1 (at least 1)."""
    return max(1, int(n - 1).bit_length())


def dense_ids(values: np.ndarray) -> tuple[np.ndarray, int]:
    """``values`` (non-negative integers) renumbered 0..k-1 in sorted order, and k."""
    if not len(values):
        return np.zeros(0, dtype=np.int64), 1
    top = int(values.max())
    if top < 1 << 22:  # a lookup table beats sorting for code points and small ids
        present = np.zeros(top + 1, dtype=bool)
        present[values] = True
        table = np.cumsum(present, dtype=np.int64) - 1
        return table[values], int(table[-1]) + 1
    unique, inverse = np.unique(values, return_inverse=True)
    return inverse.astype(np.int64, copy=False), len(unique)


def _runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys of a sorted array and how often each occurs."""
    if not len(sorted_keys):
        return sorted_keys, np.zeros(0, dtype=np.int64)
    new = np.empty(len(sorted_keys), dtype=bool)
    new[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    return sorted_keys[starts], np.diff(np.append(starts, len(sorted_keys)))


def ngram_matches(ids: np.ndarray, lengths: np.ndarray, n_hyp: int, owner: np.ndarray,
                    max_order: int) -> np.ndarray:
    """Clipped n-gram matches, shape ``(n_hyp, max_order)`` (int64), for n = 1..max_order.

    Args:
        ids: the sequences' ids (non-negative integers) concatenated: the ``n_hyp`` hypotheses
            first, then the references.
        lengths: each sequence's length (hypotheses, then references).
        n_hyp: how many sequences are hypotheses.
        owner: for each reference, the index of its hypothesis.
        max_order: the highest n-gram order.
    """
    ids = np.asarray(ids, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    owner = np.asarray(owner, dtype=np.int64)
    out = np.zeros((n_hyp, max_order), dtype=np.int64)
    n_seq = len(lengths)
    if n_hyp == 0 or n_seq == n_hyp or not len(ids):
        return out
    # each sequence followed by a separator id, one for hypotheses and another for references: an
    # n-gram that runs past its sequence's end holds its side's separator, and so equals no n-gram
    # of the other side and matches nothing
    ids, vocab = dense_ids(ids)
    sep_hyp, sep_ref = vocab, vocab + 1
    seq_of = np.repeat(np.arange(n_seq), lengths)
    ends = np.cumsum(lengths + 1) - 1  # each separator's position
    ids_sep = np.empty(len(ids) + n_seq, dtype=np.int64)
    ids_sep[np.arange(len(ids)) + seq_of] = ids
    ids_sep[ends[:n_hyp]] = sep_hyp
    ids_sep[ends[n_hyp:]] = sep_ref
    ids = ids_sep
    split = int(ends[n_hyp - 1]) + 1  # hypotheses' positions come first
    hyp_of = np.repeat(np.concatenate([np.arange(n_hyp), owner]), lengths + 1)
    counts = np.bincount(owner, minlength=n_hyp)
    ref_bits = _bits(int(counts.max())) if counts.max() > 1 else 0
    if ref_bits:  # a reference's index among its hypothesis's references, at each position
        by_owner = np.argsort(owner, kind="stable")
        ref_rank = np.empty(len(owner), dtype=np.int64)
        ref_rank[by_owner] = np.arange(len(owner)) - (np.cumsum(counts) - counts)[owner[by_owner]]
        ref_index = np.repeat(ref_rank, lengths[n_hyp:] + 1)
    hyp_bits = _bits(n_hyp)
    side = (np.arange(len(ids)) >= split).astype(np.int64)
    low = (hyp_of << 1) | side  # hypothesis and side, the low bits of the single-reference keys
    low_bits = hyp_bits + 1
    codes = ids
    id_bits = _bits(vocab + 2)
    code_bits = id_bits
    for n in range(1, max_order + 1):
        if n > 1:
            if len(codes) <= 1:
                break
            if code_bits + id_bits + hyp_bits + max(ref_bits, 1) > _KEY_BITS:
                codes, k = dense_ids(codes)
                code_bits = _bits(k)
            codes = codes[:-1] << id_bits
            codes |= ids[n - 1:]
            code_bits += id_bits
        if ref_bits:
            hyp_keys, found, matched = _matches_max(hyp_of, codes, split, code_bits, ref_bits, ref_index)
            hyps = hyp_keys[found] >> code_bits
        else:
            hyps, matched = _matches_one(codes, low, low_bits, (1 << hyp_bits) - 1)
        if not len(matched):
            break  # no n-gram of this order matches: no longer one can
        out[:, n - 1] = np.bincount(hyps, weights=matched, minlength=n_hyp).astype(np.int64)
    return out


def _matches_one(codes: np.ndarray, low: np.ndarray, low_bits: int, hyp_mask: int) -> tuple[np.ndarray, np.ndarray]:
    """One reference per hypothesis: keys ``(n-gram, hypothesis, side)`` of both sides (``low``
    holds the hypothesis and, in the lowest bit, the side: 1 for the reference) sorted together, so
    that an n-gram both sides of a hypothesis hold is a run of hypothesis entries followed at once
    by a run of reference entries whose key is one more. Returns each such n-gram's hypothesis and
    min(hypothesis entries, reference entries)."""
    size = len(codes)
    keys = codes << low_bits
    keys |= low[:size]
    keys.sort()
    new = np.empty(size, dtype=bool)
    new[0] = True
    np.not_equal(keys[1:], keys[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    run_keys = keys[starts]
    both = np.flatnonzero((run_keys[:-1] | 1) == run_keys[1:])  # a hypothesis run, then its reference run
    counts = np.diff(starts, append=size)
    return (run_keys[both] >> 1) & hyp_mask, np.minimum(counts[both], counts[both + 1])


def _matches_max(hyp_of: np.ndarray, codes: np.ndarray, split: int, code_bits: int,
                 ref_bits: int, ref_index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Several references per hypothesis: each hypothesis n-gram's count, each reference's counts
    maxed per (hypothesis, n-gram), met through ``searchsorted``. Returns the hypothesis's distinct
    keys, which of them a reference has, and min(hypothesis count, max reference count) of those."""
    keys = (hyp_of[:len(codes)] << code_bits) | codes
    hyp_keys, hyp_counts = _runs(np.sort(keys[:split]))
    ref_keys, ref_counts = _runs(np.sort((keys[split:] << ref_bits) | ref_index[:len(keys) - split]))
    if not len(ref_keys) or not len(hyp_keys):
        return hyp_keys, np.zeros(len(hyp_keys), dtype=bool), np.zeros(0, dtype=np.int64)
    group = ref_keys >> ref_bits
    starts = np.flatnonzero(np.concatenate([[True], group[1:] != group[:-1]]))
    ref_keys, ref_counts = group[starts], np.maximum.reduceat(ref_counts, starts)
    at = np.minimum(np.searchsorted(ref_keys, hyp_keys), len(ref_keys) - 1)
    found = ref_keys[at] == hyp_keys
    return hyp_keys, found, np.minimum(hyp_counts[found], ref_counts[at[found]])
