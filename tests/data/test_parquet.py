"""A directory of Parquet files read as one table (`rageval.data.parquet`), loaded or streamed: the
files in name order, the same results as the rows in one frame, limits across files, and clear
errors for a directory that is not one table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rageval
import rageval.data.parquet as parquet
from rageval.core.errors import ConfigError

SCORERS = ["exact_match", "token_f1", "accuracy", "mse"]


def frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": [f"ex-{i}-é" for i in range(n)],
                         "answer": [f"a {i % 5}" for i in range(n)], "reference": ["a 1"] * n,
                         "y_true": rng.integers(0, 3, n), "y_pred": rng.integers(0, 3, n)})


def shards(folder, data: pd.DataFrame, cuts=(0, 10, 11, 70)) -> None:
    """``data`` as files cut at ``cuts`` (and the rest), named so that they sort in order (one of
    them empty: a writer's empty partition), with the markers a writer leaves beside them."""
    folder.mkdir(exist_ok=True)
    bounds = [*cuts, len(data)]
    for k, (a, b) in enumerate(zip(bounds, bounds[1:])):
        data.iloc[a:b].to_parquet(folder / f"part-{k:03d}.parquet", row_group_size=16)
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-000.parquet.crc").write_bytes(b"\0")


def same(res, ref) -> None:
    assert list(res.ids) == list(ref.ids)
    assert res.aggregate == ref.aggregate and res.aggregate.counts == ref.aggregate.counts
    pd.testing.assert_frame_equal(res.to_pandas(), ref.to_pandas())


@pytest.mark.parametrize("streamed", [False, True])
def test_a_directory_of_parquet_files_is_read_as_the_rows_of_its_files_in_name_order(streamed, tmp_path,
                                                                                    monkeypatch):
    if streamed:
        monkeypatch.setattr(parquet, "STREAM_PARQUET_BYTES", 0)
    data = frame()
    shards(tmp_path / "d", data)
    ref = rageval.evaluate(data, SCORERS, batch_size=16, progress=False)
    res = rageval.evaluate(str(tmp_path / "d"), SCORERS, batch_size=16, progress=False)
    same(res, ref)
    assert (res.manifest["n_examples"] is None) == streamed
    for limit in (5, 10, 11, 60, 500):  # ending in, at the end of, and past the files
        same(rageval.evaluate(str(tmp_path / "d"), SCORERS, limit=limit, progress=False),
             rageval.evaluate(data.head(limit), SCORERS, progress=False))
    dup = data.assign(id=[f"ex-{i % 100}-é" for i in range(len(data))])
    shards(tmp_path / "dup", dup)
    with pytest.raises(rageval.FieldError, match=r"'id'.* at row 100: duplicate id 'ex-0-é'"):
        rageval.evaluate(str(tmp_path / "dup"), SCORERS, batch_size=16, progress=False)


def test_a_directorys_fingerprint_changes_with_its_files(tmp_path, monkeypatch):
    monkeypatch.setattr(parquet, "STREAM_PARQUET_BYTES", 0)  # a stream's fingerprint: its origin
    shards(tmp_path / "d", frame())
    before = parquet.origin(str(tmp_path / "d"))
    assert before.startswith(f"file:{tmp_path / 'd'}:") and before == parquet.origin(str(tmp_path / "d"))
    frame(7, seed=1).to_parquet(tmp_path / "d" / "part-999.parquet")
    assert parquet.origin(str(tmp_path / "d")) != before
    assert parquet.origin(str(tmp_path / "d" / "part-000.parquet")) == f"file:{tmp_path / 'd' / 'part-000.parquet'}"


def test_a_directory_that_is_not_one_table_is_refused_with_the_file_named(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    with pytest.raises(ConfigError, match="a directory without .parquet files"):
        rageval.evaluate(str(tmp_path / "empty"), SCORERS, progress=False)
    shards(tmp_path / "nested", frame())
    (tmp_path / "nested" / "year=2024").mkdir()
    frame(3).to_parquet(tmp_path / "nested" / "year=2024" / "part.parquet")
    with pytest.raises(ConfigError, match=r"year=2024 holds Parquet files of its own \(a partitioned table\?\)"):
        rageval.evaluate(str(tmp_path / "nested"), SCORERS, progress=False)
    shards(tmp_path / "types", frame())
    frame(5).assign(y_true=np.arange(5.0)).to_parquet(tmp_path / "types" / "part-100.parquet")
    shards(tmp_path / "columns", frame())
    frame(5).drop(columns="reference").to_parquet(tmp_path / "columns" / "part-100.parquet")
    for streamed in (False, True):
        monkeypatch.setattr(parquet, "STREAM_PARQUET_BYTES", 0 if streamed else 2**40)
        with pytest.raises(ConfigError, match=r"part-100.parquet: column 'y_true' is double, in .*part-000.parquet "
                                              r"int64"):
            rageval.evaluate(str(tmp_path / "types"), SCORERS, progress=False)
        with pytest.raises(ConfigError, match=r"part-100.parquet: no column 'reference', which .*part-000.parquet has"):
            rageval.evaluate(str(tmp_path / "columns"), SCORERS, progress=False)
