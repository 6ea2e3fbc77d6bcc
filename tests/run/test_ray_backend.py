"""backend="ray" against a real local Ray cluster (2 CPUs, started once for the module): results,
errors, intervals and run directories equal the local run for text, retrieval, classic and judged
scorers, whatever the block and batch sizes; a worker killed mid-run is resumed; nothing imports
Ray unless asked."""
import json
import os
import subprocess
import sys
import time
import warnings

import datasets
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import ray
import ray.cloudpickle
import ray.data
from support import TESTS
from support.slow_scorer import Fragile, Slow

import rageval
from rageval.core.errors import FieldError
from rageval.core.scorer import MeanScorer
from rageval.results.store import EXAMPLES, part_files, read_part
from rageval.run.ray_backend import ensure_written
from rageval.run.rundir import WORKER_PART, RunDir, write_worker_part

ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import a test module

TEXT = ["bleu", "chrf", "rougeL", "token_f1", "exact_match"]
RETRIEVAL = ["ndcg@10", "map", "recall@5", "mrr"]
CLASSIC = ["accuracy", ("f1", {"average": "macro"}), "mse"]


@pytest.fixture(scope="module", autouse=True)
def cluster():
    """One local cluster for the module (a pytest-xdist worker starts its own: each is a new head)."""
    path = os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,  # never a running cluster
             runtime_env={"env_vars": {"PYTHONPATH": path, "RAGEVAL_CACHE": os.environ.get("RAGEVAL_CACHE", "")}})
    ctx = ray.data.DataContext.get_current()
    progress, ctx.enable_progress_bars = ctx.enable_progress_bars, False
    yield
    ctx.enable_progress_bars = progress
    ray.shutdown()


def rows(n=240, seed=0):
    rng = np.random.default_rng(seed)
    words = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "ünïcode", "日本"]
    out = []
    for i in range(n):
        ref = " ".join(rng.choice(words, rng.integers(1, 9)))
        out.append({"id": f"q{i}", "answer": " ".join(rng.choice(words, rng.integers(0, 9))), "reference": ref,
                    "retrieved_ids": [f"d{j}" for j in rng.permutation(12)[:rng.integers(0, 11)]],
                    "relevant_ids": {f"d{j}": int(rng.integers(1, 3)) for j in rng.permutation(12)[:rng.integers(1, 4)]},
                    "y_true": int(rng.integers(0, 3)), "y_pred": int(rng.integers(0, 3)),
                    "question": "what does the cat do?", "contexts": [ref, "the dog ran"][:rng.integers(1, 3)]})
    return out


def assert_same(res, ref):
    assert res.ids == ref.ids
    assert res.aggregate == ref.aggregate and res.aggregate.counts == ref.aggregate.counts
    pd.testing.assert_frame_equal(res.to_pandas(), ref.to_pandas())
    pd.testing.assert_frame_equal(res.errors, ref.errors)


def no_driver_write(self, part):
    raise AssertionError("the driver wrote a part that a worker should have written")


def run_table(path):
    """The rows of a run directory's parts (not of a part being written: a worker may still be at it)."""
    table = pd.concat([pd.read_parquet(f) for f in part_files(str(path))])
    return table.sort_values("_row").reset_index(drop=True)


@pytest.mark.parametrize("batch_size,workers", [(50, None), (17, 1)])
def test_driver_data_equals_the_local_run(batch_size, workers, tmp_path, monkeypatch):
    data = rows()
    scorers = TEXT + RETRIEVAL + CLASSIC
    ref = rageval.evaluate(data, scorers, batch_size=batch_size, output=str(tmp_path / "local"), progress=False)
    monkeypatch.setattr(RunDir, "write", no_driver_write)  # the workers write every part
    res = rageval.evaluate(data, scorers, batch_size=batch_size, output=str(tmp_path / "ray"), progress=False,
                           backend="ray", ray_options=workers and {"concurrency": workers})
    assert_same(res, ref)
    names = sorted(os.listdir(tmp_path / "ray" / EXAMPLES))
    assert names == [WORKER_PART.format(start) for start in range(0, len(data), batch_size)]
    assert res.confidence_intervals(n=200) == ref.confidence_intervals(n=200)
    # the run directories hold the same rows, statistics and scores; the manifests differ only in where it ran
    pd.testing.assert_frame_equal(run_table(tmp_path / "ray"), run_table(tmp_path / "local"))
    local_m, ray_m = (json.load(open(tmp_path / d / "manifest.json")) for d in ("local", "ray"))
    assert ray_m["backend"]["name"] == "ray" and ray_m["backend"]["cpus"] == 2 and ray_m["backend"]["nodes"] == 1
    assert local_m["backend"] == {"name": "local"}
    for key in ("config_hash", "fingerprint", "scorers", "n_examples"):
        assert ray_m[key] == local_m[key]
    loaded = rageval.load_results(str(tmp_path / "ray"))
    assert_same(loaded, rageval.load_results(str(tmp_path / "local")))


@pytest.mark.parametrize("blocks,batch_size", [(1, 1000), (13, 7), (40, 64)])
def test_a_ray_dataset_equals_the_local_run(blocks, batch_size):
    data = [{k: r[k] for k in ("id", "answer", "reference", "y_true", "y_pred")} for r in rows(300, seed=blocks)]
    scorers = TEXT + ["accuracy", "mse"]
    ref = rageval.evaluate(data, scorers, batch_size=batch_size, progress=False)
    res = rageval.evaluate(ray.data.from_items(data, override_num_blocks=blocks), scorers, batch_size=batch_size,
                           progress=False)
    assert_same(res, ref)
    assert res.manifest["backend"]["name"] == "ray"


def test_a_records_part_is_shipped_compressed_and_reads_back_whole():
    """The worker's record holds its part zstd-compressed (the driver maps fewer object-store pages):
    the table read back is the part's, and its bytes a fraction of the uncompressed stream's."""
    import pyarrow as pa

    from rageval.core.registry import resolve
    from rageval.data.adapters import load_source
    from rageval.run.evaluate import _local_parts
    from rageval.run.ray_workers import _append

    data = [{k: r[k] for k in ("id", "answer", "reference")} for r in rows(2000, seed=5)]
    part = next(_local_parts(resolve(TEXT), load_source(data), ["answer", "reference"], 2000, set(), scores=False))
    out = {"n": [], "part": [], "abort": [], "usage": []}
    _append(out, 2000, part, None, {})
    assert pa.ipc.open_stream(out["part"][0]).read_all().equals(part.to_table())
    plain = pa.BufferOutputStream()
    with pa.ipc.new_stream(plain, part.to_table().schema) as writer:
        writer.write_table(part.to_table())
    assert len(out["part"][0]) < 0.5 * plain.getvalue().size


@pytest.mark.parametrize("kind", ["ray_dataset", "row_groups"])
@pytest.mark.parametrize("ids", [True, False])
def test_a_ray_datasets_parts_are_written_by_ray_tasks_as_a_local_run_writes_them(ids, kind, tmp_path, monkeypatch):
    """The driver numbers the rows and hands each part to a task that writes it: the run directory
    holds the local run's rows, ids, statistics, scores and errors (rows moved), the driver writes nothing."""
    data = [{"answer": "boom" if i in (3, 170) else f"answer {i}", "reference": f"answer {i % 9}"} for i in range(200)]
    if ids:
        data = [{"id": f"ex-{i}", **r} for i, r in enumerate(data)]
    scorers = [Fragile(), RowError(), "token_f1", "bleu"]
    ref = rageval.evaluate(data, scorers, batch_size=16, output=str(tmp_path / "local"), progress=False)
    monkeypatch.setattr(RunDir, "write", no_driver_write)
    res = rageval.evaluate(remote_data(kind, data, tmp_path, 11), scorers, batch_size=16,
                           output=str(tmp_path / "ray"), progress=False, backend="ray")
    assert_same(res, ref)
    if ids:  # the same call again resumes a finished run: nothing left to score, the same results
        assert_same(rageval.evaluate(remote_data(kind, data, tmp_path, 11), scorers, batch_size=16,
                                     output=str(tmp_path / "ray"), progress=False, backend="ray"), ref)
    pd.testing.assert_frame_equal(run_table(tmp_path / "ray"), run_table(tmp_path / "local"))
    assert "at row 170:" in " ".join(run_table(tmp_path / "ray")["error.row_error"].dropna())
    for name in os.listdir(tmp_path / "ray" / EXAMPLES):  # each named after its first row in the data
        assert name == WORKER_PART.format(min(read_part(str(tmp_path / "ray" / EXAMPLES / name), []).rows))
    assert_same(rageval.load_results(str(tmp_path / "ray")), rageval.load_results(str(tmp_path / "local")))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_sweep_of_sizes_blocks_and_batches(seed):
    """Bigger data, random block counts and batch sizes, every family, both kinds of input."""
    rng = np.random.default_rng(seed)
    data = rows(int(rng.integers(500, 4000)), seed=seed)
    scorers = TEXT + RETRIEVAL + CLASSIC
    batch_size = int(rng.integers(1, 600))
    ref = rageval.evaluate(data, scorers, batch_size=batch_size, progress=False)
    assert_same(rageval.evaluate(data, scorers, batch_size=batch_size, progress=False, backend="ray"), ref)
    flat = [{k: v for k, v in r.items() if k != "relevant_ids"} for r in data]  # Arrow makes graded dicts structs
    ref = rageval.evaluate(flat, TEXT + CLASSIC, batch_size=batch_size, progress=False)
    ds = ray.data.from_items(flat, override_num_blocks=int(rng.integers(1, 60)))
    assert_same(rageval.evaluate(ds, TEXT + CLASSIC, batch_size=batch_size, progress=False), ref)


@pytest.mark.parametrize("columns,kept", [(None, ["id", "answer", "reference"]),
                                          ({"answer": "pred", "id": "key"}, ["key", "pred", "reference"])])
def test_a_ray_dataset_is_narrowed_to_the_columns_the_scorers_read(columns, kept):
    """Ray pushes the projection into a Parquet read: unused columns are neither read nor shipped."""
    from rageval.core.registry import resolve
    from rageval.run.evaluate import _fields, score_batch
    from rageval.run.ray_backend import RayScoring, load

    row = {"id": "q0", "key": "k0", "answer": "a", "pred": "b", "reference": "a", "y_true": 1, "extra": [1, 2]}
    ds = ray.data.from_items([row] * 4)
    source = load(ds, columns, split=None, limit=None, encoding="utf-8")
    scorers = resolve(["exact_match", "bleu"])
    scoring = RayScoring(source, scorers, _fields(scorers, source), 2, set(), score_batch, None)
    assert scoring._needed_columns(ds).schema().names == kept


def test_a_ray_dataset_without_ids_gets_the_local_ids_and_rows_in_errors():
    data = [{"answer": "boom" if i in (3, 170) else f"answer {i}", "reference": f"answer {i % 9}"} for i in range(200)]
    scorers = [Fragile(), RowError(), "token_f1"]
    ref = rageval.evaluate(data, scorers, batch_size=16, progress=False)
    res = rageval.evaluate(ray.data.from_items(data, override_num_blocks=11), scorers, batch_size=16, progress=False)
    assert_same(res, ref)
    assert ref.ids[:3] == ["0", "1", "2"]
    assert type(res.ids) is type(ref.ids)  # default ids kept as integers on both paths
    assert set(ref.errors["id"]) == {"3", "170"}
    assert "at row 170:" in ref.to_pandas().set_index("id").loc["170", "row_error.error"]


def test_a_failing_example_is_reported_with_its_id_as_locally():
    data = [{"id": f"ex-{i}", "answer": "boom" if i == 123 else f"a {i}"} for i in range(250)]
    ref = rageval.evaluate(data, [Fragile()], batch_size=40, progress=False)
    for ds in (data, ray.data.from_items(data, override_num_blocks=5)):
        res = rageval.evaluate(ds, [Fragile()], batch_size=40, progress=False, backend="ray")
        assert_same(res, ref)
        assert list(res.errors["id"]) == ["ex-123"] and "cannot score 'boom'" in res.errors["error"][0]
        assert res.aggregate.counts["fragile"] == (249, 250)


def remote_data(kind, data, tmp_path, blocks):
    """``data`` as a Ray dataset of ``blocks`` blocks, or as a Parquet file of ``blocks`` row groups
    that the workers read and score by row groups (`score_row_groups`), or (``directory``) as three
    Parquet files of unequal sizes in a directory, in row groups of that size (the files' names
    sort in the data's order; a Spark ``_SUCCESS`` marker beside them)."""
    if kind == "ray_dataset":
        return ray.data.from_items(data, override_num_blocks=blocks)
    size = -(-len(data) // blocks)
    if kind == "directory":
        folder = tmp_path / "shards"
        folder.mkdir()
        (folder / "_SUCCESS").write_text("")
        cuts = [0, len(data) * 3 // 10, len(data) * 3 // 4, len(data)]
        for k, (a, b) in enumerate(zip(cuts, cuts[1:])):
            pd.DataFrame(data[a:b]).to_parquet(folder / f"part-{k:05d}.parquet", row_group_size=size)
        return str(folder)
    path = str(tmp_path / "data.parquet")
    pd.DataFrame(data).to_parquet(path, row_group_size=size)
    return path


@pytest.mark.parametrize("kind", ["ray_dataset", "row_groups", "directory"])
def test_a_field_error_in_a_ray_dataset_names_the_row_of_the_data(kind, tmp_path):
    bad = 7 if kind == "ray_dataset" else None  # (a Parquet column holds one type)
    data = [{"id": f"q{i}", "answer": bad if i == 141 else f"a {i}", "reference": "a"} for i in range(200)]
    scorers = ["exact_match"]
    with pytest.raises(FieldError) as local:
        rageval.evaluate(data, scorers, progress=False)
    with pytest.raises(FieldError) as remote:
        rageval.evaluate(remote_data(kind, data, tmp_path, 6), scorers, batch_size=30, progress=False, backend="ray")
    assert str(remote.value) == str(local.value) and remote.value.row == 141


@pytest.mark.parametrize("kind", ["ray_dataset", "row_groups", "directory"])
@pytest.mark.parametrize("first,second", [(150, 37), (12, 10)])  # across batches (and files); within one batch
def test_a_duplicate_id_in_a_ray_dataset_names_its_row_as_locally(kind, first, second, tmp_path):
    data = [{"id": f"q{i}", "answer": f"a {i}", "reference": "a"} for i in range(200)]
    data[first]["id"] = data[second]["id"]
    with pytest.raises(FieldError) as local:
        rageval.evaluate(data, ["exact_match"], progress=False)
    with pytest.raises(FieldError) as remote:
        rageval.evaluate(remote_data(kind, data, tmp_path, 7), ["exact_match"], batch_size=30, progress=False,
                         backend="ray")
    assert str(remote.value) == str(local.value) and remote.value.row == first


@pytest.mark.parametrize("row_groups,tasks", [(8, 4), (9, 4), (3, None), (1, None)])
def test_a_parquet_path_is_read_and_scored_by_row_groups_where_it_has_enough(row_groups, tasks, tmp_path):
    """Four tasks (2 per CPU) read and score ranges of row groups; a file with fewer row groups than
    that is read by Ray's reader and split. Both equal the local run, failures and errors included."""
    from rageval.run.evaluate import score_batch
    from rageval.run.ray_backend import RayScoring, load

    data = [{"id": f"q{i}", "answer": "boom" if i in (5, 150) else f"a {i % 7}", "reference": "a 1"}
            for i in range(240)]
    path = remote_data("row_groups", data, tmp_path, row_groups)
    source = load(path, None, split=None, limit=None, encoding="utf-8")
    groups = RayScoring(source, [], ["answer"], 10, set(), score_batch, None)._row_groups()
    assert (None if groups is None else groups.count()) == tasks
    scorers = [Fragile(), "token_f1", "exact_match"]
    res = rageval.evaluate(path, scorers, batch_size=16, progress=False, backend="ray")
    ref = rageval.evaluate(data, scorers, batch_size=16, progress=False)
    assert_same(res, ref)
    assert list(res.errors["id"]) == ["q5", "q150"]
    if row_groups == 8:  # an actor pool (as for judges) reads and scores the row groups the same way
        assert_same(rageval.evaluate(path, scorers, batch_size=16, progress=False, backend="ray",
                                     ray_options={"actors": True}), ref)
        # empty row groups (a writer's empty partitions) among the others
        table = pa.Table.from_pandas(pd.DataFrame(data), preserve_index=False)
        with pq.ParquetWriter(path, table.schema) as writer:
            for start in range(0, 240, 40):
                writer.write_table(table.slice(start, 40))
                writer.write_table(table.slice(0, 0))
        assert pq.ParquetFile(path).metadata.num_row_groups == 12
        assert_same(rageval.evaluate(path, scorers, batch_size=16, progress=False, backend="ray"), ref)


@pytest.mark.parametrize("row_groups,tasks", [(20, 4), (2, None)])
def test_a_directory_of_parquet_files_is_scored_by_row_groups_across_its_files(row_groups, tasks, tmp_path,
                                                                               monkeypatch):
    """A directory's files, in name order, are one table: its row groups numbered across the files
    and read by four tasks, some spanning two files (with fewer row groups, Ray's reader reads the
    files); equal to the local run of the rows, and of the directory, streamed or loaded."""
    import rageval.data.parquet as parquet
    from rageval.run.evaluate import score_batch
    from rageval.run.ray_backend import RayScoring, load

    data = [{"id": f"q{i}", "answer": "boom" if i in (5, 150) else f"a {i % 7}", "reference": "a 1",
             "y_true": i % 3, "y_pred": (i * 7) % 3} for i in range(240)]
    path = remote_data("directory", data, tmp_path, row_groups)
    source = load(path, None, split=None, limit=None, encoding="utf-8")
    assert [os.path.basename(f) for f in source.parquet_files] == [f"part-{k:05d}.parquet" for k in range(3)]
    groups = RayScoring(source, [], ["answer"], 10, set(), score_batch, None)._row_groups()
    assert (None if groups is None else groups.count()) == tasks
    scorers = [Fragile(), "token_f1", "exact_match", "accuracy"]
    ref = rageval.evaluate(data, scorers, batch_size=16, progress=False)
    res = rageval.evaluate(path, scorers, batch_size=16, progress=False, backend="ray")
    assert_same(res, ref)
    assert list(res.errors["id"]) == ["q5", "q150"]
    assert_same(rageval.evaluate(path, scorers, batch_size=16, progress=False), ref)  # loaded locally
    monkeypatch.setattr(parquet, "STREAM_PARQUET_BYTES", 0)
    streamed = rageval.evaluate(path, scorers, batch_size=16, progress=False)
    assert_same(streamed, ref)
    assert streamed.manifest["fingerprint"] == res.manifest["fingerprint"]  # the same origin either way


def test_a_hugging_face_dataset_is_read_by_ray():
    data = [{k: r[k] for k in ("id", "answer", "reference", "retrieved_ids")} for r in rows(120)]
    ds = datasets.Dataset.from_list(data)
    ref = rageval.evaluate(ds, TEXT + ["hit_rate"], columns={"relevant_ids": "retrieved_ids"}, progress=False)
    res = rageval.evaluate(ds, TEXT + ["hit_rate"], columns={"relevant_ids": "retrieved_ids"}, progress=False,
                           backend="ray", batch_size=25)
    assert_same(res, ref)
    picked = ds.shuffle(seed=3).select(range(0, 120, 2))  # a selection: its rows taken in its order
    ref = rageval.evaluate(picked.to_list(), TEXT + ["hit_rate"], columns={"relevant_ids": "retrieved_ids"},
                           progress=False)
    assert_same(rageval.evaluate(picked, TEXT + ["hit_rate"], columns={"relevant_ids": "retrieved_ids"},
                                 progress=False, backend="ray", batch_size=25), ref)


@pytest.mark.parametrize("kind", ["iterable", "parquet"])
def test_streamed_data_is_scored_on_ray_as_locally(kind, tmp_path, monkeypatch):
    """An IterableDataset streams through the driver a window of batches at a time; a Parquet file
    (too large to load or not) is read by the workers (ray.data.read_parquet), never by the driver."""
    import rageval.data.parquet as parquet

    data = [{k: r[k] for k in ("id", "answer", "reference", "y_true", "y_pred")} for r in rows(400)]
    scorers = TEXT + ["accuracy"]
    ref = rageval.evaluate(data, scorers, batch_size=9, progress=False)
    if kind == "iterable":
        source = datasets.Dataset.from_list(data).to_iterable_dataset()
    else:
        source = str(tmp_path / "data.parquet")
        pd.DataFrame(data).to_parquet(source, row_group_size=50)
        monkeypatch.setattr(parquet, "STREAM_PARQUET_BYTES", 0)
        local = rageval.evaluate(source, scorers, batch_size=9, progress=False)
        assert local.manifest["n_examples"] is None  # streamed locally too
        assert_same(local, ref)
        assert_same(rageval.evaluate(source, scorers, limit=50, batch_size=9, progress=False),
                    rageval.evaluate(data[:50], scorers, batch_size=9, progress=False))
    res = rageval.evaluate(source, scorers, batch_size=9, progress=False, backend="ray")
    assert_same(res, ref)
    assert res.manifest["fingerprint"].startswith("stream:")
    assert ray.data.DataContext.get_current().use_datasource_v2  # Ray's default, back after the V1 read
    if kind == "parquet":  # a file small enough to load: the workers read it too
        monkeypatch.setattr(parquet, "STREAM_PARQUET_BYTES", 2**40)
        assert rageval.evaluate(source, scorers, progress=False).manifest["n_examples"] == 400  # loaded locally
        small = rageval.evaluate(source, scorers, batch_size=9, progress=False, backend="ray")
        assert_same(small, ref)
        assert small.manifest["fingerprint"].startswith("stream:")  # not loaded by the driver (a content hash)


def test_a_judge_runs_in_an_actor_pool_with_the_local_values(tmp_path):
    data = rows(24)
    # the default judge (MiniLM embeddings + lexical evidence), uncached so the workers really judge
    scorer = ("faithfulness", {"judge": {"kind": "default", "cache_dir": None}})
    ref = rageval.evaluate(data, [scorer], progress=False)
    res = rageval.evaluate(data, [scorer], progress=False, backend="ray", batch_size=8,
                           ray_options={"concurrency": (1, 1)})
    assert res.ids == ref.ids and res.aggregate.counts == ref.aggregate.counts
    # embeddings batched differently differ in the last bits of float32
    np.testing.assert_allclose(res.to_pandas()["faithfulness"], ref.to_pandas()["faithfulness"],
                               rtol=1e-5, atol=1e-6)
    assert res.manifest["usage"]["faithfulness"]["calls"] > 0  # counted on the workers


def test_a_retried_task_rewrites_its_part_instead_of_duplicating_it(tmp_path):
    """A worker killed after writing its part, before Ray heard back: Ray runs the task again, which
    writes the same name (its first row) atomically, so the example is in one part."""
    data = [{"id": f"q{i}", "answer": "x" * i} for i in range(30)]
    res = rageval.evaluate(data, ["exact_match", "token_f1"], columns={"reference": "answer"}, progress=False)
    part = res.parts()[0]
    part.rows = list(range(5, 35))
    first = write_worker_part(str(tmp_path), part)
    assert write_worker_part(str(tmp_path), part) == first
    assert os.listdir(tmp_path / EXAMPLES) == [os.path.basename(first)] == [WORKER_PART.format(5)]
    back = read_part(first, ["exact_match", "token_f1"])
    assert back.rows == part.rows and list(back.ids) == list(part.ids)


def test_the_driver_writes_a_part_whose_worker_file_it_does_not_see(tmp_path):
    """A worker on a node without the driver's filesystem writes to its own disk: the driver, which
    has the statistics, writes the part into its run directory under the same name."""
    data = [{"id": f"q{i}", "answer": "x" * i, "reference": "xx"} for i in range(12)]
    part = rageval.evaluate(data, ["exact_match"], progress=False).parts()[0]
    part.rows = list(range(40, 52))
    assert ensure_written(str(tmp_path), part)  # not there: written
    path = tmp_path / EXAMPLES / WORKER_PART.format(40)
    stamp = os.stat(path).st_mtime_ns
    assert not ensure_written(str(tmp_path), part) and os.stat(path).st_mtime_ns == stamp  # there: left alone
    assert read_part(str(path), ["exact_match"]).rows == part.rows


def test_a_killed_worker_is_retried_by_ray_without_duplicates(tmp_path):
    log, flag, run = str(tmp_path / "calls.log"), str(tmp_path / "killed"), str(tmp_path / "run")
    data = [{"id": f"q{i}", "answer": "x" * i} for i in range(60)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = rageval.evaluate(data, [Killer(log, flag, "q35")], output=run, batch_size=10, progress=False,
                               backend="ray", ray_options={"max_retries": 2})
    assert not [w for w in caught if issubclass(w.category, DeprecationWarning)], [str(w.message) for w in caught]
    assert os.path.exists(flag), "the worker was not killed"
    scored = open(log).read().split()
    assert scored.count("q35") == 2 and scored.count("q0") == 1  # only the killed task ran twice
    assert len(run_table(run)) == 60 and run_table(run)["id"].is_unique
    assert_same(res, rageval.evaluate(data, [Slow(str(tmp_path / "clean.log"))], progress=False))


@pytest.mark.parametrize("kind", ["driver", "ray_dataset"])
def test_max_retries_bounds_the_reruns_of_a_task_whose_worker_dies(kind, tmp_path):
    """Ray Data reruns a task whose worker died without limit; ``max_retries`` (counted by rageval: Ray
    2.60 deprecates passing it to map_batches) stops the run after that many reruns, without a
    deprecation warning."""
    log, run = str(tmp_path / "calls.log"), str(tmp_path / "run")
    rows_ = [{"id": f"q{i}", "answer": "x" * i} for i in range(40)]
    data = rows_ if kind == "driver" else ray.data.from_items(rows_, override_num_blocks=4)
    with warnings.catch_warnings(record=True) as caught, pytest.raises(Exception, match="max_retries=1"):  # noqa: B017
        warnings.simplefilter("always")
        rageval.evaluate(data, [Killer(log, None, "q25")], output=run, batch_size=10, progress=False,
                         backend="ray", ray_options={"max_retries": 1})
    assert not [w for w in caught if issubclass(w.category, DeprecationWarning)], [str(w.message) for w in caught]
    assert open(log).read().split().count("q25") == 2  # the first run and one rerun, then the run stopped
    with pytest.raises(rageval.ConfigError, match="max_retries must be"):
        rageval.evaluate(rows_, ["exact_match"], columns={"reference": "answer"}, progress=False, backend="ray",
                         ray_options={"max_retries": "2"})


@pytest.mark.parametrize("kind", ["driver", "ray_dataset", "row_groups"])
def test_a_killed_worker_is_resumed_without_rescoring(kind, tmp_path):
    log, flag, run = str(tmp_path / "calls.log"), str(tmp_path / "killed"), str(tmp_path / "run")
    rows_ = [{"id": f"q{i}", "answer": "x" * i} for i in range(120)]
    data = rows_ if kind == "driver" else remote_data(kind, rows_, tmp_path, 12)
    with pytest.raises(Exception):  # noqa: B017 - Ray reports the dead worker in its own exception types
        rageval.evaluate(data, [Killer(log, flag, "q75")], output=run, batch_size=10, progress=False,
                         backend="ray", ray_options={"max_retries": 0})
    assert os.path.exists(flag), "the worker was not killed"
    finished = set(run_table(run)["id"])
    assert finished and "q75" not in finished
    first = open(log).read().split()
    res = rageval.evaluate(data, [Killer(log, flag, "q75")], output=run, batch_size=10, progress=False,
                           backend="ray", ray_options={"max_retries": 0})
    rescored = open(log).read().split()[len(first):]
    assert not finished & set(rescored), "finished examples were scored again"
    assert sorted(finished | set(rescored)) == sorted(r["id"] for r in rows_)
    table = run_table(run)
    assert len(table) == 120 and table["id"].is_unique
    assert_same(res, rageval.evaluate(rows_, [Slow(str(tmp_path / "clean.log"))], progress=False))


@pytest.mark.parametrize("kind", ["driver", "ray_dataset"])
def test_a_killed_driver_is_resumed_without_rescoring(kind, tmp_path):
    """A driver in another process, on this module's cluster, is killed with SIGKILL midway; the same
    call here resumes from the parts its workers (driver-held data) or write tasks (a Ray dataset) wrote."""
    log, run = str(tmp_path / "calls.log"), str(tmp_path / "run")
    rows_ = [{"id": f"q{i}", "answer": "x" * i} for i in range(200)]
    make = "{!r}" if kind == "driver" else "ray.data.from_items({!r}, override_num_blocks=40)"
    env = {"env_vars": {"PYTHONPATH": str(TESTS)}}
    code = (f"import ray, ray.data, rageval; from support.slow_scorer import Slow; "
            f"ray.init(address={ray.get_runtime_context().gcs_address!r}, runtime_env={env!r}, log_to_driver=False); "
            f"rageval.evaluate({make.format(rows_)}, [Slow({log!r}, delay=0.1)], output={run!r}, batch_size=5, "
            f"progress=False, backend='ray')")
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(TESTS)})
    deadline = time.time() + 90
    while len(part_files(run)) < 3 and time.time() < deadline:
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    finished = set(run_table(run)["id"])
    assert 15 <= len(finished) < 200, "the driver should have been killed midway"
    first = open(log).read().split()
    data = rows_ if kind == "driver" else ray.data.from_items(rows_, override_num_blocks=40)
    res = rageval.evaluate(data, [Slow(log, delay=0.1)], output=run, batch_size=5, progress=False, backend="ray")
    rescored = open(log).read().split()[len(first):]
    assert not finished & set(rescored), "finished examples were scored again"
    assert len(run_table(run)) == 200 and run_table(run)["id"].is_unique
    assert_same(res, rageval.evaluate(rows_, [Slow(str(tmp_path / "clean.log"))], progress=False))


def test_resuming_a_ray_dataset_without_ids_is_refused(tmp_path):
    data = ray.data.from_items([{"answer": f"a{i}", "reference": "a1"} for i in range(30)])
    run = str(tmp_path / "run")
    assert rageval.evaluate(data, ["exact_match"], output=run, progress=False).ids[:2] == ["0", "1"]
    with pytest.raises(rageval.ConfigError, match="needs an id column"):
        rageval.evaluate(data, ["exact_match"], output=run, progress=False)


@pytest.mark.slow  # starts an actor pool and two task pools: 15 s on the busy machine
def test_map_batches_options_reach_ray_and_actors_can_be_forced():
    data = [{k: r[k] for k in ("id", "answer", "reference")} for r in rows(60)]
    ref = rageval.evaluate(data, TEXT, batch_size=16, progress=False)
    for options in ({"actors": True, "concurrency": 2, "num_cpus": 1}, {"actors": False, "num_cpus": 0.5}):
        assert_same(rageval.evaluate(data, TEXT, batch_size=16, progress=False, backend="ray", ray_options=options), ref)
    with pytest.raises(Exception, match="not_an_option"):  # noqa: B017 - Ray's own error for an unknown argument
        rageval.evaluate(data, TEXT, progress=False, backend="ray", ray_options={"not_an_option": 1})


def test_ray_options_need_the_ray_backend_and_unknown_backends_are_refused():
    with pytest.raises(rageval.ConfigError, match="backend must be"):
        rageval.evaluate([{"answer": "a", "reference": "a"}], "exact_match", backend="dask")
    with pytest.raises(rageval.ConfigError, match="ray_options= is for backend='ray'"):
        rageval.evaluate([{"answer": "a", "reference": "a"}], "exact_match", ray_options={"num_cpus": 1})


def test_the_local_backend_does_not_import_ray():
    code = ("import sys, rageval; rageval.evaluate([{'answer': 'a', 'reference': 'a'}], ['bleu', 'exact_match'], "
            "progress=False); assert 'ray' not in sys.modules, 'ray was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


class RowError(MeanScorer):
    """Raises a field error (row 0 of its one-example batch) on 'boom': evaluate names the data's row."""

    name = "row_error"
    fields = ("answer",)

    def score_batch(self, batch):
        if "boom" in batch["answer"]:
            raise FieldError("answer", "answer", 0, "cannot score 'boom'")
        return [1.0] * len(batch["answer"])


class Killer(Slow):
    """`Slow` that kills its worker process on the batch holding ``victim``: once (a flag file), or
    every time (``flag`` None)."""

    name = "slow"

    def __init__(self, log, flag, victim):
        super().__init__(log)
        self.flag, self.victim = flag, victim

    def score_batch(self, batch):
        values = super().score_batch(batch)
        if self.victim in batch["id"] and (self.flag is None or not os.path.exists(self.flag)):
            if self.flag is not None:
                open(self.flag, "w").close()
            os._exit(1)
        return values


def test_the_command_line_runs_a_task_on_ray(tmp_path, capsys):
    """`rageval run TASK --backend ray` connects to the running cluster and prints the local run's values."""
    from rageval.cli import main

    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows(60)))
    task = tmp_path / "task.yaml"
    task.write_text(f"name: t\ndata:\n  path: {data}\nscorers: [bleu, token_f1, ndcg@10]\n")
    assert main(["run", str(task), "--no-intervals", "--format", "json"]) == 0
    local = json.loads(capsys.readouterr().out)
    assert main(["run", str(task), "--no-intervals", "--format", "json", "--backend", "ray"]) == 0
    assert json.loads(capsys.readouterr().out) == local
