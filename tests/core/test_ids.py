"""`IntIds`, ids kept as integers and made into strings when read, behaves exactly like the list of
strings it stands for."""
from __future__ import annotations

import pickle

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

from rageval.core.ids import IntIds, TextIds, join_ids, row_ids

NUMBERS = st.lists(st.integers(-(2**63), 2**63 - 1), max_size=30, unique=True) | \
    st.lists(st.integers(0, 40), max_size=30, unique=True)


@settings(max_examples=300, deadline=None)
@given(numbers=NUMBERS, a=st.integers(-40, 40) | st.none(), b=st.integers(-40, 40) | st.none(),
       step=st.sampled_from([None, 1, 2, 3, -1, -2]))
def test_int_ids_are_the_list_of_their_numbers_as_strings(numbers, a, b, step):
    ids, want = IntIds(np.array(numbers, np.int64)), [str(v) for v in numbers]
    n = len(want)
    assert len(ids) == n and list(ids) == want and ids == want and want == ids and ids == tuple(want)
    assert list(ids[a:b:step]) == want[a:b:step] and isinstance(ids[a:b:step], IntIds)
    for i in (a, b):
        if i is not None and -n <= i < n:
            assert ids[i] == want[i]
        elif i is not None:
            with pytest.raises(IndexError):
                ids[i]
    assert bool(ids) == bool(want)
    probes = {*want[:3], *(str(v + 1) for v in numbers[:3]), *("0" + w for w in want[:2]), *(" " + w for w in want[:1]),
              "-0", "", "a", "1e3", "+1", "1_0", "\u0661", str(2**64), str(-(2**63) - 1), 1, None}
    for x in probes:
        assert (x in ids) == (x in want), x
        assert ids.count(x) == want.count(x)
        if x in want:
            assert ids.index(x) == want.index(x)
        else:
            with pytest.raises(ValueError):
                ids.index(x)


def test_uint64_ids_beyond_int64():
    big = np.array([2**64 - 1, 0, 2**63], np.uint64)
    ids = IntIds(big)
    assert ids == [str(2**64 - 1), "0", str(2**63)] and str(2**63) in ids and "-1" not in ids
    assert ids.index(str(2**64 - 1)) == 0


def test_row_ids_and_joins():
    assert row_ids(3, 7) == ["3", "4", "5", "6"] and row_ids(5, 5) == [] == row_ids(9, 2)
    joined = join_ids([row_ids(0, 3), row_ids(3, 5), IntIds(np.array([-9, 12]))])
    assert isinstance(joined, IntIds) and joined == ["0", "1", "2", "3", "4", "-9", "12"]
    mixed = join_ids([row_ids(0, 2), ["x", "y"]])
    assert type(mixed) is list and mixed == ["0", "1", "x", "y"]
    signed_and_unsigned = join_ids([row_ids(0, 1), IntIds(np.array([2**64 - 1], np.uint64))])
    assert type(signed_and_unsigned) is list and signed_and_unsigned == ["0", str(2**64 - 1)]
    assert join_ids([]) == []


def test_int_ids_compare_like_lists_and_refuse_non_integers():
    ids = row_ids(0, 12)
    assert ids != ["0"] and ids != row_ids(1, 13) and ids == row_ids(0, 12) and ids != "0123"
    assert pickle.loads(pickle.dumps(ids)) == ids
    with pytest.raises(TypeError):
        hash(ids)
    with pytest.raises(TypeError, match="integer array"):
        IntIds(np.array([1.0, 2.0]))
    assert repr(ids) == "IntIds(['0', '1', '2', ...], n=12)"


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(st.characters(exclude_categories=("Cs",)), max_size=6), max_size=25, unique=True),
       cut=st.integers(0, 25), a=st.integers(-30, 30) | st.none(), b=st.integers(-30, 30) | st.none(),
       step=st.sampled_from([None, 1, 2, -1]))
def test_text_ids_are_the_list_of_their_strings(texts, cut, a, b, step):
    chunked = join_ids([TextIds(texts[:cut]), TextIds(texts[cut:])])
    for ids in (TextIds(texts), chunked):
        assert isinstance(ids, TextIds) and len(ids) == len(texts) and list(ids) == texts and ids == texts
        assert list(ids[a:b:step]) == texts[a:b:step]
        for i in (a, b):
            if i is not None and -len(texts) <= i < len(texts):
                assert ids[i] == texts[i]
            elif i is not None:
                with pytest.raises(IndexError):
                    ids[i]
        for x in {*texts[:3], "never an id", "", 3, None}:
            assert (x in ids) == (x in texts) and ids.count(x) == texts.count(x)
            if x in texts:
                assert ids.index(x) == texts.index(x)
        if texts:
            index = list(range(len(texts)))[::-2]
            assert list(ids.take(index)) == [texts[i] for i in index]
    assert TextIds(texts) == chunked and pickle.loads(pickle.dumps(chunked)) == texts


def test_text_ids_refuse_nulls_and_mixed_joins_become_lists():
    import pyarrow as pa

    with pytest.raises(TypeError, match="without nulls"):
        TextIds(pa.array(["a", None]))
    mixed = join_ids([TextIds(["a"]), row_ids(0, 2)])
    assert type(mixed) is list and mixed == ["a", "0", "1"]
    assert "\ud800" not in TextIds(["a"])  # a lone surrogate is no id (UTF-8 cannot hold it)
    assert repr(TextIds(["a", "b"])) == "TextIds(['a', 'b'], n=2)"
    assert TextIds(pa.array(["a", "b"], pa.large_string())) == TextIds(["a", "b"]) != TextIds(["a", "c"])
