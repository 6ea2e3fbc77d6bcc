"""Canonical fields: what each one holds, and the check that turns a user's column into it.

Each checker takes one column (a list of values) and returns it in canonical form, or raises
`FieldError` naming the field, the user's column and the first offending row.
"""
from __future__ import annotations

import math
import numbers
from itertools import chain
from typing import Any, Callable, Sequence

import numpy as np

from rageval.core.errors import FieldError

Check = Callable[[str, str, Sequence[Any], int], list]


def _type_name(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def _as_list(value: Any) -> Any:
    """Lists arrive as list, tuple or numpy array (pandas/parquet)."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def check_str(field: str, column: str, values: Sequence[Any], offset: int = 0) -> list:
    out = list(values)
    for i, v in enumerate(out):
        if not isinstance(v, str):
            raise FieldError(field, column, offset + i, f"expected a string, got {_type_name(v)} ({v!r:.60})")
    return out


def check_id(field: str, column: str, values: Sequence[Any], offset: int = 0) -> list:
    out = []
    for i, v in enumerate(values):
        if type(v) is str:  # the common case, without the numbers ABC checks below
            out.append(v)
            continue
        if isinstance(v, (bool, np.bool_)) or v is None or (isinstance(v, float) and math.isnan(v)):
            raise FieldError(field, column, offset + i, f"expected a string or integer id, got {v!r}")
        if isinstance(v, (numbers.Integral, str)):
            out.append(str(v))
        else:
            raise FieldError(field, column, offset + i, f"expected a string or integer id, got {_type_name(v)}")
    return out


def _str_lists(values: Sequence[Any], kind: type = list) -> bool:
    """True when every value is a ``kind`` (list, or dict: its keys) of strings, checked at C speed
    (`str.join` refuses any other item)."""
    if set(map(type, values)) - {kind}:
        return False
    try:
        "".join(chain.from_iterable(values))
    except TypeError:
        return False
    return True


def check_str_list(field: str, column: str, values: Sequence[Any], offset: int = 0, ids: bool = False) -> list:
    """A list of strings per example (``ids=True``: integer items become strings, as ids)."""
    if _str_lists(values):
        return list(values)
    out = []
    for i, v in enumerate(values):
        v = _as_list(v)
        if not isinstance(v, list):
            raise FieldError(field, column, offset + i, f"expected a list of strings, got {_type_name(v)} ({v!r:.60})")
        if ids:
            v = [str(x) if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)) else x for x in v]
        for j, item in enumerate(v):
            if not isinstance(item, str):
                raise FieldError(field, column, offset + i,
                                 f"expected a list of strings, item {j} is {_type_name(item)} ({item!r:.60})")
        out.append(v)
    return out


def check_id_list(field: str, column: str, values: Sequence[Any], offset: int = 0) -> list:
    """Ranked or listed ids: strings, or integers (converted to strings)."""
    return check_str_list(field, column, values, offset, ids=True)


def check_references(field: str, column: str, values: Sequence[Any], offset: int = 0) -> list:
    """`references`: a list of strings per example; a bare string is one reference."""
    return check_str_list(field, column, [[v] if isinstance(v, str) else v for v in values], offset)


def check_relevance(field: str, column: str, values: Sequence[Any], offset: int = 0) -> list:
    """`relevant_ids`: a list of ids (each relevance 1), or a dict id -> graded relevance."""
    if _str_lists(values, dict) and not set(map(type, chain.from_iterable(map(dict.values, values)))) - {int, float}:
        return list(values)
    if _str_lists(values):
        return [dict.fromkeys(v, 1) for v in values]
    out = []
    for i, v in enumerate(values):
        if isinstance(v, dict):
            for k, g in v.items():
                if not isinstance(k, str) or isinstance(g, (bool, np.bool_)) or not isinstance(g, numbers.Real):
                    raise FieldError(field, column, offset + i,
                                     f"expected a dict of id -> number, got {k!r}: {g!r}")
            out.append(dict(v))
        else:
            ids = check_id_list(field, column, [v], offset + i)[0]
            out.append(dict.fromkeys(ids, 1))
    return out


def check_scalar_or_array(field: str, column: str, values: Sequence[Any], offset: int = 0) -> list:
    """Labels and scores: numbers, strings or booleans, or arrays of them."""
    out = []
    for i, v in enumerate(values):
        v = _as_list(v)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            raise FieldError(field, column, offset + i, f"missing value ({v!r})")
        if isinstance(v, (numbers.Number, str, np.generic)) or isinstance(v, list):
            out.append(v.item() if isinstance(v, np.generic) else v)
        else:
            raise FieldError(field, column, offset + i, f"expected a number, label or array, got {_type_name(v)}")
    return out


def check_any(field: str, column: str, values: Sequence[Any], offset: int = 0) -> list:
    out = list(values)
    for i, v in enumerate(out):
        if v is None:
            raise FieldError(field, column, offset + i, "missing value (None)")
    return out


#: canonical field -> checker. Vision fields hold what their scorer documents.
FIELDS: dict[str, Check] = {
    "id": check_id,
    "question": check_str,
    "contexts": check_str_list,
    "answer": check_str,
    "reference": check_str,
    "references": check_references,
    "retrieved_ids": check_id_list,
    "relevant_ids": check_relevance,
    "context_ids": check_id_list,
    "y_true": check_scalar_or_array,
    "y_pred": check_scalar_or_array,
    "y_score": check_scalar_or_array,
    "boxes": check_any,
    "masks": check_any,
    "images": check_any,
    "preds": check_any,
    "target": check_any,
}

#: fields holding lists or mappings: a CSV file stores them as JSON text
STRUCTURED = ("contexts", "references", "retrieved_ids", "relevant_ids", "context_ids")
