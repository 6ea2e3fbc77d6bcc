"""evaluate(): inputs, column mapping, ids, errors before and during scoring, results and persistence."""
import json

import datasets
import numpy as np
import pandas as pd
import pytest
from support.slow_scorer import Fragile

import rageval
from rageval.core.registry import get_scorer

ROWS = [{"qid": f"q{i}", "gen": f"answer {i}", "gold": [f"answer {i}", "other"], "question": f"question {i}?"}
        for i in range(25)]
COLUMNS = {"id": "qid", "answer": "gen", "references": "gold"}


def expected():
    return rageval.evaluate(ROWS, ["exact_match", "token_f1"], columns=COLUMNS, progress=False)


def write(tmp_path, ext):
    path = tmp_path / f"data.{ext}"
    frame = pd.DataFrame(ROWS)
    if ext == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    elif ext == "json":
        path.write_text(json.dumps(ROWS))
    elif ext == "csv":
        frame.assign(gold=frame.gold.map(json.dumps)).to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    return str(path)


@pytest.mark.parametrize("kind", ["list", "pandas", "dataset", "datasetdict", "iterable",
                                  "jsonl", "json", "csv", "parquet"])
def test_every_input_kind_gives_the_same_results(kind, tmp_path):
    ds = datasets.Dataset.from_list(ROWS)
    makers = {"list": lambda: ROWS, "pandas": lambda: pd.DataFrame(ROWS), "dataset": lambda: ds,
              "datasetdict": lambda: datasets.DatasetDict({"test": ds, "train": ds.select(range(3))}),
              "iterable": ds.to_iterable_dataset}
    data = makers[kind]() if kind in makers else write(tmp_path, kind)
    split = "test" if kind == "datasetdict" else None
    res = rageval.evaluate(data, ["exact_match", "token_f1"], columns=COLUMNS, split=split, batch_size=7,
                           progress=False)
    ref = expected()
    assert res.aggregate == ref.aggregate
    pd.testing.assert_frame_equal(res.to_pandas(), ref.to_pandas())
    assert list(res.to_pandas()["id"]) == [r["qid"] for r in ROWS]


def test_limit_and_generated_ids():
    rows = [{"answer": "a", "reference": "a"}, {"answer": "b", "reference": "c"}, {"answer": "c", "reference": "c"}]
    res = rageval.evaluate(rows, "exact_match", limit=2, progress=False)
    assert res.ids == ["0", "1"] and res.aggregate["exact_match"] == 0.5


def test_datasetdict_needs_a_split():
    ds = datasets.Dataset.from_list(ROWS)
    with pytest.raises(rageval.ConfigError, match="split="):
        rageval.evaluate(datasets.DatasetDict({"a": ds, "b": ds}), ["exact_match"], columns=COLUMNS)
    with pytest.raises(rageval.ConfigError, match="no split 'dev'"):
        rageval.evaluate(datasets.DatasetDict({"a": ds}), ["exact_match"], columns=COLUMNS, split="dev")


class Counting(Fragile):
    name = "counting"
    calls = 0

    def score_batch(self, batch):
        Counting.calls += 1
        return super().score_batch(batch)


@pytest.mark.parametrize("rows,match", [
    ([{"answer": "a"}], r"field 'references'.*no column 'references'"),
    ([{"gen": "a", "gold": "a"}], r"field 'answer' \(column 'generated'\).*no column 'generated'"),
    ([{"answer": "a", "reference": "a"}, {"answer": 3, "reference": "a"}], r"field 'answer' at row 1: expected a string, got int"),
    ([{"answer": "a", "references": "a"}, {"answer": "b", "references": None}], r"'references' at row 1"),
    ([{"id": "x", "answer": "a", "reference": "a"}, {"id": "x", "answer": "b", "reference": "a"}], r"'id' at row 1: duplicate id 'x'"),
    ([{"id": None, "answer": "a", "reference": "a"}], r"'id' at row 0"),
])
def test_bad_input_is_refused_before_scoring(rows, match):
    Counting.calls = 0
    columns = {"answer": "generated"} if "gen" in rows[0] else None
    with pytest.raises(rageval.FieldError, match=match):
        rageval.evaluate(rows, [Counting(), "exact_match"], columns=columns, progress=False)
    assert Counting.calls == 0


def test_unknown_inputs_and_columns():
    with pytest.raises(rageval.ConfigError, match="unsupported data"):
        rageval.evaluate(42, ["exact_match"])
    with pytest.raises(rageval.ConfigError, match="unknown canonical field 'anwser'"):
        rageval.evaluate(ROWS, ["exact_match"], columns={"anwser": "gen"})
    with pytest.raises(rageval.UnknownScorerError, match="did you mean 'bleu'"):
        rageval.evaluate(ROWS, ["bleuu"], columns=COLUMNS)
    with pytest.raises(ValueError, match="same key 'exact_match'"):
        rageval.evaluate(ROWS, ["exact_match", "exact_match"], columns=COLUMNS)
    with pytest.raises(rageval.ConfigError, match="no such file"):
        rageval.evaluate("/nonexistent/data.jsonl", ["exact_match"])


def test_a_failing_example_is_recorded_and_the_run_goes_on():
    rows = [{"answer": a} for a in ["ok", "boom", "fine", "nan", "üñí"]]
    res = rageval.evaluate(rows, [Fragile()], progress=False)
    assert res.aggregate.counts["fragile"] == (3, 5)
    assert res.aggregate["fragile"] == pytest.approx(np.mean([2, 4, 3]))
    assert res.aggregate["fragile.twice"] == pytest.approx(np.mean([4, 8, 6]))
    table = res.to_pandas()
    assert table["fragile.error"].tolist()[1] == "ValueError: cannot score 'boom'"
    assert "non-finite" in table["fragile.error"].tolist()[3]
    assert np.isnan(table["fragile"][1]) and table["fragile"][2] == 4
    assert set(res.errors["id"]) == {"1", "3"}
    assert "3/5 examples; 2 errors" in repr(res)


def test_save_load_roundtrip_and_merge(tmp_path):
    res = rageval.evaluate(ROWS, ["exact_match", ("token_f1", {})], columns=COLUMNS, progress=False)
    res.save(tmp_path / "r")
    back = rageval.load_results(tmp_path / "r")
    assert back.aggregate == res.aggregate and back.ids == res.ids
    pd.testing.assert_frame_equal(back.to_pandas(), res.to_pandas())
    assert back.manifest["config_hash"] == res.manifest["config_hash"]
    no_ids = {"answer": "gen", "references": "gold"}
    halves = [rageval.evaluate(ROWS[:10], ["token_f1"], columns=no_ids, progress=False),
              rageval.evaluate(ROWS[10:], ["token_f1"], columns=no_ids, progress=False)]
    with pytest.raises(ValueError, match="share example ids"):
        rageval.merge(halves)  # generated ids would collide; real ids do not
    merged = rageval.merge([rageval.evaluate(ROWS[:10], ["token_f1"], columns=COLUMNS, progress=False),
                            rageval.evaluate(ROWS[10:], ["token_f1"], columns=COLUMNS, progress=False)])
    assert merged.aggregate["token_f1"] == pytest.approx(res.aggregate["token_f1"], abs=1e-15)
    with pytest.raises(FileNotFoundError, match="not a rageval results directory"):
        rageval.load_results(tmp_path)


def test_signature_and_spec_rebuild_the_scorer():
    s = get_scorer("f1", average="macro")
    assert s.signature == "f1|average:macro|pos_label:1|zero_division:warn|version:1"
    spec = s.spec()
    assert get_scorer(spec["base"], **spec["params"]).signature == s.signature


def test_integer_ids_in_rankings_and_qrels_become_strings():
    rows = [{"retrieved_ids": [3, 1, 2], "relevant_ids": [1]}, {"retrieved_ids": ["7"], "relevant_ids": {"7": 2}}]
    res = rageval.evaluate(rows, ["mrr"], progress=False)
    assert res.to_pandas()["mrr"].tolist() == [0.5, 1.0]
    message = r"'retrieved_ids' at row 0: expected a list of ids \(strings or integers\), item 1 is bool"
    with pytest.raises(rageval.FieldError, match=message):
        rageval.evaluate([{"retrieved_ids": ["a", True], "relevant_ids": ["a"]}], ["mrr"], progress=False)


def test_errors_raised_by_a_scorer_name_the_row_in_the_data():
    rows = [{"answer": "a", "references": ["a"]}] * 3 + [{"answer": "b", "references": []}]
    res = rageval.evaluate(rows, ["bleu"], progress=False)
    assert res.aggregate.counts["bleu"] == (3, 4)
    assert res.errors["error"].tolist() == ["FieldError: field 'references' at row 3: no reference (at least one is needed)"]


def test_a_batch_where_every_example_failed_keeps_the_others(tmp_path):
    rows = [{"id": f"r{i}", "answer": a} for i, a in enumerate(["boom", "boom", "ok", "fine"])]
    res = rageval.evaluate(rows, [Fragile()], batch_size=2, output=str(tmp_path / "run"), progress=False)
    assert res.aggregate.counts["fragile"] == (2, 4) and res.aggregate["fragile"] == pytest.approx(3.0)
    back = rageval.load_results(tmp_path / "run", scorers=[Fragile()])  # unregistered: the user hands it over
    assert back.aggregate == res.aggregate and sorted(back.errors["id"]) == ["r0", "r1"]
    with pytest.warns(UserWarning, match="'fragile' of these results cannot be rebuilt"):
        stats_only = rageval.load_results(tmp_path / "run")
    assert np.isnan(stats_only.aggregate["fragile"]) and stats_only.to_pandas()["fragile"].tolist()[2:] == [2.0, 4.0]
    assert stats_only.scorers[0].signature == res.scorers[0].signature


@pytest.mark.parametrize("empty", [[], "frame"])
def test_empty_data_says_it_has_no_rows(empty):
    import pandas as pd

    data = pd.DataFrame({"answer": [], "references": []}) if empty == "frame" else empty
    with pytest.raises(rageval.ConfigError, match="the data has no rows"):
        rageval.evaluate(data, ["bleu"], progress=False)


def test_numeric_rows_are_scored_in_large_batches_with_the_same_results(tmp_path):
    """Scorers that take only columnar numbers get NUMERIC_BATCH rows per batch by default (the
    per-batch overhead would otherwise exceed the metric's cost); other scorers keep 1000. Values,
    per-example scores and the run directory equal those of small batches."""
    from rageval.run.evaluate import NUMERIC_BATCH

    rng = np.random.default_rng(0)
    n = NUMERIC_BATCH + 1234
    rows = pd.DataFrame({"y_true": rng.integers(0, 2, n), "y_score": rng.random(n), "y_pred": rng.integers(0, 2, n)})
    scorers = ["roc_auc", "mse", "accuracy"]
    big = rageval.evaluate(rows, scorers, output=str(tmp_path / "big"), progress=False)
    small = rageval.evaluate(rows, scorers, batch_size=1000, progress=False)
    assert dict(big.aggregate) == dict(small.aggregate) and big.ids == small.ids
    pd.testing.assert_frame_equal(big.to_pandas(), small.to_pandas())
    assert len(list((tmp_path / "big").rglob("*.parquet"))) == 2  # two batches: NUMERIC_BATCH rows, then the rest
    text = tmp_path / "text"
    rageval.evaluate([{"answer": "a", "reference": "a"}] * 1001, ["exact_match"], output=str(text), progress=False)
    assert len(list(text.rglob("*.parquet"))) == 2  # 1000 rows, then 1


@pytest.mark.parametrize("bad", [0, -1, 2.5, "10", True])
def test_a_bad_batch_size_is_refused(bad):
    with pytest.raises(rageval.ConfigError, match="batch_size must be a positive integer"):
        rageval.evaluate([{"answer": "a", "reference": "a"}], ["exact_match"], batch_size=bad)


def test_evaluate_marks_its_batches_checked_and_scorers_given_raw_columns_still_check():
    """evaluate checks every field before scoring and says so on the Batch (the retrieval scorers then
    take the ids as they are); the same scorer called on a raw dict checks it and names the row."""
    from rageval.core.scorer import Batch, MeanScorer

    seen = []

    class Spy(MeanScorer):
        name = "spy"
        fields = ("answer",)

        def score_batch(self, batch):
            seen.append(getattr(batch, "checked", False))
            return [1.0] * len(batch["answer"])

    rows = [{"answer": "a", "retrieved_ids": ["d1", "d2"], "relevant_ids": {"d2": 1}}] * 3
    res = rageval.evaluate(rows, [Spy(), "mrr"], progress=False, batch_size=2)
    assert seen == [True, True] and res.aggregate["mrr"] == 0.5
    assert Batch().checked is False
    with pytest.raises(rageval.FieldError, match="retrieved_ids.*row 1"):
        get_scorer("mrr").stats({"retrieved_ids": [["d1"], ["d1", 7.5]], "relevant_ids": [{"d1": 1}, {"d1": 1}]})
