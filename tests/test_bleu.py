"""`bleu` equals sacrebleu's BLEU: segment statistics, corpus scores over any subset, sentence
scores, parts and signature, for every parameter, on generated and real text."""
from __future__ import annotations

import random

import numpy as np
import pytest
import sacrebleu

import rageval
from rageval.core.errors import FieldError
from rageval.core.registry import get_scorer
from sacrebleu_inputs import generated_pairs, streams, wice_pairs

PARAMS = [
    {},
    {"tokenize": "intl"}, {"tokenize": "zh"}, {"tokenize": "char"}, {"tokenize": "none"},
    {"smooth_method": "floor"}, {"smooth_method": "floor", "smooth_value": 0.3},
    {"smooth_method": "add-k"}, {"smooth_method": "add-k", "smooth_value": 2},
    {"smooth_method": "none"},
    {"lowercase": True}, {"effective_order": True},
    {"max_ngram_order": 2}, {"max_ngram_order": 6, "smooth_method": "none"},
]


def _data(seed: int) -> tuple[list[str], list[list[str]]]:
    hyps, refs = generated_pairs(seed, 500, max_refs=3)
    real_h, real_r = wice_pairs(300, start=seed * 1000, max_refs=3)
    return hyps + real_h, refs + real_r


def _batch(hyps, refs):
    return {"answer": hyps, "references": refs}


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "default")
def test_matches_sacrebleu(params):
    hyps, refs = _data(len(str(params)))
    ours = get_scorer("bleu", **params)
    theirs = sacrebleu.BLEU(**params)
    stats = ours.stats(_batch(hyps, refs))
    # per-example statistics are exactly sacrebleu's segment statistics
    expected = np.array(theirs._extract_corpus_statistics(hyps, streams(refs)), dtype=np.float64)
    np.testing.assert_array_equal(stats, expected)
    # the corpus score and its parts
    score = theirs.corpus_score(hyps, streams(refs))
    got = ours.reduce(stats)
    assert abs(got["bleu"] - score.score) < 1e-9
    assert abs(got["bleu.bp"] - score.bp) < 1e-12 and abs(got["bleu.ratio"] - score.ratio) < 1e-12
    # any subset reduces to sacrebleu's corpus score on that subset
    rng = random.Random(0)
    for size in (1, 2, 17, 300):
        idx = sorted(rng.sample(range(len(hyps)), size))
        sub = theirs.corpus_score([hyps[i] for i in idx], streams([refs[i] for i in idx])).score
        assert abs(ours.reduce(stats[idx])["bleu"] - sub) < 1e-9
    # per-example scores: sentence BLEU (effective order on, as sacrebleu.sentence_bleu)
    sentence = sacrebleu.BLEU(**{**params, "effective_order": True})
    per = ours.example_scores(stats)
    for i in range(0, len(hyps), 3):
        s = sentence.sentence_score(hyps[i], refs[i])
        assert abs(per["bleu"][i] - s.score) < 1e-9, (hyps[i], refs[i])
        assert per["bleu.bp"][i] == s.bp


@pytest.mark.parametrize("params", PARAMS[:6] + [{"lowercase": True, "effective_order": True}])
def test_signature_matches_sacrebleu(params):
    theirs = sacrebleu.BLEU(**params)
    theirs.corpus_score(["a b"], [["a b"], ["a"]])
    ours = get_scorer("bleu", **params)
    assert ours.sacrebleu_signature(nrefs=2) == theirs.get_signature().format()
    items = ours.signature_items()
    assert items["tokenize"] == params.get("tokenize", "13a") and items["sacrebleu"] == sacrebleu.__version__
    assert ours.signature.startswith("bleu|") and get_scorer("bleu", **ours.spec()["params"]).signature == ours.signature


def test_variable_references_equal_none_padded_streams():
    hyps = ["the cat sat on the mat", "a dog", "hello there world"]
    refs = [["the cat is on the mat", "there is a cat on the mat"], ["a dog barks"], ["", "hello world", "x"]]
    ours = get_scorer("bleu")
    assert ours.reduce(ours.stats(_batch(hyps, refs)))["bleu"] == sacrebleu.BLEU().corpus_score(hyps, streams(refs)).score
    # None entries are dropped as sacrebleu drops them; an empty string is an (empty) reference
    padded = ours.stats(_batch(hyps, [r + [None] for r in refs]))
    np.testing.assert_array_equal(padded, ours.stats(_batch(hyps, refs)))


def test_evaluate_end_to_end():
    hyps, refs = generated_pairs(7, 300, max_refs=3)
    data = [{"answer": h, "references": r} for h, r in zip(hyps, refs)]
    res = rageval.evaluate(data, scorers=[("bleu", {"tokenize": "intl"})], batch_size=64)
    assert abs(res.aggregate["bleu"] - sacrebleu.BLEU(tokenize="intl").corpus_score(hyps, streams(refs)).score) < 1e-9
    table = res.to_pandas()
    sentence = sacrebleu.BLEU(tokenize="intl", effective_order=True)
    expected = [sentence.sentence_score(h, r).score for h, r in zip(hyps, refs)]
    np.testing.assert_allclose(table["bleu"].to_numpy(), expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("batch,field,row", [
    ({"answer": ["ok", None], "references": [["ok"], ["x"]]}, "answer", 1),
    ({"answer": ["ok", "x"], "references": [["ok"], []]}, "references", 1),
    ({"answer": ["ok"], "references": [[None]]}, "references", 0),
    ({"answer": ["ok"], "references": [["a", 3]]}, "references", 0),
    ({"answer": [b"bytes"], "references": [["a"]]}, "answer", 0),
])
def test_bad_input_names_field_and_row(batch, field, row):
    with pytest.raises(FieldError) as err:
        get_scorer("bleu").stats(batch)
    assert err.value.field == field and err.value.row == row


@pytest.mark.parametrize("params,message", [({"smooth_method": "laplace"}, "smooth_method"),
                                            ({"tokenize": "moses"}, "tokenize"),
                                            ({"max_ngram_order": 0}, "max_ngram_order")])
def test_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        get_scorer("bleu", **params)


def test_empty_subset_is_nan():
    s = get_scorer("bleu")
    assert np.isnan(s.reduce(np.zeros((0, s.width)))["bleu"])
