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
