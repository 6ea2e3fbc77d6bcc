"""Results directories are data: loading one never imports or calls what its manifest names."""
from __future__ import annotations

import json

import pytest

import rageval


def test_a_manifest_naming_a_callable_runs_nothing(tmp_path):
    run = tmp_path / "run"
    rageval.evaluate([{"id": "a", "answer": "x", "reference": "x"}], ["token_f1"], output=run, progress=False)
    marker = tmp_path / "pwned"
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["scorers"][0]["spec"] = {"base": "no_such_scorer", "key": "token_f1",
                                      "class": "subprocess:run",
                                      "params": {"args": f"touch {marker}", "shell": True}}
    (run / "manifest.json").write_text(json.dumps(manifest))
    with pytest.warns(UserWarning, match="'token_f1' of these results cannot be rebuilt"):
        res = rageval.load_results(run)
    assert not marker.exists()
    assert res.to_pandas()["token_f1"].tolist() == [1.0]  # per-example scores are kept
    with pytest.raises(rageval.UnknownScorerError, match="not registered here"):
        res.scorers[0].stats({"answer": ["x"]})


def test_merge_refuses_different_scorers_naming_the_scorer():
    a = rageval.evaluate([{"id": "a", "y_true": 1, "y_pred": 1}], [("f1", {"average": "macro"})], progress=False)
    b = rageval.evaluate([{"id": "b", "y_true": 1, "y_pred": 0}], [("f1", {"average": "micro"})], progress=False)
    with pytest.raises(rageval.IncompatibleError, match="scorer 'f1': the scorer signatures differ"):
        rageval.merge([a, b])
    with pytest.raises(rageval.IncompatibleError, match="different scorers"):
        rageval.merge([a, rageval.evaluate([{"id": "c", "y_true": 1, "y_pred": 1}], ["accuracy"], progress=False)])
    with pytest.raises(ValueError, match="share example ids"):
        rageval.merge([a, a])


def test_an_api_key_never_reaches_the_run_directory(tmp_path):
    judge = {"kind": "openai", "model": "m", "base_url": "http://127.0.0.1:9", "api_key": "sk-very-secret-123"}
    scorer = rageval.get_scorer("faithfulness", judge=judge)
    assert "sk-very-secret" not in scorer.signature and "sk-very-secret" not in json.dumps(scorer.spec())
    run = tmp_path / "run"
    rageval.evaluate([{"id": "a", "answer": "", "contexts": ["c"]}], [scorer], output=run, progress=False)
    for f in run.rglob("*"):
        if f.is_file():
            assert b"sk-very-secret" not in f.read_bytes(), f


def test_merged_error_messages_name_the_row_in_the_merged_data():
    """An example that failed names its row; merged, that is its row in all the shards' data, as
    in one run over that data (the row within its shard would point at another example)."""
    rows = [{"id": f"q{i}", "y_true": [1.0, 2.0] if i in (1, 4) else 1.0, "y_pred": 0.5} for i in range(6)]
    one_shot = rageval.evaluate(rows, ["mse"], progress=False)
    merged = rageval.merge([rageval.evaluate(rows[:3], ["mse"], progress=False),
                            rageval.evaluate(rows[3:], ["mse"], progress=False)])
    errors = merged.by_scorer["mse"].errors
    assert sorted(errors) == ["q1", "q4"] and errors == one_shot.by_scorer["mse"].errors
    assert " at row 4:" in errors["q4"] and " at row 1:" in errors["q1"]
