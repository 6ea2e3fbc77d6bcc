"""The dataset fingerprint: unambiguous, and blind to how text cells were typed."""
from __future__ import annotations

import numpy as np
import pytest

from rageval.data.fingerprint import VERSION, fingerprint, legacy_fingerprint

DISTINCT = [  # columns that must all hash differently from one another
    {"a": ["x", "y"]}, {"a": ["xy"]}, {"a": ["x\0y"]}, {"a": ["x", "", "y"]}, {"a": ["", "xy"]},
    {"a": [["x", "y"]]}, {"a": [["x"], ["y"]]}, {"a": [["x", "y"], []]}, {"a": [[], ["x", "y"]]}, {"a": [[""]]},
    {"a": [[]]}, {"a": [["x\0y"]]}, {"a": [["x\0", "y"]]}, {"a": [{"x": 1, "y": 2}]}, {"a": [{"x": 2, "y": 1}]},
    {"a": [{"x\0y": 1}]}, {"a": [1, 2]}, {"a": ["1", "2"]}, {"b": ["x", "y"]}, {"a": ["x", "y"], "b": ["z"]},
    {"a": ["é"]}, {"a": ["e\u0301"]},
]


def test_different_columns_hash_differently():
    prints = [fingerprint(c) for c in DISTINCT]
    assert len(set(prints)) == len(prints)
    assert all(p.startswith(VERSION) for p in prints)


@pytest.mark.parametrize("column", [["x", "y", "東京"], [["x", "y"], [], ["z\0"]], [{"d1": 1, "d2": 0.5}, {}]])
def test_numpy_text_hashes_as_plain_text(column):
    def typed(v):
        if isinstance(v, str):
            return np.str_(v)
        if isinstance(v, list):
            return [np.str_(x) for x in v]
        return {np.str_(k): g for k, g in v.items()}

    assert fingerprint({"f": [typed(v) for v in column]}) == fingerprint({"f": column})
    assert legacy_fingerprint({"f": [typed(v) for v in column]}) == legacy_fingerprint({"f": column})


def test_surrogates_and_non_text_items_still_hash():
    assert fingerprint({"a": ["\ud800"]}) != fingerprint({"a": ["\ud801"]})
    assert fingerprint({"a": [["x", 1]]}) != fingerprint({"a": [["x", "1"]]})  # pickled: not text


def test_dicts_whose_values_are_not_numbers_are_pickled():
    a = {"p": [{"segments": [1, 2], "info": "x"}]}
    b = {"p": [{"segments": [1, 3], "info": "x"}]}
    assert fingerprint(a) != fingerprint(b)
    assert fingerprint({"p": [{"k": 1}]}) != fingerprint({"p": [{"k": "1"}]})


@pytest.mark.parametrize("ids", [["x", "y", "東京", ""], ["a\0b", "c"], ["\0"], ["only"], []])
def test_arrow_ids_hash_as_the_list_of_their_strings(ids):
    """Ids held as Arrow (`TextIds`: a pandas ``str`` column, Parquet, datasets) fingerprint as the
    same strings in a list, so a run directory resumes whichever way the ids arrived (an id holding
    a NUL takes the list's other form), in one chunk or several, as string or large string."""
    import pyarrow as pa

    from rageval.core.ids import TextIds

    want = fingerprint({"id": ids, "answer": ["x"] * len(ids)})
    for kind in (pa.string(), pa.large_string()):
        chunked = pa.chunked_array([ids[:1], ids[1:]] if ids else [], kind)
        for held in (TextIds(pa.array(ids, kind)), TextIds(chunked)):
            assert fingerprint({"id": held, "answer": ["x"] * len(ids)}) == want
    if ids:
        assert fingerprint({"id": TextIds(pa.array(ids[::-1]))}) != fingerprint({"id": ids}) or ids == ids[::-1]
    from rageval.core.ids import IntIds

    for numbers in ([3, 1, 2], []):  # integer ids too
        assert fingerprint({"id": IntIds(np.array(numbers, np.int64))}) == fingerprint({"id": [str(k) for k in numbers]})
