"""The bit-parallel LCS against rouge-score's O(m·n) table and its backtrack, on random sequences."""
from __future__ import annotations

import random

from rouge_score import rouge_scorer

from rageval.textutils.lcs import lcs_indices, lcs_length, match_masks


def test_bit_parallel_lcs_matches_the_dp_table_and_backtrack():
    rng = random.Random(3)
    for _ in range(5000):
        a = [rng.choice("abcde") for _ in range(rng.randint(0, 14))]
        b = [rng.choice("abcde") for _ in range(rng.randint(0, 14))]
        assert lcs_indices(a, b) == rouge_scorer.lcs_ind(a, b), (a, b)
        if a and b:
            assert lcs_length(a, b) == rouge_scorer._lcs_table(a, b)[-1][-1]
    long_a = [rng.choice("abcdefgh") for _ in range(400)]
    long_b = [rng.choice("abcdefgh") for _ in range(300)]
    assert lcs_indices(long_a, long_b) == rouge_scorer.lcs_ind(long_a, long_b)


def test_precomputed_masks_give_the_same_positions():
    rng = random.Random(5)
    for _ in range(500):
        a = [rng.choice("abcd") for _ in range(rng.randint(0, 10))]
        b = [rng.choice("abcd") for _ in range(rng.randint(0, 10))]
        assert lcs_indices(a, b, match_masks(b)) == lcs_indices(a, b)
