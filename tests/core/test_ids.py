"""`RowIds`, the default example ids made lazily, behaves exactly like the list of strings it stands for."""
from __future__ import annotations

import pickle

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

from rageval.core.ids import RowIds, join_ids


@settings(max_examples=300, deadline=None)
@given(start=st.integers(0, 10**6), n=st.integers(0, 40), a=st.integers(-50, 50) | st.none(),
       b=st.integers(-50, 50) | st.none(), step=st.sampled_from([None, 1, 2, 3, -1, -2]))
def test_row_ids_are_the_list_of_row_numbers_as_strings(start, n, a, b, step):
    ids, want = RowIds(start, start + n), [str(start + i) for i in range(n)]
    assert len(ids) == len(want) and list(ids) == want and ids == want and want == ids and ids == tuple(want)
    assert list(ids[a:b:step]) == want[a:b:step]
    assert (ids[a:b] == want[a:b]) and isinstance(ids[a:b], RowIds)
    for i in (a, b):
        if i is not None and -n <= i < n:
            assert ids[i] == want[i]
        elif i is not None:
            with pytest.raises(IndexError):
                ids[i]
    assert bool(ids) == bool(want)
    for x in {*want[:3], str(start - 1), str(start + n), "0" + str(start), f" {start}", "-0", "", "a", start, None}:
        assert (x in ids) == (x in want)
        assert ids.count(x) == want.count(x)
        if x in want:
            assert ids.index(x) == want.index(x)
        else:
            with pytest.raises(ValueError):
                ids.index(x)
    assert np.array_equal(ids.numbers(), np.arange(start, start + n))


def test_row_ids_refuse_lookalikes_and_compare_like_lists():
    ids = RowIds(0, 12)
    assert "\u0661" not in ids  # ARABIC-INDIC DIGIT ONE: int() reads it as 1, the id "1" is not it
    assert "01" not in ids and "1" in ids and "0" in ids
    assert ids != ["0"] and ids != RowIds(1, 13) and ids == RowIds(0, 12) and RowIds(5, 5) == RowIds(9, 9) == []
    assert ids != "0123"  # not a list: compares unequal, as a list would
    assert pickle.loads(pickle.dumps(ids)) == ids
    with pytest.raises(TypeError):
        hash(ids)
    assert RowIds(3, 1) == []  # an empty range


def test_join_ids_stays_lazy_only_for_consecutive_row_ids():
    assert isinstance(join_ids([RowIds(0, 3), RowIds(3, 7)]), RowIds)
    assert join_ids([RowIds(0, 3), RowIds(3, 7)]) == [str(i) for i in range(7)]
    gap = join_ids([RowIds(0, 3), RowIds(4, 5)])
    assert type(gap) is list and gap == ["0", "1", "2", "4"]
    mixed = join_ids([RowIds(0, 2), ["x", "y"]])
    assert type(mixed) is list and mixed == ["0", "1", "x", "y"]
    assert join_ids([]) == []
