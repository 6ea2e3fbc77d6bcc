"""File readers (`rageval.data.adapters`): a file that is not UTF-8 text is named with its line, and
``encoding=`` reads it (issue 11, item 9)."""
import pytest

import rageval
from rageval.core.errors import ConfigError
from rageval.data.adapters import load_source

LATIN1 = {
    "jsonl": (b'{"answer": "ok", "reference": "ok"}\n{"answer": "caf\xe9", "reference": "caf\xe9"}\n', 2),
    "json": (b'[{"answer": "ok", "reference": "ok"},\n {"answer": "caf\xe9", "reference": "caf\xe9"}]\n', 2),
    "csv": (b"answer,reference\nok,ok\ncaf\xe9,caf\xe9\n", 3),
}


@pytest.mark.parametrize("ext", sorted(LATIN1))
def test_a_latin1_byte_names_the_file_and_line(tmp_path, ext):
    content, line = LATIN1[ext]
    path = tmp_path / f"data.{ext}"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as err:
        load_source(str(path))
    message = str(err.value)
    assert message.startswith(f"{path}, line {line}: not valid utf-8 text") and "encoding=" in message
    assert "\n" not in message
    with pytest.raises(ConfigError, match=rf"line {line}: not valid utf-8"):
        rageval.evaluate(str(path), ["exact_match"], progress=False)
    # encoding= reads it, in load_source and in evaluate
    assert load_source(str(path), encoding="latin-1").canonical(["answer"])["answer"] == ["ok", "café"]
    assert rageval.evaluate(str(path), ["exact_match"], progress=False, encoding="latin-1").aggregate[
        "exact_match"] == 1


def test_the_line_is_found_far_into_a_file_and_in_utf16(tmp_path):
    path = tmp_path / "long.jsonl"
    path.write_bytes(b'{"answer": "a", "reference": "a"}\n' * 5000 + b'{"answer": "\xff"}\n')
    with pytest.raises(ConfigError, match=r"long.jsonl, line 5001: not valid utf-8 text"):
        load_source(str(path))
    wide = tmp_path / "wide.jsonl"
    wide.write_bytes('{"answer": "é", "reference": "é"}\n'.encode("utf-16"))
    assert load_source(str(wide), encoding="utf-16").canonical(["answer"])["answer"] == ["é"]


def test_an_unknown_encoding_is_a_config_error(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"answer": "a"}\n')
    with pytest.raises(ConfigError, match=r"unknown text encoding 'klingon'"):
        load_source(str(path), encoding="klingon")


# --- adapters are entries of a Registry -----------------------------------------------------------

def test_every_built_in_kind_is_a_registered_adapter_and_unknown_data_names_them():
    from rageval.data.adapters import ADAPTERS

    assert set(ADAPTERS.names()) >= {"datasets.Dataset", "datasets.DatasetDict", "datasets.IterableDataset",
                                     "pandas.DataFrame", "builtins.list", ".jsonl", ".json", ".csv", ".parquet"}
    with pytest.raises(ConfigError) as err:
        load_source({"answer": ["a"]})
    assert "unsupported data of type builtins.dict" in str(err.value)
    assert all(name in str(err.value) for name in ADAPTERS.names())


def test_a_subclass_of_a_known_kind_uses_its_adapter():
    class Rows(list):
        pass

    assert load_source(Rows([{"answer": "a"}, {"answer": "b"}])).canonical(["answer"])["answer"] == ["a", "b"]


def test_an_unknown_file_extension_names_the_known_ones(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_text("x")
    with pytest.raises(ConfigError, match=r"unsupported file type \.xlsx; known: \.jsonl, \.json, \.csv, \.parquet"):
        load_source(str(path))


def test_a_plugin_adds_an_adapter_through_an_entry_point(tmp_path, monkeypatch):
    """A package registers an adapter for its own data type and for a file extension under the
    entry-point group ``rageval.adapters``; built-in names win over a plugin's."""
    (tmp_path / "tableplug.py").write_text(
        "from rageval.data.adapters import Source, from_rows\n"
        "class Table:\n"
        "    def __init__(self, **columns):\n"
        "        self.columns = columns\n"
        "def from_table(data, columns, *, split=None, limit=None, encoding='utf-8'):\n"
        "    return Source(columns, table={k: list(v)[:limit] for k, v in data.columns.items()}, origin='table')\n"
        "def read_tsv(path, columns, *, split=None, limit=None, encoding='utf-8'):\n"
        "    with open(path, encoding=encoding) as fh:\n"
        "        head, *rows = [line.rstrip('\\n').split('\\t') for line in fh]\n"
        "    return from_rows([dict(zip(head, r)) for r in rows], columns, limit=limit)\n"
        "def hijack(*args, **kwargs):\n"
        "    raise AssertionError('a plugin must not replace a built-in adapter')\n")
    info = tmp_path / "tableplug-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tableplug\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[rageval.adapters]\ntableplug.Table = tableplug:from_table\n"
                                           ".tsv = tableplug:read_tsv\nbuiltins.list = tableplug:hijack\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import tableplug

    table = tableplug.Table(answer=["a", "b", "c"], reference=["a", "x", "c"])
    res = rageval.evaluate(table, ["exact_match"], progress=False)
    assert res.aggregate["exact_match"] == pytest.approx(2 / 3)
    assert load_source(table, limit=2).canonical(["answer"])["answer"] == ["a", "b"]
    tsv = tmp_path / "data.tsv"
    tsv.write_text("answer\treference\nx\tx\ny\tz\n")
    res = rageval.evaluate(str(tsv), ["exact_match"], progress=False)
    assert res.aggregate["exact_match"] == 0.5
    assert load_source(str(tsv)).origin == f"file:{tsv}"
    assert load_source([{"answer": "a"}]).canonical(["answer"])["answer"] == ["a"]  # built-in wins
