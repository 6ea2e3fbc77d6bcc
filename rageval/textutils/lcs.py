"""Longest common subsequence of two token sequences, bit-parallel (Allison-Dix / Hyyrö, on Python
ints) instead of the O(m·n) table: its length, and the positions rouge-score's backtrack reads out.
ROUGE-L (`rageval.scorers.text.rouge_core`) and the default judge's ordered coverage use it."""
from __future__ import annotations

from collections.abc import Sequence


def match_masks(seq: Sequence[str]) -> dict[str, int]:
    """token -> bit mask of its positions in ``seq`` (bit j set where ``seq[j] == token``)."""
    masks: dict[str, int] = {}
    bit = 1
    for tok in seq:
        masks[tok] = masks.get(tok, 0) | bit
        bit <<= 1
    return masks


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence, bit-parallel (Hyyrö 2004): V starts all ones
    over the positions of ``a``; for each token c of ``b``, ``U = V & M[c]``,
    ``V = (V + U) | (V - U)``; the LCS length is the number of zero bits left in V."""
    if not a or not b:
        return 0
    masks = match_masks(a)
    full = (1 << len(a)) - 1
    v = full
    for tok in b:
        u = v & masks.get(tok, 0)
        if u:
            v = ((v + u) | (v - u)) & full
    return len(a) - v.bit_count()


def lcs_indices(ref: Sequence[str], can: Sequence[str], can_masks: dict[str, int] | None = None) -> list[int]:
    """The positions in ``ref`` of the LCS that rouge-score's ``lcs_ind`` reads out.

    rouge-score backtracks its DP table ``t`` from the end: on equal tokens it takes the
    diagonal, else it moves left when ``t[i][j-1] > t[i-1][j]`` and up otherwise. Here row ``i``
    of the table is the bit vector ``V_i`` of the bit-parallel LCS over ``can``:
    ``t[i][j] = j - popcount(V_i & (2**j - 1))``, so the same walk needs no table.
    ``can_masks``: ``match_masks(can)`` when the caller has it already.
    """
    m, n = len(ref), len(can)
    if not m or not n:
        return []
    masks = match_masks(can) if can_masks is None else can_masks
    full = (1 << n) - 1
    rows = [full]
    v = full
    for tok in ref:
        u = v & masks.get(tok, 0)
        if u:
            v = ((v + u) | (v - u)) & full
        rows.append(v)
    out: list[int] = []
    i, j = m, n
    while i > 0 and j > 0:
        if ref[i - 1] == can[j - 1]:
            out.append(i - 1)
            i -= 1
            j -= 1
            continue
        low = (1 << (j - 1)) - 1
        left = (j - 1) - (rows[i] & low).bit_count()          # t[i][j-1]
        up = j - (rows[i - 1] & (low | (1 << (j - 1)))).bit_count()  # t[i-1][j]
        if left > up:
            j -= 1
        else:
            i -= 1
    out.reverse()
    return out
