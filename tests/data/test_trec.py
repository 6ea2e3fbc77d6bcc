"""TREC run and qrels files, and ranx-style dicts, read the way trec_eval reads them."""
from __future__ import annotations

import pytest

pytrec_eval = pytest.importorskip("pytrec_eval", reason="pytrec_eval (pytrec-eval-terrier) is the reference")

import rageval  # noqa: E402
from rageval.core.errors import ConfigError  # noqa: E402
from rageval.data.trec import from_trec, ranking, read_qrels, read_run  # noqa: E402


def test_order_is_score_descending_then_docno_descending_rank_ignored(tmp_path):
    run = tmp_path / "run"
    run.write_text("q1 Q0 a 1 0.5 t\nq1 Q0 c 2 0.5 t\nq1 Q0 b 3 0.9 t extra junk\nq1 Q0 B 4 0.5 t\n")
    assert ranking(read_run(run)["q1"]) == ["b", "c", "a", "B"]  # byte order: "B" < "a" < "c"


def test_ranking_agrees_with_trec_eval_on_ties():
    """pytrec_eval's P@1..4 on a run with tied scores tells which document it ranked where."""
    scores = {"d1": 1.0, "d3": 1.0, "d2": 2.0, "d10": 1.0}
    order = ranking(scores)
    for k in range(1, 5):
        rel = {order[k - 1]: 1}
        ev = pytrec_eval.RelevanceEvaluator({"q": rel}, {f"P.{k}", "recip_rank"}).evaluate({"q": scores})
        assert ev["q"]["recip_rank"] == 1 / k


def test_ties_follow_utf8_byte_order_descending():
    """trec_eval's strcmp on UTF-8 bytes, on many ties among non-ASCII docnos."""
    import random

    rng = random.Random(3)
    alphabet = ["a", "B", "z", "é", "É", "ß", "中", "文", "😀", "0", "-", "~"]
    for _ in range(200):
        docs = {"".join(rng.choices(alphabet, k=rng.randint(1, 4))) for _ in range(rng.randint(1, 40))}
        scores = {d: float(rng.randint(0, 3)) for d in docs}
        want = sorted(docs, key=lambda d: (-scores[d], [-b for b in d.encode()] + [1]))
        assert ranking(scores) == want


def test_from_trec_rows_default_complete_and_depth(tmp_path):
    run = {"q1": {"a": 3.0, "b": 2.0, "c": 1.0}, "q9": {"x": 1.0}}
    qrels = {"q1": {"b": 1}, "q2": {"y": 2}}
    assert [r["id"] for r in from_trec(run, qrels)] == ["q1"]  # queries in both, as trec_eval
    rows = from_trec(run, qrels, complete=True, depth=2)  # -c and -M2
    assert rows == [{"id": "q1", "retrieved_ids": ["a", "b"], "relevant_ids": {"b": 1}},
                    {"id": "q2", "retrieved_ids": [], "relevant_ids": {"y": 2}}]
    res = rageval.evaluate(rows, ["set_recall", "num_rel"], progress=False)
    assert res.aggregate["set_recall"] == 0.5 and res.aggregate["num_rel"] == 2


def test_files_and_dicts_give_the_same_rows(tmp_path):
    (tmp_path / "run").write_text("# a comment\n\n2 Q0 d1 1 1.5 t\n1 Q0 d2 1 0.25 t\n1 Q0 d3 2 0.75 t\n")
    (tmp_path / "qrels").write_text("1 0 d2 1\n1 0 d4 -1\n2 0 d1 0\n")
    from_files = from_trec(tmp_path / "run", tmp_path / "qrels")
    assert read_qrels(tmp_path / "qrels") == {"1": {"d2": 1, "d4": -1}, "2": {"d1": 0}}
    from_dicts = from_trec({"1": {"d2": 0.25, "d3": 0.75}, "2": {"d1": 1.5}}, {"1": {"d2": 1, "d4": -1}, "2": {"d1": 0}})
    assert from_files == from_dicts


@pytest.mark.parametrize("text,message", [
    ("q1 Q0 a 1 0.5 t\nq1 Q0 a 2 0.4 t\n", r"run:2: document 'a' is ranked twice for query 'q1'"),
    ("q1 Q0 a 1 0.5\n", r"run:1: expected 6 fields"),
    ("q1 Q0 a 1 high t\n", r"run:1: the score 'high' is not a finite number"),
    ("q1 Q0 a 1 nan t\n", r"run:1: the score 'nan' is not a finite number"),
])
def test_bad_run_lines_name_file_and_line(tmp_path, text, message):
    (tmp_path / "run").write_text(text)
    with pytest.raises(ConfigError, match=message):
        read_run(tmp_path / "run")


def test_bad_qrels_and_dicts_are_refused(tmp_path):
    (tmp_path / "qrels").write_text("q 0 a 1\nq 0 a 2\n")
    with pytest.raises(ConfigError, match="judged twice"):
        read_qrels(tmp_path / "qrels")
    with pytest.raises(ConfigError, match=r"run\['q'\]\['a'\] must be a finite number"):
        from_trec({"q": {"a": float("inf")}}, {"q": {"a": 1}})
    with pytest.raises(ConfigError, match="must be a dict"):
        from_trec({"q": ["a"]}, {"q": {"a": 1}})
    with pytest.raises(ConfigError, match="depth must be a positive integer"):
        from_trec({}, {}, depth=0)
    with pytest.raises(ConfigError, match="cannot read"):
        read_run(tmp_path / "missing")
    (tmp_path / "latin1").write_bytes(b"q Q0 caf\xe9 1 1 t\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_run(tmp_path / "latin1")
