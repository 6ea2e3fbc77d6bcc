"""Canonical fields: what each one holds, and the one check that turns a column into it.

Each checker takes one column (a list, tuple, numpy array, pandas Series or torch tensor of
values) and returns a list of plain Python values in canonical form: ``str``, ``int``, ``float``,
``bool``, and lists and dicts of them. Numpy scalars and arrays, pyarrow scalars and torch tensors
(CPU or CUDA, with grad) are converted by `rageval.core.convert.to_python`; ``numpy.str_`` is kept
(it is a ``str``: same hash, equality, JSON and Arrow form; the dataset fingerprint hashes text,
not types) and other ``str`` subclasses become ``str``. None, NaN and pandas ``NA`` are missing values, refused.
Bad input raises `FieldError` naming the field, the user's column and the first offending row
(``offset`` is the row of ``values[0]`` in the data).

Plain values make the dataset fingerprint and every scorer independent of how the cells were
typed: the same data as numpy, pandas, Arrow or plain Python cells gives the same canonical
column. The usual columns are checked and converted at C speed (type sets over the whole column
for plain values; a join and a split per row for ``numpy.str_`` ids; one array for a column of
numpy numbers); only a column that fails those is walked value by value, which locates the error.

Numeric fields are columnar: `check_scalar_or_array` (``y_true``, ``y_pred``, ``y_score``) and
`check_weight` (``sample_weight``) return a column of one number per example as one 1-d numpy
array (float64 for floats, int64 for integers, bool for booleans; no Python object per cell),
and any other column (strings, per-example arrays, mixed types) as a list of plain values.
Scorers read them through ``np.asarray``, which takes either.

>>> check_id_list("retrieved_ids", "docs", [np.array(["d1", "d2"]), [np.str_("d3"), 4]])
[['d1', 'd2'], ['d3', '4']]
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain
from typing import Any

import numpy as np

from rageval.core.convert import describe_missing, is_missing, is_torch, to_python
from rageval.core.errors import FieldError

Check = Callable[[str, str, Sequence[Any], int], list]

#: types that need no conversion
_PLAIN_SCALARS = frozenset({str, int, float, bool})
#: text types kept as they are: numpy.str_ is a str (same hash, equality, JSON and Arrow form), and
#: copying two million of them into str took most of evaluate's time on numpy-typed cells
TEXT_TYPES = frozenset({str, np.str_})
_NUMBERS = frozenset({int, float})


def _what(value: Any) -> str:
    """An offending value, as an error message names it."""
    if is_missing(value):
        return f"a missing value ({describe_missing(value)})"
    return f"{type(value).__name__} ({value!r:.60})"


def _bad(field: str, column: str, row: int, expected: str, value: Any) -> FieldError:
    if is_missing(value):
        return FieldError(field, column, row, f"missing value ({describe_missing(value)}); expected {expected}")
    return FieldError(field, column, row, f"expected {expected}, got {_what(value)}")


def _column(field: str, column: str, values: Any) -> list:
    """The column as a list of its values (an array or tensor column becomes its rows)."""
    if type(values) is list:
        return values
    if values is None or isinstance(values, (str, bytes, Mapping)):
        raise FieldError(field, column, None, f"expected one value per example (a list or array), "
                                              f"got {type(values).__name__}")
    if isinstance(values, np.ndarray) or is_torch(values):
        values = to_python(values)
        if not isinstance(values, list):
            raise FieldError(field, column, None, "expected one value per example, got a 0-d array")
        return values
    if hasattr(values, "to_pylist"):  # pyarrow arrays
        return values.to_pylist()
    if hasattr(values, "tolist"):  # pandas Series and Index
        return values.tolist()
    return list(values)


def _as_list(value: Any) -> list | None:
    """A cell holding a list (list, tuple, 1-d array or tensor, Arrow list), or None."""
    if isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, np.ndarray) or is_torch(value) or type(value).__module__.startswith("pyarrow"):
        value = to_python(value)
        return value if isinstance(value, list) else None
    return None


def _plain_str(value: Any, ids: bool) -> str | None:
    """``value`` as a plain ``str`` (``ids``: an integer becomes its decimal string), or None when
    it is neither."""
    if isinstance(value, str):
        return str.__str__(value)  # a str subclass (numpy.str_) becomes a plain str
    if ids:
        if type(value) not in _PLAIN_SCALARS:
            value = to_python(value)
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return str(int(value))
    return None


def _only_str(values: Iterable[Any]) -> bool:
    """True when every value is a ``str`` or a ``numpy.str_`` (kept as they are)."""
    return not set(map(type, values)) - TEXT_TYPES


def _str_copies(items: list) -> list[str] | None:
    """The items as plain ``str`` when every one is a ``str`` (numpy.str_ included), else None.

    One join and one split: a C-speed copy, faster than a call per item, that also checks the
    items' types (None as well when an item holds the separator: the caller walks the items).
    """
    try:
        parts = "\0".join(items).split("\0") if items else []
    except TypeError:
        return None
    return parts if len(parts) == len(items) else None


def _refuse_surrogates(field: str, column: str, offset: int, values: list, texts: Iterable[str]) -> None:
    """FieldError for the first row of ``values`` holding text that UTF-8 cannot store: a lone
    surrogate such as ``"q\\ud800"`` (the Parquet writer of a run directory would fail on it, after
    the scoring). ``texts`` are the column's strings: one join and one encode for the column, and
    only a column that fails is walked, row by row, to name the row."""
    joined = "".join(texts)
    if joined.isascii():
        return
    try:
        joined.encode("utf-8")
        return
    except UnicodeEncodeError:
        pass
    for i, value in enumerate(values):
        items = ([(None, value)] if isinstance(value, str)
                 else enumerate(value) if isinstance(value, (list, dict)) else ())
        for j, item in items:
            if not isinstance(item, str):
                continue
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as e:
                where = "" if j is None else f"item {j} "
                raise FieldError(field, column, offset + i,
                                 f"{where}holds a lone surrogate ({item[e.start]!r} at character {e.start}): not "
                                 f"valid Unicode text, and a run directory cannot store it") from None


# --- strings and ids --------------------------------------------------------------------------

def check_str(field: str, column: str, values: Sequence[Any], offset: int = 0) -> list:
    """One string per example."""
    out = _strs(field, column, values, offset, False)
    _refuse_surrogates(field, column, offset, out, out)
    return out


def check_id(field: str, column: str, values: Sequence[Any], offset: int = 0) -> list:
    """One id per example: a string, or an integer (converted to its string)."""
    out = _strs(field, column, values, offset, True)
    _refuse_surrogates(field, column, offset, out, out)
    return out


def _strs(field: str, column: str, values: Sequence[Any], offset: int, ids: bool) -> list:
    out = _column(field, column, values)
    kinds = set(map(type, out))
    if not kinds - TEXT_TYPES:
        return list(out)
    copies = _str_copies(out)
    if copies is not None:
        return copies
    plain = []
    for i, value in enumerate(out):
        s = _plain_str(value, ids)
        if s is None:
            raise _bad(field, column, offset + i, "a string or integer id" if ids else "a string", value)
        plain.append(s)
    return plain


def check_str_list(field: str, column: str, values: Sequence[Any], offset: int = 0) -> list:
    """A list of strings per example."""
    return _str_lists(field, column, values, offset, ids=False)


def _str_lists(field: str, column: str, values: Sequence[Any], offset: int, ids: bool,
               drop_missing: bool = False) -> list:
    """`_str_list_rows`, refusing text UTF-8 cannot store."""
    out = _str_list_rows(field, column, values, offset, ids, drop_missing)
    _refuse_surrogates(field, column, offset, out, map("".join, out))  # per-row joins: 1.7x a chained join
    return out


def _str_list_rows(field: str, column: str, values: Sequence[Any], offset: int, ids: bool,
                   drop_missing: bool = False) -> list:
    """A list of strings per example; ``ids``: integer items become strings, as ids;
    ``drop_missing``: missing items (None, NaN, pandas NA) are dropped."""
    rows = _column(field, column, values)
    # plain lists of str: one C-speed pass (the first row is looked at first: when it holds other
    # types, so do the rest, and each row is converted while it is in the cache)
    if (not set(map(type, rows)) - {list} and (not rows or _only_str(rows[0]))
            and _only_str(chain.from_iterable(rows))):
        return list(rows)
    out = []
    for i, value in enumerate(rows):
        if type(value) is np.ndarray and value.ndim == 1 and value.dtype.kind == "U":
            out.append(value.tolist())  # str items, no check needed
            continue
        row = _as_list(value)
        if row is None:
            raise _bad(field, column, offset + i, _LIST_OF[ids], value)
        out.append(_str_row(field, column, offset + i, row, ids, drop_missing))
    return out


_LIST_OF = {False: "a list of strings", True: "a list of ids (strings or integers)"}


def _str_row(field: str, column: str, row: int, items: list, ids: bool, drop_missing: bool = False) -> list:
    """One example's list of strings, as plain ``str``."""
    if items and type(items[0]) in TEXT_TYPES and _only_str(items):  # e.g. an object array read from Parquet
        return items
    copies = _str_copies(items)
    if copies is not None:
        return copies
    out = []
    for j, item in enumerate(items):
        s = _plain_str(item, ids)
        if s is None:
            if drop_missing and is_missing(item):
                continue
            raise FieldError(field, column, row, f"expected {_LIST_OF[ids]}, item {j} is {_what(item)}")
        out.append(s)
    return out


def check_id_list(field: str, column: str, values: Sequence[Any], offset: int = 0) -> list:
    """Ranked or listed ids: strings, or integers (converted to strings)."""
    return _str_lists(field, column, values, offset, ids=True)


def check_references(field: str, column: str, values: Sequence[Any], offset: int = 0) -> list:
    """`references`: a list of strings per example; a bare string is one reference. Missing items
    (None, NaN, pandas NA) are dropped, as sacrebleu drops the None that pads reference streams."""
    rows = _column(field, column, values)
    return _str_lists(field, column, [[v] if isinstance(v, str) else v for v in rows], offset, False, True)


def check_relevance(field: str, column: str, values: Sequence[Any], offset: int = 0) -> list:
    """`relevant_ids`: a dict id -> graded relevance (a finite number), or a list of ids (each
    relevance 1). Ids are strings, or integers (converted to strings). A grade None is an id not
    in the judgements (an Arrow struct column, as Hugging Face datasets and Parquet store such
    dicts, gives every row the keys of all rows, None where a row has none)."""
    out = _relevances(field, column, values, offset)
    _refuse_surrogates(field, column, offset, out, map("".join, out))  # a dict row joins its ids
    return out


def _relevances(field: str, column: str, values: Sequence[Any], offset: int) -> list:
    rows = _column(field, column, values)
    kinds = set(map(type, rows))
    if not kinds - {dict} and _only_str(chain.from_iterable(rows)):
        grades = set(map(type, chain.from_iterable(map(dict.values, rows))))
        if not grades - _NUMBERS and (float not in grades or _finite_grades(rows)):
            return list(rows)
    elif not kinds - {list} and _only_str(chain.from_iterable(rows)):
        return [dict.fromkeys(v, 1) for v in rows]
    elif kinds == {np.ndarray} and all(v.ndim == 1 and v.dtype.kind == "U" for v in rows):
        return [dict.fromkeys(v.tolist(), 1) for v in rows]  # one array of id strings per row
    return [_relevance(field, column, offset + i, v) for i, v in enumerate(rows)]


def _finite_grades(rows: list[dict]) -> bool:
    return bool(np.isfinite(np.fromiter(chain.from_iterable(map(dict.values, rows)), np.float64)).all())


def _relevance(field: str, column: str, row: int, value: Any) -> dict:
    if isinstance(value, Mapping):
        out = {}
        for key, grade in value.items():
            if grade is None:  # not judged: an Arrow struct (HF datasets, Parquet) fills other rows' keys with None
                continue
            doc = _plain_str(key, True)
            if type(grade) not in _NUMBERS:
                grade = to_python(grade)
            if doc is None or not _is_number(grade) or not math.isfinite(grade):
                raise FieldError(field, column, row, f"expected a dict of id -> finite number, got "
                                                     f"{_what(key) if doc is None else repr(doc)}: {_what(grade)}")
            out[doc] = grade
        return out
    items = _as_list(value)
    if items is None:
        raise _bad(field, column, row, "a list of ids or a dict of id -> grade", value)
    return dict.fromkeys(_str_row(field, column, row, items, True), 1)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- columnar numbers -------------------------------------------------------------------------

#: numpy scalar types of a list column that becomes one array (Python's own: bool, int, float)
_ARRAY_KINDS = {bool: np.bool_, int: np.int64, float: np.float64}
_NUMERIC_KINDS = ("b", "i", "u", "f")


def numeric_array(values: Any) -> np.ndarray | None:
    """A column holding one number (or bool) per example as one 1-d numpy array, or None when it
    is not such a column. Floats become float64, integers int64, booleans stay bool; a column of
    Python numbers converts when all its values have one type (a mix keeps its Python values).
    Sources: a numpy array, a torch tensor, a pyarrow array without nulls, a pandas Series of a
    numeric dtype, or a list of Python or numpy scalars of one type. Values are not checked."""
    if is_torch(values) and hasattr(values, "detach"):
        try:
            values = values.detach().cpu().numpy()
        except (TypeError, RuntimeError):  # bfloat16 has no numpy type: the list path converts it
            return None
    elif type(values) is not list and not isinstance(values, np.ndarray):
        arrow = hasattr(values, "null_count")
        if arrow and values.null_count == 0:  # pyarrow arrays without nulls, of a numeric type (to_numpy
            import pyarrow.types as pat  # of 1M strings made their Python strings, then dropped: 60 ms)

            if not (pat.is_integer(values.type) or pat.is_floating(values.type) or pat.is_boolean(values.type)):
                return None
            convert = {"zero_copy_only": False}
        elif (not arrow and getattr(getattr(values, "dtype", None), "kind", None) in _NUMERIC_KINDS
              and hasattr(values, "to_numpy") and not getattr(values, "hasnans", True)):
            convert = {}  # pandas Series (numpy, nullable or Arrow-backed) without missing values
        else:
            return None
        try:
            values = values.to_numpy(**convert)
        except (TypeError, ValueError, AttributeError, NotImplementedError):
            return None  # an extension type pandas/pyarrow cannot give as numpy: the list path checks it
    if type(values) is list:
        kinds = set(map(type, values))
        if len(kinds) != 1:
            return None
        kind = next(iter(kinds))
        kind = _ARRAY_KINDS.get(kind, kind)
        if not (isinstance(kind, type) and issubclass(kind, (np.bool_, np.integer, np.floating))):
            return None
        try:
            values = np.array(values, dtype=kind)
        except (OverflowError, TypeError, ValueError):
            return None
    if not isinstance(values, np.ndarray) or values.ndim != 1 or values.dtype.kind not in _NUMERIC_KINDS:
        return None
    if values.dtype.kind == "f":
        return values.astype(np.float64, copy=False)
    if values.dtype.kind in "iu" and values.dtype != np.int64:
        if values.dtype.kind == "u" and values.size and values.max() > np.iinfo(np.int64).max:
            return None
        return values.astype(np.int64)
    return values


def _first_bad(array: np.ndarray, weights: bool) -> int | None:
    """The index of the first value that is not finite (or, for ``weights``, negative), or None."""
    if array.dtype.kind == "f":
        ok = np.isfinite(array)
        if weights:
            ok &= array >= 0
    elif weights and array.dtype.kind == "i":
        ok = array >= 0
    else:
        return None
    bad = np.flatnonzero(~ok)
    return int(bad[0]) if len(bad) else None


# --- labels, scores and weights ---------------------------------------------------------------

def check_scalar_or_array(field: str, column: str, values: Sequence[Any], offset: int = 0) -> list | np.ndarray:
    """Labels and scores: a number, string or boolean per example, or an array (a list) of them.
    Numbers are finite: NaN is a missing value, an infinity is refused (as scikit-learn does).

    Columnar: a column of one number per example (`numeric_array`: a numeric numpy array, pandas
    or Arrow column, or a list of numbers of one type) is returned as one 1-d numpy array (float64,
    int64 or bool), checked at C speed; any other column as a list of plain Python values."""
    array = numeric_array(values)
    if array is not None:
        bad = _first_bad(array, False)
        if bad is not None:
            _label(field, column, offset + bad, array[bad].item())  # raises, naming the row
        return array
    out = _labels(field, column, values, offset)
    array = numeric_array(out)  # cells typed otherwise (0-d arrays, tensors) give the same column
    if array is not None:
        return array
    kinds = set(map(type, out))
    if str in kinds or list in kinds:
        texts = [v for v in out if type(v) is str]
        texts += [x for v in out if type(v) is list for x in v if type(x) is str]
        _refuse_surrogates(field, column, offset, out, texts)
    return out


def _labels(field: str, column: str, values: Sequence[Any], offset: int) -> list:
    out = _column(field, column, values)
    kinds = set(map(type, out))
    if not kinds - _PLAIN_SCALARS:
        if float not in kinds or _finite_floats(out, kinds):
            return list(out)
    elif (plain := _numpy_scalars(out, kinds)) is not None:
        return plain
    return [_label(field, column, offset + i, v) for i, v in enumerate(out)]


def _finite_floats(values: list, kinds: set[type]) -> bool:
    if kinds == {float}:
        return all(map(math.isfinite, values))
    return all(math.isfinite(v) for v in values if type(v) is float)


def _numpy_scalars(values: list, kinds: set[type]) -> list | None:
    """A column of one numpy number or bool type, as Python values (None when it is not that, or
    holds a NaN or an infinity: the walk over the values then locates it)."""
    if len(kinds) != 1:
        return None
    kind = next(iter(kinds))
    if not issubclass(kind, (np.integer, np.floating, np.bool_)):
        return None
    array = np.array(values, dtype=kind)
    if issubclass(kind, np.floating) and not np.isfinite(array).all():
        return None
    return array.tolist()


def _label(field: str, column: str, row: int, value: Any) -> Any:
    if type(value) not in _PLAIN_SCALARS:
        value = to_python(value)
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, list):
        return [_label(field, column, row, v) for v in value]
    if is_missing(value):
        raise FieldError(field, column, row, f"missing value ({describe_missing(value)})")
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        if not math.isfinite(plain := float(value)):
            raise FieldError(field, column, row, f"expected a finite number, got {_what(value)}")
        return plain
    raise _bad(field, column, row, "a number, label or array", value)


def check_weight(field: str, column: str, values: Sequence[Any], offset: int = 0) -> list | np.ndarray:
    """`sample_weight`: a finite non-negative number per example; a numeric column is returned as
    one numpy array (float64 or int64, see `check_scalar_or_array`)."""
    array = numeric_array(values)
    if array is not None and array.dtype.kind != "b":  # a weight is not a truth value
        bad = _first_bad(array, True)
        if bad is not None:
            _weight(field, column, offset + bad, array[bad].item())  # raises, naming the row
        return array
    out = _column(field, column, values)
    kinds = set(map(type, out))
    if not kinds - _NUMBERS:
        plain = list(out)
    else:  # numpy numbers (never booleans: a weight is not a truth value)
        plain = _numpy_scalars(out, kinds) if np.bool_ not in kinds else None
    if plain is not None:
        try:
            weights = np.fromiter(plain, np.float64, len(plain))
        except OverflowError:  # an integer beyond float range: let the walk below judge it
            weights = np.array([math.nan])
        if bool((np.isfinite(weights) & (weights >= 0)).all()):
            return _columnar(plain)
    return _columnar([_weight(field, column, offset + i, v) for i, v in enumerate(out)])


def _columnar(weights: list) -> list | np.ndarray:
    """Checked weights as one array when they have one type (as `numeric_array` gives them)."""
    array = numeric_array(weights)
    return weights if array is None else array


def _weight(field: str, column: str, row: int, value: Any) -> int | float:
    plain = value if type(value) in _PLAIN_SCALARS else to_python(value)
    if is_missing(plain):
        raise FieldError(field, column, row, f"missing value ({describe_missing(plain)}); expected a weight")
    if isinstance(plain, bool) or not isinstance(plain, numbers.Real):
        raise FieldError(field, column, row, f"expected a finite non-negative weight, got {_what(value)}")
    plain = int(plain) if isinstance(plain, numbers.Integral) else float(plain)
    if plain < 0 or (isinstance(plain, float) and not math.isfinite(plain)):
        raise FieldError(field, column, row, f"expected a finite non-negative weight, got {_what(value)}")
    return plain


def check_any(field: str, column: str, values: Sequence[Any], offset: int = 0) -> list:
    """Anything but a missing value (fields whose scorer documents and checks what they hold)."""
    out = _column(field, column, values)
    for i, v in enumerate(out):
        if is_missing(v):
            raise FieldError(field, column, offset + i, f"missing value ({describe_missing(v)})")
    return list(out)


def check_array(field: str, column: str, values: Any, offset: int = 0) -> list:
    """Dense vision data (masks, images, depth maps, feature vectors): one numeric array per
    example, kept as a numpy array (pixels never become Python lists). A column given as one
    stacked array or tensor is split into per-example views; a torch tensor is detached and moved
    to the CPU; a nested list becomes an array; a string is an image file path, read lazily by the
    scorer. Missing values and non-numeric cells are refused; NaN inside an array is left to the
    scorer (depth marks invalid pixels with it)."""
    if is_torch(values) and hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    if isinstance(values, np.ndarray) and values.ndim >= 1:
        values = list(values)
    out = []
    for i, value in enumerate(_column(field, column, values)):
        if isinstance(value, str):
            out.append(value)
            continue
        if is_missing(value):
            raise _bad(field, column, offset + i, "an array", value)
        if is_torch(value) and hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        try:
            array = np.asarray(value)
        except (TypeError, ValueError):
            raise _bad(field, column, offset + i, "a numeric array", value) from None
        if array.dtype.kind not in "biuf":
            raise _bad(field, column, offset + i, "a numeric array", value)
        out.append(array)
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
    "sample_weight": check_weight,
    "boxes": check_any,
    "masks": check_any,
    "images": check_any,
    "preds": check_any,
    "target": check_any,
    "mask": check_array,
    "gt_mask": check_array,
    "image": check_array,
    "reference_image": check_array,
    "depth": check_array,
    "gt_depth": check_array,
    "features": check_array,
    "panoptic": check_any,
    "gt_panoptic": check_any,
    # sequence-level: a list of natural-log token probabilities per example (rageval.training.perplexity)
    "token_logprobs": check_array,
    # losses: a Gaussian variance, pair and triplet embeddings (rageval.scorers.losses)
    "var": check_array,
    "embedding1": check_array,
    "embedding2": check_array,
    "anchor": check_array,
    "positive": check_array,
    "negative": check_array,
    # detection: per image, boxes (n, 4), labels, scores, crowd/area/ignore per object; masks are
    # COCO RLE dicts, polygons or H x W arrays (rageval.scorers.detection)
    "gt_boxes": check_array,
    "gt_labels": check_array,
    "gt_iscrowd": check_array,
    "gt_area": check_array,
    "gt_ignore": check_array,
    "pred_boxes": check_array,
    "pred_scores": check_array,
    "pred_labels": check_array,
    "pred_area": check_array,
    "gt_masks": check_any,
    "pred_masks": check_any,
}

#: fields holding lists or mappings: a CSV file stores them as JSON text
STRUCTURED = ("contexts", "references", "retrieved_ids", "relevant_ids", "context_ids", "token_logprobs")
#: fields a CSV file holds as numbers (every other field is read as text)
NUMERIC = ("y_true", "y_pred", "y_score", "sample_weight")
