"""Shapes of the classification inputs that hold one vector per example: a matrix of class scores
(``y_score`` of a multiclass or multilabel task), a multilabel indicator matrix (``y_true`` /
``y_pred`` as lists of 0/1), and the score column each true class label belongs to.

Each function takes a batch column (a list of Python values or a numpy array) and returns a numpy
array, or raises `FieldError` naming the field and the first offending row.

Class columns follow scikit-learn: column ``j`` scores the ``j``-th class in sorted order. With
``labels=`` that is ``sorted(labels)``; without it scikit-learn takes the sorted classes of
``y_true``, which (as it requires every class to occur there) are ``0 .. C-1`` for integer
labels — so integer labels ``0 .. C-1`` are their own column, and other labels need ``labels=``.
Fixing the column per example makes every statistic independent of the other examples, so shards
that saw different classes merge exactly.

>>> class_columns([2, 0], None, 3).tolist()
[2, 0]
>>> class_columns(["b", "a"], ["a", "b", "c"], 3).tolist()
[1, 0]
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from rageval.core.errors import FieldError


def is_matrix(values: Any) -> bool:
    """True when the column holds one vector (a list or an array) per example."""
    if isinstance(values, np.ndarray):
        return values.ndim == 2 or (values.dtype == object and len(values) > 0 and np.ndim(values[0]) == 1)
    return len(values) > 0 and isinstance(values[0], (list, tuple, np.ndarray))


def check_widths(batch: Any, fields: Sequence[str]) -> None:
    """Cross-example check (a scorer's ``validate``): where a field holds vectors, every example
    holds one, all of one length (and the same length in every field named); `FieldError` naming
    the field and the first row that differs. Per-example isolation would miss this: each row
    alone is a valid batch."""
    width: int | None = None
    for field in fields:
        values = batch.get(field) if hasattr(batch, "get") else batch[field]
        if values is None or (isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype != object):
            continue
        if not is_matrix(values):  # one value per example: none may be a vector
            row = next((i for i, v in enumerate(values) if np.ndim(v) >= 1), None)
            if row is not None:
                raise FieldError(field, field, row, "expected one value like row 0, got a vector")
            continue
        if isinstance(values, np.ndarray) and values.ndim == 2:
            lengths = np.full(len(values), values.shape[1])
        else:
            lengths = np.array([len(v) if np.ndim(v) == 1 else -1 for v in values])
        first = width if width is not None else int(lengths[0])
        bad = np.flatnonzero(lengths != first)
        if len(bad):
            row = int(bad[0])
            what = "one value" if lengths[row] < 0 else f"{lengths[row]} values"
            raise FieldError(field, field, row, f"expected a vector of {first} values like "
                             f"{'the other field' if width is not None else 'row 0'}, got {what}")
        width = first


def float_matrix(values: Any, field: str) -> np.ndarray:
    """One vector of finite numbers per example, all of one length, as an ``(n, C)`` float64 array
    (text is no number: ``"1"`` is refused, as scikit-learn refuses string indicators)."""
    try:
        raw = np.asarray(values)
        text = raw.dtype.kind in "US" or (raw.dtype.kind == "O" and any(isinstance(x, str) for x in raw.ravel()))
        out = None if text else raw.astype(np.float64, copy=False)
    except (TypeError, ValueError):
        out = None
    if out is None or out.ndim != 2:
        width = None
        for row, v in enumerate(values):
            if np.ndim(v) != 1:
                raise FieldError(field, field, row, f"expected a vector of numbers, got {type(v).__name__} {v!r:.40}")
            if width is not None and len(v) != width:
                raise FieldError(field, field, row, f"expected a vector of {width} numbers (as the rows before), "
                                                    f"got {len(v)}")
            width = len(v)
            try:
                if any(isinstance(x, (str, bytes)) for x in v):
                    raise TypeError
                np.asarray(v, dtype=np.float64)
            except (TypeError, ValueError):
                raise FieldError(field, field, row, f"expected numbers, got {v!r:.60}") from None
        raise FieldError(field, field, None, "expected one vector of numbers per example")
    if not np.isfinite(out.sum()):  # NaN and inf propagate; a sum that overflows is checked row by row
        bad = np.flatnonzero(~np.isfinite(out).all(axis=1))
        if len(bad):
            raise FieldError(field, field, int(bad[0]), f"expected finite numbers, got {out[bad[0]].tolist()!r:.60}")
    return out


def indicator_matrix(values: Any, field: str, width: int | None = None) -> np.ndarray:
    """A multilabel indicator matrix (one vector of 0/1 per example) as an ``(n, L)`` bool array;
    ``width``: the number of labels it must have."""
    m = float_matrix(values, field)
    bad = np.flatnonzero(((m != 0) & (m != 1)).any(axis=1))
    if len(bad):
        raise FieldError(field, field, int(bad[0]), f"expected a multilabel indicator (0 or 1 per label), got "
                                                    f"{m[bad[0]].tolist()!r:.60}")
    if width is not None and m.shape[1] != width:
        raise FieldError(field, field, None, f"{m.shape[1]} labels per example where there are {width}")
    if m.shape[1] < 2:
        raise FieldError(field, field, None, "a multilabel indicator needs at least two labels per example "
                                             "(scikit-learn: 'multilabel-indicator' has more than one column)")
    return m.astype(bool)


def plain(value: Any) -> Any:
    """A numpy scalar as its Python value."""
    return value.item() if isinstance(value, np.generic) else value


def class_columns(values: Sequence[Any], labels: Sequence[Any] | None, n_columns: int,
                  field: str = "y_true") -> np.ndarray:
    """The score column of each example's true class: its position in ``sorted(labels)``, or,
    without ``labels``, the integer label itself (``0 .. n_columns - 1``)."""
    array = np.asarray(values) if isinstance(values, np.ndarray) else None
    if labels is None and array is not None and array.dtype.kind in "iu" and array.ndim == 1:
        column = array.astype(np.int64)
        bad = np.flatnonzero((column < 0) | (column >= n_columns))
        if len(bad):
            raise FieldError(field, field, int(bad[0]), f"label {int(array[bad[0]])} is not a class index "
                                                        f"0..{n_columns - 1} of the score columns (give labels=)")
        return column
    where = {x: i for i, x in enumerate(sorted(labels))} if labels is not None else None
    column = np.empty(len(values), np.int64)
    for row, v in enumerate(values):
        v = plain(v)
        if where is not None:
            j = where.get(v, -1) if not isinstance(v, (list, dict)) else -1
            if j < 0:
                raise FieldError(field, field, row, f"label {v!r:.40} is not in labels (scikit-learn: \"'y_true' "
                                                    "contains labels not in parameter 'labels'\")")
        elif isinstance(v, numbers.Integral) and not isinstance(v, bool) and 0 <= v < n_columns:
            j = int(v)
        elif isinstance(v, float) and v.is_integer() and 0 <= v < n_columns:
            j = int(v)
        else:
            raise FieldError(field, field, row, f"label {v!r:.40} is not a class index 0..{n_columns - 1} of the "
                                                "score columns (give labels=, the classes in column order)")
        column[row] = j
    return column


def check_labels_param(name: str, labels: Any, ordered: bool) -> list | None:
    """``labels=`` as a list of distinct labels (None stays None); ``ordered``: scikit-learn asks
    for them sorted. Raises `rageval.ConfigError` otherwise."""
    from rageval.core.errors import ConfigError

    if labels is None:
        return None
    labels = [plain(x) for x in labels]
    if len(labels) < 2 or len(set(labels)) != len(labels):
        raise ConfigError(f"{name}: labels must be distinct and at least two, got {labels!r:.80}")
    try:
        in_order = labels == sorted(labels)
    except TypeError:
        raise ConfigError(f"{name}: labels mix types that do not order: {labels!r:.80}") from None
    if ordered and not in_order:
        raise ConfigError(f"{name}: labels must be ordered (scikit-learn: \"Parameter 'labels' must be ordered\")")
    return labels
