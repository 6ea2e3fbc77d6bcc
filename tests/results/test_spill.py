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

import numpy as np
import pandas as pd
import pytest

import rageval
import rageval.data.adapters as adapters
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
    monkeypatch.setattr(adapters, "STREAM_PARQUET_BYTES", 0)
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
    real = adapters._parquet_chunks
    monkeypatch.setattr(adapters, "_parquet_chunks", lambda path, limit, names, size: (
        asked.append(names), (yield from real(path, limit, names, size)))[1])
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


def test_a_failed_run_leaves_no_spill_behind(streamed, tmp_path):
    data = frame(100)
    data.loc[77, "y_true"] = None  # a missing label: the batch that holds it is refused
    data.to_parquet(tmp_path / "bad.parquet")
    before = set(os.listdir(os.environ.get("TMPDIR", "/tmp")))
    with pytest.raises(rageval.FieldError, match="row 77"):
        rageval.evaluate(str(tmp_path / "bad.parquet"), ["accuracy"], progress=False, batch_size=10)
    gc.collect()
    after = {n for n in os.listdir(os.environ.get("TMPDIR", "/tmp")) if n.startswith("rageval-spill-")}
    assert after <= before
