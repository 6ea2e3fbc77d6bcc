"""exact_match and token_f1 against the SQuAD v2.0 official script, on generated and real answers."""
import json
import os
import random

import numpy as np
import pytest
from support import REPO
from support.squad_v2_reference import raw_scores

import rageval

PIECES = ["the", "a", "An", "cat", "Cat", "dog.", "  ", "", "!", "...", "naïve", "café", "東京", "42", "3.14",
          "&amp;", "<b>", "\n", "\t", "o'neil", "rock-n-roll", "THE", "theory", "an apple", "x", "—", "¿qué?"]


def gen_text(rng: random.Random) -> str:
    return " ".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6)))


def generated(n: int, seed: int):
    rng = random.Random(seed)
    answers = [gen_text(rng) for _ in range(n)]
    refs = [[gen_text(rng) for _ in range(rng.randint(1, 4))] for _ in range(n)]
    return answers, refs


def real():
    path = os.path.join(REPO, "rageval", "demo", "clapnq_lexical.jsonl")
    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    answers = [r["answer"] for r in rows] + [r["reference"][:40] for r in rows]
    refs = [[r["reference"]] for r in rows] + [[r["reference"], r["answer"]] for r in rows]
    return answers, refs


@pytest.mark.parametrize("answers,refs", [generated(3000, 1), generated(3000, 2), real()], ids=["gen1", "gen2", "real"])
def test_identical_to_official_script(answers, refs):
    exact, f1 = raw_scores(answers, refs)
    data = [{"answer": a, "references": r} for a, r in zip(answers, refs)]
    res = rageval.evaluate(data, ["exact_match", "token_f1"], progress=False)
    table = res.to_pandas()
    np.testing.assert_array_equal(table["exact_match"].to_numpy(), np.array(exact, float))
    assert np.max(np.abs(table["token_f1"].to_numpy() - np.array(f1, float))) < 1e-12
    assert abs(res.aggregate["exact_match"] - np.mean(exact)) < 1e-12
    assert abs(res.aggregate["token_f1"] - np.mean(f1)) < 1e-12


@pytest.mark.parametrize("answer,refs,em,f1", [
    ("", [""], 1.0, 1.0),                 # unanswerable, abstained
    ("", ["the"], 1.0, 1.0),              # a reference that normalises to nothing counts as ""
    ("cat", [""], 0.0, 0.0),
    ("", ["cat"], 0.0, 0.0),
    ("The Cat!", ["cat", "dog"], 1.0, 1.0),
    ("a b", ["b c"], 0.0, 2 / 3),        # "a" is an article: ["b"] vs ["b", "c"]
])
def test_edge_cases(answer, refs, em, f1):
    res = rageval.evaluate([{"answer": answer, "references": refs}], ["exact_match", "token_f1"], progress=False)
    assert res.aggregate["exact_match"] == em and res.aggregate["token_f1"] == pytest.approx(f1, abs=1e-15)
    assert (em, f1) == tuple(float(x[0]) for x in raw_scores([answer], [refs]))


def test_single_reference_column_and_bad_input():
    ok = rageval.evaluate([{"answer": "x", "reference": "x"}], ["exact_match"], progress=False)
    assert ok.aggregate["exact_match"] == 1.0
    with pytest.raises(rageval.FieldError, match=r"'answer'.*row 1.*None"):
        rageval.evaluate([{"answer": "x", "reference": "x"}, {"answer": None, "reference": "x"}], ["exact_match"])
    with pytest.raises(rageval.FieldError, match=r"'references'.*row 0.*item 1"):
        rageval.evaluate([{"answer": "x", "references": ["x", 3]}], ["token_f1"])
