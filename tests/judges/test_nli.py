"""The nli judge on tiny random BERT classifiers built locally: scores identical to a plain per-pair
forward pass of the same model, entailment label detection, cross-encoders, long premises, cache."""
from __future__ import annotations

import random

import pytest
import torch
from support.judge_fixtures import WORDS, tiny_classifier

from rageval.core.errors import ConfigError
from rageval.judges import JudgeError, get_judge
from rageval.models import load_transformer

NLI_LABELS = {0: "contradiction", 1: "entailment", 2: "neutral"}


@pytest.fixture(scope="module")
def nli_path(tmp_path_factory):
    return str(tiny_classifier(tmp_path_factory.mktemp("nli"), NLI_LABELS))


def reference_score(path: str, first: str, second: str, index: int | None, max_length: int = 64) -> float:
    """One unpadded forward pass: softmax[index] (NLI) or sigmoid of the single logit."""
    tokenizer, model = load_transformer(path, "cpu", kind="sequence-classification")
    enc = tokenizer(first, second, truncation=True, max_length=max_length, return_tensors="pt")
    with torch.inference_mode():
        logits = model(**enc).logits[0]
    return float(torch.sigmoid(logits[0]) if index is None else torch.softmax(logits, -1)[index])


def sentences(rng: random.Random, n: int) -> list[str]:
    extra = ["", "Ünïcödé café 東京", "1,234.5 %", "&amp; <b>tag</b>", "?!", "two\nlines"]
    out = []
    for _ in range(n):
        words = rng.choices(WORDS, k=rng.randint(1, 12))
        if rng.random() < 0.2:
            words.append(rng.choice(extra))
        out.append(" ".join(words).capitalize() + rng.choice([".", "?", "", "!"]))
    return out


@pytest.mark.parametrize("seed", range(3))
def test_support_matches_a_plain_forward_pass(nli_path, tmp_path, seed):
    rng = random.Random(seed)
    premises, claims = sentences(rng, 24), sentences(rng, 24)
    judge = get_judge({"kind": "nli", "model": nli_path, "cache_dir": tmp_path, "batch_size": 7})
    got = judge.support(premises, claims, errors="return")
    for p, c, g in zip(premises, claims, got):
        if not c.strip():
            assert isinstance(g, JudgeError)
        elif not p.strip():
            assert g == 0.0
        else:
            assert g == pytest.approx(reference_score(nli_path, p, c, 1), abs=1e-5)


def test_relevance_addresses_agreement_definitions(nli_path):
    judge = get_judge({"kind": "nli", "model": nli_path, "cache_dir": None})
    q, passage = "Where is the Seine?", "The Seine is a river in Paris."
    assert judge.relevance([q], [passage])[0] == pytest.approx(
        reference_score(nli_path, passage, f'This text answers the question "{q}".', 1), abs=1e-5)
    assert judge.addresses([q], [passage])[0] == pytest.approx(
        reference_score(nli_path, passage, f'This is a direct answer to the question "{q}".', 1), abs=1e-5)
    a, r = "It is in Paris.", "Paris"
    both = (reference_score(nli_path, a, r, 1) + reference_score(nli_path, r, a, 1)) / 2
    assert judge.agreement([a], [r], [q])[0] == pytest.approx(both, abs=1e-5)
    assert judge.claims(["One. Two!"]) == [["One.", "Two!"]]


@pytest.mark.parametrize("id2label, given, expected", [
    ({0: "ENTAILMENT", 1: "NEUTRAL", 2: "CONTRADICTION"}, None, 0),
    ({0: "contradiction", 1: "neutral", 2: "entailment"}, None, 2),
    ({0: "not_entailment", 1: "entailment"}, None, 1),
    ({0: "LABEL_0", 1: "LABEL_1"}, "LABEL_1", 1),
    ({0: "LABEL_0", 1: "LABEL_1"}, 0, 0),
    ({0: "yes", 1: "no"}, "YES", 0),
])
def test_entailment_label_from_config(tmp_path, id2label, given, expected):
    path = str(tiny_classifier(tmp_path / "m", id2label))
    judge = get_judge({"kind": "nli", "model": path, "entailment_label": given, "cache_dir": None})
    assert judge.entailment_index == expected
    assert judge.support(["the city is big"], ["it is big"])[0] == pytest.approx(
        reference_score(path, "the city is big", "it is big", expected), abs=1e-5)


@pytest.mark.parametrize("id2label, given", [({0: "LABEL_0", 1: "LABEL_1"}, None), ({0: "a", 1: "b"}, "c"),
                                             ({0: "entailment", 1: "Entailment"}, None)])
def test_entailment_label_never_guessed(tmp_path, id2label, given):
    path = str(tiny_classifier(tmp_path / "m", id2label))
    with pytest.raises(ConfigError, match="entailment_label"):
        get_judge({"kind": "nli", "model": path, "entailment_label": given, "cache_dir": None}).support(["a"], ["b"])


def test_cross_encoder_is_sigmoid_of_query_passage(tmp_path):
    path = str(tiny_classifier(tmp_path / "ce", {0: "LABEL_0"}))
    judge = get_judge({"kind": "nli", "model": path, "cache_dir": None})
    assert judge.entailment_index is None and "entailment:sigmoid" in judge.signature
    q, p = "who wrote the book", "The book was written in Paris."
    assert judge.relevance([q], [p])[0] == pytest.approx(reference_score(path, q, p, None), abs=1e-5)
    assert judge.support([p], ["a book"])[0] == pytest.approx(reference_score(path, "a book", p, None), abs=1e-5)


@pytest.mark.parametrize("stride", [0, 8])
def test_long_premise_scored_by_its_best_token_window(nli_path, stride):
    judge = get_judge({"kind": "nli", "model": nli_path, "cache_dir": None, "stride": stride})
    rng = random.Random(7)
    premise = " ".join(" ".join(rng.choices(WORDS, k=8)).capitalize() + "." for _ in range(20))
    claim = "paris is the capital of france"
    windows = [w for w, _ in judge._windows(premise, claim)]
    tokenizer, _ = load_transformer(nli_path, "cpu", kind="sequence-classification")
    assert len(windows) > 2 and all(w in premise for w in windows)
    assert premise.startswith(windows[0]) and premise.endswith(windows[-1])
    assert all(len(tokenizer(w, claim)["input_ids"]) <= 64 for w in windows)
    pieces = [tokenizer(w, add_special_tokens=False)["input_ids"] for w in windows]
    for a, b in zip(pieces, pieces[1:]):  # consecutive windows share exactly `stride` tokens
        assert (a[len(a) - stride:] if stride else []) == b[:stride]
    assert sum(len(x) for x in pieces) - stride * (len(pieces) - 1) == len(tokenizer(premise)["input_ids"]) - 2
    expected = max(reference_score(nli_path, w, claim, 1) for w in windows)
    assert judge.support([premise], [claim])[0] == pytest.approx(expected, abs=1e-5)


def test_cache_second_run_makes_no_model_call(nli_path, tmp_path):
    premises, claims = sentences(random.Random(1), 20), sentences(random.Random(2), 20)
    premises, claims = [p or "x" for p in premises], [c or "y" for c in claims]
    first = get_judge({"kind": "nli", "model": nli_path, "cache_dir": tmp_path})
    values = first.support(premises, claims)
    assert first.usage()["calls"] == len(set(zip(premises, claims)))
    second = get_judge({"kind": "nli", "model": nli_path, "cache_dir": tmp_path, "batch_size": 3})
    assert second.support(premises, claims) == values
    assert second.usage()["calls"] == 0 and second.usage()["cached"] == 20
    other = str(tiny_classifier(tmp_path / "other", NLI_LABELS, seed=1))
    changed = get_judge({"kind": "nli", "model": other, "cache_dir": tmp_path})
    changed.support(premises[:3], claims[:3])
    assert changed.usage()["calls"] == 3, "a different model must not reuse cached scores"


def test_hypothesis_templates_checked_and_signed(nli_path):
    with pytest.raises(ConfigError, match="question"):
        get_judge({"kind": "nli", "model": nli_path, "relevance_hypothesis": "no placeholder", "cache_dir": None})
    custom = get_judge({"kind": "nli", "model": nli_path, "relevance_hypothesis": "About {question}", "cache_dir": None})
    assert "relevance_hypothesis:About {question}" in custom.signature
