"""Fault injection for the openai judge against the real local server (tests/support/openai_server.py):
secrets never reach error texts, signatures or the cache; ``timeout`` is a deadline per attempt even
when the server drips its reply; a dead endpoint opens a circuit breaker so a run ends in seconds
with one clear error per example and resumes once the server is back."""
from __future__ import annotations

import json
import os
import sqlite3
import time
import warnings

import pytest
from support.openai_server import FAST, OpenAIServer, refused_url, rule_responder, user_text

import rageval
from rageval.judges import JudgeError, get_judge
from rageval.judges.base import redact

KEY = "sk-live-0123456789abcdefSECRET"


@pytest.fixture
def server():
    with OpenAIServer(rule_responder) as s:
        yield s


def _judge(url, tmp_path, **params):
    return get_judge({"kind": "openai", "model": "judge-model", "base_url": url, "api_key": KEY,
                      "cache_dir": tmp_path / "cache", **FAST, **params})


# --- item 2: secrets ---------------------------------------------------------------------------

@pytest.mark.parametrize("status", [401, 400, 503])
def test_a_key_echoed_by_the_server_never_reaches_the_error(server, tmp_path, status):
    server.fail_when(lambda body: True, {"status": status, "echo_auth": True}, times=10)
    judge = _judge(server.url, tmp_path, max_retries=1)
    out = judge.support(["a b"], ["a"], errors="return")
    assert server.headers[0]["Authorization"] == f"Bearer {KEY}"  # the key was sent ...
    text = f"{out[0]} {out[0]!r} {out[0].to_dict()} {judge!r} {judge.signature}"
    assert "invalid credentials" in text and f"HTTP {status}" in text
    assert KEY not in text and "0123456789abcdef" not in text and "<redacted>" in str(out[0])  # ... never shown


def test_secrets_stay_out_of_signature_repr_and_cache(server, tmp_path):
    url = server.url.replace("/v1", "/v1?api-key=QUERYSECRET")
    server.responder = lambda body: f'{{"verdict": "yes", "reason": "your key is {KEY}"}}'
    judge = _judge(url, tmp_path, extra_body={"user": "me", "api_key": "BODYSECRET"})
    assert judge.support(["a b"], ["a"]) == [1.0]
    shown = f"{judge!r} {judge.signature}"
    for secret in (KEY, "QUERYSECRET", "URLSECRET", "BODYSECRET"):
        assert secret not in shown
    assert "user=me" in judge.signature
    with sqlite3.connect(tmp_path / "cache" / "judges.sqlite3") as db:
        dump = "\n".join(map(str, db.execute("select * from sqlite_master").fetchall()))
        for (table,) in db.execute("select name from sqlite_master where type='table'").fetchall():
            dump += "\n".join(map(str, db.execute(f"select * from {table}").fetchall()))
    assert "your key is <redacted>" in dump and KEY not in dump


def test_redact_covers_headers_bearer_tokens_and_keys():
    from rageval.judges.openai import _shown_url

    assert _shown_url("https://u:URLSECRET@h/v1?api-key=Q&x=1") == "https://u:<redacted>@h/v1?api-key=<redacted>&x=1"
    assert redact(redact("Authorization: Bearer abc.def-123")) == "Authorization: <redacted>"
    assert redact("Authorization: Bearer abc.def-123 then") == "Authorization: <redacted> then"
    assert redact('{"api_key": "k-123456"}') == '{"api_key": "<redacted>"}'
    assert redact("got bearer abcdef1ghijkl") == "got bearer <redacted>"
    assert redact("the bearer hereafter") == "the bearer hereafter"
    assert redact("key sk-proj-abcdefghij end") == "key <redacted> end"
    assert redact("custom PLAINKEY here", "PLAINKEY") == "custom <redacted> here"
    assert redact("a basic sentence about tokens") == "a basic sentence about tokens"
    assert "sk-abcdefghijk" not in str(JudgeError("failed with sk-abcdefghijk"))


# --- item 4: the timeout is a deadline per attempt ------------------------------------------------

def test_a_dripping_reply_is_cut_at_the_deadline(server, tmp_path):
    server.fail_when(lambda body: True, {"drip": 0.05}, times=10)  # a full reply would take ~17 s
    judge = _judge(server.url, tmp_path, timeout=1, max_retries=1)
    start = time.monotonic()
    out = judge.support(["a b"], ["a"], errors="return")
    elapsed = time.monotonic() - start
    assert isinstance(out[0], JudgeError) and "gave up after 2 attempts" in str(out[0])
    assert "deadline" in str(out[0])
    assert elapsed < 4.0, elapsed  # per-read timeouts would hold it 2 x 17 s
    assert server.count == 2 and not server.replied


def test_a_slow_but_timely_reply_still_succeeds(server, tmp_path):
    server.fail_next({"drip": 0.002})
    assert _judge(server.url, tmp_path, timeout=5, max_retries=0).support(["a b"], ["a"]) == [1.0]


def test_a_hanging_server_times_out_per_attempt(server, tmp_path):
    server.fail_when(lambda body: True, {"hang": True}, times=10)
    start = time.monotonic()
    out = _judge(server.url, tmp_path, timeout=0.5, max_retries=1).support(["a b"], ["a"], errors="return")
    assert isinstance(out[0], JudgeError) and time.monotonic() - start < 3.0


# --- item 5: circuit breaker ----------------------------------------------------------------------

def test_a_refused_endpoint_opens_the_breaker(tmp_path):
    judge = _judge(refused_url(), tmp_path, backoff=1.0, max_backoff=60.0, max_retries=5)  # default retries
    start = time.monotonic()
    out = judge.support([f"p{i} x" for i in range(50)], [f"p{i}" for i in range(50)], errors="return")
    assert time.monotonic() - start < 5.0
    assert all(isinstance(e, JudgeError) for e in out)
    assert all("endpoint down" in str(e) and "rerun" in str(e) for e in out)
    start = time.monotonic()
    with pytest.raises(JudgeError, match="endpoint down"):  # later calls fail at once
        judge.support(["q x"], ["q"])
    assert time.monotonic() - start < 0.1


def test_the_breaker_recloses_after_its_cooldown(tmp_path):
    url = refused_url()
    judge = _judge(url, tmp_path, breaker=2, breaker_cooldown=0.3, max_retries=3)
    with pytest.raises(JudgeError, match="endpoint down"):
        judge.support(["a b"], ["a"])
    with OpenAIServer(rule_responder, port=int(url.rsplit(":", 1)[1].split("/")[0])):
        with pytest.raises(JudgeError, match="endpoint down"):  # still open
            judge.support(["a b"], ["a"])
        time.sleep(0.35)
        assert judge.support(["a b"], ["a"]) == [1.0]


def test_server_errors_do_not_open_the_breaker(server, tmp_path):
    server.fail_next(*[{"status": 503}] * 4, {"drop": True}, *[{"status": 500}] * 4)
    judge = _judge(server.url, tmp_path, breaker=2, max_retries=9, concurrency=1)
    assert judge.support(["a b"], ["a"]) == [1.0]


def test_breaker_zero_disables_it(tmp_path):
    judge = _judge(refused_url(), tmp_path, breaker=0, max_retries=6, backoff=0.001)
    out = judge.support(["a b"], ["a"], errors="return")
    assert "gave up after 7 attempts" in str(out[0]) and "endpoint down" not in str(out[0])


def test_a_run_against_a_dead_server_ends_fast_and_resumes(tmp_path):
    url = refused_url()
    rows = [{"id": f"r{i}", "question": f"what is w{i}", "contexts": [f"w{i} is a word"], "answer": f"w{i} is a word"}
            for i in range(200)]
    judge = get_judge({"kind": "openai", "model": "judge-model", "base_url": url, "api_key": KEY,
                       "cache_dir": tmp_path / "cache"})  # default retry settings
    start = time.monotonic()
    with pytest.warns(UserWarning, match="200 example scores of faithfulness failed .200 failed fast: circuit breaker"):
        res = rageval.evaluate(rows, [rageval.get_scorer("faithfulness", judge=judge)], batch_size=50,
                               output=str(tmp_path / "run"), progress=False)
    assert time.monotonic() - start < 10.0
    assert len(res.errors) == 200 and all("endpoint down" in e and "rerun" in e for e in res.errors["error"])
    assert KEY not in str(res.errors.to_dict())
    assert all(e.startswith("JudgeUnavailable: ") for e in res.errors["error"])
    assert rageval.load_results(tmp_path / "run").manifest["status"] == "complete"
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    with OpenAIServer(rule_responder, port=port) as back:
        judge = get_judge({"kind": "openai", "model": "judge-model", "base_url": url, "api_key": KEY,
                           "cache_dir": tmp_path / "cache"})
        res = rageval.evaluate(rows, [rageval.get_scorer("faithfulness", judge=judge)], batch_size=50,
                               output=str(tmp_path / "run"), progress=False)  # the same directory resumes
        assert res.errors.empty and res.aggregate["faithfulness"] == 1.0 and back.count > 0
    loaded = rageval.load_results(tmp_path / "run")
    assert loaded.manifest["status"] == "complete" and loaded.errors.empty and sorted(loaded.ids) == sorted(
        r["id"] for r in rows) and loaded.aggregate == res.aggregate


# --- resume rescoring what a judge could not score -----------------------------------------------

def _rows(n):
    return [{"id": f"r{i}", "question": f"what is w{i}", "contexts": [f"w{i} is a word"], "answer": f"w{i} is a word"}
            for i in range(n)]


def _faithfulness(url, tmp_path):
    judge = get_judge({"kind": "openai", "model": "judge-model", "base_url": url, "api_key": KEY,
                       "cache_dir": tmp_path / "cache", **FAST, "max_retries": 1})
    return [rageval.get_scorer("faithfulness", judge=judge), "exact_match"]


def test_resume_rescores_transient_failures_only_and_repeats_no_call(server, tmp_path):
    rows = _rows(40)
    for r in rows:
        r["reference"] = r["answer"]
    flaky = {f"w{i} " for i in (5, 17, 18, 33)}  # their judge calls get 503 until the server recovers
    server.fail_when(lambda body: any(w in user_text(body) for w in flaky), {"status": 503}, times=10 ** 6)
    # deterministic: an unusable reply (after re-asks) is about the example, and a rerun keeps it
    server.fail_when(lambda body: "w3 " in user_text(body), {"content": "no json here"}, times=10 ** 6)
    out = str(tmp_path / "run")
    with pytest.warns(UserWarning, match=r"openai judge 'judge-model' at .* was unavailable: 4 example scores of "
                                         r"faithfulness failed; rerun with the same output=.* to resume"):
        first = rageval.evaluate(rows, _faithfulness(server.url, tmp_path), batch_size=16, output=out,
                                 progress=False)
    failed = dict(zip(first.errors["id"], first.errors["error"]))
    assert set(failed) == {"r3", "r5", "r17", "r18", "r33"}
    assert all(failed[x].startswith("JudgeUnavailable: ") and "HTTP 503" in failed[x] for x in failed if x != "r3")
    assert failed["r3"].startswith("JudgeError: ") and "unusable" in failed["r3"]
    answered = [user_text(b) for b in server.replied]
    server.clear_faults()  # the server recovers
    before = len(server.requests)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing unavailable any more: no warning
        again = rageval.evaluate(rows, _faithfulness(server.url, tmp_path), batch_size=16, output=out,
                                 progress=False)
    new = [user_text(b) for b in server.requests[before:]]
    assert new and all(any(w in t for w in flaky) for t in new)  # only the unavailable ones were asked again
    assert not set(new) & set(answered)
    assert set(again.errors["id"]) == {"r3"}  # the deterministic failure stays an error
    loaded = rageval.load_results(out)
    assert loaded.manifest["status"] == "complete" and sorted(loaded.ids) == sorted(r["id"] for r in rows)
    assert loaded.aggregate == again.aggregate
    one_shot = rageval.evaluate(rows, _faithfulness(server.url, tmp_path / "fresh"), progress=False)
    assert loaded.aggregate == one_shot.aggregate  # the same numbers as one run with the server up


def test_a_rescore_killed_midway_loses_nothing(server, tmp_path, monkeypatch):
    from rageval.run import rundir

    rows = _rows(12)
    server.fail_when(lambda body: "w4 " in user_text(body), {"status": 503}, times=10 ** 6)
    out = str(tmp_path / "run")
    with pytest.warns(UserWarning, match="was unavailable"):
        rageval.evaluate(rows, _faithfulness(server.url, tmp_path)[:1], batch_size=4, output=out, progress=False)
    server.clear_faults()
    monkeypatch.setattr(rundir.RunDir, "write", lambda self, part: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):  # killed after setting the damaged part aside, before rewriting it
        rageval.evaluate(rows, _faithfulness(server.url, tmp_path)[:1], batch_size=4, output=out, progress=False)
    monkeypatch.undo()
    res = rageval.evaluate(rows, _faithfulness(server.url, tmp_path)[:1], batch_size=4, output=out, progress=False)
    loaded = rageval.load_results(out)
    assert res.errors.empty and sorted(loaded.ids) == sorted(r["id"] for r in rows) and len(loaded.ids) == 12
    assert not [n for n in os.listdir(os.path.join(out, "examples")) if not n.endswith(".parquet")]


def test_the_cli_says_when_a_judge_was_unavailable(tmp_path, capsys):
    from rageval.cli import main

    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in _rows(30)) + "\n")
    judge = {"kind": "openai", "model": "judge-model", "base_url": refused_url(), "api_key": KEY,
             "cache_dir": str(tmp_path / "cache"), "backoff": 0.001}
    (tmp_path / "task.yaml").write_text(json.dumps({"name": "t", "data": {"path": "data.jsonl"},
                                                     "scorers": [{"name": "faithfulness", "params": {"judge": judge}}]}))
    assert main(["run", str(tmp_path / "task.yaml"), "--output", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    assert "rageval: warning: openai judge 'judge-model' at http://127.0.0.1:" in err
    assert "30 example scores of faithfulness failed (30 failed fast: circuit breaker open" in err
    assert f"rerun with the same --output {tmp_path / 'run'} to resume" in err and KEY not in err
    assert "UserWarning" not in err
