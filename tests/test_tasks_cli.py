"""Task files (checked, never executed) and the command line."""
import json
import os
import subprocess
import sys

import pytest
from support import REPO

import rageval
from rageval.cli import main
from rageval.tasks import load_task, parse_task

ROOT = str(REPO)
DEMO = os.path.join(ROOT, "tasks", "demo.yaml")


def write(tmp_path, text):
    path = tmp_path / "t.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("text,match", [
    ("data: {path: x.jsonl}\nscorer: [bleu]\n", "unknown key 'scorer'"),
    ("data: {path: x.jsonl}\n", "needs the keys 'data' and 'scorers'"),
    ("data: {path: x.jsonl, hub: {name: a, revision: b}}\nscorers: [bleu]\n", "exactly one of"),
    ("data: {hub: {name: a}}\nscorers: [bleu]\n", "pinned 'revision'"),
    ("data: {path: x.jsonl}\nscorers: [{name: bleu, parms: {}}]\n", r"scorers\[0\]: unknown key 'parms'"),
    ("data: {path: x.jsonl}\nscorers: [blue]\n", "did you mean 'bleu'"),
    ("data: {path: x.jsonl}\nscorers: []\n", "non-empty list"),
    ("data: {path: x.jsonl}\nscorers: [bleu]\nbatch_size: 0\n", "batch_size"),
    ("- a\n- b\n", "expected a mapping"),
    ("data: [unclosed\n", "not valid YAML"),
])
def test_bad_task_files_name_the_problem(tmp_path, text, match):
    with pytest.raises(rageval.ConfigError, match=match):
        load_task(write(tmp_path, text))


def test_task_files_are_data_never_code(tmp_path):
    marker = tmp_path / "pwned"
    text = f"!!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(rageval.ConfigError):
        load_task(write(tmp_path, text))
    assert not marker.exists()


def test_demo_task_runs_and_resumes_through_the_cli(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["run", DEMO, "--output", out, "--limit", "30", "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["task"] == "demo" and all(n == [30, 30] for n in first["counts"].values())
    assert main(["run", DEMO, "--output", out, "--limit", "30", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["aggregate"] == first["aggregate"]
    assert rageval.load_results(out).aggregate == first["aggregate"]
    assert main(["run", DEMO, "--output", out, "--limit", "31"]) == 2  # another configuration
    assert "different configuration" in capsys.readouterr().err


def test_list_and_errors(capsys):
    assert main(["list", "scorers"]) == 0
    assert "bleu" in capsys.readouterr().out.split()
    assert main(["list", "tasks", "--dir", os.path.join(ROOT, "tasks")]) == 0
    assert "demo.yaml" in capsys.readouterr().out
    assert main(["run", "nope.yaml"]) == 2
    assert "no such task file" in capsys.readouterr().err


def test_console_script_is_installed():
    out = subprocess.run([os.path.join(os.path.dirname(sys.executable), "rageval"), "list", "scorers"],
                         capture_output=True, text=True, check=True).stdout
    assert "exact_match" in out.split()


def test_relative_paths_resolve_beside_the_task(tmp_path):
    (tmp_path / "d.jsonl").write_text(json.dumps({"answer": "a", "reference": "a"}) + "\n")
    task = parse_task({"data": {"path": "d.jsonl"}, "scorers": ["exact_match"]}, source=str(tmp_path / "x.yaml"))
    assert task.name == "x" and rageval.tasks.run_task(task).aggregate["exact_match"] == 1.0


@pytest.mark.parametrize("how", ["parent", "absolute", "symlink"])
def test_a_data_path_outside_the_task_folder_is_allowed_and_named(tmp_path, how):
    (tmp_path / "tasks").mkdir()
    data = tmp_path / "elsewhere.jsonl"
    data.write_text(json.dumps({"answer": "a", "reference": "a"}) + "\n")
    path = {"parent": "../elsewhere.jsonl", "absolute": str(data), "symlink": "link.jsonl"}[how]
    if how == "symlink":  # a link inside the folder that points out of it is outside too
        (tmp_path / "tasks" / "link.jsonl").symlink_to(data)
    task = parse_task({"data": {"path": path}, "scorers": ["exact_match"]}, source=str(tmp_path / "tasks" / "t.yaml"))
    with pytest.warns(UserWarning, match=r"data.path .* is outside the task file's folder"):
        res = rageval.tasks.run_task(task, output=str(tmp_path / "run"))
    assert res.aggregate["exact_match"] == 1.0
    origin = rageval.load_results(tmp_path / "run").manifest["origin"]
    assert origin.startswith("file:") and os.path.realpath(origin[5:]) == os.path.realpath(data)


def test_a_data_path_inside_the_task_folder_gives_no_warning(tmp_path, recwarn):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.jsonl").write_text(json.dumps({"answer": "a", "reference": "a"}) + "\n")
    task = parse_task({"data": {"path": "sub/d.jsonl"}, "scorers": ["exact_match"]}, source=str(tmp_path / "t.yaml"))
    assert rageval.tasks.run_task(task).aggregate["exact_match"] == 1.0
    assert not [w for w in recwarn if "outside" in str(w.message)]


# type errors in a task file: one line naming the key, exit status 2, no traceback (issue 11, item 10)
TYPE_ERRORS = [
    ("data: {path: 42}\nscorers: [bleu]\n", "data.path: expected a string, got int"),
    ("data: {path: d.jsonl, split: 3}\nscorers: [bleu]\n", "data.split: expected a string"),
    ("data: {hub: {name: 7, revision: abc}}\nscorers: [bleu]\n", "data.hub.name: expected a string"),
    ("data: {path: d.jsonl}\nscorers: [{name: faithfulness, params: {threshold: high}}]\n",
     r"scorers\[0\] \(faithfulness\): parameter 'threshold': "),
    ("data: {path: d.jsonl}\nscorers: [{name: bleu, params: {tokenize: 13}}]\n",
     r"scorers\[0\] \(bleu\): parameter 'tokenize': "),
    ("data: {path: d.jsonl}\nscorers: [bleu, {name: bleu, params: {nope: 1}}]\n",
     r"scorers\[1\] \(bleu\): parameter 'nope': "),
    ("data: {path: d.jsonl}\nscorers: [{name: rougeL, params: {use_stemmer: maybe}}]\n", "parameter 'use_stemmer'"),
    ("data: {path: d.jsonl}\nscorers: [faithfulness]\njudge: 42\n", "judge: expected a judge kind name or a mapping"),
]


@pytest.mark.parametrize("text,match", TYPE_ERRORS)
def test_task_type_errors_are_one_line_config_errors_and_exit_2(tmp_path, capsys, text, match):
    (tmp_path / "d.jsonl").write_text('{"answer": "a", "reference": "a", "question": "q", "contexts": ["a"]}\n')
    path = write(tmp_path, text)
    with pytest.raises(rageval.ConfigError, match=match) as err:
        rageval.tasks.run_task(path, progress=False)
    assert "\n" not in str(err.value)
    capsys.readouterr()
    assert main(["run", path]) == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith("rageval: error: ") and stderr.count("\n") == 1 and "Traceback" not in stderr


LEXICAL_TASK = """name: lexical
data:
  path: rageval:demo/clapnq_lexical.jsonl
scorers: [bleu, token_f1, mrr]
"""


def test_run_prints_bootstrap_intervals_by_default_and_sacrebleus_confidence_on_request(tmp_path, capsys):
    task = write(tmp_path, LEXICAL_TASK)
    data = os.path.join(ROOT, "rageval", "demo", "clapnq_lexical.jsonl")
    expected = rageval.evaluate(data, ["bleu", "token_f1", "mrr"], progress=False)
    ci = expected.confidence_intervals(n=300)
    assert main(["run", task, "--confidence-n", "300"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"bleu {expected.aggregate['bleu']:.4f} [{ci['bleu'].low:.4f}, {ci['bleu'].high:.4f}]" in out
    assert "95% bootstrap interval, 300 resamples" in out
    assert main(["run", task, "--confidence", "-cin", "300"]) == 0
    out = capsys.readouterr().out
    assert f"({'μ'} = {ci['mrr'].mean:.4f} ± {ci['mrr'].half_width:.4f})" in out
    assert main(["run", task, "--confidence", "--confidence-n", "300", "--format", "json"]) == 0
    confidence = json.loads(capsys.readouterr().out)["confidence"]["token_f1"]
    assert confidence["confidence_mean"] == ci["token_f1"].mean and confidence["confidence_var"] == ci["token_f1"].half_width
    assert main(["run", task, "--no-intervals"]) == 0
    assert "[" not in capsys.readouterr().out


def test_cli_confidence_of_bleu_is_sacrebleus():
    """sacrebleu's --confidence reports mean ± half width of its 1,000 resamples (seed 12345): the
    same numbers as the interval the CLI prints for bleu."""
    sacrebleu = pytest.importorskip("sacrebleu", reason="sacrebleu is the reference of the confidence output")
    rows = [json.loads(line) for line in open(os.path.join(ROOT, "rageval", "demo", "clapnq_lexical.jsonl"))]
    res = rageval.evaluate(rows, ["bleu"], progress=False)
    ci = res.confidence_intervals(n=1000)["bleu"]
    refs = [r["reference"] if "reference" in r else r["references"][0] for r in rows]
    bleu = sacrebleu.BLEU()
    score = bleu.corpus_score([r["answer"] for r in rows], [refs], n_bootstrap=1000)
    # sacrebleu sums its resampled statistics in another order: equal to 1e-5 (tests/stats/test_bootstrap.py)
    assert (ci.mean, ci.half_width) == pytest.approx((score._mean, score._ci), rel=1e-5)
    assert ci.value == pytest.approx(score.score, abs=1e-9)


def test_run_shows_the_covered_share_beside_a_value_that_leaves_examples_out(tmp_path, capsys):
    """faithfulness of an example with no contexts is undefined (flagged, left out of the mean): the
    CLI says beside the value how many examples it covers; an empty answer scores 0 for
    answer_correctness (counted, so full coverage there)."""
    rows = [{"id": f"q{i}", "question": "Who wrote Hamlet?", "answer": "" if i == 3 else "Shakespeare wrote Hamlet.",
             "contexts": [] if i % 4 == 0 else ["Hamlet is a tragedy by William Shakespeare."],
             "references": ["Shakespeare"]} for i in range(12)]
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    task = write(tmp_path, f"name: cover\ndata:\n  path: {data}\nscorers: [faithfulness, answer_correctness]\n"
                           "judge: lexical\n")
    expected = rageval.evaluate(str(data), [rageval.get_scorer("faithfulness", judge="lexical")], progress=False)
    assert expected.aggregate.covered("faithfulness") == (8, 12)  # 3 without contexts, 1 empty answer
    assert main(["run", task, "--no-intervals"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.strip().startswith("faithfulness "))
    assert line.endswith("covers 8/12 (66.7%; 4 flagged, left out)")
    assert f"{expected.aggregate['faithfulness']:.4f}" in line
    line = next(x for x in out.splitlines() if x.strip().startswith("answer_correctness "))
    assert line.endswith("covers 12/12 (100.0%; 0 flagged, left out)")
