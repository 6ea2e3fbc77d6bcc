"""RAG scorers with the openai judge against the real local OpenAI-compatible server
(tests/openai_server.py): LLM claims and verdicts in the per-example detail, RAGAS values for binary
verdicts, no repeated call on a second run, and a judge failure recorded for its example only."""
from __future__ import annotations

import pytest
from support.openai_server import FAST, OpenAIServer, rule_responder, user_text

import rageval
from rageval.judges import JudgeError, get_judge

BATCH = {
    "question": ["Where is the Seine?", "What is Berlin?"],
    "contexts": [["The Seine flows through Paris.", "Paris is in France."], ["Berlin is a city."]],
    "answer": ["The Seine flows through Paris. The Seine is in Spain.", "Berlin is a city."],
    "reference": ["The Seine flows through Paris. Paris is in France.", "Berlin is a city in Germany."],
    "references": [["The Seine flows through Paris."], ["Berlin is a city."]],
}


@pytest.fixture
def server():
    with OpenAIServer(rule_responder) as s:
        yield s


def _judge(server, tmp_path, **params):
    return get_judge({"kind": "openai", "model": "judge-model", "base_url": server.url, "api_key": "sk-test",
                      "cache_dir": str(tmp_path / "cache"), **FAST, **params})


def test_llm_claims_and_binary_verdicts(server, tmp_path):
    judge = _judge(server, tmp_path)
    f = rageval.get_scorer("faithfulness", judge=judge).stats(BATCH)
    # the server splits the text on '.': the claims are the LLM's, each verdict yes (1) or no (0)
    assert f[0]["claims"] == ["The Seine flows through Paris", "The Seine is in Spain"]
    assert f[0]["values"] == [1.0, 0.0] and f[0]["score"] == 0.5 and f[0]["support"] == [0, None]
    assert f[1]["score"] == 1.0
    cp = rageval.get_scorer("context_precision", judge=judge).stats(BATCH)
    assert cp[0]["values"] == [1.0, 1.0] and cp[0]["score"] == pytest.approx(1.0)
    cr = rageval.get_scorer("context_recall", judge=judge).stats(BATCH)
    assert cr[1]["values"] == [0.0]  # "in Germany" is not in the context
    for name in ("context_relevance", "answer_relevance", "answer_correctness"):
        stats = rageval.get_scorer(name, judge=judge).stats(BATCH)
        assert all(v in (0.0, 1.0) for e in stats for v in e["values"])
    assert "judge:{kind:openai" in rageval.get_scorer("faithfulness", judge=judge).signature


def test_second_run_makes_no_call(server, tmp_path):
    rageval.get_scorer("faithfulness", judge=_judge(server, tmp_path)).stats(BATCH)
    n = server.count
    again = rageval.get_scorer("faithfulness", judge=_judge(server, tmp_path)).stats(BATCH)
    assert server.count == n and again[0]["score"] == 0.5


def test_failure_is_recorded_for_its_example_only(server, tmp_path):
    judge = _judge(server, tmp_path, max_retries=1)
    down = [True]
    failing = lambda body: down[0] and "Claim:\nThe Seine is in Spain" in user_text(body)  # noqa: E731
    server.fail_when(failing, {"status": 500, "message": "down"}, times=1000)
    with pytest.raises(JudgeError):
        rageval.get_scorer("faithfulness", judge=judge).stats(BATCH)
    rows = [{k: BATCH[k][i] for k in ("question", "contexts", "answer")} for i in range(2)]
    res = rageval.evaluate(rows, scorers=[rageval.get_scorer("faithfulness", judge=judge)])
    assert list(res.errors["id"]) == ["0"] and "500" in res.errors["error"][0]
    assert res.aggregate["faithfulness"] == 1.0  # the other example is scored
    # once the endpoint recovers, only the failed claim is asked again
    down[0] = False
    n = server.count
    res = rageval.evaluate(rows, scorers=[rageval.get_scorer("faithfulness", judge=_judge(server, tmp_path))])
    assert res.errors.empty and res.aggregate["faithfulness"] == 0.75
    assert server.count - n == 1, [user_text(b)[-120:] for b in server.requests[n:]]
