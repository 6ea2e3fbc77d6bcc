"""Plain Python values from numpy, pandas, pyarrow and torch ones: the one place that converts them.

Torch is never imported here: a value is treated as a tensor only when its type comes from torch,
so data without tensors costs nothing and torch stays an optional dependency.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np


def is_torch(value: Any) -> bool:
    """True when ``value``'s type comes from torch (a tensor, CPU or CUDA, with or without grad)."""
    return type(value).__module__.startswith("torch")


def to_python(value: Any) -> Any:
    """``value`` as plain Python: a torch tensor is detached and moved to the CPU first, then it
    and a numpy array become (nested) lists, numpy and 0-d values become Python scalars, and a
    pyarrow scalar its ``as_py()``. Anything else is returned unchanged (pandas NA included:
    `is_missing` tells it apart).

    >>> to_python(np.array([np.int64(1), 2])), to_python(np.str_("d1")), to_python("d1")
    ([1, 2], 'd1', 'd1')
    """
    if is_torch(value):
        if not hasattr(value, "detach"):
            return value
        value = value.detach().cpu()
        return value.tolist()  # a 0-d tensor gives a scalar; bfloat16 and half convert too
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    if type(value).__module__.startswith("pyarrow") and hasattr(value, "as_py"):
        return value.as_py()
    return value


def is_missing(value: Any) -> bool:
    """True for None, NaN (Python or numpy) and pandas' ``NA`` / ``NaT``."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    kind = type(value)
    return kind.__module__.startswith("pandas") and kind.__name__ in ("NAType", "NaTType")


def describe_missing(value: Any) -> str:
    """How an error message names a missing value: ``None``, ``NaN``, ``pandas <NA>``."""
    if value is None or isinstance(value, (float, np.floating)):
        return "NaN" if value is not None else "None"
    return f"pandas {value!r}"
