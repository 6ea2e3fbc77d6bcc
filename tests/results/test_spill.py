"""A streamed run keeps its per-example data on disk (`rageval.results.spill`): its `Results` equal
the in-memory run's, bit for bit, in every view, and the spill folder goes with the `Results`.

Every registered scorer also goes through a spill in tests/test_merge_shards.py (parts out of order,
a few examples a file); here the streamed sources themselves (a Parquet file read in record batches,
a Hugging Face `IterableDataset`) are compared with the same data loaded whole.
"""
from __future__ import annotations

import gc
import math
import os
import tempfile

import numpy as np
import pandas as pd
import pytest

import rageval
import rageval.data.parquet as parquet
import rageval.results.spill as spill_module

TEXT = ["bleu", "chrf", "exact_match", "token_f1"]
CLASSIC = ["accuracy", ("f1", {"average": "macro"}), "mse", "roc_auc", "spearman", ("precision", {"average": None, "labels": [0, 1]})]


def frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = np.array("the a cat dog sat on mat paris blue 東京 naïve".split())
    answers = [" ".join(rng.choice(words, rng.integers(0, 9))) for _ in range(n)]
    references = [[" ".join(rng.choice(words, rng.integers(1, 9))) for _ in range(rng.integers(1, 3))]
                  for _ in range(n)]
    references[17] = []  # BLEU and chrF fail on this example: an error row
    truth = rng.integers(0, 2, n)
    return pd.DataFrame({
        "id": [f"ex-{i:05d}" for i in range(n)], "answer": answers, "references": references,
        "y_true": truth, "y_pred": np.where(rng.random(n) < 0.7, truth, 1 - truth),
        "y_score": np.round(rng.random(n), 2),  # ties
        "sample_weight": rng.uniform(0.1, 3.0, n),
        "unused": [{"nested": [i]} for i in range(n)],
    })


def same_bits(got: rageval.Results, want: rageval.Results) -> None:
    assert got.aggregate.counts == want.aggregate.counts
    assert sorted(got.aggregate) == sorted(want.aggregate)
    for k, w in want.aggregate.items():
        g = got.aggregate[k]
        assert (math.isnan(g) and math.isnan(w)) or g == w, (k, g, w)


def same_everywhere(got: rageval.Results, want: rageval.Results) -> None:
    same_bits(got, want)
    assert len(got) == len(want) and list(got.ids) == list(want.ids)
    pd.testing.assert_frame_equal(got.to_pandas(), want.to_pandas())
    pd.testing.assert_frame_equal(got.errors, want.errors)
    for key in want.by_scorer:
        assert got.by_scorer[key].ids == want.by_scorer[key].ids
        assert got.by_scorer[key].errors == want.by_scorer[key].errors
    assert got.details("token_f1" if "token_f1" in want.by_scorer else "mse").keys() == \
        want.details("token_f1" if "token_f1" in want.by_scorer else "mse").keys()
    ci_got, ci_want = got.confidence_intervals(n=200, seed=3), want.confidence_intervals(n=200, seed=3)
    assert {k: (v.low, v.high) for k, v in ci_got.items()} == {k: (v.low, v.high) for k, v in ci_want.items()}


@pytest.fixture
def streamed(monkeypatch):
    """Every Parquet file streamed, and a spill file every 37 examples (several files)."""
    monkeypatch.setattr(parquet, "STREAM_PARQUET_BYTES", 0)
    monkeypatch.setattr(spill_module, "SPILL_ROWS", 37)


@pytest.mark.parametrize("scorers", [TEXT, CLASSIC], ids=["text", "classic"])
def test_streamed_parquet_equals_loaded_data(streamed, tmp_path, scorers):
    data = frame()
    path = tmp_path / "data.parquet"
    data.to_parquet(path)
    want = rageval.evaluate(data, scorers, progress=False, batch_size=50)
    got = rageval.evaluate(str(path), scorers, progress=False, batch_size=50)
    assert got._spill is not None and len(got._spill.files) > 1  # it did go to disk, in several files
    same_everywhere(got, want)
    if scorers is TEXT:
        assert got.aggregate.counts["bleu"] == (299, 300)
    # saved and loaded back, merged with another run: as the in-memory results
    got.save(tmp_path / "saved")
    same_everywhere(rageval.load_results(tmp_path / "saved"), want)
    other = frame(40, seed=1).assign(id=lambda f: [f"other-{i}" for i in range(len(f))])
    merged = rageval.merge([got, rageval.evaluate(other, scorers, progress=False)])
    same_bits(merged, rageval.merge([want, rageval.evaluate(other, scorers, progress=False)]))


def test_a_streamed_parquet_files_columns_come_from_its_schema(streamed, tmp_path, monkeypatch):
    """No row is read to learn the columns (reading a first row kept whole row groups: 72 MiB at 1M
    rows), and a file with the columns but no rows has them: nothing to score, not a missing column."""
    data = frame(90)
    data.to_parquet(tmp_path / "data.parquet")
    data.head(0).to_parquet(tmp_path / "empty.parquet")

    def no_rows(*args, **kwargs):
        raise AssertionError("a row was read to learn the columns")

    monkeypatch.setattr(parquet, "_rows", no_rows)
    same_everywhere(rageval.evaluate(str(tmp_path / "data.parquet"), TEXT, progress=False, batch_size=20),
                    rageval.evaluate(data, TEXT, progress=False, batch_size=20))
    empty = rageval.evaluate(str(tmp_path / "empty.parquet"), TEXT, progress=False)
    assert len(empty) == 0 and math.isnan(empty.aggregate["bleu"])


def test_streamed_iterable_dataset_equals_dataset(streamed):
    datasets = pytest.importorskip("datasets")
    data = frame(120).drop(columns=["unused"])
    whole = datasets.Dataset.from_pandas(data, preserve_index=False)
    want = rageval.evaluate(whole, TEXT + CLASSIC[:3], progress=False, batch_size=16)
    got = rageval.evaluate(whole.to_iterable_dataset(), TEXT + CLASSIC[:3], progress=False, batch_size=16)
    assert got._spill is not None
    same_everywhere(got, want)


def test_batch_boundaries_and_limit(streamed, tmp_path):
    """Record batches end at row groups: the results do not depend on where batches end."""
    data = frame(250)
    path = tmp_path / "groups.parquet"
    data.to_parquet(path, row_group_size=33)
    for batch_size in (1, 10, 64, 1000):
        same_bits(rageval.evaluate(str(path), CLASSIC, progress=False, batch_size=batch_size),
                  rageval.evaluate(data, CLASSIC, progress=False))
    limited = rageval.evaluate(str(path), TEXT, progress=False, batch_size=20, limit=71)
    assert len(limited) == 71 and list(limited.ids) == list(data["id"][:71])
    same_everywhere(limited, rageval.evaluate(data.head(71), TEXT, progress=False))


def test_only_the_columns_the_scorers_take_are_read(streamed, tmp_path, monkeypatch):
    data = frame(50)
    data.to_parquet(tmp_path / "d.parquet")
    asked = []
    real = parquet._chunks
    monkeypatch.setattr(parquet, "_chunks", lambda files, limit, names, size, ids: (
        asked.append(names), (yield from real(files, limit, names, size, ids)))[1])
    rageval.evaluate(str(tmp_path / "d.parquet"), ["accuracy"], progress=False)
    assert asked == [["id", "sample_weight", "y_pred", "y_true"]]


def test_a_duplicate_id_across_batches_names_its_row(streamed, tmp_path):
    data = frame(90)
    data.loc[61, "id"] = data.loc[5, "id"]
    data.to_parquet(tmp_path / "dup.parquet")
    with pytest.raises(rageval.FieldError, match="row 61"):
        rageval.evaluate(str(tmp_path / "dup.parquet"), ["accuracy"], progress=False, batch_size=20)


def test_the_spill_folder_goes_with_its_results(streamed, tmp_path):
    frame(80).to_parquet(tmp_path / "d.parquet")
    res = rageval.evaluate(str(tmp_path / "d.parquet"), TEXT, progress=False, batch_size=10)
    folder = res._spill.path
    assert sorted(os.listdir(folder)) == ["part-000000.parquet", "part-000001.parquet"]  # 40 + 40 examples
    aggregate = dict(res.aggregate)
    del res
    gc.collect()
    assert not os.path.exists(folder)
    assert aggregate["exact_match"] >= 0


def test_a_failed_run_leaves_no_spill_behind(streamed, tmp_path, monkeypatch):
    data = frame(100)
    data.loc[77, "y_true"] = None  # a missing label: the batch that holds it is refused
    data.to_parquet(tmp_path / "bad.parquet")
    scratch = tmp_path / "scratch"  # this test's own temporary folder: other test processes spill too
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    kept = rageval.evaluate(str(tmp_path / "bad.parquet"), ["exact_match"], progress=False, batch_size=10)
    assert os.listdir(scratch) == [os.path.basename(kept._spill.path)]  # a run that succeeds spills here
    with pytest.raises(rageval.FieldError, match="row 77"):
        rageval.evaluate(str(tmp_path / "bad.parquet"), ["accuracy"], progress=False, batch_size=10)
    gc.collect()
    assert os.listdir(scratch) == [os.path.basename(kept._spill.path)]  # the failed run's folder is gone


LABEL = ["accuracy", ("f1", {"average": "macro"}), ("recall", {"average": "micro"}),
         ("precision", {"average": None, "labels": ["cat", "dog"]}), ("jaccard", {"average": "weighted"}),
         ("specificity", {"average": "macro"}), "mcc", ("cohen_kappa", {"weights": "linear"}), "balanced_accuracy",
         "confusion_matrix", ("zero_one_loss", {"normalize": False}), "hamming_loss"]


@pytest.mark.parametrize("weights", ["none", "integer", "fractional"])
def test_label_scorers_and_mean_losses_reduce_without_reading_their_statistics_whole(streamed, tmp_path, monkeypatch,
                                                                                     weights):
    """A spilled label scorer sums each file's rows by (y_true, y_pred) pair where the weights are
    integers (the sums are then exact in any order), a mean loss reads its columns one at a time:
    neither reads its statistics whole, and the aggregate is the in-memory one, bit for bit. With
    fractional weights the label scorers read them whole (the same bits again)."""
    rng = np.random.default_rng(7)
    n = 500
    labels = np.array(["cat", "dog", "bird", "東京"])
    data = pd.DataFrame({"id": [f"r{i}" for i in range(n)], "y_true": rng.choice(labels, n).astype(object),
                         "y_pred": rng.choice(labels[:3], n).astype(object)})
    data.loc[[11, 12, 400], "y_true"] = "boom"  # `Picky` fails on these examples alone
    if weights != "none":
        data["sample_weight"] = rng.integers(0, 4, n).astype(float) if weights == "integer" else rng.uniform(0, 3, n)
    path = tmp_path / "labels.parquet"
    data.to_parquet(path)
    regression = pd.DataFrame({"id": data["id"], "y_true": rng.normal(size=n), "y_pred": rng.normal(size=n),
                               **({"sample_weight": data["sample_weight"]} if weights != "none" else {})})
    regression.to_parquet(tmp_path / "regression.parquet")
    read_whole = []
    whole = spill_module.Spill.stats
    monkeypatch.setattr(spill_module.Spill, "stats", lambda self, s: read_whole.append(s.key) or whole(self, s))

    scorers = [*LABEL, Picky()]
    want = rageval.evaluate(data, scorers, progress=False, batch_size=40)
    got = rageval.evaluate(str(path), scorers, progress=False, batch_size=40)
    assert len(got._spill.files) > 5 and got.aggregate.counts["picky"] == (n - 3, n)
    same_bits(got, want)
    same_bits(out_of_order(data, scorers), want)  # parts reach the spill out of order, as from Ray
    names = [s if isinstance(s, str) else s[0] if isinstance(s, tuple) else s.key for s in scorers]
    assert read_whole == ([] if weights != "fractional" else names * 2)

    read_whole.clear()
    losses = ["mse", "mae", "rmse", ("huber", {"delta": 0.5}), "log_cosh"]
    want = rageval.evaluate(regression, losses, progress=False, batch_size=40)
    got = rageval.evaluate(str(tmp_path / "regression.parquet"), losses, progress=False, batch_size=40)
    same_bits(got, want)
    assert read_whole == []
    same_everywhere(got, want)  # the other views read the statistics when asked


class Picky(rageval.get_scorer("accuracy").__class__):
    """Accuracy that fails on the examples whose y_true is "boom" (an error row, its label pair unseen)."""

    name = "picky"

    def stats(self, batch):
        if "boom" in list(batch["y_true"]):
            raise ValueError("boom")
        return super().stats(batch)


def out_of_order(data: pd.DataFrame, scorers: list) -> rageval.Results:
    """``data`` scored in batches of 23 whose parts reach a `Spill` shuffled, 50 examples a file."""
    from rageval.core.registry import resolve
    from rageval.core.scorer import Batch
    from rageval.data.adapters import load_source
    from rageval.results.results import Results
    from rageval.run.evaluate import _fields, _local_parts

    scorers = resolve(scorers)
    source = load_source(data)
    fields = _fields(scorers, source)
    for s in scorers:
        s.validate(Batch(source.canonical(fields)))
    parts = list(_local_parts(scorers, source, fields, 23, set(), scores=False))
    np.random.default_rng(3).shuffle(parts)
    spill = spill_module.Spill([s.key for s in scorers])
    spill.rows_per_file = 50
    for p in parts:
        spill.add(p)
    return Results(scorers, [], {"scorers": []}, spill=spill)


def test_summed_codes_keep_the_label_pairs_and_their_weights():
    from rageval.core.statistics import Coded

    stats = Coded.encode([["a", "b", "a", "a", "c"], ["b", "b", "b", "a", "c"]], values=[[1.0], [2.0], [3.0], [0.0], [4.0]])
    summed = stats.summed()
    assert summed.vocab == stats.vocab
    assert [tuple(summed.vocab[c] for c in row) for row in summed.codes] == [("a", "a"), ("a", "b"), ("b", "b"),
                                                                              ("c", "c")]
    assert summed.values[:, 0].tolist() == [0.0, 4.0, 2.0, 4.0]  # a label pair of weight 0 stays: it occurs
    assert stats.exact_sums() and not Coded.encode([["a"], ["a"]], values=[[0.5]]).exact_sums()
    assert not Coded.encode([["a"]] * 2, values=[[2.0 ** 53]]).exact_sums()
    assert not Coded.encode([["a"]] * 2, values=[[math.nan]]).exact_sums()
    assert len(Coded.encode([[], []], values=np.empty((0, 1))).summed()) == 0


def test_spilled_aggregates_keep_their_bits_at_a_realistic_size(tmp_path, monkeypatch):
    """Sums over tens of thousands of rows (numpy's pairwise sums then span many blocks) read back
    column by column or summed by label pair, from files of the default size (16,384 rows), equal
    the in-memory run, bit for bit (~3 s)."""
    monkeypatch.setattr(parquet, "STREAM_PARQUET_BYTES", 0)
    rng = np.random.default_rng(1)
    n = 60_000
    labels = pd.DataFrame({"id": [f"x{i}" for i in range(n)], "y_true": rng.integers(0, 4, n),
                           "y_pred": rng.integers(0, 4, n), "sample_weight": rng.integers(1, 5, n).astype(float)})
    values = pd.DataFrame({"id": labels["id"], "y_true": rng.normal(size=n) * 1e3, "y_pred": rng.normal(size=n),
                           "sample_weight": rng.uniform(0.1, 2, n)})
    for frame, scorers in ((labels, ["accuracy", ("f1", {"average": "macro"}), "mcc", "cohen_kappa"]),
                           (values, ["mse", "mae", "rmse", "log_cosh", ("huber", {"delta": 0.7}), "r2"])):
        path = tmp_path / "data.parquet"
        frame.to_parquet(path)
        got = rageval.evaluate(str(path), scorers, progress=False, batch_size=5_000)
        assert len(got._spill.files) >= 3
        same_bits(got, rageval.evaluate(frame, scorers, progress=False))
