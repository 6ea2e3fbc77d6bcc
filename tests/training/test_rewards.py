"""`rageval.training.reward`: TRL's reward-function contract, values equal to the reference
implementations' per-sentence scores, bit-identical for any batch size and order, None (never NaN)
for what cannot be scored."""
from __future__ import annotations

import asyncio
import inspect
import logging
import math
import random

import numpy as np
import pytest
import sacrebleu
from rouge_score import rouge_scorer

from rageval import FieldError
from rageval.core.errors import ConfigError
from rageval.training import async_reward, reward
from rageval.training.rewards import GROUP_EPS, completion_text

WORDS = "the a cat dog sat on mat big small red blue ran fast slowly über café 東京 !".split()


def _texts(rng: random.Random, n: int) -> list[str]:
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 12))) for _ in range(n)]


def _data(seed: int, n: int = 60):
    rng = random.Random(seed)
    completions = _texts(rng, n)
    refs = [[t] if rng.random() < 0.5 else [t, u] for t, u in zip(_texts(rng, n), _texts(rng, n))]
    refs = [[r or "x" for r in rs] for rs in refs]
    return completions, refs


def _references(name, completions, refs):
    if name == "bleu":
        return [sacrebleu.sentence_bleu(c, r).score for c, r in zip(completions, refs)]
    if name == "chrf":
        return [sacrebleu.sentence_chrf(c, r).score for c, r in zip(completions, refs)]
    scorer = rouge_scorer.RougeScorer(["rougeL"])
    return [scorer.score_multi(r, c)["rougeL"].fmeasure for c, r in zip(completions, refs)]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("name", ["bleu", "chrf", "rougeL"])
def test_values_equal_the_reference_sentence_scores(name, seed):
    completions, refs = _data(seed)
    f = reward(name)
    got = f(prompts=["p"] * len(completions), completions=completions, references=refs, trainer_state=None)
    assert got == _references(name, completions, refs)
    assert f.__name__ == name and all(type(v) is float for v in got)


@pytest.mark.parametrize("name, params, atol", [
    ("bleu", {}, 0), ("chrf", {}, 0), ("rougeL", {}, 0), ("exact_match", {}, 0), ("token_f1", {}, 0),
    ("faithfulness", {"judge": "lexical"}, 0),
    ("faithfulness", {}, 1e-6),  # the offline default judge embeds with MiniLM: kernels sum in batch-dependent order
])
def test_identical_for_any_batch_size_and_order(name, params, atol):
    completions, refs = _data(7, 40)
    completions = [c or "cat" for c in completions]  # faithfulness has nothing to judge in an empty answer
    contexts = [[r[0], "the cat"] for r in refs]
    f = reward(name, **params)
    kw = {"references": refs, "contexts": contexts, "question": ["q"] * 40}
    whole = f(prompts=["p"] * 40, completions=completions, **kw)
    # None only where there is nothing to judge (faithfulness on a punctuation-only answer), never NaN
    assert all(v is None or math.isfinite(v) for v in whole)
    assert sum(v is None for v in whole) == (sum(c.strip() == "!" for c in completions) if name == "faithfulness" else 0)
    rng = random.Random(0)
    for _ in range(3):
        order = rng.sample(range(40), 40)
        permuted = f(prompts=["p"] * 40, completions=[completions[i] for i in order],
                     **{k: [v[i] for i in order] for k, v in kw.items()})
        _same(permuted, [whole[i] for i in order], atol)
    for size in (1, 3, 17):
        split = []
        for s in range(0, 40, size):
            split += f(prompts=["p"] * len(completions[s:s + size]), completions=completions[s:s + size],
                       **{k: v[s:s + size] for k, v in kw.items()})
        _same(split, whole, atol)


def _same(got, expected, atol):
    if atol == 0:
        assert got == expected
    else:
        assert [v is None for v in got] == [v is None for v in expected]
        np.testing.assert_allclose([v for v in got if v is not None], [v for v in expected if v is not None],
                                   rtol=0, atol=atol)


def test_trl_keyword_contract_and_conversational_completions():
    f = reward("chrf", scale=True)
    params = inspect.signature(f.__call__).parameters
    assert "prompts" in params and "completions" in params
    convo = [[{"role": "assistant", "content": "the cat sat"}], [{"role": "assistant", "content": "a dog"}]]
    got = f(prompts=[[{"role": "user", "content": "say"}]] * 2, completions=convo, completion_ids=[[1], [2]],
            trainer_state=object(), log_extra=lambda *a: None, log_metric=lambda *a: None,
            reference=["the cat sat", "the cat"], unrelated_column=[1, 2])
    expected = [sacrebleu.sentence_chrf("the cat sat", ["the cat sat"]).score / 100,
                sacrebleu.sentence_chrf("a dog", ["the cat"]).score / 100]
    assert got == expected
    assert completion_text([{"role": "user", "content": "x"}, {"role": "assistant", "content": [{"type": "text",
                                                                                                 "text": "y"}]}]) == "y"


def test_columns_rename_and_question_from_prompt():
    f = reward("exact_match", columns={"references": "gold"})
    assert f(prompts=["q1", "q2"], completions=["Paris", "Rome"], gold=[["paris"], ["Berlin"]]) == [1.0, 0.0]
    with pytest.raises(FieldError, match="gold"):
        f(prompts=["q"], completions=["Paris"], reference=["paris"])
    r = reward("faithfulness")  # question is not needed, contexts are
    assert r(prompts=["q"], completions=["the cat sat"], contexts=[["the cat sat on the mat"]])[0] is not None


def test_unscorable_examples_get_none_and_are_logged(caplog):
    f = reward("bleu")
    with caplog.at_level(logging.WARNING, logger="rageval.training.rewards"):
        got = f(prompts=["p"] * 3, completions=["the cat", "a dog", "x"], reference=["the cat", None, "x"])
    assert got[1] is None and got[0] is not None and got[2] is not None
    assert "completion 1" in caplog.text and "references" in caplog.text
    assert f(prompts=[], completions=[], reference=[]) == []
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="rageval.training.rewards"):
        got = reward("faithfulness", judge="lexical")(prompts=["p"] * 2, completions=["the cat sat", "!"],
                                                      contexts=[["the cat sat"], ["the cat"]])
    assert got[0] is not None and got[1] is None
    assert "completion 1" in caplog.text and "no value" in caplog.text


@pytest.mark.parametrize("bad, match", [
    (dict(completions=None), "one completion per example"),
    (dict(completions="abc"), "one completion per example"),
    (dict(completions=[3]), "row 0"),
    (dict(completions=[[{"role": "user", "content": "x"}]]), "no assistant message"),
    (dict(completions=["a", "b"], reference=["a"]), "1 values for 2 completions"),
    (dict(completions=["a"]), "no such column"),
])
def test_bad_input_is_a_field_error(bad, match):
    kw = {"reference": ["a"], **bad}
    if "reference" not in bad and match == "no such column":
        kw.pop("reference")
    with pytest.raises(FieldError, match=match):
        reward("bleu")(prompts=["p"], **kw)


def test_configuration_errors():
    with pytest.raises(ConfigError, match="unbounded"):
        reward("mse", scale=True)
    with pytest.raises(ConfigError, match="group_normalize"):
        reward("bleu", group_normalize=1)
    with pytest.raises(ConfigError, match="no value"):
        reward("bleu", key="bleu.nothing")
    assert reward("bleu", key="bleu.bp")(prompts=["p"], completions=["the cat"], reference=["the cat sat"])[0] < 1


def test_group_normalize_matches_grpo_advantages():
    torch = pytest.importorskip("torch")
    completions, refs = _data(3, 24)
    raw = reward("chrf")(prompts=["p"] * 24, completions=completions, references=refs)
    got = reward("chrf", group_normalize=4)(prompts=["p"] * 24, completions=completions, references=refs)
    r = torch.tensor(raw, dtype=torch.float64).view(-1, 4)
    expected = ((r - r.mean(1, keepdim=True)) / (r.std(1, keepdim=True) + GROUP_EPS)).view(-1)
    np.testing.assert_allclose(got, expected.numpy(), rtol=1e-12, atol=1e-12)
    # a None in a group: the others are normalised among themselves, the None stays None
    got = reward("bleu", group_normalize=3)(prompts=["p"] * 3, completions=["a b", "a", "b"], reference=["a b", None, "b"])
    assert got[1] is None and got[0] == got[2] == 0.0
    with pytest.raises(ValueError, match="whole groups"):
        reward("bleu", group_normalize=2)(prompts=["p"] * 3, completions=["a"] * 3, reference=["a"] * 3)


def test_async_variant_gives_the_same_values():
    completions, refs = _data(5, 10)
    f = async_reward("rougeL")
    assert inspect.iscoroutinefunction(f.__call__)
    got = asyncio.run(f(prompts=["p"] * 10, completions=completions, references=refs))
    assert got == reward("rougeL")(prompts=["p"] * 10, completions=completions, references=refs)


def test_first_pass_scorer_needs_its_state():
    with pytest.raises(ConfigError, match="first_pass"):
        reward("bertscore", idf=True, model_type="/nonexistent", num_layers=1)


@pytest.mark.usefixtures("torch_one_thread")
def test_bertscore_model_loaded_once_and_batch_independent(tmp_path):
    torch = pytest.importorskip("torch")
    from transformers import BertConfig, BertModel, BertTokenizer

    from rageval.scorers.text import bertscore_core

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted({w.lower() for w in WORDS}) + list("abcdefghijklmnopqrstuvwxyz")
    BertTokenizer(vocab={w: i for i, w in enumerate(dict.fromkeys(vocab))}, model_max_length=64).save_pretrained(tmp_path)
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(dict.fromkeys(vocab)), hidden_size=16, num_hidden_layers=2,
                         num_attention_heads=2, intermediate_size=32, max_position_embeddings=64)).save_pretrained(tmp_path)
    completions, refs = _data(11, 12)
    f = reward("bertscore", model_type=str(tmp_path), num_layers=2)
    before = bertscore_core.load_bertscore_model.cache_info().misses
    whole = f(prompts=["p"] * 12, completions=completions, references=refs)
    pieces = [v for s in range(0, 12, 5) for v in f(prompts=["p"] * len(completions[s:s + 5]),
                                                    completions=completions[s:s + 5], references=refs[s:s + 5])]
    rev = f(prompts=["p"] * 12, completions=completions[::-1], references=refs[::-1])[::-1]
    assert bertscore_core.load_bertscore_model.cache_info().misses - before <= 1
    np.testing.assert_allclose(pieces, whole, rtol=0, atol=1e-6)
    np.testing.assert_allclose(rev, whole, rtol=0, atol=1e-6)


#: (reward name, its parameters, the reference's value for one completion)
SETTINGS = [
    ("bleu", {"lowercase": True}, lambda c, r: sacrebleu.sentence_bleu(c, r, lowercase=True).score),
    ("bleu", {"smooth_method": "floor"}, lambda c, r: sacrebleu.sentence_bleu(c, r, smooth_method="floor").score),
    ("chrf", {"word_order": 2}, lambda c, r: sacrebleu.sentence_chrf(c, r, word_order=2).score),
    ("chrf", {"beta": 1, "eps_smoothing": True},
     lambda c, r: sacrebleu.sentence_chrf(c, r, beta=1, eps_smoothing=True).score),
    ("rougeL", {"use_stemmer": True},
     lambda c, r: rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True).score_multi(r, c)["rougeL"].fmeasure),
]


def _sweep(seeds, n):
    for name, params, ref in SETTINGS:
        f = reward(name, **params)
        for seed in seeds:
            completions, refs = _data(100 + seed, n)
            got = f(prompts=[""] * n, completions=completions, references=refs)
            assert got == [ref(c, r) for c, r in zip(completions, refs)], (name, params, seed)


def test_parameters_reach_the_scorer_sample():
    _sweep(range(1), 40)


@pytest.mark.slow
def test_parameters_reach_the_scorer_sweep():
    _sweep(range(20), 200)
