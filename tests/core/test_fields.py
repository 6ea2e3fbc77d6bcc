"""Canonical field checks (`rageval.core.fields`): every cell type gives the plain Python values,
scores and dataset fingerprint; bad input names the field, the column and the row."""
import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from support import REPO

import rageval
from rageval.core import fields as F
from rageval.core.convert import to_python
from rageval.core.errors import FieldError
from rageval.data.adapters import load_source
from rageval.scorers.retrieval import functional

torch = pytest.importorskip("torch")

RETRIEVAL = ["ndcg@10", "mrr", "recall@10"]
SCORERS = [*RETRIEVAL, "accuracy", "exact_match", "bleu"]
FIELDS = ["answer", "id", "references", "relevant_ids", "retrieved_ids", "y_pred", "y_true"]


# --- the same data in every cell type ----------------------------------------------------------

def plain_columns(n: int = 60, seed: int = 0) -> dict[str, list]:
    rng = np.random.default_rng(seed)
    words = ["a", "cat", "sat", "on", "the", "mat", "dog"]
    retrieved, relevant = [], []
    for q in range(n):
        ranked = [f"d{x}" for x in rng.permutation(40)[:rng.integers(0, 15)]]
        retrieved.append(ranked)
        relevant.append(ranked[:2] + [f"d{40 + q}"])
    sentence = lambda: " ".join(rng.choice(words, rng.integers(1, 6)).tolist())  # noqa: E731
    return {"id": [f"q{q}" for q in range(n)], "retrieved_ids": retrieved, "relevant_ids": relevant,
            "y_true": rng.integers(0, 3, n).tolist(), "y_pred": rng.integers(0, 3, n).tolist(),
            "answer": [sentence() for _ in range(n)],
            "references": [[sentence() for _ in range(rng.integers(1, 3))] for _ in range(n)]}


def rows_of(columns: dict[str, list]) -> list[dict]:
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def numpy_scalars(c):  # what list(np.array(...)) gives
    return {"id": list(np.array(c["id"])), "retrieved_ids": [list(np.array(r, dtype=str)) for r in c["retrieved_ids"]],
            "relevant_ids": [list(np.array(r)) for r in c["relevant_ids"]],
            "y_true": list(np.array(c["y_true"])), "y_pred": list(np.array(c["y_pred"], dtype=np.int32)),
            "answer": list(np.array(c["answer"])), "references": [list(np.array(r)) for r in c["references"]]}


def numpy_arrays(c):  # one array per list cell
    return {**c, "retrieved_ids": [np.array(r, dtype=str) for r in c["retrieved_ids"]],
            "relevant_ids": [np.array(r, dtype=object) for r in c["relevant_ids"]],
            "references": [np.array(r) for r in c["references"]],
            "y_true": [np.array(v) for v in c["y_true"]], "y_pred": list(np.array(c["y_pred"], dtype=np.uint8))}


def torch_tensors(c):  # labels as 0-d integer tensors (float tensors with grad: see below)
    return {**c, "y_true": list(torch.tensor(c["y_true"])), "y_pred": torch.tensor(c["y_pred"]).unbind()}


CELLS = {
    "numpy scalars": lambda c: rows_of(numpy_scalars(c)),
    "numpy arrays": lambda c: rows_of(numpy_arrays(c)),
    "pandas object": lambda c: pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in numpy_scalars(c).items()}),
    "pandas numpy-backed": lambda c: pd.DataFrame({**{k: pd.Series(v, dtype=object) for k, v in c.items()},
                                                   "y_true": np.array(c["y_true"]), "id": np.array(c["id"])}),
    "Arrow-backed": lambda c: pd.DataFrame({
        "id": pd.Series(c["id"], dtype="string[pyarrow]"),
        "retrieved_ids": pd.Series(c["retrieved_ids"], dtype=pd.ArrowDtype(pa.list_(pa.string()))),
        "relevant_ids": pd.Series(c["relevant_ids"], dtype=pd.ArrowDtype(pa.list_(pa.string()))),
        "y_true": pd.Series(c["y_true"], dtype="int64[pyarrow]"), "y_pred": pd.Series(c["y_pred"], dtype="Int64"),
        "answer": pd.Series(c["answer"], dtype="string[pyarrow]"),
        "references": pd.Series(c["references"], dtype=pd.ArrowDtype(pa.list_(pa.string())))}),
    "torch tensors": lambda c: rows_of(torch_tensors(c)),
}


@pytest.fixture(scope="module")
def plain():
    columns = plain_columns()
    data = rows_of(columns)
    return columns, data, rageval.evaluate(data, SCORERS, progress=False)


@pytest.mark.parametrize("cells", CELLS)
def test_every_cell_type_gives_plain_values_scores_and_fingerprint(plain, cells):
    columns, data, expected = plain
    other = CELLS[cells](columns)
    canonical, reference = load_source(other).canonical(FIELDS), load_source(data).canonical(FIELDS)
    assert_same_columns(canonical, reference)
    for field, values in canonical.items():  # plain Python all the way down (numpy.str_ is a str), not just equal
        if field in F.NUMERIC:  # columnar: one int64/float64 array, whatever the cells were
            assert isinstance(values, np.ndarray) and values.dtype in (np.int64, np.float64), field
        else:
            assert _types(values) <= {str, np.str_, int, float, bool, list, dict}, field
    assert load_source(other).fingerprint(FIELDS) == load_source(data).fingerprint(FIELDS)
    got = rageval.evaluate(other, SCORERS, progress=False)
    assert dict(got.aggregate) == dict(expected.aggregate)
    pd.testing.assert_frame_equal(got.to_pandas(), expected.to_pandas())


def assert_same_columns(got: dict, want: dict) -> None:
    """Equal canonical columns: numeric fields as arrays of one dtype and equal values."""
    assert got.keys() == want.keys()
    for field in got:
        if isinstance(want[field], np.ndarray):
            assert isinstance(got[field], np.ndarray) and got[field].dtype == want[field].dtype, field
            np.testing.assert_array_equal(got[field], want[field])
        else:
            assert got[field] == want[field], field


def _types(values) -> set:
    out = set()
    for v in values:
        out.add(type(v))
        if isinstance(v, list):
            out |= _types(v)
        elif isinstance(v, dict):
            out |= _types(list(v)) | _types(list(v.values()))
    return out


def test_legacy_fingerprints_are_those_of_earlier_run_directories():
    """Recorded by the version-1 fingerprint code (a pickle of the plain columns): `legacy=True`
    still computes them, for run directories written then, whatever the cells' types are now."""
    text = [{"id": "a", "question": "q?", "answer": "x y", "references": ["x y z", "x"], "contexts": ["c1", "c2"]},
            {"id": "b", "question": "r?", "answer": "c", "references": "c", "contexts": []}]
    retrieval = [{"id": 7, "retrieved_ids": ["d1", "d2", 3], "relevant_ids": {"d1": 2, "d9": 0.5}},
                 {"id": 8, "retrieved_ids": [], "relevant_ids": ["d2", 4]}]
    labels = [{"y_true": 1, "y_pred": 0.5, "y_score": [0.1, 0.9]}, {"y_true": "cat", "y_pred": True, "y_score": 3}]
    single = [{"answer": "x", "reference": "y"}, {"answer": "z", "reference": "w"}]
    def typed(rows):  # numpy.str_ text, kept as such by the checkers
        return [{k: (np.str_(v) if isinstance(v, str) else list(np.array(v)) if isinstance(v, list) and v
                     and all(isinstance(x, str) for x in v) else v) for k, v in r.items()} for r in rows]

    for rows, fields, want in ((text, ["id", "question", "answer", "references", "contexts"], "57108c5b9cb697c8"),
                               (single, ["answer", "reference", "id"], "fbcb39a2538f993a"),
                               (retrieval, ["id", "retrieved_ids", "relevant_ids"], "484a6535646848d4"),
                               (labels, ["y_true", "y_pred", "y_score"], "46b9365b4a4e91f4")):
        for data in (rows, typed(rows)):
            assert load_source(data).fingerprint(fields, legacy=True) == want
            assert load_source(data).fingerprint(fields) == load_source(rows).fingerprint(fields)
            assert load_source(data).fingerprint(fields).startswith("v2:")


def test_a_run_directory_with_a_legacy_fingerprint_resumes(tmp_path, plain):
    """A run directory written before v2 fingerprints (its manifest's fingerprint and config hash
    rewritten to the version-1 form) resumes: its examples are not scored again."""
    import json

    from rageval.run.rundir import config_hash

    columns, data, expected = plain
    run = tmp_path / "run"
    first = rageval.evaluate(data, RETRIEVAL, output=str(run), progress=False)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["fingerprint"] = load_source(data).fingerprint(manifest["fields"], legacy=True)
    manifest["config_hash"] = config_hash(manifest)
    (run / "manifest.json").write_text(json.dumps(manifest))
    parts = sorted(p.name for p in (run / "examples").iterdir())
    again = rageval.evaluate(CELLS["numpy scalars"](columns), RETRIEVAL, output=str(run), progress=False)
    assert again.manifest["fingerprint"] == manifest["fingerprint"]  # kept in its version-1 form
    assert sorted(p.name for p in (run / "examples").iterdir()) == parts  # nothing scored again
    assert dict(again.aggregate) == dict(first.aggregate)
    changed = [dict(r, id=f"other-{i}") for i, r in enumerate(data)] if isinstance(data, list) else None
    if changed is not None:
        with pytest.raises(rageval.ConfigError, match="different configuration"):
            rageval.evaluate(changed, RETRIEVAL, output=str(run), progress=False)


def test_a_numpy_typed_run_directory_resumes_a_plain_one(tmp_path, plain):
    columns, data, expected = plain
    run = str(tmp_path / "run")
    first = rageval.evaluate(data, RETRIEVAL, output=run, progress=False)
    again = rageval.evaluate(CELLS["numpy scalars"](columns), RETRIEVAL, output=run, progress=False)
    assert again.manifest["fingerprint"] == first.manifest["fingerprint"]
    assert dict(again.aggregate) == dict(first.aggregate)


# --- converting at the checkers ----------------------------------------------------------------

def test_float_tensors_with_grad_score_and_fingerprint_as_floats():
    plain = [{"y_true": t, "y_pred": p} for t, p in [(0.0, 0.0), (1.0, 3.0), (2.0, 2.0)]]
    pred = torch.tensor([r["y_pred"] for r in plain], requires_grad=True) * 1
    tensors = [{"y_true": r["y_true"], "y_pred": p} for r, p in zip(plain, pred)]
    fields = ["y_pred", "y_true"]
    assert load_source(tensors).fingerprint(fields) == load_source(plain).fingerprint(fields)
    got, expected = (rageval.evaluate(d, ["accuracy"], progress=False).aggregate for d in (tensors, plain))
    assert dict(got) == dict(expected) and expected["accuracy"] == pytest.approx(2 / 3)


def test_tensors_with_grad_become_python_values():
    grad = torch.tensor([0.25, 1.0, 2.0], requires_grad=True)
    assert columnar(F.check_scalar_or_array("y_pred", "p", grad * 2)) == [0.5, 2.0, 4.0]  # the whole column
    assert columnar(F.check_scalar_or_array("y_pred", "p", list(grad))) == [0.25, 1.0, 2.0]  # 0-d tensor cells
    assert F.check_scalar_or_array("y_score", "s", [grad, torch.tensor([[1, 2]])]) == [[0.25, 1.0, 2.0], [[1, 2]]]
    assert columnar(F.check_weight("sample_weight", "w", list(torch.tensor([1, 3]))), np.int64) == [1, 3]
    assert F.check_id_list("retrieved_ids", "r", [torch.tensor([5, 6])]) == [["5", "6"]]
    half = torch.tensor([0.5, 1.5], dtype=torch.bfloat16, requires_grad=True)
    assert columnar(F.check_scalar_or_array("y_pred", "p", half)) == [0.5, 1.5]


def columnar(values, dtype=np.float64) -> list:
    """A columnar numeric field's values, checking it is one 1-d array of ``dtype``."""
    assert isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype == dtype, values
    return values.tolist()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_tensors_become_python_values():
    grad = torch.tensor([0.25, 1.0], device="cuda", requires_grad=True)
    assert columnar(F.check_scalar_or_array("y_pred", "p", grad * 2)) == [0.5, 2.0]
    assert columnar(F.check_scalar_or_array("y_pred", "p", list(grad))) == [0.25, 1.0]
    assert to_python(grad.sum()) == 1.25


def test_numpy_values_become_python_values():
    assert columnar(F.check_scalar_or_array("y_true", "t", np.array([1, 0])), np.int64) == [1, 0]
    labels = [np.bool_(True), np.str_("cat"), np.float32(0.5)]
    assert F.check_scalar_or_array("y_true", "t", labels) == [True, "cat", 0.5]
    assert [type(v) for v in F.check_scalar_or_array("y_true", "t", [np.bool_(True), np.int8(3)])] == [bool, int]
    assert columnar(F.check_scalar_or_array("y_true", "t", [np.bool_(True), np.bool_(False)]), np.bool_) == [1, 0]
    assert F.check_id("id", "i", [np.str_("a"), np.int64(3), 4]) == ["a", "3", "4"]
    assert F.check_id_list("retrieved_ids", "r", np.array([["a", "b"], ["c", "d"]])) == [["a", "b"], ["c", "d"]]
    qrels = [{np.str_("a"): np.int64(2), 3: np.float64(0.5)}]
    assert F.check_relevance("relevant_ids", "q", qrels) == [{"a": 2, "3": 0.5}]
    assert columnar(F.check_weight("sample_weight", "w", np.array([0.5, 0.0]))) == [0.5, 0.0]
    assert F.check_references("references", "r", [np.str_("x"), [np.str_("y"), None]]) == [["x"], ["y"]]


def test_the_ranking_core_judges_numpy_input_as_plain():
    c = plain_columns(20)
    typed = numpy_scalars(c)
    a, b = functional.judge(c["retrieved_ids"], c["relevant_ids"]), functional.judge(typed["retrieved_ids"],
                                                                                     typed["relevant_ids"])
    for x, y in ((a.grades, b.grades), (a.qrels, b.qrels), (a.lengths, b.lengths)):
        np.testing.assert_array_equal(x, y)


def test_sample_weight_is_a_canonical_numeric_field(tmp_path):
    rows = [{"y_true": 1, "y_pred": 1, "sample_weight": w} for w in (0, 2.5, np.float32(0.5), np.int64(3))]
    assert load_source(rows).canonical(["sample_weight"])["sample_weight"] == [0, 2.5, 0.5, 3]
    path = tmp_path / "w.csv"
    pd.DataFrame({"y_true": [1, 0], "y_pred": [1, 1], "weight": [0.5, 2]}).to_csv(path, index=False)
    source = load_source(str(path), {"sample_weight": "weight"})
    assert columnar(source.canonical(["sample_weight"])["sample_weight"]) == [0.5, 2.0]
    assert "sample_weight" in source.available()


def test_no_torch_import_without_tensors():
    code = ("import sys, numpy as np, pandas as pd, rageval\n"
            "rows = [{'retrieved_ids': list(np.array(['a', 'b'])), 'relevant_ids': np.array(['b']),"
            " 'y_true': np.int64(1), 'y_pred': np.float64(1)}]\n"
            "rageval.evaluate(rows, ['mrr', 'accuracy'], progress=False)\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    root = str(REPO)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


# --- bad input: the field, the column and the row ----------------------------------------------

BAD = [
    ("answer", ["ok", None], 1, "missing value (None)"),
    ("answer", ["ok", "ok", math.nan], 2, "missing value (NaN)"),
    ("answer", ["ok", pd.NA], 1, "missing value (pandas <NA>)"),
    ("answer", [b"bytes"], 0, "expected a string, got bytes"),
    ("id", ["a", True], 1, "expected a string or integer id, got bool"),
    ("id", ["a", 1.5], 1, "expected a string or integer id, got float"),
    ("question", [np.str_("q"), 3], 1, "expected a string, got int"),
    ("contexts", [["c"], "c"], 1, "expected a list of strings, got str"),
    ("contexts", [["c"], ["c", None]], 1, "item 1 is a missing value (None)"),
    ("contexts", [["c"], [np.str_("c"), 2]], 1, "item 1 is int"),
    ("references", [["r"], 5], 1, "expected a list of strings, got int"),
    ("retrieved_ids", [["a"], ["b", pd.NA]], 1, "item 1 is a missing value (pandas <NA>)"),
    ("retrieved_ids", [np.array(["a"]), np.array([["b"]])], 1, "item 0 is list"),
    ("retrieved_ids", [["a"], None], 1, "missing value (None)"),
    ("relevant_ids", [["a"], {"b": np.nan}], 1, "expected a dict of id -> finite number, got 'b': a missing value"),
    ("relevant_ids", [{"b": 1}, {"b": "high"}], 1, "got 'b': str ('high')"),
    ("relevant_ids", [{"b": 1}, {None: 1}], 1, "got a missing value (None): int (1)"),
    ("y_true", [1, None], 1, "missing value (None)"),
    ("y_true", [1, 0, math.nan], 2, "missing value (NaN)"),
    ("y_true", [1, pd.NA], 1, "missing value (pandas <NA>)"),
    ("y_true", [1, np.float64("nan")], 1, "missing value (NaN)"),
    ("y_score", [[0.5, 1.0], [0.5, None]], 1, "missing value (None)"),
    ("y_pred", [1, {"a": 1}], 1, "expected a number, label or array, got dict"),
    ("y_pred", [1, 2j], 1, "expected a number, label or array, got complex"),
    ("y_pred", [1] + list(torch.tensor([0.5, math.nan], requires_grad=True) * 1), 2, "missing value (NaN)"),
    ("y_pred", torch.tensor([0.5, 1.0, math.nan], requires_grad=True) * 1, 2, "missing value (NaN)"),
    ("sample_weight", [1.0, -0.5], 1, "expected a finite non-negative weight, got float (-0.5)"),
    ("sample_weight", [1.0, math.nan], 1, "missing value (NaN)"),
    ("sample_weight", [1.0, 2.0, math.inf], 2, "expected a finite non-negative weight, got float (inf)"),
    ("sample_weight", [1, np.int64(-2)], 1, "expected a finite non-negative weight, got int64"),
    ("sample_weight", [1, True], 1, "expected a finite non-negative weight, got bool"),
    ("sample_weight", [1, "2"], 1, "expected a finite non-negative weight, got str"),
    ("sample_weight", [1, pd.NA], 1, "missing value (pandas <NA>)"),
    ("sample_weight", list(torch.tensor([1.0, -1.0], requires_grad=True) * 1), 1, "non-negative weight, got Tensor"),
    # numpy NaN and infinities, plain and numpy (issue 11, item 8)
    ("y_pred", [1, np.float32("nan")], 1, "missing value (NaN)"),
    ("y_pred", [1.0, np.float32("inf")], 1, "expected a finite number, got float (inf)"),
    ("y_pred", [np.float32(1), np.float32("-inf")], 1, "expected a finite number, got float (-inf)"),
    ("y_true", [1, 2.0, math.inf], 2, "expected a finite number, got float (inf)"),
    ("y_score", [[0.5, 1.0], [0.5, -math.inf]], 1, "expected a finite number, got float (-inf)"),
    ("y_score", [0.5, np.float64("inf")], 1, "expected a finite number, got float (inf)"),
    # lone surrogates: UTF-8 (and so a run directory's Parquet) cannot store them (issue 11, item 7)
    ("id", ["a", "q\ud800"], 1, "holds a lone surrogate ('\\ud800' at character 1)"),
    ("id", ["a", np.str_("q\udfff"), 3], 1, "holds a lone surrogate"),
    ("answer", ["é", "ok", "x\udc80y"], 2, "holds a lone surrogate ('\\udc80' at character 1)"),
    ("question", ["\ud83d"], 0, "holds a lone surrogate"),
    ("contexts", [["c"], ["ü", "c\ud800"]], 1, "item 1 holds a lone surrogate"),
    ("references", [["r"], "r\ud800"], 1, "item 0 holds a lone surrogate"),
    ("retrieved_ids", [["a"], np.array(["b", "\ud800"], dtype=object)], 1, "item 1 holds a lone surrogate"),
    ("relevant_ids", [{"a": 1}, {"b": 1, "\ud800": 2}], 1, "item 1 holds a lone surrogate"),
    ("relevant_ids", [["a"], ["\ud800"]], 1, "item 0 holds a lone surrogate"),
    ("y_true", ["cat", "\ud800"], 1, "holds a lone surrogate"),
]


@pytest.mark.parametrize("field,values,row,message", BAD, ids=[f"{b[0]}-{b[3][:30]}" for b in BAD])
def test_bad_values_name_field_column_and_row(field, values, row, message):
    with pytest.raises(FieldError) as err:
        F.FIELDS[field](field, "user_col", values, 10)
    assert (err.value.field, err.value.column, err.value.row) == (field, "user_col", 10 + row)
    assert message in err.value.problem
    assert str(err.value).startswith(f"field {field!r} (column 'user_col') at row {10 + row}: ")


def test_evaluate_names_the_users_column_and_row():
    rows = [{"docs": ["a"], "gold": ["a"], "w": 1.0, "t": 1, "p": 1}, {"docs": ["b"], "gold": ["b"], "w": -1, "t": 1,
                                                                        "p": pd.NA}]
    with pytest.raises(FieldError, match=r"field 'y_pred' \(column 'p'\) at row 1: missing value \(pandas <NA>\)"):
        rageval.evaluate(rows, ["accuracy"], columns={"y_true": "t", "y_pred": "p"}, progress=False)
    frame = pd.DataFrame(rows)
    frame["docs"] = pd.Series([np.array(["a"]), np.array(["b", None], dtype=object)], dtype=object)
    with pytest.raises(FieldError, match=r"field 'retrieved_ids' \(column 'docs'\) at row 1: .*item 1 is a missing"):
        rageval.evaluate(frame, ["mrr"], columns={"retrieved_ids": "docs", "relevant_ids": "gold"}, progress=False)
    source = load_source(rows, {"sample_weight": "w"})
    with pytest.raises(FieldError, match=r"field 'sample_weight' \(column 'w'\) at row 1: expected a finite non-neg"):
        source.canonical(["sample_weight"])


def test_bad_columns_are_refused_whole():
    for values in (None, "abc", {"a": 1}, np.array(3)):
        with pytest.raises(FieldError, match=r"field 'y_true' \(column 'c'\): expected one value per example"):
            F.check_scalar_or_array("y_true", "c", values)


def test_judged_and_text_scorers_check_through_the_same_fields():
    from rageval.scorers.text.inputs import hypotheses_and_references

    answers, refs = hypotheses_and_references({"answer": [np.str_("a")], "references": [np.array(["b", "c"])]})
    assert (answers, refs) == (["a"], [["b", "c"]]) and isinstance(answers[0], str)
    with pytest.raises(FieldError, match=r"field 'answer' at row 1: missing value \(pandas <NA>\)"):
        hypotheses_and_references({"answer": ["a", pd.NA], "references": [["b"], ["c"]]})
    plain = [{"retrieved_ids": ["a", "b"], "relevant_ids": ["b", "c"]}, {"retrieved_ids": ["c"], "relevant_ids": ["c"]}]
    typed = [{"retrieved_ids": np.array(r["retrieved_ids"]), "relevant_ids": list(np.array(r["relevant_ids"]))}
             for r in plain]
    got, expected = (rageval.evaluate(d, [("context_recall", {"mode": "ids"})], progress=False) for d in (typed, plain))
    assert expected.aggregate["context_recall"] == pytest.approx(0.75)
    pd.testing.assert_frame_equal(got.to_pandas(), expected.to_pandas())
    s = rageval.get_scorer("context_recall", mode="ids")
    with pytest.raises(FieldError, match=r"field 'relevant_ids' at row 0: missing value \(None\)"):
        s.column({"relevant_ids": [None]}, "relevant_ids")


@pytest.mark.parametrize("name", ["bleu", "chrf", "rouge1", "rougeL", "exact_match", "token_f1"])
def test_text_scorers_take_typed_cells_and_name_the_row(name):
    c = plain_columns(30)
    plain = {"answer": c["answer"], "references": c["references"]}
    typed = {"answer": np.array(c["answer"]), "references": [np.array(r) for r in c["references"]]}
    s = rageval.get_scorer(name)
    assert s.reduce(s.stats(typed)) == s.reduce(s.stats(plain))
    with pytest.raises(FieldError, match=r"field 'answer' at row 1: missing value \(pandas <NA>\)"):
        s.stats({"answer": ["a", pd.NA], "references": [["a"], ["b"]]})
    with pytest.raises(FieldError, match=r"field 'references' at row 0: expected a list of strings, item 1 is int"):
        s.stats({"answer": ["a"], "references": [[np.str_("a"), 3]]})


def test_nan_and_infinite_labels_are_refused_by_accuracy():
    for bad in (np.float32("nan"), np.float32("inf"), np.float64("-inf"), math.inf, math.nan):
        rows = [{"y_true": 1, "y_pred": 1}, {"y_true": 0, "y_pred": bad}]
        with pytest.raises(FieldError, match=r"field 'y_pred' at row 1: (missing value \(NaN\)|.*inf)"):
            rageval.evaluate(rows, ["accuracy"], progress=False)


def test_lone_surrogates_are_refused_before_scoring_not_by_the_parquet_writer(tmp_path):
    for row in ({"id": "q\ud800", "answer": "a", "reference": "a"}, {"id": "q", "answer": "a\ud800", "reference": "a"}):
        rows = [{"id": "p", "answer": "x", "reference": "x"}, row]
        field = "id" if row["id"] != "q" else "answer"
        with pytest.raises(FieldError, match=rf"field '{field}' at row 1: holds a lone surrogate"):
            rageval.evaluate(rows, ["exact_match"], output=tmp_path / field, progress=False)
    # a surrogate pair written as one character is valid text and is stored
    rows = [{"id": "p", "answer": "😀", "reference": "😀"}]
    assert rageval.evaluate(rows, ["exact_match"], output=tmp_path / "ok", progress=False).aggregate["exact_match"] == 1


# --- columnar numeric fields --------------------------------------------------------------------

def _numeric_sources(tmp_path, y_true: np.ndarray, y_pred: np.ndarray, w: np.ndarray) -> dict:
    """The same numeric data as every kind of column a user may hold it in."""
    frame = pd.DataFrame({"y_true": y_true, "y_pred": y_pred, "sample_weight": w})
    frame.to_parquet(tmp_path / "d.parquet")
    frame.to_csv(tmp_path / "d.csv", index=False)
    return {
        "list of floats": rows_of({"y_true": y_true.tolist(), "y_pred": y_pred.tolist(), "sample_weight": w.tolist()}),
        "numpy scalars": rows_of({"y_true": list(y_true), "y_pred": list(y_pred.astype(np.float32).astype(np.float64)),
                                  "sample_weight": list(w)}),
        "0-d arrays": rows_of({"y_true": [np.array(v) for v in y_true], "y_pred": list(y_pred),
                               "sample_weight": [torch.tensor(v, dtype=torch.float64) for v in w]}),
        "pandas": frame,
        "Arrow-backed": frame.astype("float64[pyarrow]"),
        "nullable": frame.astype("Float64"),
        "parquet": str(tmp_path / "d.parquet"),
        "csv": str(tmp_path / "d.csv"),
    }


def test_numeric_fields_are_one_array_whatever_the_column(tmp_path):
    rng = np.random.default_rng(3)
    y_true, y_pred, w = rng.normal(size=500), rng.normal(size=500), rng.random(500)
    y_pred = y_pred.astype(np.float32).astype(np.float64)  # exact in every source (float32 cells too)
    fields = ["y_true", "y_pred", "sample_weight"]
    want = load_source(_numeric_sources(tmp_path, y_true, y_pred, w)["list of floats"]).canonical(fields)
    fingerprint = load_source(_numeric_sources(tmp_path, y_true, y_pred, w)["list of floats"]).fingerprint(fields)
    legacy = load_source(_numeric_sources(tmp_path, y_true, y_pred, w)["list of floats"]).fingerprint(fields, True)
    from sklearn.metrics import mean_squared_error
    expected = mean_squared_error(y_true, y_pred, sample_weight=w)
    for name, data in _numeric_sources(tmp_path, y_true, y_pred, w).items():
        got = load_source(data).canonical(fields)
        for f in fields:
            assert isinstance(got[f], np.ndarray) and got[f].dtype == np.float64, (name, f)
            np.testing.assert_array_equal(got[f], want[f], err_msg=f"{name} {f}")
        assert load_source(data).fingerprint(fields) == fingerprint, name
        assert load_source(data).fingerprint(fields, legacy=True) == legacy, name
        value = rageval.evaluate(data, ["mse"], progress=False, batch_size=128).aggregate["mse"]
        assert value == pytest.approx(expected, rel=1e-12, abs=0), name


def test_legacy_fingerprint_of_a_numeric_column_is_that_of_its_python_values():
    from rageval.data.fingerprint import legacy_fingerprint

    plain = {"id": ["0", "1"], "y_true": [1, 2], "y_pred": [0.5, 2.0], "sample_weight": [1, 3]}
    columnar = {"id": ["0", "1"], "y_true": np.array([1, 2]), "y_pred": np.array([0.5, 2.0]),
                "sample_weight": np.array([1, 3])}
    assert legacy_fingerprint(columnar) == legacy_fingerprint(plain)


@pytest.mark.parametrize("bad, problem", [(math.nan, "missing value (NaN)"), (math.inf, "finite number"),
                                          (-math.inf, "finite number")])
def test_a_bad_number_in_a_numeric_column_is_named_with_its_row(tmp_path, bad, problem):
    y = np.arange(300, dtype=np.float64)
    y[217] = bad
    for name, data in _numeric_sources(tmp_path, y, np.zeros(300), np.ones(300)).items():
        with pytest.raises(FieldError) as e:
            rageval.evaluate(data, ["mse"], progress=False)
            pytest.fail(f"{name}: not refused")
        assert (e.value.field, e.value.row) == ("y_true", 217), name
        assert problem in str(e.value) or "missing value" in str(e.value), (name, str(e.value))


def test_a_negative_or_boolean_weight_is_refused_with_its_row():
    with pytest.raises(FieldError, match="row 5.*non-negative"):
        F.check_weight("sample_weight", "w", np.r_[np.ones(5), -1.0], 0)
    with pytest.raises(FieldError, match="row 8.*non-negative"):
        F.check_weight("sample_weight", "w", np.r_[np.ones(5, np.int64), -1], 3)
    with pytest.raises(FieldError, match="row 0"):
        F.check_weight("sample_weight", "w", np.array([True, False]), 0)


def test_numeric_columns_that_are_not_one_number_per_row_stay_lists():
    assert F.check_scalar_or_array("y_true", "t", ["a", "b"]) == ["a", "b"]
    assert F.check_scalar_or_array("y_true", "t", [1, 2.5]) == [1, 2.5]  # a mix keeps its Python values
    assert F.check_scalar_or_array("y_score", "s", np.array([[1.0, 2.0]])) == [[1.0, 2.0]]  # one array per row
    big = np.array([2**63 + 1], dtype=np.uint64)
    assert F.check_scalar_or_array("y_true", "t", big) == [2**63 + 1]


def test_graded_relevance_from_a_hugging_face_dataset_drops_the_keys_arrow_filled_with_none():
    """A Hugging Face dataset stores dicts as an Arrow struct: each row gets every row's keys, None
    where it had none. Those are ids outside the row's judgements, so the scores equal the plain rows'."""
    import datasets

    rows = [{"id": "q1", "retrieved_ids": ["a", "b", "c"], "relevant_ids": {"a": 2, "c": 1}},
            {"id": "q2", "retrieved_ids": ["d", "a"], "relevant_ids": {"a": 1, "x": 3}}]
    hf = datasets.Dataset.from_list(rows)
    assert hf[0]["relevant_ids"] == {"a": 2, "c": 1, "x": None}
    scorers = ["ndcg@3", "map", "recall@2"]
    assert dict(rageval.evaluate(hf, scorers, progress=False).aggregate) == dict(
        rageval.evaluate(rows, scorers, progress=False).aggregate)
    with pytest.raises(rageval.FieldError, match="relevant_ids.*row 1"):
        rageval.evaluate([rows[0], {**rows[1], "relevant_ids": {"a": "high"}}], scorers, progress=False)
