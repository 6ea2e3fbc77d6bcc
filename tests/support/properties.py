"""Property-based testing of scorer families (tests/properties/, one module per family).

The property, for any generated data: `rageval.evaluate` (through a run directory, so that a
crash after scoring would show) either raises a clear rageval error (a `FieldError` naming the
field and the row, or a `ConfigError` for data without rows), or returns results whose every
aggregate value is finite (or NaN with every example's failure recorded, or every example flagged
"nothing to judge" in the scorer's ``.flagged`` part), equal to the
reference implementation where one exists, and the same when the rows come as a DataFrame (numpy
and pandas cells). Never another exception, never a silent NaN.

A new family adds a module ``tests/properties/test_<family>.py`` that builds rows from the
strategies here (`texts`, `numbers`, `labels`, `messy`, `rows_of`) and calls `check`; the
settings come in pairs with `bounded_and_slow` (a bounded, derandomized sample by default; many
more examples under ``pytest -m slow``).
"""
from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rageval
from rageval.core.errors import ConfigError, FieldError

_COMMON = {"deadline": None, "derandomize": True, "database": None,
           "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]}
BOUNDED = settings(max_examples=15, **_COMMON)
SLOW = settings(max_examples=200, **_COMMON)


def bounded_and_slow(*strategies: Any) -> Callable[[Callable], tuple[Callable, Callable]]:
    """``test_x, test_x_slow = bounded_and_slow(strategy)(prop)``: the same property as a bounded
    default test and a ``slow``-marked long sweep."""
    def wrap(prop: Callable) -> tuple[Callable, Callable]:
        fast = BOUNDED(given(*strategies)(prop))
        slow = pytest.mark.slow(SLOW(given(*strategies)(prop)))
        return fast, slow
    return wrap


WORDS = ["the", "cat", "sat", "on", "a", "mat", "Paris", "is", "capital", "of", "France", "1996", "don't",
         "naïve", "東京", "Ünïcödé", "😀", "-", ",", ".", "A", "an"]

_wordy = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join)
_wild = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(categories=["Cs", "L", "Zs", "P", "N"]), max_size=20),  # lone surrogates
    st.sampled_from(["", " ", "\x00", "\ud800", "q\udfff", "\u200b", "a\u0301", "\n\t"]),
)
#: text: mostly word-like (scores other than 0), at times arbitrary unicode, lone surrogates included
texts = st.one_of(_wordy, _wordy, _wordy, _wordy, _wordy, _wild)

#: finite and non-finite numbers as Python, numpy and pandas scalar types
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.integers(-5, 5),
    st.floats(-10, 10).map(np.float32),
    st.integers(-5, 5).map(np.int64),
    st.sampled_from([np.float32("nan"), np.float64("inf"), np.float16("-inf"), np.int8(1), np.bool_(True), True]),
)

#: class labels as Python, numpy and pandas scalar types
labels = st.one_of(st.integers(0, 2), st.integers(0, 2).map(np.int64), st.integers(0, 2).map(np.int32),
                   st.sampled_from(["a", "b", np.str_("a"), 1.0, np.float32(0.0)]))

#: values no field should accept quietly
messy = st.sampled_from([None, float("nan"), float("inf"), np.float32("nan"), pd.NA, pd.NaT, b"bytes", object(),
                         {"a": 1}, [], ["x", None], "\ud800", 10 ** 30, np.datetime64("2020-01-01")])


def rows_of(fields: Mapping[str, st.SearchStrategy], max_rows: int = 6) -> st.SearchStrategy:
    """Lists of rows with ids; at times (one case in four) one row has a field missing or replaced
    by a `messy` value."""
    row = st.fixed_dictionaries(dict(fields))
    clean = st.integers(0, max_rows).flatmap(lambda n: st.lists(row, min_size=n, max_size=n))

    def spoil(rows: list[dict], draw: Any) -> list[dict]:
        if rows:
            i, field = draw(st.integers(0, len(rows) - 1)), draw(st.sampled_from(sorted(fields)))
            if draw(st.booleans()):
                del rows[i][field]
            else:
                rows[i][field] = draw(messy)
        return rows

    spoiled = st.builds(lambda rows, data: spoil(rows, data.draw), clean, st.data())
    return st.one_of(clean, clean, clean, spoiled).map(lambda rows: [{"id": f"r{i}", **r} for i, r in enumerate(rows)])


def check(rows: list[dict], scorers: list, reference: Callable[[list[dict]], Mapping[str, float]] | None = None,
          *, rel: float = 1e-9, abs_: float = 1e-12) -> Any:
    """Evaluate ``rows`` into a fresh run directory and hold it to the property (module docstring).
    ``reference(rows)`` gives the expected aggregate values, by key, when every example scored;
    it is called only then. Returns the results, or None when a rageval error was raised."""
    with tempfile.TemporaryDirectory() as out:
        try:
            res = rageval.evaluate(rows, scorers, output=out, progress=False)
        except FieldError as e:
            assert e.field and e.problem and str(e).startswith(f"field {e.field!r}"), e
            assert e.row is None or 0 <= e.row < len(rows), e
            return None
        except ConfigError as e:  # data without rows, or labels a scorer's settings cannot take (named)
            keys = [getattr(s, "key", s) for s in scorers]
            assert (rows == [] and "no rows" in str(e)) or any(str(e).startswith(f"{k}: ") for k in keys), e
            return None
        loaded = rageval.load_results(out)  # what was written reads back the same
        assert loaded.manifest["status"] == "complete" and sorted(loaded.ids) == sorted(res.ids)
        for key, value in res.aggregate.items():
            lv = loaded.aggregate[key]
            assert value == lv or (math.isnan(value) and math.isnan(lv)), (key, value, lv)
    errors = res.errors
    assert all(isinstance(e, str) and e for e in errors["error"])
    failed = errors.groupby("scorer")["id"].nunique().to_dict()
    for key, value in res.aggregate.items():
        scorer = key.split(".")[0]
        if res.aggregate.get(f"{scorer}.flagged") == 1.0:  # every example flagged "nothing to judge": said
            continue
        if failed.get(scorer, 0) < len(res):  # some example scored: a number
            assert math.isfinite(value), f"silent non-finite {key} = {value} (errors: {failed})"
    if reference is not None and errors.empty:
        for key, expected in reference(rows).items():
            assert res.aggregate[key] == pytest.approx(expected, rel=rel, abs=abs_, nan_ok=True), key
    if errors.empty and len({tuple(r) for r in rows}) == 1:  # the same rows as a DataFrame: numpy/pandas cells
        framed = rageval.evaluate(pd.DataFrame(rows), scorers, progress=False)
        for key, value in res.aggregate.items():
            assert framed.aggregate[key] == pytest.approx(value, rel=rel, abs=abs_, nan_ok=True), key
    return res
