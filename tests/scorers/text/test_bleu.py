"""`bleu` equals sacrebleu's BLEU: segment statistics, corpus scores over any subset, sentence
scores, parts and signature, for every parameter, on generated and real text."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import sacrebleu
from support.sacrebleu_inputs import assert_matches_sacrebleu, generated_pairs, require_tokenizer, streams, wice_pairs

import rageval
from rageval.core.errors import FieldError
from rageval.core.registry import get_scorer

PARAMS = [
    {},
    {"tokenize": "intl"}, {"tokenize": "zh"}, {"tokenize": "char"}, {"tokenize": "none"},
    {"tokenize": "ja-mecab"}, {"tokenize": "ko-mecab"},
    {"smooth_method": "floor"}, {"smooth_method": "floor", "smooth_value": 0.3},
    {"smooth_method": "add-k"}, {"smooth_method": "add-k", "smooth_value": 2},
    {"smooth_method": "none"},
    {"lowercase": True}, {"effective_order": True},
    {"max_ngram_order": 2}, {"max_ngram_order": 6, "smooth_method": "none"},
]


def _data(source: str, seed: int) -> tuple[list[str], list[list[str]]]:
    if source == "generated":
        return generated_pairs(seed, 500, max_refs=3)
    return wice_pairs(300, start=seed * 1000, max_refs=3)


def _batch(hyps, refs):
    return {"answer": hyps, "references": refs}


@pytest.mark.parametrize("source", ["generated", "wice"])
@pytest.mark.parametrize("params", PARAMS, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "default")
def test_matches_sacrebleu(params, source):
    require_tokenizer(params.get("tokenize", "13a"))
    hyps, refs = _data(source, len(str(params)))
    ours, theirs = get_scorer("bleu", **params), sacrebleu.BLEU(**params)
    # per-example scores: sentence BLEU (effective order on, as sacrebleu.sentence_bleu)
    sentence = sacrebleu.BLEU(**{**params, "effective_order": True})
    stats = assert_matches_sacrebleu(ours, theirs, hyps, refs, sentence=sentence)
    # the parts
    score = theirs.corpus_score(hyps, streams(refs))
    got = ours.reduce(stats)
    assert abs(got["bleu.bp"] - score.bp) < 1e-12 and abs(got["bleu.ratio"] - score.ratio) < 1e-12
    bp = ours.example_scores(stats)["bleu.bp"]
    assert all(bp[i] == sentence.sentence_score(hyps[i], refs[i]).bp for i in range(0, len(hyps), 7))


@pytest.mark.parametrize("params", [{}, {"tokenize": "intl"}, {"tokenize": "char"}, {"tokenize": "ko-mecab"},
                                    {"smooth_method": "floor"}, {"smooth_method": "add-k", "smooth_value": 2},
                                    {"smooth_method": "none"}, {"lowercase": True, "effective_order": True}])
def test_signature_matches_sacrebleu(params):
    require_tokenizer(params.get("tokenize", "13a"))
    theirs = sacrebleu.BLEU(**params)
    theirs.corpus_score(["a b"], [["a b"], ["a"]])
    ours = get_scorer("bleu", **params)
    assert ours.sacrebleu_signature(nrefs=2) == theirs.get_signature().format()
    items = ours.signature_items()
    assert items["tokenize"] == theirs.tokenizer.signature() and items["sacrebleu"] == sacrebleu.__version__
    assert ours.signature.startswith("bleu|") and get_scorer("bleu", **ours.spec()["params"]).signature == ours.signature


def test_variable_references_equal_none_padded_streams():
    hyps = ["the cat sat on the mat", "a dog", "hello there world"]
    refs = [["the cat is on the mat", "there is a cat on the mat"], ["a dog barks"], ["", "hello world", "x"]]
    ours = get_scorer("bleu")
    assert ours.reduce(ours.stats(_batch(hyps, refs)))["bleu"] == sacrebleu.BLEU().corpus_score(hyps, streams(refs)).score
    # None entries are dropped as sacrebleu drops them; an empty string is an (empty) reference
    padded = ours.stats(_batch(hyps, [r + [None] for r in refs]))
    np.testing.assert_array_equal(padded, ours.stats(_batch(hyps, refs)))
    # lists read back from Parquet or pandas arrive as arrays
    arrays = ours.stats(_batch(hyps, [np.array(r, dtype=object) for r in refs]))
    np.testing.assert_array_equal(arrays, ours.stats(_batch(hyps, refs)))


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


@pytest.mark.parametrize("name", ["bleu", "chrf", "ter"])
def test_empty_subset_is_nan(name):
    s = get_scorer(name)
    assert all(np.isnan(v) for v in s.reduce(np.zeros((0, s.width))).values())
    assert all(len(v) == 0 for v in s.example_scores(np.zeros((0, s.width))).values())


def test_example_without_references_is_an_error_for_that_example_only():
    hyps, refs = generated_pairs(3, 40, max_refs=2)
    data = [{"answer": h, "references": r} for h, r in zip(hyps, refs)]
    data[5]["references"] = []
    res = rageval.evaluate(data, scorers=["bleu"], batch_size=16)
    table = res.to_pandas()
    assert "no reference" in table["bleu.error"][5] and table["bleu.error"].notna().sum() == 1
    keep = [i for i in range(len(data)) if i != 5]
    expected = sacrebleu.BLEU().corpus_score([hyps[i] for i in keep], streams([refs[i] for i in keep])).score
    assert abs(res.aggregate["bleu"] - expected) < 1e-9


def test_scorer_survives_pickling():
    # scorers travel to worker processes; the tokenizer cache is rebuilt there
    hyps, refs = generated_pairs(5, 50)
    ours = get_scorer("bleu", tokenize="zh", lowercase=True)
    copy = pickle.loads(pickle.dumps(ours))
    np.testing.assert_array_equal(copy.stats(_batch(hyps, refs)), ours.stats(_batch(hyps, refs)))
    assert copy.signature == ours.signature


@pytest.mark.parametrize("name", ["bleu", "chrf", "ter"])
def test_reduce_sums_equals_reduce_on_each_resample(name):
    # the SummedScorer hook that bootstrap and randomisation tests use on thousands of resamples
    hyps, refs = generated_pairs(9, 120, max_refs=2, max_words=12)
    s = get_scorer(name)
    stats = s.stats(_batch(hyps, refs))
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(stats), size=(50, len(stats)))
    counts = np.stack([np.bincount(i, minlength=len(stats)) for i in idx]).astype(np.float64)
    counts[0] = 0  # an empty resample
    values = s.reduce_sums(counts @ stats, counts.sum(axis=1))
    for r in range(len(idx)):
        expected = s.reduce(stats[np.repeat(np.arange(len(stats)), counts[r].astype(int))])
        for k in s.keys():
            assert values[k][r] == pytest.approx(expected[k], abs=1e-9, nan_ok=True)


HARD = (["aéb 😀😀x", "", " ", "Σ ΣΑΣ 中文 ...,, 1.5", "x" * 5000, "the the the cat", "\ue000 a.\ue001",
         " ".join(["word"] * 3000) + "."],
        [["aéb 😀x"], [""], ["a", ""], ["σ σας 中文..., 1,5"], ["x" * 4999 + "y"], ["the cat", "the the", "cat the the"],
         ["\ue000 a . \ue001"], [" ".join(["word"] * 2999) + " ."]])


@pytest.mark.parametrize("params", PARAMS[:6], ids=str)
def test_batch_statistics_equal_each_example_and_sacrebleu_on_hard_text(params):
    # astral characters, the batch tokenizer's separators, long and repetitive lines
    scorer = get_scorer("bleu", **params)
    hyps, refs = HARD
    stats = scorer.stats({"answer": hyps, "references": refs})
    assert stats.tolist() == [scorer.segment_stats(h, r) for h, r in zip(hyps, refs)]
    theirs = sacrebleu.sentence_bleu if "bleu" == "chrf" else sacrebleu.sentence_bleu
    expected = [theirs(h, r, **params).score for h, r in zip(hyps, refs)] if not params else None
    if expected is not None:
        assert scorer.example_scores(stats)["bleu"].tolist() == expected
