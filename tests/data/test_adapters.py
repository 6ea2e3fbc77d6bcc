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
