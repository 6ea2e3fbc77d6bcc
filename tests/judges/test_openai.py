"""The openai judge against a real OpenAI-compatible HTTP server on 127.0.0.1 (tests/openai_server.py):
prompts, parsing and repair, re-ask, retries and backoff, bounded concurrency, cache, usage and cost,
and a process killed mid-run that resumes without repeating a completed call."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from support import TESTS
from support.openai_server import FAST, OpenAIServer, rule_responder, user_text

from rageval.core.errors import ConfigError
from rageval.judges import JudgeError, get_judge
from rageval.judges.cache import open_cache
from rageval.judges.generative import parse_claims, parse_json, parse_price, parse_verdict


@pytest.fixture
def server():
    with OpenAIServer(rule_responder) as s:
        yield s


@pytest.fixture
def judge_factory(server, tmp_path):
    def make(**params):
        merged = {"kind": "openai", "model": "judge-model", "base_url": server.url, "api_key": "sk-test",
                  "cache_dir": tmp_path / "cache", **FAST, **params}
        return get_judge(merged)
    return make


# --- parsing and repair (pure functions, many cases) --------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ('{"verdict": "yes"}', {"verdict": "yes"}),
    ('  {"verdict": "no"}\n', {"verdict": "no"}),
    ('```json\n{"verdict": "yes"}\n```', {"verdict": "yes"}),
    ('```\n{"a": 1}\n```', {"a": 1}),
    ('Sure! Here it is: {"verdict": "yes", "reason": "x"} Hope it helps.', {"verdict": "yes", "reason": "x"}),
    ('{"claims": ["a", "b",]}', {"claims": ["a", "b"]}),
    ("{'verdict': 'yes'}", {"verdict": "yes"}),
    ("{'ok': True, 'n': None}", {"ok": True, "n": None}),
    ('["x", "y"]', ["x", "y"]),
    ('reasoning {not json} then {"verdict": 0.5}', {"verdict": 0.5}),
    ('{"text": "braces } inside { strings"}', {"text": "braces } inside { strings"}),
    ('{"verdict": "oui"}', {"verdict": "oui"}),
    ('{"ü": "ñ"}', {"ü": "ñ"}),
])
def test_parse_json_repairs(text, expected):
    assert parse_json(text) == expected


@pytest.mark.parametrize("text, problem", [
    ("", "empty"), ("   ", "empty"), ("yes", "no JSON"), ('{"claims": ["a", "b"', "cut off"),
    ('{"verdict": "ye', "cut off"), ("{'a': os.system('x')}", "no JSON"),
])
def test_parse_json_refuses(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_json(text)


@pytest.mark.parametrize("text, expected", [
    ('{"verdict": "yes"}', 1.0), ('{"verdict": "No."}', 0.0), ('{"verdict": true}', 1.0), ('{"verdict": false}', 0.0),
    ('{"verdict": 1}', 1.0), ('{"verdict": 0}', 0.0), ('{"verdict": 0.25}', 0.25), ('[{"verdict": "yes"}]', 1.0),
    ('{"verdict": "Supported"}', 1.0), ('{"verdict": "not relevant"}', 0.0),
])
def test_parse_verdict(text, expected):
    assert parse_verdict(text) == expected


@pytest.mark.parametrize("text", ['{"verdict": 2}', '{"verdict": -0.1}', '{"verdict": "maybe"}', '{"answer": "yes"}',
                                  '{"verdict": null}', '{"verdict": NaN}', '{"verdict": [1]}'])
def test_parse_verdict_refuses(text):
    with pytest.raises(ValueError):
        parse_verdict(text)


def test_parse_claims():
    assert parse_claims('{"claims": [" a ", "", "b"]}') == ["a", "b"]
    assert parse_claims('["a"]') == ["a"]
    assert parse_claims('{"claims": []}') == []
    for bad in ('{"claims": "a"}', '{"claims": [1]}', '{"facts": []}'):
        with pytest.raises(ValueError):
            parse_claims(bad)


@pytest.mark.parametrize("price, tokens, expected", [
    ({"prompt": 2.0, "completion": 8.0}, (1_000_000, 500_000), 2.0 + 4.0),
    ({"prompt": 2.0, "completion": 8.0, "per": "1M"}, (10, 20), (10 * 2 + 20 * 8) / 1e6),
    ({"prompt": 0.5, "completion": 1.5, "per": "1K"}, (2000, 1000), 1.0 + 1.5),
    ({"prompt": 1.0, "completion": 3.0, "per": 100}, (100, 100), 4.0),
    ((1.0, 2.0), (1_000_000, 1_000_000), 3.0),
])
def test_parse_price(price, tokens, expected):
    p, c = parse_price(price)
    assert tokens[0] * p + tokens[1] * c == pytest.approx(expected)


@pytest.mark.parametrize("price", [{"completion": 1}, {"prompt": 1, "per": "1G"}, {"prompt": 1, "per": 0}, "cheap",
                                   {"prompt": 1, "extra": 2}])
def test_parse_price_refuses(price):
    with pytest.raises(ConfigError):
        parse_price(price)


# --- the judge over HTTP ------------------------------------------------------------------------

def test_primitives_prompts_and_request(server, judge_factory):
    judge = judge_factory()
    assert judge.support(["Paris is the capital of France.", "Berlin is big."],
                         ["Paris is the capital", "Paris is big"]) == [1.0, 0.0]
    assert judge.relevance(["capital of France"], ["Paris is the capital of France."]) == [1.0]
    assert judge.agreement(["It is Paris."], ["Paris"], ["capital?"]) == [1.0]
    assert judge.agreement(["It is Lyon."], ["Paris"]) == [0.0]
    assert judge.addresses(["capital"], ["the capital is Paris"]) == [1.0]
    assert judge.claims(["Paris is in France. It is big.", ""]) == [["Paris is in France", "It is big"], []]
    body, headers = server.requests[0], server.headers[0]
    assert body["model"] == "judge-model" and body["temperature"] == 0.0 and body["max_tokens"] == 512
    assert body["messages"][0]["role"] == "system"
    assert any("Passage:\nBerlin is big.\n\nClaim:\nParis is big" in user_text(b) for b in server.requests)
    assert headers["Authorization"] == "Bearer sk-test"
    assert server.count == 7  # the empty text made no call


def test_second_run_makes_no_call_and_counts_usage(server, judge_factory):
    price = {"prompt": 1.0, "completion": 2.0, "per": "1K"}
    first = judge_factory(price=price)
    premises, claims = [f"fact number {i} holds" for i in range(12)], [f"fact {i}" for i in range(12)]
    values = first.support(premises, claims)
    u1 = first.usage()
    assert server.count == 12 and u1["calls"] == 12 and u1["cached"] == 0
    expected_prompt = sum(sum(len(m["content"].split()) for m in b["messages"]) for b in server.requests)
    assert u1["prompt_tokens"] == expected_prompt and u1["completion_tokens"] > 0
    assert u1["cost"] == pytest.approx(u1["prompt_tokens"] / 1000 * 1.0 + u1["completion_tokens"] / 1000 * 2.0)
    second = judge_factory(price=price, concurrency=3, timeout=9.0, max_retries=2)  # transport params: same key
    assert second.support(premises, claims) == values
    u2 = second.usage()
    assert server.count == 12, "a second run must not call the model"
    assert u2["calls"] == 0 and u2["cached"] == 12 and u2["cost"] == 0.0
    assert (u2["cached_prompt_tokens"], u2["cached_completion_tokens"]) == (u1["prompt_tokens"], u1["completion_tokens"])


@pytest.mark.parametrize("change", [{"model": "other"}, {"temperature": 0.7}, {"max_tokens": 64}, {"seed": 1},
                                    {"json_mode": True}, {"extra_body": {"top_p": 0.5}},
                                    {"prompts": {"support": {"user": "{premise} => {claim}?", "version": "2"}}}])
def test_cache_key_covers_what_changes_answers(server, judge_factory, change):
    judge_factory().support(["a b"], ["a"])
    assert server.count == 1
    changed = judge_factory(**change)
    changed.support(["a b"], ["a"])
    assert server.count == 2 and changed.signature != judge_factory().signature


def test_custom_prompt_version_in_signature_and_rendered(server, judge_factory):
    judge = judge_factory(prompts={"support": {"system": "S", "user": "P={premise} C={claim}"}})
    assert re.search(r"support=custom-[0-9a-f]{8}", judge.signature)
    server.responder = lambda body: '{"verdict": "no"}'
    assert judge.support(["x y"], ["x"]) == [0.0]
    assert server.requests[0]["messages"] == [{"role": "system", "content": "S"}, {"role": "user", "content": "P=x y C=x"}]
    with pytest.raises(ConfigError, match="lacks"):
        judge_factory(prompts={"support": {"user": "only {claim}"}})
    with pytest.raises(ConfigError, match="unknown task"):
        judge_factory(prompts={"supprt": {"user": "{claim}"}})


def test_retries_429_with_retry_after_and_5xx(server, judge_factory):
    server.fail_next({"status": 429, "retry_after": "0.3", "message": "rate limited"}, {"status": 500},
                     {"status": 503}, {"status": 502})
    judge = judge_factory(concurrency=1, backoff=0.001)
    assert judge.support(["a b"], ["a"]) == [1.0]
    assert server.count == 5 and judge.usage()["retries"] == 4 and judge.usage()["calls"] == 1
    assert server.times[1] - server.times[0] >= 0.29, "Retry-After was not honoured"


def test_retry_after_http_date_and_cap():
    from rageval.judges.openai import _retry_after

    assert _retry_after("1.5") == 1.5 and _retry_after(None) is None and _retry_after("soon") is None
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert get_judge({"kind": "openai", "model": "m", "max_backoff": 2.0, "cache_dir": None})._delay(0, 100.0) == 2.0


def test_timeout_and_dropped_connection_are_retried(server, judge_factory):
    server.fail_next({"delay": 1.0}, {"drop": True}, {"body": "<html>bad gateway</html>"})
    judge = judge_factory(timeout=0.3, concurrency=1)
    assert judge.support(["a b"], ["a"]) == [1.0]
    assert judge.usage()["retries"] == 3 and server.count == 4


def test_gives_up_after_max_retries_for_that_item_only(server, judge_factory):
    server.fail_when(lambda b: "poison" in user_text(b), {"status": 503, "message": "overloaded"}, times=10)
    judge = judge_factory(max_retries=2)
    out = judge.support(["a b", "poison x", "c d"], ["a", "x", "c"], errors="return")
    assert out[0] == 1.0 and out[2] == 1.0
    assert isinstance(out[1], JudgeError) and out[1].index == 1
    assert "gave up after 3 attempts" in str(out[1]) and "overloaded" in str(out[1])
    assert judge.usage()["errors"] == 1
    with pytest.raises(JudgeError, match="item 1"):
        judge_factory(max_retries=0).support(["a b", "poison x"], ["a", "x"])
    # the successes were cached: a rerun calls only for the failed item
    before = server.count
    judge_factory(max_retries=0).support(["a b", "poison x", "c d"], ["a", "x", "c"], errors="return")
    assert server.count - before == 1


def test_client_error_fails_fast_with_server_message(server, judge_factory):
    server.fail_next({"status": 400, "message": "context length exceeded"})
    judge = judge_factory(concurrency=1)
    with pytest.raises(JudgeError, match="HTTP 400: context length exceeded"):
        judge.support(["a b"], ["a"])
    assert server.count == 1 and judge.usage()["retries"] == 0


def test_unauthorised_stops_the_batch(server, judge_factory):
    server.fail_when(lambda b: True, {"status": 401, "message": "invalid api key"}, times=100)
    out = judge_factory(concurrency=2).support([f"p{i}" for i in range(20)], [f"c{i}" for i in range(20)],
                                               errors="return")
    assert all(isinstance(e, JudgeError) and "invalid api key" in str(e) for e in out)
    assert server.count <= 2


def test_invalid_json_is_reasked_then_used(server, judge_factory):
    server.fail_next({"content": "I think the answer is yes."})
    judge = judge_factory()
    assert judge.support(["a b"], ["a"]) == [1.0]
    assert server.count == 2
    reask = server.requests[1]["messages"]
    assert reask[:2] == server.requests[0]["messages"]
    assert reask[2] == {"role": "assistant", "content": "I think the answer is yes."}
    assert reask[3]["role"] == "user" and "no JSON object found" in reask[3]["content"]
    # the repaired conversation is cached too: nothing is asked again
    judge_factory().support(["a b"], ["a"])
    assert server.count == 2


def test_fenced_json_is_repaired_without_reask(server, judge_factory):
    server.fail_next({"content": 'Here:\n```json\n{"verdict": "no", "reason": "x",}\n```'})
    assert judge_factory().support(["a b"], ["a"]) == [0.0]
    assert server.count == 1


def test_truncated_json_becomes_a_recorded_error(server, judge_factory):
    server.fail_when(lambda b: "Passage:\nc d" in user_text(b),
                     {"content": '{"reason": "the passage', "finish_reason": "length"}, times=2)
    judge = judge_factory()
    out = judge.support(["a b", "c d"], ["a", "c"], errors="return")
    errors = [o for o in out if isinstance(o, JudgeError)]
    assert server.count == 3 and len(errors) == 1 and errors[0].index == 1 and "cut off" in str(errors[0]) and "max_tokens" in str(errors[0])
    assert errors[0].raw == '{"reason": "the passage' and errors[0].to_dict()["raw"] == errors[0].raw
    assert [o for o in out if not isinstance(o, JudgeError)] == [1.0]
    assert judge.usage()["errors"] == 1
    with pytest.raises(JudgeError):  # reasks=0: the first bad reply is final
        server.fail_next({"content": "nope"})
        judge_factory(reasks=0).support(["e f"], ["e"])


def test_concurrency_is_bounded(server, judge_factory):
    server.responder = lambda body: (time.sleep(0.05), '{"verdict": "yes"}')[1]
    judge = judge_factory(concurrency=3)
    assert judge.support([f"p{i}" for i in range(15)], [f"c{i}" for i in range(15)]) == [1.0] * 15
    assert 2 <= server.max_in_flight <= 3


def test_threads_share_judge_and_cache(server, judge_factory):
    judge = judge_factory(concurrency=4)
    results: dict[int, list] = {}

    def work(t: int) -> None:
        results[t] = judge.support([f"p{i} x" for i in range(10)], [f"p{i}" for i in range(10)])

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == [1.0] * 10 for r in results.values()) and len(results) == 4
    assert server.count == 10, "a call in flight in one thread must not be repeated by another"
    assert judge.usage()["calls"] == 10 and judge.usage()["cached"] == 30


def test_missing_usage_is_estimated(server, judge_factory):
    server.responder = lambda body: {"content": '{"verdict": "yes"}', "usage": None}
    judge = judge_factory()
    judge.support(["a b"], ["a"])
    u = judge.usage()
    assert u["estimated_token_calls"] == 1 and u["completion_tokens"] == -(-len('{"verdict": "yes"}') // 4)


def test_api_key_from_env_var_name(server, judge_factory, monkeypatch):
    monkeypatch.setenv("MY_JUDGE_KEY", "sk-env")
    judge = judge_factory(api_key=None, api_key_env="MY_JUDGE_KEY")
    judge.support(["a b"], ["a"])
    assert server.headers[-1]["Authorization"] == "Bearer sk-env"
    assert "sk-env" not in judge.signature


def test_bad_parameters_are_config_errors():
    for bad in ({"model": ""}, {"model": "m", "concurrency": 0}, {"model": "m", "max_retries": -1},
                {"model": "m", "reasks": -1}, {"model": "m", "price": "free"}):
        with pytest.raises(ConfigError):
            get_judge({"kind": "openai", "cache_dir": None, **bad})


_WORKER = textwrap.dedent("""
    import sys
    from rageval.judges import get_judge
    judge = get_judge({"kind": "openai", "model": "m", "base_url": sys.argv[1], "cache_dir": sys.argv[2],
                       "concurrency": 2, "backoff": 0.001})
    n = int(sys.argv[3])
    print(judge.support([f"premise {i} words" for i in range(n)], [f"premise {i}" for i in range(n)]))
""")


def test_killed_run_resumes_without_repeating_calls(server, tmp_path):
    n = 40
    server.responder = lambda body: (time.sleep(0.03), '{"verdict": "yes"}')[1]
    cache_dir = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", _WORKER, server.url, str(cache_dir), str(n)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(server.replied) < 12 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:]
    stored = len(open_cache(cache_dir))
    assert 0 < stored < n, "the kill must land mid-run"
    settled = (-1, None)  # requests the dead client had already sent may still reach the handler
    while settled != (server.count, 0):
        settled = (server.count, server.in_flight)
        time.sleep(0.2)
    first_run = [user_text(b) for b in server.requests]

    server.requests.clear()
    judge = get_judge({"kind": "openai", "model": "m", "base_url": server.url, "cache_dir": cache_dir,
                       "concurrency": 2, "backoff": 0.001})
    values = judge.support([f"premise {i} words" for i in range(n)], [f"premise {i}" for i in range(n)])
    rerun = [user_text(b) for b in server.requests]
    assert values == [1.0] * n
    assert len(rerun) == len(set(rerun)) == n - stored, "the rerun repeated a call whose answer was stored"
    assert judge.usage()["cached"] == stored
    # at most the requests in flight at the kill (concurrency 2) were asked twice
    assert len(set(first_run) & set(rerun)) <= 2


def test_second_evaluation_makes_no_call(server, tmp_path):
    import rageval

    judge = {"kind": "openai", "model": "m", "base_url": server.url, "cache_dir": tmp_path / "cache", "backoff": 0.001}
    data = [{"question": f"Where is city {i}?", "contexts": [f"City {i} is in France. It is big."],
             "answer": f"City {i} is in France. It is big.", "reference": f"France {i}"} for i in range(4)]
    scorers = [("faithfulness", {"judge": judge}), ("answer_correctness", {"judge": judge})]
    first = rageval.evaluate(data, scorers=scorers)
    calls = server.count
    assert calls > 0 and first.aggregate["faithfulness"] == 1.0
    second = rageval.evaluate(data, scorers=scorers)
    assert server.count == calls, "a second run of the same evaluation must not call the model"
    assert second.aggregate == first.aggregate


def test_prompt_rendering_is_one_pass_and_checked():
    from rageval.judges.prompts import DEFAULT_PROMPTS, Prompt, resolve_prompts

    messages = DEFAULT_PROMPTS["support"].render(premise="P says {claim} {x}", claim="C")
    assert "Passage:\nP says {claim} {x}\n\nClaim:\nC\n" in messages[1]["content"]
    assert Prompt(system="", user="{a}{b}", version="1").render(a="{b}", b="B") == [{"role": "user", "content": "{b}B"}]
    with pytest.raises(ConfigError, match="lacks"):
        resolve_prompts({"relevance": {"user": "{passage} only"}})
    assert resolve_prompts({"agreement": {"user": "{answer} vs {reference}", "version": "x"}})["agreement"].version == "x"
