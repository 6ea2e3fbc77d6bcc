"""The notebooks run, offline, on the demo data (executed with nbclient so they never rot), and the
README's demo leaderboard (`notebooks/demo_leaderboard.md`) is what the leaderboard notebook makes."""
from __future__ import annotations

import os
import re

import nbformat
import pytest
from support import REPO

nbclient = pytest.importorskip("nbclient", reason="nbclient (a dev dependency) is not installed")

NOTEBOOKS = os.path.join(REPO, "notebooks")


def execute(name: str, cwd: str) -> nbformat.NotebookNode:
    nb = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
    env = {"HF_HUB_OFFLINE": "1", "RAGEVAL_RUNS": os.path.join(cwd, "runs"), "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": cwd}}).execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb


def outputs(nb: nbformat.NotebookNode, kind: str) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if kind in o.get("data", {})]


def test_analysis_notebook(tmp_path):
    nb = execute("analysis.ipynb", str(tmp_path))
    assert len(outputs(nb, "image/png")) >= 2          # distributions, correlations
    text = "".join(o["data"]["text/plain"] for o in outputs(nb, "text/plain"))
    assert "token_f1" in text and "p_adjusted" in text


def test_leaderboard_notebook_makes_the_readme_table(tmp_path):
    nb = execute("leaderboard.ipynb", str(tmp_path))
    assert outputs(nb, "text/markdown") and outputs(nb, "image/png")
    made = (tmp_path / "demo_leaderboard.md").read_text(encoding="utf-8")
    assert "| lexical |" in made and "| lead (baseline) |" in made
    assert (tmp_path / "runs" / "leaderboard.html").exists()
    committed = open(os.path.join(NOTEBOOKS, "demo_leaderboard.md"), encoding="utf-8").read()
    assert made == committed, ("notebooks/demo_leaderboard.md is stale: run `jupyter nbconvert --execute --to "
                               "notebook --inplace notebooks/leaderboard.ipynb` in notebooks/ (or copy the table above)")


def test_training_notebook_raises_the_reward(tmp_path):
    nb = execute("training.ipynb", str(tmp_path))
    assert outputs(nb, "image/png")                     # reward against steps
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    first, last = (float(x) for x in re.findall(r"steps: ([0-9.]+)", text))
    assert last > first


def test_vision_notebook_scores_segmentations_and_restorations(tmp_path):
    nb = execute("vision.ipynb", str(tmp_path))
    assert len(outputs(nb, "image/png")) == 2           # the worst tiles of each pair of systems
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    for key in ("miou", "pixel_accuracy", "psnr", "ssim", "paired randomisation p"):
        assert key in text


def test_detection_notebook_intervals_and_paired_test(tmp_path):
    nb = execute("detection.ipynb", str(tmp_path))
    text = "".join(o["data"]["text/plain"] for o in outputs(nb, "text/plain"))
    streams = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "coco_map.ar_large" in text and "ci_high" in text and "p_value=" in streams


def test_classic_notebook_classifiers_and_regressors(tmp_path):
    nb = execute("classic.ipynb", str(tmp_path))
    assert len(outputs(nb, "image/png")) == 2           # the reliability diagram, predicted vs true
    text = "".join(o["data"]["text/plain"] for o in outputs(nb, "text/plain"))
    streams = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    for key in ("roc_auc", "naive_bayes", "ccc", "p_value", "'logreg': 0.0"):  # intervals, paired tests, ECE
        assert key in text, key
    assert "equal scikit-learn's for all four models" in streams
