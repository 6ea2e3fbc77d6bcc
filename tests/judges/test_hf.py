"""The hf judge on a tiny random Llama built locally: chat-template rendering, greedy generation equal
to a plain `generate` call, gibberish -> re-ask -> recorded JudgeError, and the cache."""
from __future__ import annotations

import pytest
import torch
from support.judge_fixtures import tiny_chat_lm

from rageval.core.errors import ConfigError
from rageval.judges import JudgeError, get_judge
from rageval.judges.prompts import DEFAULT_PROMPTS
from rageval.models import load_transformer

REFUSES_SYSTEM = (
    "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
    "{% endif %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}"
)


@pytest.fixture(scope="module")
def lm_path(tmp_path_factory):
    return str(tiny_chat_lm(tmp_path_factory.mktemp("lm")))


def reference_generation(path: str, prompt: str, max_new_tokens: int) -> str:
    """A plain greedy `generate` on one unpadded prompt, decoded up to the end-of-sequence token."""
    tokenizer, model = load_transformer(path, "cpu", kind="causal-lm")
    enc = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                             pad_token_id=tokenizer.pad_token_id)
    return tokenizer.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True).strip()


def test_render_uses_the_chat_template(lm_path):
    judge = get_judge({"kind": "hf", "model": lm_path, "cache_dir": None})
    messages = DEFAULT_PROMPTS["support"].render(premise="Paris is big.", claim="Paris is big")
    tokenizer, _ = load_transformer(lm_path, "cpu", kind="causal-lm")
    assert judge.render(messages) == tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert judge.render(messages).endswith("<|assistant|>\n") and "Claim:\nParis is big" in judge.render(messages)


@pytest.mark.parametrize("text", ["Paris is the capital of France.", "Who wrote the book?", "ünïcode 東京 12.5%", "x"])
def test_generation_equals_plain_greedy_generate(lm_path, text):
    judge = get_judge({"kind": "hf", "model": lm_path, "max_tokens": 12, "batch_size": 1, "cache_dir": None})
    messages = DEFAULT_PROMPTS["claims"].render(text=text)
    reply = judge.chat([messages])[0]
    assert reply["text"] == reference_generation(lm_path, judge.render(messages), 12)
    tokenizer, _ = load_transformer(lm_path, "cpu", kind="causal-lm")
    assert reply["prompt_tokens"] == len(tokenizer(judge.render(messages), add_special_tokens=False)["input_ids"])
    assert 1 <= reply["completion_tokens"] <= 12


def test_gibberish_is_reasked_then_a_recorded_error_and_cached(lm_path, tmp_path):
    params = {"kind": "hf", "model": lm_path, "max_tokens": 8, "batch_size": 3, "cache_dir": tmp_path}
    judge = get_judge(params)
    premises, claims = ["Paris is big.", "Berlin is old.", "The Seine is a river."], ["Paris is big", "old", "river"]
    out = judge.support(premises, claims, errors="return")
    assert all(isinstance(e, JudgeError) and "after 1 re-ask" in str(e) and e.raw is not None for e in out)
    assert [e.index for e in out] == [0, 1, 2]
    usage = judge.usage()
    assert usage["calls"] == 6 and usage["errors"] == 3  # one ask and one re-ask per item
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    with pytest.raises(JudgeError, match="item 0"):
        judge.claims(["Paris is big."])
    again = get_judge(params)
    with pytest.raises(JudgeError):
        again.support(premises, claims)
    assert again.usage()["calls"] == 0 and again.usage()["cached"] == 6, "a second run must not call the model"


def test_reask_conversation_carries_the_reply(lm_path):
    judge = get_judge({"kind": "hf", "model": lm_path, "max_tokens": 6, "cache_dir": None, "reasks": 2})
    err = judge.relevance(["Where is Paris?"], ["Paris is in France."], errors="return")[0]
    assert isinstance(err, JudgeError) and "after 2 re-ask(s)" in str(err)
    assert judge.usage()["calls"] == 3
    first = DEFAULT_PROMPTS["relevance"].render(question="Where is Paris?", passage="Paris is in France.")
    reply = judge.chat([first])[0]
    followup = first + [{"role": "assistant", "content": reply["text"]}]
    assert judge.render(followup).count("<|assistant|>") == 2


def test_missing_chat_template_is_a_config_error(tmp_path):
    path = str(tiny_chat_lm(tmp_path / "base", chat_template=None))
    with pytest.raises(ConfigError, match="chat_template"):
        get_judge({"kind": "hf", "model": path, "cache_dir": None}).support(["a"], ["b"])
    judge = get_judge({"kind": "hf", "model": path, "cache_dir": None, "chat_template": REFUSES_SYSTEM, "max_tokens": 4})
    rendered = judge.render(DEFAULT_PROMPTS["support"].render(premise="P.", claim="C"))
    assert rendered.startswith("[user] You check whether") and "Passage:\nP." in rendered
    assert "chat_template:" in judge.signature


def test_signature_and_parameters(lm_path, tmp_path):
    judge = get_judge({"kind": "hf", "model": lm_path, "cache_dir": None, "max_tokens": 16})
    sig = judge.signature
    assert "kind:hf" in sig and "decoding:greedy" in sig and "max_tokens:16" in sig and "support=1" in sig
    other = str(tiny_chat_lm(tmp_path / "other", seed=1))
    assert get_judge({"kind": "hf", "model": other, "cache_dir": None}).fingerprint != judge.fingerprint
    with pytest.raises(ConfigError):
        get_judge({"kind": "hf", "model": lm_path, "max_tokens": 0})


def test_left_padded_batches_give_the_unbatched_replies(lm_path):
    texts = ["Paris is the capital of France.", "x", "A longer text: the river Seine is big and old, who wrote it?", "東京"]
    conversations = [DEFAULT_PROMPTS["claims"].render(text=t) for t in texts]
    single = get_judge({"kind": "hf", "model": lm_path, "max_tokens": 10, "batch_size": 1, "cache_dir": None})
    batched = get_judge({"kind": "hf", "model": lm_path, "max_tokens": 10, "batch_size": 4, "cache_dir": None})
    assert [r["text"] for r in batched.chat(conversations)] == [r["text"] for r in single.chat(conversations)]
