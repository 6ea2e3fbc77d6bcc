"""`perplexity` from token log-probabilities: equal to torchmetrics' Perplexity and to
exp(sequence_nll) on the same logits, exact over any subset, and clear errors for bad input."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
from torchmetrics.text import Perplexity as TMPerplexity

import rageval
from rageval import FieldError
from rageval.training import sequence_nll
from rageval.training.perplexity import Perplexity


def _logits(seed: int, b: int = 5, t: int = 9, v: int = 11):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(b, t, v, generator=g, dtype=torch.float64) * 3
    target = torch.randint(0, v, (b, t), generator=g)
    target[torch.rand(b, t, generator=g) < 0.3] = -100
    target[:, 0] = 1  # every sequence has a token
    logp = logits.log_softmax(-1).gather(-1, target.clamp(min=0)[..., None])[..., 0]
    rows = [logp[i][target[i] != -100] for i in range(b)]
    return logits, target, rows


@pytest.mark.parametrize("seed", range(8))
def test_equals_torchmetrics_and_exp_sequence_nll(seed):
    logits, target, rows = _logits(seed)
    s = Perplexity()
    for column in (rows, [r.numpy() for r in rows], [r.tolist() for r in rows]):
        value = s.reduce(s.make_stats({"token_logprobs": column}))["perplexity"]
        tm = TMPerplexity(ignore_index=-100)
        tm.update(logits, target)
        assert value == pytest.approx(float(tm.compute()), rel=1e-6)  # torchmetrics' states are float32
        assert value == pytest.approx(math.exp(float(sequence_nll(logits, target))), rel=1e-12)


def test_any_subset_and_example_scores():
    rng = random.Random(0)
    rows = [[math.log(rng.uniform(1e-4, 1)) for _ in range(rng.randint(1, 30))] for _ in range(50)]
    s = Perplexity()
    stats = s.make_stats({"token_logprobs": rows})
    for _ in range(10):
        idx = rng.sample(range(50), rng.randint(1, 50))
        nll = -math.fsum(x for i in idx for x in rows[i])
        n = sum(len(rows[i]) for i in idx)
        assert s.reduce(stats.take(idx))["perplexity"] == pytest.approx(math.exp(nll / n), rel=1e-13)
    per = s.example_scores(stats)["perplexity"]
    np.testing.assert_allclose(per, [math.exp(-math.fsum(r) / len(r)) for r in rows], rtol=1e-13)


def test_through_evaluate_matches_direct():
    rng = random.Random(2)
    data = [{"id": str(i), "token_logprobs": [math.log(rng.uniform(0.01, 1)) for _ in range(rng.randint(1, 8))]}
            for i in range(30)]
    res = rageval.evaluate(data, ["perplexity"], batch_size=7)
    nll = -math.fsum(x for d in data for x in d["token_logprobs"])
    n = sum(len(d["token_logprobs"]) for d in data)
    assert res.aggregate["perplexity"] == pytest.approx(math.exp(nll / n), rel=1e-13)
    assert rageval.get_scorer("perplexity").higher_is_better is False


@pytest.mark.parametrize("bad, match", [
    ([[]], "no tokens"),
    ([[-1.0, 0.5]], "≤ 0"),
    ([[-1.0, float("nan")]], "finite"),
    ([[-1.0, float("-inf")]], "finite"),
    ([["a", "b"]], "numbers"),
    ([None], "log-probabilities"),
    ([-1.0], "log-probabilities"),
    ([[[-1.0]]], "log-probabilities"),
    ("abc", "one list"),
])
def test_bad_input_is_a_field_error(bad, match):
    with pytest.raises(FieldError, match=match) as e:
        Perplexity().stats({"token_logprobs": bad})
    assert e.value.field == "token_logprobs"


def test_evaluate_isolates_a_bad_row():
    data = [{"id": "a", "token_logprobs": [-1.0]}, {"id": "b", "token_logprobs": [0.3]}, {"id": "c", "token_logprobs": [-2.0]}]
    res = rageval.evaluate(data, ["perplexity"])
    assert res.aggregate["perplexity"] == pytest.approx(math.exp(1.5))


@pytest.mark.usefixtures("torch_one_thread")
def test_model_id_scores_answers_as_hf_evaluate_does(tiny_copy_lm):
    transformers = pytest.importorskip("transformers")
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_copy_lm)
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_copy_lm).eval()
    texts = ["a b", "c d a b", "d", "a a a a a a"]
    # HF evaluate's perplexity: BOS prepended, cross-entropy of the shifted logits, exp of the per-text mean
    expected_nll, expected_n = [], []
    for t in texts:
        ids = torch.tensor([[tokenizer.bos_token_id] + tokenizer(t, add_special_tokens=False)["input_ids"]])
        with torch.no_grad():
            logits = model(ids).logits
        nll = torch.nn.functional.cross_entropy(logits[0, :-1], ids[0, 1:], reduction="sum")
        expected_nll.append(float(nll)), expected_n.append(ids.shape[1] - 1)
    s = rageval.get_scorer("perplexity", model_id=tiny_copy_lm)
    assert s.fields == ("answer",) and "transformers" in s.signature
    stats = s.make_stats({"answer": texts})
    np.testing.assert_allclose(s.example_scores(stats)["perplexity"],
                               np.exp(np.array(expected_nll) / expected_n), rtol=1e-5)
    assert s.reduce(stats)["perplexity"] == pytest.approx(math.exp(sum(expected_nll) / sum(expected_n)), rel=1e-5)
    loaded = s.language_model()
    one_by_one = [s.example_scores(s.make_stats({"answer": [t]}))["perplexity"][0] for t in texts]
    assert s.language_model() is loaded  # loaded once
    assert one_by_one == list(s.example_scores(stats)["perplexity"])  # no padding: batch-independent
    with pytest.raises(FieldError, match="empty"):
        s.stats({"answer": [""]})
