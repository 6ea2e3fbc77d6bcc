"""rouge1 / rouge2 / rougeL / rougeLsum against Google's rouge-score on generated, real and edge-case texts."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest
from rouge_score import rouge_scorer
from rouge_score import tokenize as rs_tokenize
from rouge_score.tokenizers import DefaultTokenizer
from support import SHARED

import rageval
from rageval.core.errors import FieldError
from rageval.scorers.text import rouge_core
from rageval.scorers.text.rouge import OFFLINE_ABBREVIATIONS, RougeLsum, _offline_punkt

TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"]
WICE = SHARED / "data" / "wice" / "entailment_retrieval" / "claim"

WORDS = ("the a an of cat cats dog dogs running runs ran runner connect connected connection connecting "
         "generous generously happy happiness university universal study studies studying organization "
         "organizational relate relational agreed agreement is was be being sky blue quick quickly "
         "The CAT Running UNIVERSITY fly flies flying").split()
ODD = ["1", "2023", "3.14", "1,000", "42nd", ",", ".", "!", "?", "--", "...", "'s", "(", ")", "\"",
       "café", "naïve", "Ünïcödé", "日本語", "İstanbul", "straße", "ﬁne", "KELVIN", "Ω", "x²",
       "&amp;", "&lt;b&gt;", "&#39;", "&nbsp;", "<p>", "e-mail", "don't", "U.S.A.", "a1b2", "_", "ß"]
SEPARATORS = [" "] * 12 + ["  ", "\n", "\t", "", " \n ", "\r\n", "\n\n"]


def random_text(rng: random.Random, pool: list[str] | None = None, max_len: int = 30) -> str:
    pool = pool or WORDS
    tokens = [rng.choice(ODD) if rng.random() < 0.15 else rng.choice(pool) for _ in range(rng.randint(0, max_len))]
    out = ""
    for tok in tokens:
        out += tok + rng.choice(SEPARATORS)
    return out


def random_examples(seed: int, n: int) -> tuple[list[str], list[list[str]]]:
    """Answers, and 1-4 references each, often sharing words with the answer (so LCS paths vary)."""
    rng = random.Random(seed)
    answers, refs = [], []
    for _ in range(n):
        answer = random_text(rng)
        shared = answer.split() or WORDS
        refs.append([random_text(rng, shared + WORDS[:5]) for _ in range(rng.randint(1, 4))])
        answers.append(answer)
    return answers, refs


def reference_rows(answers, refs, use_stemmer: bool, **kwargs) -> dict[str, np.ndarray]:
    """rouge-score's score_multi for every type: {type: rows [fmeasure, precision, recall]}."""
    scorer = rouge_scorer.RougeScorer(TYPES, use_stemmer=use_stemmer, **kwargs)
    scores = [scorer.score_multi(r, a) for a, r in zip(answers, refs)]
    return {t: np.array([[s[t].fmeasure, s[t].precision, s[t].recall] for s in scores]) for t in TYPES}


def rageval_rows(answers, refs, **params) -> dict[str, np.ndarray]:
    batch = {"answer": answers, "references": refs}
    return {t: rageval.get_scorer(t, **params).stats(batch) for t in TYPES}


def assert_identical(got: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> None:
    for t in TYPES:
        assert got[t].shape == expected[t].shape, t
        diff = np.abs(got[t] - expected[t])
        assert diff.max(initial=0.0) < 1e-9, (t, int(diff.max(axis=1).argmax()))
        np.testing.assert_array_equal(got[t], expected[t], err_msg=t)  # in fact bit-identical


@pytest.mark.parametrize("use_stemmer", [False, True])
def test_generated_texts_match_rouge_score(use_stemmer):
    answers, refs = random_examples(seed=int(use_stemmer), n=2000)
    assert_identical(rageval_rows(answers, refs, use_stemmer=use_stemmer),
                     reference_rows(answers, refs, use_stemmer))


def _wice_pairs(n: int) -> tuple[list[str], list[list[str]]]:
    if not WICE.is_dir():
        pytest.skip(f"real sentences not available: {WICE} is absent (it ships with the project's shared data)")
    answers, refs = [], []
    for split in ("dev", "test"):
        for line in (WICE / f"{split}.jsonl").open():
            row = json.loads(line)
            ev = row["evidence"]
            for k in range(0, min(len(ev) - 2, 6), 3):
                answers.append(row["claim"])
                # one reference of two lines, and one of the next sentence (different counts per example)
                refs.append([ev[k] + "\n" + ev[k + 1]] + ([ev[k + 2]] if k % 2 else []))
    return answers[:n], refs[:n]


@pytest.mark.parametrize("use_stemmer", [False, True])
def test_real_sentences_match_rouge_score(use_stemmer):
    answers, refs = _wice_pairs(1000)
    assert_identical(rageval_rows(answers, refs, use_stemmer=use_stemmer),
                     reference_rows(answers, refs, use_stemmer))


EDGE = [
    ("", [""]),
    ("", ["a reference"]),
    ("an answer", [""]),
    ("   \t ", ["\n\n\n"]),
    ("!!! ??? ...", ["... --- !!!"]),
    ("a", ["a"]),
    ("the the the the", ["the"]),
    ("café naïve straße", ["cafe naive strasse", "caf na ve stra e"]),
    ("2023 was 3.14 times 1,000", ["2023 1000 3 14"]),
    ("&amp; &lt;b&gt;bold&lt;/b&gt; &#39;q&#39;", ["amp lt b gt bold", "<b>bold</b> & 'q'"]),
    ("line one here\nline two there", ["line two there\nline one here"]),
    ("x\n\n\ny z", ["x y z", "x\ny\nz", "\n\n"]),
    ("carriage\r\nreturns\r\n", ["carriage returns", "carriage\r\n\r\nreturns"]),
    ("日本語 only", ["日本語"]),
    ("İstanbul KELVIN ﬁne", ["istanbul kelvin fine"]),
    ("Running runs runner RAN", ["run running ran", "runs", "the runners were running"]),
    (" ".join(["word"] * 300 + ["other"] * 200), [" ".join(["other", "word"] * 250)]),
    ("same text", ["same text", "same text", "same text"]),
    ("tie one", ["tie two", "one tie", "tie one extra"]),
    ("a b", ["zz", "a", "a b c d"]),  # equal F-measures, different precision and recall
    ("a b", ["a b c d", "a"]),
]


@pytest.mark.parametrize("use_stemmer", [False, True])
@pytest.mark.parametrize("answer,refs", EDGE, ids=range(len(EDGE)))
def test_edge_cases_match_rouge_score(answer, refs, use_stemmer):
    assert_identical(rageval_rows([answer], [refs], use_stemmer=use_stemmer),
                     reference_rows([answer], [refs], use_stemmer))


def test_batch_with_different_reference_counts():
    answers = [a for a, _ in EDGE]
    refs = [r for _, r in EDGE]
    assert_identical(rageval_rows(answers, refs, use_stemmer=True), reference_rows(answers, refs, True))


def test_tokenizer_matches_rouge_score_on_random_unicode():
    rng = random.Random(7)
    alphabet = "abcXYZ019 \n\t.,;'-_&#éİßﬁΩ日Kǅ\u0307\u00a0\u2028"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    texts += [random_text(rng) for _ in range(1000)]
    for use_stemmer in (False, True):
        ours = rouge_core.RougeTokenizer(use_stemmer)
        theirs = DefaultTokenizer(use_stemmer)
        for text in texts:
            assert ours.tokenize(text) == theirs.tokenize(text), text
    assert rouge_core.RougeTokenizer(False).tokenize("A-b C") == rs_tokenize.tokenize("A-b C", None)


def test_several_references_take_the_best_f_measure_with_its_precision_and_recall():
    refs = [["a dog", "a", "a b c d"]]
    got = rageval.get_scorer("rouge1").stats({"answer": ["a b"], "references": refs})
    second, third = (rouge_scorer.RougeScorer(["rouge1"]).score(r, "a b")["rouge1"] for r in refs[0][1:])
    # a tie on F-measure with different precision and recall: the first of the tied references wins
    assert second.fmeasure == third.fmeasure and second.precision != third.precision
    assert got.tolist() == [[second.fmeasure, second.precision, second.recall]]


def test_offline_sentence_splitter_is_punkt_with_the_documented_abbreviations():
    text = "Dr. Smith went home at 5 p.m. on Monday. He slept! Did the U.S. team win? Yes, e.g. twice."
    sents = _offline_punkt().tokenize(text)
    assert sents == ["Dr. Smith went home at 5 p.m. on Monday.", "He slept!", "Did the U.S. team win?",
                     "Yes, e.g. twice."]
    assert "dr" in OFFLINE_ABBREVIATIONS


@pytest.mark.parametrize("split", [True, "punkt"])
def test_split_summaries_offline_scores_the_split_sentences_like_rouge_score(split):
    # sentences of prose, without newlines: the splitter decides every boundary
    rng = random.Random(5)
    prose = [" ".join(f"{random_text(rng, max_len=8).replace(chr(10), ' ')}." for _ in range(rng.randint(1, 4)))
             for _ in range(600)]
    answers, refs = prose[:300], [[p] for p in prose[300:]]
    got = RougeLsum(use_stemmer=True, split_summaries=split).stats({"answer": answers, "references": refs})
    split_refs = [["\n".join(_offline_punkt().tokenize(r[0]))] for r in refs]
    split_answers = ["\n".join(_offline_punkt().tokenize(a)) for a in answers]
    expected = reference_rows(split_answers, split_refs, True)["rougeLsum"]
    np.testing.assert_array_equal(got, expected)


def test_split_summaries_nltk_is_rouge_scores_split_summaries():
    answers, refs = ["One sentence here. Another one there."], [["Another one there. One sentence here."]]
    scorer = RougeLsum(split_summaries="nltk")
    try:
        expected = reference_rows(answers, refs, False, split_summaries=True)["rougeLsum"]
    except LookupError:  # nltk's punkt_tab model is not installed: rageval must say how to get it
        with pytest.raises(LookupError, match=r"nltk.download\('punkt_tab'\)"):
            scorer.stats({"answer": answers, "references": refs})
    else:
        np.testing.assert_array_equal(scorer.stats({"answer": answers, "references": refs}), expected)


def test_keys_parts_and_signature():
    s = rageval.get_scorer("rougeL", use_stemmer=True)
    assert s.keys() == ["rougeL", "rougeL.precision", "rougeL.recall"]
    assert "use_stemmer:yes" in s.signature and "stemmer:porter-nltk" in s.signature
    assert "stemmer:porter" not in rageval.get_scorer("rouge1").signature
    assert "split_summaries:punkt-offline" in rageval.get_scorer("rougeLsum", split_summaries=True).signature
    assert "punkt:nltk" in rageval.get_scorer("rougeLsum", split_summaries=True).signature
    assert "split_summaries:newline" in rageval.get_scorer("rougeLsum").signature
    spec = rageval.get_scorer("rougeLsum", use_stemmer=True, split_summaries="punkt").spec()
    assert rageval.get_scorer(spec["base"], **spec["params"]).signature == rageval.get_scorer(
        "rougeLsum", use_stemmer=True, split_summaries="punkt").signature
    stats = s.stats({"answer": ["a b c", "x"], "references": [["a c"], ["y"]]})
    out = s.reduce(stats)
    assert out == {"rougeL": stats[:, 0].mean(), "rougeL.precision": stats[:, 1].mean(),
                   "rougeL.recall": stats[:, 2].mean()}


@pytest.mark.parametrize("name", TYPES)
def test_bad_input_names_the_field_and_row(name):
    s = rageval.get_scorer(name)
    with pytest.raises(FieldError, match=r"'answer'.*row 1"):
        s.stats({"answer": ["ok", None], "references": [["x"], ["y"]]})
    with pytest.raises(FieldError, match=r"'references'.*row 1.*no reference"):
        s.stats({"answer": ["ok", "ok"], "references": [["x"], []]})
    with pytest.raises(FieldError, match=r"'references'.*row 0.*item 1"):
        s.stats({"answer": ["ok"], "references": [["x", 3]]})
    with pytest.raises(TypeError, match="use_stemmer"):
        rageval.get_scorer(name, use_stemmer="yes")
    if name != "rougeLsum":
        with pytest.raises(TypeError, match="split_summaries"):
            rageval.get_scorer(name, split_summaries=True)


def test_bad_split_summaries():
    for bad in ("spacy", 1, None):
        with pytest.raises(ValueError, match="split_summaries"):
            RougeLsum(split_summaries=bad)


def test_evaluate_end_to_end_matches_rouge_score():
    answers, refs = random_examples(seed=21, n=250)
    data = [{"answer": a, "references": r} for a, r in zip(answers, refs)]
    res = rageval.evaluate(data, scorers=[(t, {"use_stemmer": True}) for t in TYPES], batch_size=100)
    expected = reference_rows(answers, refs, True)
    table = res.to_pandas()
    for t in TYPES:
        np.testing.assert_array_equal(table[t].to_numpy(), expected[t][:, 0])
        np.testing.assert_array_equal(table[f"{t}.precision"].to_numpy(), expected[t][:, 1])
        assert res.aggregate[t] == pytest.approx(expected[t][:, 0].mean(), abs=1e-12)
        assert res.aggregate[f"{t}.recall"] == pytest.approx(expected[t][:, 2].mean(), abs=1e-12)


@pytest.mark.parametrize("use_stemmer", [False, True])
def test_rouge3_to_rouge9_match_rouge_score(use_stemmer):
    answers, refs = random_examples(seed=30 + int(use_stemmer), n=600)
    rng = random.Random(3)
    for i in range(0, 600, 2):  # half the references: the answer with one word dropped (long shared n-grams)
        words = answers[i].split()
        if len(words) > 2:
            del words[rng.randrange(len(words))]
        refs[i] = [" ".join(words)] + refs[i][1:]
    types = [f"rouge{n}" for n in range(3, 10)]
    scorer = rouge_scorer.RougeScorer(types, use_stemmer=use_stemmer)
    scores = [scorer.score_multi(r, a) for a, r in zip(answers, refs)]
    for t in types:
        want = np.array([[s[t].fmeasure, s[t].precision, s[t].recall] for s in scores])
        got = rageval.get_scorer(t, use_stemmer=use_stemmer).stats({"answer": answers, "references": refs})
        np.testing.assert_array_equal(np.asarray(got), want, err_msg=t)
        assert want[:, 0].any(), f"{t}: the generated pairs share no {t[5:]}-gram, the test would prove nothing"


class CharacterTokenizer:
    """A user tokenizer as rouge-score accepts one: characters that are not spaces, lowercased."""

    def tokenize(self, text: str) -> list[str]:
        return [c for c in text.lower() if not c.isspace()]


def test_user_tokenizer_is_rouge_scores_tokenizer_argument():
    answers, refs = random_examples(seed=40, n=300)
    tokenizer = CharacterTokenizer()
    expected = reference_rows(answers, refs, use_stemmer=True, tokenizer=tokenizer)  # rouge-score ignores the stemmer
    assert_identical(rageval_rows(answers, refs, tokenizer=tokenizer), expected)
    default = rageval_rows(answers, refs)
    assert not np.array_equal(np.asarray(default["rouge1"]), expected["rouge1"])


def test_user_tokenizer_enters_the_signature_and_is_checked():
    s = rageval.get_scorer("rouge2", tokenizer=CharacterTokenizer())
    assert "tokenizer:" in s.signature and "CharacterTokenizer" in s.signature and "use_stemmer" not in s.signature
    with pytest.raises(TypeError, match="tokenize"):
        rageval.get_scorer("rougeL", tokenizer=str.split)
