"""`ter` equals sacrebleu's TER: segment statistics (edits, average reference length), corpus scores
over any subset, sentence scores and signature, for every parameter, on generated and real text."""
from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
import sacrebleu
from support.sacrebleu_inputs import assert_matches_sacrebleu, generated_pairs, streams, wice_pairs

import rageval
from rageval.core.errors import FieldError
from rageval.core.registry import get_scorer

FLAGS = ("normalized", "no_punct", "asian_support", "case_sensitive")
PARAMS = [dict(zip(FLAGS, v)) for v in itertools.product([False, True], repeat=4)]


def _batch(hyps, refs):
    return {"answer": hyps, "references": refs}


def _real(n: int, start: int) -> tuple[list[str], list[list[str]]]:
    # TER's shift search is slow on long sentences (in sacrebleu too): keep real pairs short
    hyps, refs = wice_pairs(n * 3, start=start, max_refs=2)
    keep = [i for i, (h, r) in enumerate(zip(hyps, refs))
            if len(h.split()) <= 30 and all(len(x.split()) <= 30 for x in r)][:n]
    return [hyps[i] for i in keep], [refs[i] for i in keep]


@pytest.mark.parametrize("source", ["generated", "wice"])
@pytest.mark.parametrize("params", PARAMS, ids=lambda p: ",".join(k for k, v in p.items() if v) or "default")
def test_matches_sacrebleu(params, source):
    seed = sum(2 ** i for i, k in enumerate(FLAGS) if params[k])
    if source == "generated":
        hyps, refs = generated_pairs(seed, 150, max_refs=3, max_words=15)
    else:
        hyps, refs = _real(60, start=seed * 3000)
    assert_matches_sacrebleu(get_scorer("ter", **params), sacrebleu.TER(**params), hyps, refs,
                             sizes=(1, 2, 30), step=4)


def test_shifts_and_long_sentences():
    # block shifts, the 50-position shift distance, the length-ratio beam and the candidate cap
    rng = random.Random(5)
    words = [f"w{i % 37}" for i in range(120)]
    hyps, refs = [], []
    for _ in range(4):
        ref = rng.sample(words, rng.randint(40, 100))
        hyp = ref[:]
        for _ in range(rng.randint(1, 6)):  # move blocks around
            i = rng.randrange(len(hyp))
            block, hyp = hyp[i:i + rng.randint(1, 8)], hyp[:i] + hyp[i + 8:]
            j = rng.randrange(len(hyp) + 1)
            hyp = hyp[:j] + block + hyp[j:]
        hyps.append(" ".join(hyp))
        refs.append([" ".join(ref)])
    hyps.append("a b")
    refs.append([" ".join(words)])  # reference 60 times longer than the hypothesis
    ours, theirs = get_scorer("ter"), sacrebleu.TER()
    expected = np.array(theirs._extract_corpus_statistics(hyps, streams(refs)), dtype=np.float64)
    np.testing.assert_array_equal(ours.stats(_batch(hyps, refs)), expected)


def test_signature_and_direction():
    for params in PARAMS[::5]:
        theirs = sacrebleu.TER(**params)
        theirs.corpus_score(["a b"], [["a b"]])
        assert get_scorer("ter", **params).sacrebleu_signature(nrefs=1) == theirs.get_signature().format()
    assert get_scorer("ter").higher_is_better is False


def test_evaluate_end_to_end():
    hyps, refs = generated_pairs(13, 120, max_refs=2, max_words=12)
    data = [{"answer": h, "references": r} for h, r in zip(hyps, refs)]
    res = rageval.evaluate(data, scorers=["ter"], batch_size=40)
    theirs = sacrebleu.TER()
    assert abs(res.aggregate["ter"] - theirs.corpus_score(hyps, streams(refs)).score) < 1e-9
    expected = [theirs.sentence_score(h, r).score for h, r in zip(hyps, refs)]
    np.testing.assert_allclose(res.to_pandas()["ter"].to_numpy(), expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("batch,field,row", [
    ({"answer": [None], "references": [["x"]]}, "answer", 0),
    ({"answer": ["a", "b"], "references": [["x"], []]}, "references", 1),
    ({"answer": ["a"], "references": ["x y"]}, None, None),  # a bare string is one reference
])
def test_bad_input_names_field_and_row(batch, field, row):
    s = get_scorer("ter")
    if field is None:
        assert s.stats(batch).tolist() == [[2.0, 2.0]]
        return
    with pytest.raises(FieldError) as err:
        s.stats(batch)
    assert err.value.field == field and err.value.row == row
