"""`ngram_matches` (the batch n-gram core of bleu and chrf) against the plain definition with
Counters: sum over distinct hypothesis n-grams of min(hypothesis count, max count in a reference)."""
from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from rageval.textutils.ngrams import dense_ids, ngram_matches


def _counts(seq: list[int], n: int) -> Counter:
    return Counter(tuple(seq[i:i + n]) for i in range(len(seq) - n + 1))


def _expected(hyp: list[int], refs: list[list[int]], order: int) -> list[int]:
    out = []
    for n in range(1, order + 1):
        best: Counter = Counter()
        for ref in refs:
            best |= _counts(ref, n)  # the maximum count over the references
        out.append(sum(min(c, best[g]) for g, c in _counts(hyp, n).items()))
    return out


def _check(hyps: list[list[int]], refs: list[list[int]], owner: list[int], order: int) -> None:
    seqs = hyps + refs
    ids = np.array([x for s in seqs for x in s], dtype=np.int64)
    got = ngram_matches(ids, np.array([len(s) for s in seqs]), len(hyps), np.array(owner, dtype=np.int64), order)
    expected = [_expected(h, [r for r, o in zip(refs, owner) if o == i], order) for i, h in enumerate(hyps)]
    assert got.tolist() == expected, (hyps, refs, owner, order)


def _random_case(rng: random.Random, many_refs: bool) -> tuple:
    alphabet = rng.choice([[0], [0, 1], list(range(4)), [3, 2**40, 7, 2**62]])
    hyps = [[rng.choice(alphabet) for _ in range(rng.randint(0, 12))] for _ in range(rng.randint(1, 6))]
    refs, owner = [], []
    for i in range(len(hyps)):
        for _ in range(rng.randint(1, 3) if many_refs else 1):
            refs.append([rng.choice(alphabet) for _ in range(rng.randint(0, 12))])
            owner.append(i)
    order = list(range(len(refs)))
    rng.shuffle(order)  # references need not be grouped by hypothesis
    return hyps, [refs[k] for k in order], [owner[k] for k in order], rng.randint(1, 7)


@pytest.mark.parametrize("many_refs", [False, True])
def test_matches_the_counter_definition(many_refs):
    rng = random.Random(int(many_refs))
    for _ in range(400):
        _check(*_random_case(rng, many_refs))


@pytest.mark.slow
@pytest.mark.parametrize("many_refs", [False, True])
def test_matches_the_counter_definition_sweep(many_refs):
    rng = random.Random(10 + int(many_refs))
    for _ in range(5000):
        _check(*_random_case(rng, many_refs))


@pytest.mark.parametrize("refs_each", [1, 3])
def test_renumbers_codes_before_they_overflow(refs_each):
    # 20-bit ids: 4-grams need 80 bits, so the codes are renumbered on the way
    rng = np.random.default_rng(refs_each)
    hyps = [[int(x) * 7 + 3 for x in rng.integers(0, 1 << 20, size=rng.integers(0, 30))] for _ in range(40)]
    refs, owner = [], []
    for i, h in enumerate(hyps):
        for _ in range(refs_each):
            refs.append(h[:len(h) // 2] + [int(x) for x in rng.integers(0, 1 << 20, size=3)] + h[len(h) // 3:])
            owner.append(i)
    _check(hyps, refs, owner, 6)


def test_edge_cases():
    _check([[]], [[]], [0], 4)
    _check([[1, 2]], [[1, 2]], [0], 9)  # orders beyond the length
    _check([[1, 1, 1, 1]], [[1, 1], [1, 1, 1]], [0, 0], 4)
    _check([[5], [5]], [[5], [6]], [1, 0], 1)
    assert ngram_matches(np.zeros(0, dtype=np.int64), np.zeros(0), 0, np.zeros(0), 4).shape == (0, 4)


def test_dense_ids_keep_order():
    values = np.array([7, 2**40, 7, 0, 5])
    ids, k = dense_ids(values)
    assert ids.tolist() == [2, 3, 2, 0, 1] and k == 4
    ids, k = dense_ids(np.array([70, 3, 70]))
    assert ids.tolist() == [1, 0, 1] and k == 2
