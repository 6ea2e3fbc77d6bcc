"""`chrf` equals sacrebleu's CHRF (chrF and chrF++): segment statistics, corpus scores over any
subset, sentence scores and signature, for every parameter, on generated and real text."""
from __future__ import annotations

import random

import numpy as np
import pytest
import sacrebleu
from support.sacrebleu_inputs import assert_matches_sacrebleu, generated_pairs, streams, wice_pairs

import rageval
from rageval.core.errors import FieldError
from rageval.core.registry import get_scorer
from rageval.scorers.text.chrf import char_matches

PARAMS = [
    {}, {"word_order": 2}, {"word_order": 1}, {"char_order": 3}, {"char_order": 1},
    {"char_order": 0, "word_order": 2}, {"beta": 1}, {"beta": 3, "word_order": 2}, {"beta": 0.5},
    {"lowercase": True}, {"whitespace": True}, {"whitespace": True, "word_order": 2},
    {"eps_smoothing": True}, {"eps_smoothing": True, "word_order": 2},
]


def _batch(hyps, refs):
    return {"answer": hyps, "references": refs}


@pytest.mark.parametrize("source", ["generated", "wice"])
@pytest.mark.parametrize("params", PARAMS, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "default")
def test_matches_sacrebleu(params, source):
    seed = len(str(params))
    if source == "generated":
        hyps, refs = generated_pairs(seed, 300, max_refs=3)
    else:
        hyps, refs = wice_pairs(150, start=seed * 1000 + 7, max_refs=3)
    assert_matches_sacrebleu(get_scorer("chrf", **params), sacrebleu.CHRF(**params), hyps, refs,
                             sizes=(1, 2, 23, 100))


def test_char_matches_equal_counter_intersection():
    # the substring search in char_matches against the plain definition, repeated n-grams included
    rng = random.Random(3)
    alphabet = "aab cdé中"
    for _ in range(3000):
        hyp = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        ref = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        expected = []
        for n in range(1, 7):
            h = [hyp[i:i + n] for i in range(len(hyp) - n + 1)]
            r = [ref[i:i + n] for i in range(len(ref) - n + 1)]
            expected.append(sum(min(h.count(g), r.count(g)) for g in set(h)))
        assert char_matches(hyp, ref, 6) == expected, (hyp, ref)


@pytest.mark.parametrize("params", [{}, {"word_order": 2, "lowercase": True}, {"whitespace": True, "eps_smoothing": True},
                                    {"char_order": 4, "word_order": 1}])
def test_signature_matches_sacrebleu(params):
    theirs = sacrebleu.CHRF(**params)
    theirs.corpus_score(["a b", "c"], [["a b", "c"], ["a", None]])
    assert get_scorer("chrf", **params).sacrebleu_signature(nrefs="var") == theirs.get_signature().format()


def test_evaluate_end_to_end():
    hyps, refs = generated_pairs(11, 300, max_refs=3)
    data = [{"answer": h, "references": r} for h, r in zip(hyps, refs)]
    res = rageval.evaluate(data, scorers=[("chrf", {"word_order": 2})], batch_size=50)
    theirs = sacrebleu.CHRF(word_order=2)
    assert abs(res.aggregate["chrf"] - theirs.corpus_score(hyps, streams(refs)).score) < 1e-9
    expected = [theirs.sentence_score(h, r).score for h, r in zip(hyps, refs)]
    np.testing.assert_allclose(res.to_pandas()["chrf"].to_numpy(), expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("batch,field,row", [
    ({"answer": [None], "references": [["x"]]}, "answer", 0),
    ({"answer": ["a", "b"], "references": [["x"], []]}, "references", 1),
    ({"answer": ["a"], "references": [[1.5]]}, "references", 0),
])
def test_bad_input_names_field_and_row(batch, field, row):
    with pytest.raises(FieldError) as err:
        get_scorer("chrf").stats(batch)
    assert err.value.field == field and err.value.row == row


@pytest.mark.parametrize("params", [{"char_order": -1}, {"char_order": 0, "word_order": 0}, {"word_order": 1.5}])
def test_bad_parameters(params):
    with pytest.raises(ValueError):
        get_scorer("chrf", **params)


HARD = (["aéb 😀😀x", "", " ", "Σ ΣΑΣ 中文 ...,, 1.5", "x" * 5000, "the the the cat", "\ue000 a.\ue001",
         " ".join(["word"] * 3000) + "."],
        [["aéb 😀x"], [""], ["a", ""], ["σ σας 中文..., 1,5"], ["x" * 4999 + "y"], ["the cat", "the the", "cat the the"],
         ["\ue000 a . \ue001"], [" ".join(["word"] * 2999) + " ."]])


@pytest.mark.parametrize("params", PARAMS[:6], ids=str)
def test_batch_statistics_equal_each_example_and_sacrebleu_on_hard_text(params):
    # astral characters, the batch tokenizer's separators, long and repetitive lines
    scorer = get_scorer("chrf", **params)
    hyps, refs = HARD
    stats = scorer.stats({"answer": hyps, "references": refs})
    assert stats.tolist() == [scorer.segment_stats(h, r) for h, r in zip(hyps, refs)]
    theirs = sacrebleu.sentence_chrf if "chrf" == "chrf" else sacrebleu.sentence_bleu
    expected = [theirs(h, r, **params).score for h, r in zip(hyps, refs)] if not params else None
    if expected is not None:
        assert scorer.example_scores(stats)["chrf"].tolist() == expected
