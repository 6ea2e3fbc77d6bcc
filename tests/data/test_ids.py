"""Example ids: default ids (row numbers, kept lazy) and integer id columns give exactly what the
same ids written as strings give, in memory, in run directories and after loading."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import rageval
from rageval.core.ids import IntIds, TextIds
from rageval.core.scorer import MeanScorer
from rageval.stats import compare


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"y_true": rng.integers(0, 2, n), "y_score": rng.random(n),
                         "y_pred": rng.integers(0, 2, n)})


SCORERS = ["roc_auc", "accuracy", ("f1", {"average": "macro"})]


def _same(a: rageval.Results, b: rageval.Results) -> None:
    assert list(a.ids) == list(b.ids)
    assert dict(a.aggregate) == dict(b.aggregate)
    pd.testing.assert_frame_equal(a.to_pandas(), b.to_pandas())


@pytest.mark.parametrize("batch_size", [None, 7, 1000])
def test_default_ids_are_row_numbers_and_stay_lazy(batch_size):
    df = _frame(250)
    lazy = rageval.evaluate(df, SCORERS, batch_size=batch_size, progress=False)
    named = rageval.evaluate(df.assign(id=[str(i) for i in range(250)]), SCORERS, batch_size=batch_size,
                             progress=False)
    assert isinstance(lazy.ids, IntIds) and lazy.ids == [str(i) for i in range(250)]
    _same(lazy, named)
    assert lazy.confidence_intervals(n=50) == named.confidence_intervals(n=50)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint64", "uint8"])
def test_an_integer_id_column_equals_the_same_ids_as_strings(dtype):
    n = 200
    df = _frame(n, 1)
    values = (np.random.default_rng(2).permutation(n if dtype == "uint8" else 10**6)[:n]).astype(dtype)
    if dtype == "int64":
        values[:3] = [-5, 2**62, -(2**62)]
    as_int = rageval.evaluate(df.assign(id=values), SCORERS, progress=False)
    as_str = rageval.evaluate(df.assign(id=[str(v) for v in values.tolist()]), SCORERS, progress=False)
    assert list(as_int.ids) == [str(v) for v in values.tolist()] and isinstance(as_int.ids, IntIds)
    _same(as_int, as_str)


def test_integer_looking_string_ids_load_as_integers_only_when_they_round_trip(tmp_path):
    df = _frame(4)
    for ids, lazy in ((["10", "-3", "0", str(2**63 - 1)], True), (["10", "3", "0", str(2**64 - 1)], True),
                      (["-1", "3", "0", str(2**64 - 1)], False), (["007", "1", "2", "3"], False),
                      (["+1", "2", "3", "4"], False), (["1", "2", "3", "1e3"], False)):
        res = rageval.evaluate(df.assign(id=ids), ["accuracy"], progress=False)
        back = rageval.load_results(res.save(tmp_path / "-".join(ids)))
        assert list(back.ids) == ids and isinstance(back.ids, IntIds if lazy else TextIds)
        _same(res, back)


@pytest.mark.parametrize("ids", [[5, 3, 9, 3, 5], ["5", "3", "9", "3", "5"]])
def test_a_duplicate_id_names_the_row_of_its_second_occurrence(ids):
    df = _frame(5).assign(id=np.array(ids) if isinstance(ids[0], int) else ids)
    with pytest.raises(rageval.FieldError, match=r"'id'.* at row 3: duplicate id '3'"):
        rageval.evaluate(df, ["accuracy"], progress=False)


def test_default_ids_in_a_run_directory_and_back(tmp_path):
    df = _frame(300)
    res = rageval.evaluate(df, SCORERS, output=tmp_path / "run", batch_size=64, progress=False)
    table = pq.read_table(sorted((tmp_path / "run" / "examples").glob("*.parquet"))[0])
    assert table.column("id").to_pylist()[:3] == ["0", "1", "2"] and str(table.schema.field("id").type) == "string"
    back = rageval.load_results(tmp_path / "run")
    assert isinstance(back.ids, IntIds)  # consecutive default ids load lazily again
    _same(res, back)
    saved = rageval.load_results(res.save(tmp_path / "saved"))
    _same(res, saved)
    again = rageval.evaluate(df, SCORERS, output=tmp_path / "run", batch_size=64, progress=False)  # resumes
    _same(res, again)


def test_ids_that_only_look_like_row_numbers_load_as_written(tmp_path):
    df = _frame(4).assign(id=["0", "1", "2", "x"])
    res = rageval.evaluate(df, ["accuracy"], progress=False)
    back = rageval.load_results(res.save(tmp_path / "r"))
    assert isinstance(back.ids, TextIds) and back.ids == ["0", "1", "2", "x"]


class _FailsOnX(MeanScorer):
    name = "fails_on_x"
    fields = ("answer",)

    def score_batch(self, batch):
        if "x" in batch["answer"]:
            raise ValueError("no x")
        return [1.0] * len(batch["answer"])


def test_errors_and_merge_with_default_ids():
    rows = [{"answer": "a"}, {"answer": "x"}, {"answer": "c"}]
    res = rageval.evaluate(rows, [_FailsOnX()], progress=False)
    assert isinstance(res.ids, IntIds) and list(res.errors["id"]) == ["1"]
    assert res.by_scorer["fails_on_x"].ids == ["0", "2"] and res.aggregate.counts["fails_on_x"] == (2, 3)
    other = rageval.evaluate([{"id": "z", "answer": "q"}], [_FailsOnX()], progress=False)
    merged = rageval.merge([res, other])
    assert list(merged.ids) == ["0", "1", "2", "z"] and merged.aggregate.counts["fails_on_x"] == (3, 4)
    assert list(merged.errors["id"]) == ["1"]
    with pytest.raises(ValueError, match="share example ids"):
        rageval.merge([res, res])


def test_paired_comparison_aligns_default_ids():
    df = _frame(120)
    a = rageval.evaluate(df, ["accuracy"], progress=False)
    b = rageval.evaluate(df.assign(y_pred=1 - df.y_pred), ["accuracy"], progress=False)
    named = [rageval.evaluate(d.assign(id=[str(i) for i in range(120)]), ["accuracy"], progress=False)
             for d in (df, df.assign(y_pred=1 - df.y_pred))]
    assert compare(a, b, n=200) == compare(*named, n=200)


def _stream(rows):
    """An IterableDataset-like stream: a generator function's rows, never a table."""
    import datasets

    return datasets.IterableDataset.from_generator(lambda: iter(rows))


@pytest.mark.parametrize("batch_size", [1, 4, 1000])
def test_a_stream_keeps_its_ids_compact_and_equal_to_the_table_run(batch_size, tmp_path):
    rows = [{"id": f"q{i}\u00e9", "y_true": i % 2, "y_pred": (i // 3) % 2} for i in range(23)]
    streamed = rageval.evaluate(_stream(rows), ["accuracy"], batch_size=batch_size, progress=False)
    table = rageval.evaluate(rows, ["accuracy"], batch_size=batch_size, progress=False)
    assert isinstance(streamed.ids, TextIds) and type(table.ids) is list
    _same(streamed, table)
    out = rageval.evaluate(_stream(rows), ["accuracy"], batch_size=batch_size, output=tmp_path / "run",
                           progress=False)
    _same(out, rageval.load_results(tmp_path / "run"))


@pytest.mark.parametrize("batch_size", [1, 3, 5, 1000])
def test_a_duplicate_id_across_a_streams_batches_names_its_row(batch_size):
    rows = [{"id": x, "y_true": 1, "y_pred": 1} for x in ["a", "b", "c", "d", "e", "f", "c", "g", "a"]]
    with pytest.raises(rageval.FieldError, match=r"'id'.* at row 6: duplicate id 'c'"):
        rageval.evaluate(_stream(rows), ["accuracy"], batch_size=batch_size, progress=False)


def _colliding(monkeypatch, ids: set[str] | None = None) -> None:
    """Every text id in ``ids`` (all of them if None) hashes to 7 (`text_hashes` of Arrow ids and
    Python's `hash` of listed ones, as the adapters call them)."""
    from rageval.core.ids import text_hashes
    from rageval.data import adapters

    def hashes(array):
        real = text_hashes(array)
        hit = np.ones(len(real), bool) if ids is None else np.isin(np.array(array.to_pylist(), object), list(ids))
        return np.where(hit, 7, real)

    monkeypatch.setattr(adapters, "text_hashes", hashes)
    monkeypatch.setattr(adapters, "hash", lambda x: 7 if ids is None or x in ids else hash(x), raising=False)


def test_seen_ids_tell_a_hash_collision_from_a_duplicate(monkeypatch):
    """Ids whose hashes are equal but which differ are no duplicates; the same id later is refused
    with its row."""
    from rageval.data.adapters import SeenIds

    _colliding(monkeypatch, {"x", "y", "z", "w"})
    seen = SeenIds("key")
    first = seen.add(["x", "y"], 0)
    assert first == ["x", "y"] and isinstance(first, TextIds)
    assert seen.add(["z"], 2) == ["z"]  # hash 7 seen before: checked, not a duplicate
    for k in range(3, 40):
        seen.add([f"n{k}"], k)
    with pytest.raises(rageval.FieldError, match=r"'key'.* at row 41: duplicate id 'y'"):
        seen.add(["w", "y"], 40)
    # each run sorted (compared pairwise: np.diff of two 64-bit hashes can overflow and wrap negative)
    assert sum(len(r) for r in seen.runs) == 40 and all(np.all(r[1:] >= r[:-1]) for r in seen.runs)
    assert len(seen.runs) <= 7  # sorted runs merge: about log2(batches) of them


@pytest.mark.parametrize("batch_size", [1, 2, 7])
def test_a_stream_tells_a_hash_collision_from_a_duplicate_by_reading_its_ids_again(monkeypatch, batch_size):
    """A stream keeps only its ids' hashes: a hash seen before sends it back to the source for the
    earlier ids (every id here hashes alike), which tell a collision from a duplicate."""
    import rageval.data.adapters as adapters

    reads = []
    real = adapters.Source._ids_before

    def counted(self, stop):
        reads.append(stop)
        return real(self, stop)

    monkeypatch.setattr(adapters.Source, "_ids_before", counted)
    _colliding(monkeypatch)  # every id collides
    rows = [{"id": x, "y_true": 1, "y_pred": i % 2} for i, x in enumerate("abcdefgh")]
    res = rageval.evaluate(_stream(rows), ["accuracy"], batch_size=batch_size, progress=False)
    assert list(res.ids) == list("abcdefgh") and reads  # collisions checked, none a duplicate
    seen = adapters.SeenIds("id", earlier=lambda stop: iter("abcdefgh"[:stop]))
    seen.add(list("abcdefgh"), 0)
    assert seen.ids == []  # not kept: read again when needed
    with pytest.raises(rageval.FieldError, match=r"at row 10: duplicate id 'c'"):
        seen.add(list("xyc"), 8)
    rows[6]["id"] = "b"
    with pytest.raises(rageval.FieldError, match=r"'id'.* at row 6: duplicate id 'b'"):
        rageval.evaluate(_stream(rows), ["accuracy"], batch_size=batch_size, progress=False)


def test_seen_ids_refuse_an_id_twice_in_one_batch_at_its_first_repeat(monkeypatch):
    """A batch (a Ray part) may repeat an id itself: the first row that repeats an earlier row's id,
    in this batch or an earlier one, is named (its ``rows`` where they are not consecutive)."""
    from rageval.data.adapters import SeenIds

    seen = SeenIds("id")
    seen.add(["a", "b"], 0)
    with pytest.raises(rageval.FieldError, match=r"at row 4: duplicate id 'c'"):
        seen.add(["c", "d", "c", "a"], 2)  # 'c' again (row 4) before 'a' again (row 5)
    with pytest.raises(rageval.FieldError, match=r"at row 12: duplicate id 'a'"):
        seen.add(["e", "a", "e"], 10, rows=[10, 12, 15])  # 'a' of an earlier batch comes first
    _colliding(monkeypatch, {"x", "y", "z"})
    with pytest.raises(rageval.FieldError, match=r"at row 22: duplicate id 'y'"):
        SeenIds("id").add(["x", "y", "y"], 20)  # equal hashes: the strings decide
    assert SeenIds("id").add(["x", "y", "z"], 0) == ["x", "y", "z"]


@pytest.mark.parametrize("dtype", ["str", object])
def test_a_table_of_string_ids_is_checked_by_hash_and_a_collision_is_no_duplicate(monkeypatch, dtype):
    """A table's string ids are checked unique by their sorted hashes: equal hashes alone (every id
    colliding) are no duplicate; a real one is named at its second row, also deep in a large column.
    ``str``: pandas' Arrow-backed strings, kept as Arrow (`TextIds`, hashed from the buffers);
    ``object``: Python strings, made Arrow."""
    n = 5000
    ids = [f"doc-{i:05d}-é" for i in range(n)]  # non-ASCII

    def frame(k, column):
        return _frame(k).assign(id=pd.Series(column, dtype=dtype))

    res = rageval.evaluate(frame(n, ids), ["accuracy"], progress=False)
    assert list(res.ids) == ids and isinstance(res.ids, TextIds)  # object strings made Arrow too
    for first, second in ((17, 4321), (0, n - 1), (n - 2, n - 1)):
        dup = list(ids)
        dup[second] = dup[first]
        with pytest.raises(rageval.FieldError, match=rf"'id'.* at row {second}: duplicate id '{dup[first]}'"):
            rageval.evaluate(frame(n, dup), ["accuracy"], progress=False)
    _colliding(monkeypatch)  # every id collides
    assert list(rageval.evaluate(frame(50, ids[:50]), ["accuracy"], progress=False).ids) == ids[:50]
    with pytest.raises(rageval.FieldError, match=r"'id'.* at row 9: duplicate id 'doc-00002-é'"):
        rageval.evaluate(frame(50, ids[:9] + ids[2:43]), ["accuracy"], progress=False)


@pytest.mark.parametrize("dtype", ["str", object])
def test_a_string_id_column_with_a_missing_or_bad_value_names_its_row(dtype):
    ids = pd.Series(["a", "b", None, "d"], dtype=dtype)
    with pytest.raises(rageval.FieldError, match=r"'id'.* at row 2: missing value"):
        rageval.evaluate(_frame(4).assign(id=ids), ["accuracy"], progress=False)
    if dtype is object:  # not all strings, or not UTF-8: the checked list path, as before
        mixed = rageval.evaluate(_frame(4).assign(id=pd.Series(["a", 7, np.str_("c"), "d"], dtype=object)),
                                 ["accuracy"], progress=False)
        assert list(mixed.ids) == ["a", "7", "c", "d"]
        with pytest.raises(rageval.FieldError, match=r"'id'.* at row 1: .*surrogate"):
            rageval.evaluate(_frame(4).assign(id=pd.Series(["a", "b\ud800", "c", "d"], dtype=object)),
                             ["accuracy"], progress=False)
        assert isinstance(rageval.evaluate(_frame(2).assign(id=pd.Series([np.str_("x"), "y"], dtype=object)),
                                           ["accuracy"], progress=False).ids, TextIds)


def _texts(seed: int = 0) -> list[str]:
    """Distinct strings that a weak hash confuses: every length from 0 to 90 bytes, one byte changed
    at each position, two at each pair of positions, long strings alike but for their middle, shared prefixes and suffixes,
    non-ASCII, NUL bytes."""
    rng = np.random.default_rng(seed)
    base = "".join(chr(c) for c in rng.integers(97, 123, 90))
    out = {base[:k] for k in range(91)}
    for k in (7, 8, 9, 16, 17, 63, 64, 65, 90):
        for i in range(k):
            out.add(base[:i] + "#" + base[i + 1:k])
    for k in (24, 72):  # two bytes changed: every pair of positions (a word's top byte with another's)
        for i in range(k):
            out |= {base[:i] + "#" + base[i + 1:j] + "#" + base[j + 1:k] for j in range(i + 1, k)}
    out |= {f"https://example.org/a/long/path/{i}/document.html?lang=en-US&ref=abcdef" for i in range(3000)}
    out |= {f"q{i}" for i in range(3000)} | {f"é{i}\0ß" for i in range(500)} | {"\0", "\0\0", "\0a", "a\0"}
    return sorted(out)


def test_text_hashes_are_equal_for_equal_strings_in_any_array_and_distinct_otherwise():
    """`text_hashes` reads Arrow's buffers: equal strings hash equal whether the array is a slice,
    chunked, large or not, and whatever else it holds (a stream's batches compare their hashes);
    these distinct strings hash distinct."""
    import pyarrow as pa

    from rageval.core.ids import text_hashes

    texts = _texts()
    whole = text_hashes(pa.array(texts))
    assert whole.dtype == np.int64 and len(set(whole.tolist())) == len(texts)
    one_by_one = [int(text_hashes(pa.array([t]))[0]) for t in texts[::37]]
    assert one_by_one == whole[::37].tolist()
    assert np.array_equal(text_hashes(pa.array(texts, pa.large_string())), whole)
    chunked = pa.chunked_array([texts[:100], [], texts[100:1001], texts[1001:]])
    assert np.array_equal(text_hashes(chunked), whole)
    for lo, hi in ((0, 0), (5, 6), (len(texts) - 3, len(texts)), (1000, 2500)):  # slices, to the buffer's end
        assert np.array_equal(text_hashes(pa.array(texts).slice(lo, hi - lo)), whole[lo:hi])
    for k in (0, 5, 8, 24, 72):  # strings of one length: their words read as strided views
        rows = [i for i, t in enumerate(texts) if len(t.encode()) == k]
        assert rows and np.array_equal(text_hashes(pa.array([texts[i] for i in rows])), whole[rows])
    assert text_hashes(pa.chunked_array([], pa.string())).shape == (0,)
    assert len(set(text_hashes(pa.array(["", "", "a"])).tolist())) == 2


def test_an_arrow_backed_string_column_of_one_or_more_chunks_is_read_whole():
    import pyarrow as pa

    from rageval.data.adapters import _pandas_column

    texts = ["a", None, "ß", "q\u00e9", ""]
    for chunks in ([texts], [texts[:2], texts[2:]], [texts[:1], [], texts[1:]]):
        series = pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array(chunks, pa.large_string())))
        assert getattr(series.dtype, "storage", None) == "pyarrow"
        assert _pandas_column(series) == texts
    assert _pandas_column(pd.Series(texts[2:], dtype="str")) == texts[2:]


def test_a_datasets_table_keeps_string_ids_as_arrow_and_numbers_as_arrays():
    """A `datasets.Dataset` gives its string id column as Arrow (`TextIds`, checked from its buffers)
    and its number columns as numpy arrays, also for a selection of its rows (``select``,
    ``shuffle``, ``filter``, a split, ``limit=``: taken from its table by pyarrow); each scores as
    the same rows in a DataFrame, and a duplicate or missing id names its row."""
    import datasets

    from rageval.data.adapters import load_source

    n = 300
    frame = _frame(n).assign(id=[f"ex-{i}-ü" for i in range(n)], answer=["a b"] * n)
    data = datasets.Dataset.from_pandas(frame, preserve_index=False)
    table = load_source(data).table
    assert isinstance(table["y_score"], np.ndarray) and isinstance(table["answer"], list)
    whole = rageval.evaluate(data, SCORERS, progress=False)
    assert isinstance(whole.ids, TextIds) and list(whole.ids) == list(frame["id"])
    assert whole.aggregate == rageval.evaluate(frame, SCORERS, progress=False).aggregate
    picked = rageval.evaluate(data.select(range(0, n, 3)), SCORERS, progress=False)
    assert list(picked.ids) == list(frame["id"][::3])
    assert picked.aggregate == rageval.evaluate(frame[::3], SCORERS, progress=False).aggregate
    for chosen in (data.shuffle(seed=1), data.filter(lambda r: r["y_true"] == 1),
                   data.train_test_split(test_size=0.3, seed=2)["test"]):  # selections of rows, in their order
        got = rageval.evaluate(chosen, SCORERS, progress=False)
        want = rageval.evaluate(chosen.to_pandas(), SCORERS, progress=False)
        assert list(got.ids) == list(want.ids) and got.aggregate == want.aggregate
    assert list(rageval.evaluate(data, SCORERS, limit=7, progress=False).ids) == list(frame["id"][:7])
    dup = frame.assign(id=[f"ex-{i % 250}-ü" for i in range(n)])
    with pytest.raises(rageval.FieldError, match=r"'id'.* at row 250: duplicate id 'ex-0-ü'"):
        rageval.evaluate(datasets.Dataset.from_pandas(dup, preserve_index=False), SCORERS, progress=False)
    gap = datasets.Dataset.from_dict({**frame.drop(columns="id").to_dict("list"),
                                      "id": [None if i == 123 else f"x{i}" for i in range(n)]})
    with pytest.raises(rageval.FieldError, match=r"'id'.* at row 123: missing value"):
        rageval.evaluate(gap, SCORERS, progress=False)


@pytest.mark.parametrize("dtype", [np.int64, np.uint64, np.int32])
def test_integer_ids_are_the_columns_numbers_then_even_if_the_column_changes(dtype):
    """Integer ids are held as one array, copied once from the user's column (not on every slice
    and join inside the run): changing the column afterwards leaves the results' ids as they were."""
    numbers = np.arange(10, 40, dtype=dtype)
    frame = _frame(30).assign(id=numbers)
    res = rageval.evaluate(frame, ["accuracy"], batch_size=7, progress=False)
    numbers[:] = 0
    frame["id"] = 0
    assert list(res.ids) == [str(i) for i in range(10, 40)] and res.ids[3:5] == ["13", "14"]


def test_a_datasets_json_feature_is_decoded_as_datasets_decodes_it():
    """A column of datasets' ``Json`` feature (stored as JSON text; mixed types) reads as
    ``Dataset.to_dict`` gives it: the decoded objects (here id -> grade dicts)."""
    import datasets

    rows = [{"id": f"q{i}", "retrieved_ids": [f"d{j}" for j in range(i % 5 + 1)],
             "relevant_ids": {f"d{i % 3}": 1 + i % 2}} for i in range(40)]
    features = datasets.Features({"id": datasets.Value("string"), "retrieved_ids": datasets.List(datasets.Value("string")),
                                  "relevant_ids": datasets.Json()})
    data = datasets.Dataset.from_list(rows, features=features)
    assert data.data.table.schema.field("relevant_ids").type != data.features["id"].pa_type  # JSON text in Arrow
    for chosen, want in ((data, rows), (data.select(range(0, 40, 3)), rows[::3])):
        got = rageval.evaluate(chosen, ["ndcg@10", "mrr"], progress=False)
        ref = rageval.evaluate(want, ["ndcg@10", "mrr"], progress=False)
        assert list(got.ids) == list(ref.ids) and got.aggregate == ref.aggregate
