"""meteor against nltk.translate.meteor_score on generated, real and edge-case texts, with nltk's WordNet."""
from __future__ import annotations

import json
import random

import nltk
import numpy as np
import pytest
from nltk.translate.meteor_score import meteor_score
from support import SHARED

import rageval
from rageval.core.errors import FieldError
from rageval.scorers.text.meteor import METEOR, count_chunks
from rageval.scorers.text.wordnet import WordNetMissingError, load_wordnet

WICE = SHARED / "data" / "wice" / "entailment_retrieval" / "claim"

# synonym pairs WordNet knows, stem variants, case variants, and words whose stems are not lemmas
WORDS = ("car automobile auto machine big large huge great fast quick speedy buy purchase begin start "
         "commence happy glad film movie picture house home kid child sofa couch run running runs ran "
         "runner study studies studying connect connected connection the a of and is was Car CAR Movie "
         "dog Dog hound cat true false present give gave given gift talk speak spoke said say").split()
ODD = ["1", "2023", "3.14", ",", ".", "!", "--", "'s", "café", "naïve", "日本語", "İstanbul", "&amp;",
       "&lt;b&gt;", "don't", "hot_dog", "e-mail", "U.S.", "Ω", "x²", "_", "(", ")"]


def random_words(rng: random.Random, pool: list[str], max_len: int = 14) -> str:
    words = [rng.choice(ODD) if rng.random() < 0.1 else rng.choice(pool) for _ in range(rng.randint(0, max_len))]
    return rng.choice([" ", "  ", "\n", " \t"]).join(words)


def random_examples(seed: int, n: int) -> tuple[list[str], list[list[str]]]:
    rng = random.Random(seed)
    answers, refs = [], []
    for _ in range(n):
        answer = random_words(rng, WORDS)
        pool = (answer.split() or WORDS) + WORDS[:20]
        answers.append(answer)
        refs.append([random_words(rng, pool) for _ in range(rng.randint(1, 3))])
    return answers, refs


@pytest.fixture(scope="module", autouse=True)
def wordnet():
    """rageval's WordNet, which is also what nltk's meteor_score uses by default from then on.

    Without WordNet on the machine (setup could not install the system package) neither side can
    run; the skip reason says how to install it. CI installs it (.ci/setup)."""
    try:
        return load_wordnet()
    except WordNetMissingError as exc:
        pytest.skip(f"no WordNet on this machine, nltk's METEOR cannot run either: {exc}")


def nltk_scores(answers, refs, tokenize=str.split, **params) -> np.ndarray:
    return np.array([meteor_score([tokenize(r) for r in rs], tokenize(a), **params) for a, rs in zip(answers, refs)])


def rageval_scores(answers, refs, **params) -> np.ndarray:
    stats = rageval.get_scorer("meteor", **params).stats({"answer": answers, "references": refs})
    assert stats.shape == (len(answers), 1)
    return stats[:, 0]


def assert_identical(got: np.ndarray, expected: np.ndarray) -> None:
    diff = np.abs(got - expected)
    assert diff.max(initial=0.0) < 1e-9, int(diff.argmax())
    np.testing.assert_array_equal(got, expected)  # in fact bit-identical


def test_generated_texts_match_nltk():
    answers, refs = random_examples(seed=0, n=1500)
    expected = nltk_scores(answers, refs)
    assert (expected > 0).mean() > 0.5 and len(set(expected.tolist())) > 200  # the cases are varied
    assert_identical(rageval_scores(answers, refs), expected)


PARAMS = [dict(alpha=0.5, beta=1.0, gamma=0.2), dict(alpha=1.0, beta=2.0, gamma=0.0),
          dict(alpha=0.0, beta=3.0, gamma=1.0), dict(alpha=0.75, beta=0.5, gamma=0.9), dict(alpha=0.9, beta=3, gamma=0.5)]


@pytest.mark.parametrize("params", PARAMS, ids=str)
def test_alpha_beta_gamma_match_nltk(params):
    answers, refs = random_examples(seed=1, n=300)
    assert_identical(rageval_scores(answers, refs, **params), nltk_scores(answers, refs, **params))


def _wice_pairs(n: int) -> tuple[list[str], list[list[str]]]:
    if not WICE.is_dir():
        pytest.skip(f"real sentences not available: {WICE} is absent (it ships with the project's shared data)")
    answers, refs = [], []
    for line in (WICE / "dev.jsonl").open():
        row = json.loads(line)
        ev = row["evidence"]
        for k in range(0, min(len(ev) - 1, 4), 2):
            answers.append(row["claim"])
            refs.append([ev[k]] + ([ev[k + 1]] if k % 4 == 0 else []))
    return answers[:n], refs[:n]


def test_real_sentences_match_nltk():
    answers, refs = _wice_pairs(600)
    assert_identical(rageval_scores(answers, refs), nltk_scores(answers, refs))


def test_nltk_word_tokenizer_matches_nltk():
    answers, refs = _wice_pairs(200)

    def tokenize(text):
        return nltk.word_tokenize(text, preserve_line=True)

    assert_identical(rageval_scores(answers, refs, tokenize="nltk"), nltk_scores(answers, refs, tokenize=tokenize))


EDGE = [
    ("", [""]),
    ("", ["a reference"]),
    ("an answer", [""]),
    ("   \t ", ["\n\n"]),
    ("!!! ? ...", ["... !!!"]),
    ("a", ["a"]),
    ("the the the", ["the"]),
    ("café naïve 日本語", ["CAFÉ naïve", "日本語 café"]),
    ("2023 was 3.14", ["2023 3.14 was"]),
    ("&amp; &lt;b&gt;", ["&amp; <b>", "&lt;b&gt; &amp;"]),
    ("line one\nline two", ["line two\nline one"]),
    ("The Car ran fast", ["the automobile runs quickly", "a car running fast", "THE CAR RAN FAST"]),
    ("hot_dog domestic_dog", ["hotdog frank dog"]),
    ("studies connection", ["studying connected", "study connect"]),
    (" ".join(["word", "other"] * 150), [" ".join(["other"] * 200 + ["word"] * 100)]),
    ("same text", ["same text", "same text"]),
    ("gave a gift", ["give a present", "given the gift"]),
]


@pytest.mark.parametrize("answer,refs", EDGE, ids=range(len(EDGE)))
def test_edge_cases_match_nltk(answer, refs):
    assert_identical(rageval_scores([answer], [refs]), nltk_scores([answer], [refs]))


def test_batch_with_different_reference_counts():
    answers, refs = [a for a, _ in EDGE], [r for _, r in EDGE]
    assert_identical(rageval_scores(answers, refs), nltk_scores(answers, refs))


def test_synonym_stage_is_exercised():
    # 'auto' matches 'car' only through WordNet. As in nltk, the synonym stage sees the words'
    # stems: 'automobile' stems to 'automobil', which is no lemma of 'car', so it does not match.
    assert rageval_scores(["car"], [["auto"]])[0] == meteor_score([["auto"]], ["car"]) > 0
    assert rageval_scores(["car"], [["automobile"]])[0] == meteor_score([["automobile"]], ["car"]) == 0


def test_count_chunks():
    assert count_chunks([]) == 1  # nltk's convention (no match scores 0 before it matters)
    assert count_chunks([(0, 0), (1, 1), (2, 5), (3, 6), (5, 7)]) == 3


def test_signature_has_versions():
    sig = METEOR().signature
    assert f"nltk:{nltk.__version__}" in sig and "wordnet:3.0" in sig and "tokenize:whitespace" in sig
    assert "alpha:0.9" in sig and "beta:3.0" in sig and "gamma:0.5" in sig


def test_bad_input_names_the_field_and_row():
    s = METEOR()
    with pytest.raises(FieldError, match=r"'answer'.*row 1"):
        s.stats({"answer": ["ok", 3], "references": [["x"], ["y"]]})
    with pytest.raises(FieldError, match=r"'references'.*row 1.*no reference"):
        s.stats({"answer": ["ok", "ok"], "references": [["x"], []]})
    with pytest.raises(ValueError, match="tokenize"):
        METEOR(tokenize="13a")
    with pytest.raises(TypeError, match="alpha"):
        METEOR(alpha="0.9")


def test_evaluate_end_to_end_matches_nltk():
    answers, refs = random_examples(seed=5, n=120)
    data = [{"answer": a, "references": r} for a, r in zip(answers, refs)]
    res = rageval.evaluate(data, scorers=["meteor"], batch_size=50)
    expected = nltk_scores(answers, refs)
    np.testing.assert_array_equal(res.to_pandas()["meteor"].to_numpy(), expected)
    assert res.aggregate["meteor"] == pytest.approx(expected.mean(), abs=1e-12)


class SynonymTable:
    """A WordNet of the user's, as nltk accepts one: ``synsets(word)`` of objects with ``lemmas()``."""

    class _Lemma:
        def __init__(self, name):
            self._name = name

        def name(self):
            return self._name

    class _Synset:
        def __init__(self, names):
            self._names = names

        def lemmas(self):
            return [SynonymTable._Lemma(n) for n in self._names]

    GROUPS = [("dog", "hound", "cur"), ("film", "movie", "pictur"), ("big", "larg", "great")]

    def synsets(self, word):
        return [self._Synset(g) for g in self.GROUPS if word in g]


@pytest.mark.parametrize("params", [
    {"preprocess": str.upper},
    {"preprocess": lambda w: w.strip(".,!").lower()},
    {"stemmer": __import__("nltk.stem.snowball", fromlist=["SnowballStemmer"]).SnowballStemmer("english")},
    {"stemmer": __import__("nltk.stem.lancaster", fromlist=["LancasterStemmer"]).LancasterStemmer()},
    {"wordnet": SynonymTable()},
    {"preprocess": str.casefold, "stemmer": __import__("nltk.stem", fromlist=["WordNetLemmatizer"]).RegexpStemmer("s$"),
     "wordnet": SynonymTable(), "alpha": 0.8},
], ids=["upper", "strip-lower", "snowball", "lancaster", "user-wordnet", "all"])
def test_preprocess_stemmer_and_wordnet_match_nltk(params):
    answers, refs = random_examples(seed=7, n=400)
    assert_identical(rageval_scores(answers, refs, **params), nltk_scores(answers, refs, **params))


def test_user_parts_enter_the_signature_and_are_checked():
    sig = rageval.get_scorer("meteor", preprocess=str.upper, wordnet=SynonymTable()).signature
    assert "preprocess:builtins.str.upper" in sig and "SynonymTable" in sig and "wordnet:3.0" not in sig
    for bad in ({"preprocess": 3}, {"stemmer": str.lower}, {"wordnet": "wordnet"}):
        with pytest.raises(TypeError, match=next(iter(bad))):
            rageval.get_scorer("meteor", **bad)
