"""Per-example arrays of the dense vision fields, checked: one place that reads image paths, and
refuses wrong shapes, dtypes and non-finite values naming the field and the row."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rageval.core.errors import FieldError


def read_image(path: str) -> np.ndarray:
    """The pixels of an image file (PNG, JPEG...), as scikit-image's ``io.imread`` gives them."""
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image)


def column(batch: Mapping[str, Sequence[Any]], field: str) -> list[np.ndarray]:
    """``batch[field]`` as one numpy array per example (image paths are read here)."""
    out = []
    for i, value in enumerate(batch[field]):
        if isinstance(value, str):
            try:
                value = read_image(value)
            except OSError as e:
                raise FieldError(field, field, i, f"cannot read the image file {value!r}: {e}") from None
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise FieldError(field, field, i, f"expected a numeric array, got dtype {array.dtype}")
        out.append(array)
    return out


def pairs(batch: Mapping[str, Sequence[Any]], field: str, ref_field: str, ndim: tuple[int, ...] = (2,),
          finite: bool = True) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(batch[field][i], batch[ref_field][i])`` for each example, both of one shape with a
    number of dimensions in ``ndim``; ``finite``: NaN and infinities are refused."""
    first, second = column(batch, field), column(batch, ref_field)
    if len(first) != len(second):
        raise FieldError(ref_field, ref_field, None, f"has {len(second)} values, {field} has {len(first)}")
    for i, (a, b) in enumerate(zip(first, second)):
        for name, x in ((field, a), (ref_field, b)):
            if x.ndim not in ndim:
                raise FieldError(name, name, i, f"expected an array with {' or '.join(map(str, ndim))} "
                                                f"dimensions, got shape {x.shape}")
            if x.size == 0:
                raise FieldError(name, name, i, "empty array")
            if finite and x.dtype.kind == "f" and not np.isfinite(x).all():
                raise FieldError(name, name, i, "holds NaN or infinite values")
        if a.shape != b.shape:
            raise FieldError(field, field, i, f"shape {a.shape} differs from {ref_field}'s {b.shape}")
    return list(zip(first, second))
