"""The judge contract shared by every kind: get_judge specs, input checks, value range, the
empty-input convention, errors="return", JudgeError records, signatures."""
from __future__ import annotations

import math

import pytest
from support.judge_fixtures import tiny_classifier
from support.openai_server import OpenAIServer

from rageval.core.errors import ConfigError, RagevalError
from rageval.judges import KINDS, Judge, JudgeError, get_judge
from rageval.judges.lexical import LexicalJudge


@pytest.fixture(scope="module")
def server():
    with OpenAIServer(lambda body: '{"verdict": 0.75, "claims": ["c1", "c2"]}') as s:
        yield s


@pytest.fixture(scope="module", params=["lexical", "nli", "openai"])
def judge(request, tmp_path_factory, server):
    tmp = tmp_path_factory.mktemp(request.param)
    spec = {"lexical": {"kind": "lexical"},
            "nli": {"kind": "nli", "model": str(tiny_classifier(tmp / "m", {0: "entailment", 1: "other"})),
                    "cache_dir": tmp / "c"},
            "openai": {"kind": "openai", "model": "m", "base_url": server.url, "cache_dir": tmp / "c",
                       "backoff": 0.001}}[request.param]
    return get_judge(spec)


PREMISES = ["Paris is the capital of France.", "Berlin is big.", "", "ü 東京 42 &amp;", "The river is old."]
CLAIMS = ["Paris is the capital", "Paris is big", "anything", "東京", "   "]


def test_values_in_range_and_convention(judge):
    out = judge.support(PREMISES, CLAIMS, errors="return")
    assert len(out) == 5
    for v in out[:2] + out[3:4]:
        assert isinstance(v, float) and 0.0 <= v <= 1.0 and not math.isnan(v)
    assert out[2] == 0.0, "an empty premise supports nothing"
    assert isinstance(out[4], JudgeError) and out[4].index == 4 and "empty claim" in str(out[4])
    for method, args in [("relevance", (["q?", "q2"], ["p", ""])), ("addresses", (["q?", "q2"], ["a", ""])),
                         ("agreement", (["a", ""], ["r", "r2"]))]:
        values = getattr(judge, method)(*args)
        assert 0.0 <= values[0] <= 1.0 and values[1] == 0.0
    with pytest.raises(JudgeError, match="empty question"):
        judge.relevance(["  "], ["p"])
    with pytest.raises(JudgeError, match="empty reference"):
        judge.agreement(["a"], [""], ["q"])
    assert judge.agreement(["a b"], ["a b"], ["q"])[0] >= 0.0
    claims = judge.claims(["One two. Three four.", ""])
    assert all(isinstance(c, list) and all(isinstance(x, str) for x in c) for c in claims) and claims[1] == []


def test_input_checks(judge):
    with pytest.raises(ValueError, match="differ in length"):
        judge.support(["a", "b"], ["a"])
    with pytest.raises(TypeError, match=r"claims\[1\] must be a str"):
        judge.support(["a", "b"], ["a", None])
    with pytest.raises(ValueError, match="errors must be"):
        judge.support(["a"], ["a"], errors="ignore")
    assert judge.support([], []) == []


def test_usage_and_signature(judge):
    usage = judge.usage()
    assert set(usage) >= {"calls", "cached", "errors", "prompt_tokens", "completion_tokens", "cost"}
    assert judge.signature.startswith(f"kind:{judge.kind}|version:")
    assert judge.signature == get_judge(judge.kind if judge.kind == "lexical" else {
        "kind": judge.kind, **({"model": judge.model_name} if judge.kind == "nli" else {}),
        **({"model": "m", "base_url": judge.base_url} if judge.kind == "openai" else {})}).signature


def test_get_judge_specs():
    judge = LexicalJudge()
    assert get_judge(judge) is judge
    assert isinstance(get_judge("lexical"), LexicalJudge) and isinstance(get_judge({"kind": "lexical"}), LexicalJudge)
    assert get_judge({"kind": "openai", "model": "a", "cache_dir": None}, model="b").model == "b"
    with pytest.raises(ConfigError, match="did you mean 'lexical'"):
        get_judge("lexicl")
    with pytest.raises(ConfigError, match="has no 'kind'"):
        get_judge({"model": "x"})
    with pytest.raises(ConfigError, match="unexpected keyword"):
        get_judge({"kind": "lexical", "modle": "x"})
    with pytest.raises(ConfigError):
        get_judge(42)
    with pytest.raises(ConfigError):
        get_judge(judge, cache_dir=None)
    assert set(KINDS) == {"default", "lexical", "embedding", "nli", "hf", "openai"}
    assert issubclass(JudgeError, RagevalError)


def test_default_judge_is_a_judge():
    judge = get_judge(None)
    assert isinstance(judge, Judge) and judge.kind == "default" and get_judge("default").kind == "default"


def test_judge_error_record():
    err = JudgeError("bad output", index=3, raw="xx")
    assert str(err) == "item 3: bad output" and err.to_dict() == {"error": "bad output", "index": 3, "raw": "xx"}
    assert str(JudgeError("plain")) == "plain"
    import pickle

    again = pickle.loads(pickle.dumps(err))
    assert (again.message, again.index, again.raw) == ("bad output", 3, "xx")
