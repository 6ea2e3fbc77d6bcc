"""The offline default judge: its lexical evidence on hand-checked cases, its logistic combination,
the embedding cache (a second run makes no model call), its signature, and the RAG scorers on a few
examples with it."""
from __future__ import annotations

import math

import numpy as np
import pytest

import rageval
from rageval.judges import get_judge
from rageval.judges.default import DefaultJudge, features
from rageval.judges.default.weights import WEIGHTS
from rageval.metaeval.data import data_dir
from rageval.scorers.rag.context_precision import ranked_precision


@pytest.fixture(scope="module")
def judge(tmp_path_factory):
    return get_judge("default", cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.mark.parametrize("text, expected", [
    ("Café &amp; Crème", ["cafe", "creme"]),
    ("There are FOUR seasons; the sixth one, 21st", ["there", "are", "4", "seasons", "the", "6", "1", "21"]),
    ("", []),
    ("?!", []),
    ("Ünïcödé\nline", ["unicode", "line"]),
])
def test_tokens(text, expected):
    assert features.tokens(text) == expected


def test_weight_follows_vocabulary_frequency():
    weight = features.weight
    assert weight("the") < weight("river") < weight("peabody") < weight("zzyzxqq")
    assert features.weight("the") == pytest.approx(math.log(2))


def test_weighted_coverage_by_hand():
    w = features.weight
    # content words of the claim: paris, capital, germany (stop words dropped); premise has two
    assert features.weighted_coverage("Paris is the capital of Germany", "Paris is a capital city.") == pytest.approx(
        (w("paris") + w("capital")) / (w("paris") + w("capital") + w("germany")))
    assert features.weighted_coverage("The rivers", "a river") == 1.0  # stems match
    assert features.weighted_coverage("it is", "nothing here") == 0.0  # only stop words: all words count
    assert features.weighted_coverage("", "anything") == 1.0


def test_bm25_by_hand():
    w = features.weight
    passage = "The river Seine flows through Paris. Paris is big."
    n = len(features.tokens(passage))  # 9 tokens; query content words: rivers (tf 1 via its stem), paris (tf 2)
    norm = features.BM25_K1 * (1 - features.BM25_B + features.BM25_B * n / features.BM25_AVGDL)
    expected = (w("rivers") * 1 / (1 + norm) + w("paris") * 2 / (2 + norm)) / (w("rivers") + w("paris"))
    assert features.bm25("the rivers of Paris", passage) == pytest.approx(expected)
    assert features.bm25("", passage) == features.bm25("?!", passage) == features.bm25("Paris", "") == 0.0
    assert features.bm25("Tokyo", passage) == 0.0


@pytest.mark.parametrize("seed", range(20))
def test_bm25_saturates_and_normalises_length(seed):
    rng = np.random.default_rng(seed)
    filler = " ".join(rng.choice(["alpha", "beta", "gamma", "delta", "omega"], size=int(rng.integers(5, 300))))
    once, twice = f"seine {filler}", f"seine seine {filler}"
    assert 0.0 < features.bm25("Seine", once) < features.bm25("Seine", twice) < 1.0  # more occurrences, bounded
    assert features.bm25("Seine", once) > features.bm25("Seine", f"{once} {filler}")  # same match in a longer passage


def test_relevance_features(judge):
    q = "When did Marie Curie win the Nobel Prize in Chemistry?"
    passages = ["Curie was born in Warsaw. She won the Nobel Prize in Chemistry in 1911.", "Paris", ""]
    f = judge.relevance_features([q] * 3, passages)
    assert f.shape == (3, len(WEIGHTS["relevance"][0])) and ((0 <= f) & (f <= 1)).all()
    assert f[0, 0] == features.bm25(q, passages[0])
    vq, vs = judge.embedder.embed([q, "She won the Nobel Prize in Chemistry in 1911."])
    assert f[0, 2] >= float(vq @ vs) - 1e-6 and f[0, 2] >= f[1, 2]  # best window, at least its best sentence


@pytest.mark.parametrize("text, phrase, contains, compact", [
    ("There are 4 seasons.", "four", 1.0, 1.0),
    ("It was nonpartisan.", "non-partisan", 0.0, 1.0),
    ("killed in19261.", "1926", 0.0, 1.0),
    ("The Flash, season 6", "the sixth", 1.0, 1.0),
    ("Wilhelm Röntgen", "Wilhelm Conrad Röntgen", 0.0, 0.0),
    ("Paris", "", 0.0, 0.0),
    ("Parisian food", "Paris", 0.0, 1.0),
])
def test_containment(text, phrase, contains, compact):
    assert features.contains(text, phrase) == contains
    assert features.compact_contains(text, phrase) == compact


def test_number_coverage():
    assert features.number_coverage("born in 1901, died 1950", "1901 to 1950") == 1.0
    assert features.number_coverage("two prizes in 1903", "won 2 prizes") == 0.5
    assert features.number_coverage("no numbers", "1, 2") == 1.0


def test_ordered_coverage():
    premise = ["During that time, French cuisine was heavily influenced by Italian cuisine.", "It rained."]
    # every content word is there, but only "cuisine influenced cuisine" in this order: 3 of 5
    assert features.ordered_coverage("Italian cuisine was influenced by French cuisine.", premise) == 0.6
    assert features.weighted_coverage("Italian cuisine was influenced by French cuisine.", " ".join(premise)) == 1.0
    assert features.ordered_coverage("French cuisine was influenced by Italian cuisine.", premise) == 1.0
    # the best single sentence counts, not words gathered from several
    assert features.ordered_coverage("French rain", premise) == 0.5
    assert features.ordered_coverage("it was the", premise) == 1.0  # stop words only: nothing to cover
    assert features.ordered_coverage("Zebras graze", [""]) == 0.0


def test_names():
    assert features.names("The river Seine flows to Le Havre. It was named by Julius Caesar.") == [
        "Seine", "Le Havre", "Julius Caesar"]
    assert features.names("all lower case") == [] and features.names("") == []
    assert features.name_coverage("He met Barack Obama in New York.", "Obama visited York") == 0.0
    assert features.name_coverage("He met Barack Obama in Paris.", "barack obama was in paris") == 1.0
    assert features.names("Tom met Anna Smith and Bob.") == ["Anna Smith", "Bob"]  # the first word starts the text
    assert features.name_coverage("Tom met Anna Smith and Bob.", "anna met tom and bob") == 0.5
    assert features.name_coverage("no names here", "") == 1.0


def test_primitives_are_the_logistic_model_of_the_features(judge):
    premise = "Marie Curie won the Nobel Prize in Physics in 1903. She won it again in 1911, in Chemistry."
    claims = ["Marie Curie won a Nobel Prize in 1903.", "Marie Curie was born in Warsaw in 1867."]
    values = judge.support([premise] * 2, claims)
    names, w, b = WEIGHTS["support"]
    f = judge.support_features([premise] * 2, claims)
    assert f.shape == (2, len(names)) and ((0 <= f) & (f <= 1)).all()
    assert values == pytest.approx(list(1 / (1 + np.exp(-(f @ np.array(w) + b)))))
    assert values[0] > 0.5 > values[1]
    rel = judge.relevance(["When did Marie Curie win the Nobel Prize in Chemistry?"] * 2,
                          [premise, "The Eiffel Tower is in Paris and was built for a fair."])
    assert rel[0] > rel[1]
    agree = judge.agreement(["She won it in 1911.", "In 1905."], ["1911", "1911"])
    assert agree[0] > 0.5 > agree[1]
    assert judge.addresses(["When?"], ["In 1911."]) == judge.relevance(["When?"], ["In 1911."])


def test_a_claim_found_word_for_word_is_supported(judge):
    premise = "Marie Curie won the Nobel Prize in Physics in 1903.\n\nShe won it again in 1911, in Chemistry."
    claims = ["She won it again in 1911, in Chemistry.", "marie curie won the nobel prize in physics",
              "Marie Curie won the Nobel Prize in Chemistry in 1903."]
    values = judge.support([premise] * 3, claims)
    assert values[:2] == [1.0, 1.0]
    names, w, b = WEIGHTS["support"]
    f = judge.support_features([premise], claims[2:])
    assert values[2] == pytest.approx(float(1 / (1 + np.exp(-(f[0] @ np.array(w) + b))))) and values[2] < 1


def test_second_run_makes_no_model_call(tmp_path):
    args = (["The Seine flows through Paris. It is 777 km long."], ["The Seine is 777 km long."])
    first = get_judge("default", cache_dir=tmp_path)
    a = first.support(*args)
    assert first.usage()["calls"] > 0
    second = get_judge({"kind": "default", "cache_dir": str(tmp_path)})
    assert second.support(*args) == a
    assert second.usage()["calls"] == 0 and second.usage()["cached"] > 0


def test_signature_holds_model_and_weights(judge, monkeypatch):
    sig = judge.signature
    assert "kind:default" in sig and "all-MiniLM-L6-v2" in sig and "model_hash:" in sig
    names, w, b = WEIGHTS["support"]
    monkeypatch.setitem(WEIGHTS, "support", (names, tuple(x + 1 for x in w), b))
    assert judge.signature != sig


def test_scorers_with_the_default_judge(judge, tmp_path, monkeypatch):
    batch = {
        "question": ["Where does the Seine flow?", "Who wrote Hamlet?"],
        "contexts": [["The Seine flows through Paris.", "Berlin lies on the Spree."], ["Hamlet is a tragedy."]],
        "answer": ["The Seine flows through Paris. It is the longest river in Asia.", ""],
        "reference": ["The Seine flows through Paris.", "William Shakespeare wrote Hamlet."],
        "references": [["through Paris"], ["Shakespeare"]],
    }
    f = rageval.get_scorer("faithfulness", judge=judge).stats(batch)
    assert f[0]["verdicts"] == [True, False] and 0 < f[0]["score"] < 1 and f[0]["support"][0] == 0
    assert f[1] == {"score": None, "flag": "empty_answer"}
    cp = rageval.get_scorer("context_precision", judge=judge).stats(batch)
    assert cp[0]["verdicts"] == [True, False] and cp[0]["score"] == pytest.approx(ranked_precision(cp[0]["values"]))
    cr = rageval.get_scorer("context_recall", judge=judge).stats(batch)
    assert cr[0]["score"] > 0.5 > cr[1]["score"]
    rel = rageval.get_scorer("context_relevance", judge=judge).stats(batch)
    assert rel[0]["values"][0] > rel[0]["values"][1]
    corr = rageval.get_scorer("answer_correctness", judge=judge).stats(batch)
    assert corr[0]["score"] > 0.5 and corr[1]["score"] == 0.0 and corr[1]["rule"] == "empty_answer"
    monkeypatch.setenv("RAGEVAL_CACHE", str(tmp_path))
    s = rageval.get_scorer("faithfulness")  # judge=None is the default judge
    assert s.judge.kind == "default"


@pytest.mark.skipif(not (data_dir() / "evouna").exists(), reason=f"human-labelled data not found at {data_dir()}")
def test_fit_runs_on_dev_data():
    from rageval.metaeval.fit import fit

    coef, intercept = fit(DefaultJudge(cache_dir=None), "agreement", limit=40)
    assert len(coef) == len(WEIGHTS["agreement"][0]) and all(math.isfinite(c) for c in (*coef, intercept))
    assert coef[2] > 0  # more of the reference found in the answer: more likely correct


def test_features_by_name_and_the_entailment_feature(judge):
    premise = "Marie Curie won the Nobel Prize in Physics in 1903. She won it again in 1911, in Chemistry."
    claims = ["Marie Curie won a Nobel Prize in 1903.", "marie curie won the nobel prize in physics in 1903"]
    five = ("coverage", "numbers", "names", "similarity", "order")
    base = judge.support_features([premise] * 2, claims, five)
    f = judge.support_features([premise] * 2, claims, ("entailment", *five[::-1]))
    assert np.array_equal(f[:, 1:], base[:, ::-1])
    want = judge.nli.support([premise], claims[:1])[0]
    assert f[0, 0] == pytest.approx(want) and 0 < want < 1
    assert f[1, 0] == 1.0  # found word for word: supported, no model call
    q = ["When did Marie Curie win the Nobel Prize in Chemistry?"]
    r = judge.relevance_features(q, [premise], ("bm25", "entailment"))
    assert r[0, 0] == judge.relevance_features(q, [premise])[0, 0]
    assert r[0, 1] == pytest.approx(judge.nli.relevance(q, [premise])[0])
    with pytest.raises(ValueError, match="unknown support features"):
        judge.support_features([premise], claims[:1], ("coverage", "novelty"))


@pytest.mark.skipif(not (data_dir() / "evouna").exists(), reason=f"human-labelled data not found at {data_dir()}")
def test_cross_validation_on_dev_data():
    from rageval.metaeval.fit import cross_validate

    names = WEIGHTS["agreement"][0]
    got = cross_validate(DefaultJudge(cache_dir=None), "agreement", {"all": names, "one": names[:1]}, limit=40,
                         seeds=(0,))
    assert set(got) == {"all", "one"} and set(got["all"]) == {"evouna-nq", "evouna-tq"}
    assert all(0 <= v <= 1 for d in got.values() for v in d.values())
    assert got["all"] != got["one"]
