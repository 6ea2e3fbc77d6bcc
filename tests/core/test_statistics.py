"""The statistics kinds: one interface (take, concat, missing, Arrow round trip, aligned), and a
ragged-statistics scorer through a run directory, resume, merge and bootstrap."""
from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import rageval
from rageval.core.scorer import Scorer
from rageval.core.statistics import KINDS, Coded, Ragged, Records, Rows
from rageval.stats.resampling import Replicator, bootstrap_indices


def random_kind(kind, rng, n):
    if kind is Rows:
        return Rows(rng.normal(size=(n, 3)))
    if kind is Ragged:
        return Ragged.from_arrays([rng.normal(size=(int(rng.integers(0, 5)), 2)) for _ in range(n)], width=2)
    if kind is Records:
        return Records([{"claims": ["ü" * int(rng.integers(0, 3))], "v": float(rng.random())} for _ in range(n)])
    labels = [f"l{int(x)}" for x in rng.integers(0, 6, size=(n, 2)).ravel()]
    return Coded.encode([labels[0::2], labels[1::2]], values=rng.random((n, 1)))


def as_python(stats, i):
    """Example ``i`` of any kind, decoded (comparable across codings)."""
    if isinstance(stats, Coded):
        return [stats.vocab[c] for c in stats.codes[i]], stats.values[i].tolist()
    if isinstance(stats, (Rows, Ragged)):
        return np.asarray(stats[i]).tolist()
    return stats[i]


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=lambda k: k.__name__)
@pytest.mark.parametrize("seed", range(4))
def test_take_concat_and_arrow_round_trip_agree_for_every_kind(kind, seed, tmp_path):
    rng = np.random.default_rng(seed)
    parts = [random_kind(kind, rng, int(rng.integers(0, 12))) for _ in range(4)]
    whole = kind.concat(parts)
    flat = [as_python(p, i) for p in parts for i in range(len(p))]
    assert len(whole) == len(flat) and [as_python(whole, i) for i in range(len(whole))] == flat
    index = rng.integers(0, max(len(whole), 1), size=7) if len(whole) else np.array([], int)
    assert [as_python(whole.take(index), i) for i in range(len(index))] == [flat[i] for i in index]
    # Parquet round trip, through the prefixed column names a part file uses
    cols = whole.to_arrow("my.key@10")
    assert all(name.startswith(f"{kind.prefix}.my.key@10") for name in cols)
    pq.write_table(pa.table(cols) if cols else pa.table({"x": pa.array([], pa.int8())}), tmp_path / "s.parquet")
    table = pq.read_table(tmp_path / "s.parquet")
    back = kind.from_arrow({name[len(f"{kind.prefix}.my.key@10") + 1:]: table.column(name) for name in cols})
    if len(whole):
        assert [as_python(back, i) for i in range(len(back))] == flat


def test_placeholders_concatenate_with_real_rows():
    rows = Rows.concat([Rows(np.ones((2, 3))), Rows.missing(2)])
    assert rows.values.shape == (4, 3) and np.isnan(rows.values[2:]).all()
    ragged = Ragged.concat([Ragged.missing(1), Ragged.from_arrays([[[1.0, 2.0]], []], width=2)])
    assert len(ragged) == 3 and ragged.lengths.tolist() == [0, 1, 0]
    coded = Coded.concat([Coded.encode([["a"], ["b"]]), Coded.missing(1)])
    assert coded.codes.tolist() == [[0, 1], [-1, -1]] and coded.labels(0) == ["a", None]
    assert Records.concat([Records([{"a": 1}]), Records.missing(1)]).items == [{"a": 1}, None]


def test_codes_from_runs_with_different_labels_mean_the_same_after_concat_and_aligned():
    a = Coded.encode([["a", "b", "h"], ["b", "b", "a"]])
    b = Coded.encode([["e", "h"], ["h", "x"]])
    both = Coded.concat([a, b])
    assert both.vocab == ("a", "b", "e", "h", "x")
    assert both.labels(0) == ["a", "b", "h", "e", "h"] and both.labels(1) == ["b", "b", "a", "h", "x"]
    a2, b2 = a.aligned(b)
    assert a2.vocab == b2.vocab == both.vocab and a2.labels(0) == a.labels(0) and b2.labels(1) == b.labels(1)
    with pytest.raises(rageval.IncompatibleError, match="mix types"):
        Coded.concat([a, Coded.encode([[1], [2]])])


def test_invalid_entries_are_reported_by_position():
    assert list(Rows(np.array([[1.0], [math.inf], [math.nan]])).invalid()) == [1, 2]
    assert list(Ragged.from_arrays([[1.0], [2.0, math.nan], []]).invalid()) == [1]


def test_torch_tensors_with_grad_become_rows():
    torch = pytest.importorskip("torch", reason="torch is a core dependency; its absence is a broken install")
    t = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True) * 2
    assert Rows.coerce(t).values.tolist() == [[2.0, 4.0], [6.0, 8.0]]
    assert Ragged.coerce([t[0], t[1, :1]]).lengths.tolist() == [2, 1]


# --- a ragged-statistics scorer end to end ---------------------------------------------------
class MedianItem(Scorer):
    """Toy ragged scorer: each example holds its items' (value, weight) rows; the metric is the
    weighted share of items whose value exceeds 0.5, over all items of the examples reduced."""

    name = "median_item"
    fields = ("y_score",)
    stats_kind = Ragged

    def stats(self, batch):
        return Ragged.from_arrays([np.column_stack([v, np.ones(len(v))]) if len(v) else np.empty((0, 2))
                                   for v in (np.asarray(x, float).reshape(-1) for x in batch["y_score"])], width=2)

    def reduce(self, stats):
        v = stats.values
        return {self.key: float((v[:, 0] > 0.5) @ v[:, 1] / v[:, 1].sum()) if len(v) else math.nan}


def brute(rows):
    items = [x for r in rows for x in r["y_score"]]
    return float(np.mean([x > 0.5 for x in items])) if items else math.nan


def test_a_ragged_scorer_round_trips_through_run_directory_resume_merge_and_bootstrap(tmp_path):
    rng = np.random.default_rng(0)
    rows = [{"id": f"q{i}", "y_score": rng.random(int(rng.integers(0, 6))).tolist()} for i in range(90)]
    one = rageval.evaluate(rows, [MedianItem()], progress=False)
    assert one.aggregate["median_item"] == pytest.approx(brute(rows), rel=1e-12)
    # run directory, killed after the first parts: resume loses and duplicates nothing
    run = tmp_path / "run"
    rageval.evaluate(rows[:40], [MedianItem()], output=run, batch_size=16, progress=False)
    table = pq.read_table(next((run / "examples").iterdir()))
    assert pa.types.is_list(table.schema.field("ragged.median_item.0").type)  # Arrow lists, not JSON
    back = rageval.load_results(run, scorers=[MedianItem()])
    assert back.aggregate == pytest.approx(rageval.evaluate(rows[:40], [MedianItem()], progress=False).aggregate)
    # merge of shards (one loaded back from disk) equals the one-shot run
    shards = [back, rageval.evaluate(rows[40:41], [MedianItem()], progress=False),
              rageval.evaluate(rows[41:], [MedianItem()], progress=False)]
    merged = rageval.merge(shards)
    assert merged.ids == one.ids and merged.aggregate == pytest.approx(one.aggregate, rel=1e-12)
    # bootstrap: every resample reduces to the brute-force value on that resample
    reps = Replicator(MedianItem(), one.by_scorer["median_item"].stats).bootstrap(30, seed=3)["median_item"]
    for i, idx in enumerate(next(bootstrap_indices(len(rows), 30, 3))):
        assert reps[i] == pytest.approx(brute([rows[j] for j in idx]), rel=1e-12, nan_ok=True)
    assert merged.confidence_intervals(n=50) == one.confidence_intervals(n=50)


def test_a_resumed_ragged_run_equals_the_one_shot_run(tmp_path):
    rng = np.random.default_rng(1)
    rows = [{"id": f"q{i}", "y_score": rng.random(int(rng.integers(0, 4))).tolist()} for i in range(50)]
    run = tmp_path / "run"
    rageval.evaluate(rows, [MedianItem()], output=run, batch_size=10, progress=False)
    parts = sorted((run / "examples").iterdir())
    parts[1].unlink()  # a part lost: its examples are scored again, and no other part is overwritten
    before = {p.name: p.read_bytes() for p in parts if p.exists()}
    res = rageval.evaluate(rows, [MedianItem()], output=run, batch_size=10, progress=False)
    assert all((run / "examples" / name).read_bytes() == data for name, data in before.items())
    assert len(res) == 50 and res.aggregate["median_item"] == pytest.approx(brute(rows), rel=1e-12)
    again = rageval.load_results(run, scorers=[MedianItem()])
    assert sorted(again.ids) == sorted(r["id"] for r in rows) and again.aggregate == pytest.approx(res.aggregate)
