"""`LossScorer`: a `rageval.losses` function as a scorer whose ``reduce`` over any subset of
examples equals the function's ``reduction="mean"`` over that subset.

Statistics per example: ``(numerator, denominator)``, summed over a subset and divided. For an
element-wise loss, the sum of the example's element losses and their count; for a loss whose mean
divides by weights (a weighted cross-entropy), the weighted loss and the sum of the weights of the
elements' targets (an ignored element contributes 0 / 0); for a loss whose mean is over samples,
the sample's loss and 1.

Writing a loss scorer (a few lines; see `rageval.scorers.losses.regression`)::

    class MSELoss(LossScorer):
        '''... formula, convention, reference ...'''
        name = "mse_loss"
        loss = losses.mse_loss                      # called with reduction="none"
        arguments = {"y_pred": "input", "y_true": "target"}   # canonical field -> argument
        same_shape = ("y_true",)                   # fields that must have y_pred's shape per example

- ``arguments`` maps canonical fields (declared in `rageval.core.fields.FIELDS`) to the function's
  argument names; ``fields`` follows from it. Each example holds one sample: a number or a
  (nested) array, given as Python lists, numpy arrays or torch tensors. ``index_fields`` hold
  integer class indices (passed as int64); every other field is float64.
- The scorer's parameters are the function's keyword arguments (``delta=``, ``weight=``...), with
  the function's names and defaults; list-valued ones (``weight``, ``pos_weight``) are passed as
  float64 tensors. ``reduction`` is not a parameter: the scorer always reproduces ``"mean"``.
- A batch whose examples all have one shape is stacked (examples along dim 0) and the function
  called once; otherwise, and to locate an error, it is called per example with a batch of one.
  Override `weights` when ``"mean"`` does not divide by the element count (`CrossEntropy`), and
  `example_terms` when an example is not one slice along dim 0 of a batched call (`CTCLoss`).
- Values are computed in float64 without gradients; bad input (missing values, NaN or inf, strings,
  ragged arrays, shapes the function refuses) raises `FieldError` naming the field and the row.
"""
from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from rageval.core.convert import describe_missing, is_missing, is_torch, to_python
from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, SummedScorer
from rageval.core.statistics import Rows, Statistics, to_numpy

#: a field's values: one array with the examples along dim 0, or one array per example (shapes differ)
Column = np.ndarray | list[np.ndarray]


class LossScorer(SummedScorer):
    """A differentiable loss as a scorer: statistics ``(Σ loss, Σ weight)`` per example, value
    ``Σ loss / Σ weight`` over any subset (the function's ``reduction="mean"``). Lower is better."""

    #: the `rageval.losses` function (called with ``reduction="none"``)
    loss: ClassVar[Callable[..., Any]]
    #: canonical field -> the function's argument it feeds
    arguments: ClassVar[dict[str, str]] = {"y_pred": "input", "y_true": "target"}
    #: fields holding integer class indices (int64 tensors); the others are float64
    index_fields: ClassVar[tuple[str, ...]] = ()
    #: fields whose value must have ``y_pred``'s shape in every example (element-wise losses)
    same_shape: ClassVar[tuple[str, ...]] = ()
    #: parameters passed to the function as float64 tensors (class weights)
    tensor_params: ClassVar[tuple[str, ...]] = ("weight", "pos_weight")

    higher_is_better = False
    differentiable = True
    bounds: ClassVar[tuple[float, float]] = (0.0, math.inf)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if inspect.isfunction(cls.__dict__.get("loss")):
            cls.loss = staticmethod(cls.__dict__["loss"])
        if "fields" not in cls.__dict__:
            cls.fields = tuple(cls.arguments)

    def __init__(self, **params: Any) -> None:
        signature = inspect.signature(type(self).loss)
        fixed = set(type(self).arguments.values()) | {"reduction"}
        allowed = [p for p in signature.parameters if p not in fixed]
        for key in params:
            if key not in allowed:
                raise ConfigError(f"{self.name}: unknown parameter {key!r}; it takes {', '.join(allowed) or 'none'}")
        params = {k: self._parameter(k, v, signature.parameters[k]) for k, v in params.items()}
        super().__init__(**params)
        self.loss_params = params

    def _parameter(self, key: str, value: Any, parameter: inspect.Parameter) -> Any:
        """``value`` as plain Python of the default's type (a list of floats for a tensor parameter),
        or a `ConfigError`."""
        value, default = to_python(value), parameter.default
        if value is None and (default is None or "None" in str(parameter.annotation)):
            return None
        if key in self.tensor_params:
            flat = np.asarray(value, dtype=object).reshape(-1).tolist() if isinstance(value, list) else [value]
            if all(isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) for v in flat):
                return np.asarray(value, dtype=np.float64).tolist()
            raise ConfigError(f"{self.name}: {key} must be finite numbers (a list), got {value!r:.60}")
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        elif isinstance(default, float):
            ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
            value = float(value) if ok else value
        else:
            ok = True
        if not ok:
            raise ConfigError(f"{self.name}: {key} must be {type(default).__name__} like its default {default!r}, "
                              f"got {value!r:.60}")
        return value

    # --- the function -------------------------------------------------------------------------
    def call(self, **arguments: Any) -> Any:
        """The function on ``arguments`` with the scorer's parameters, ``reduction="none"``."""
        import torch

        params = {k: torch.tensor(v, dtype=torch.float64) if k in self.tensor_params and v is not None else v
                  for k, v in self.loss_params.items()}
        return type(self).loss(**arguments, **params, reduction="none")

    def weights(self, loss: Any, **arguments: Any) -> Any:
        """What ``"mean"`` divides the sum of ``loss`` (the unreduced loss) by, element by element,
        as a tensor of ``loss``'s shape; None (the default) for the element count."""
        return None

    def example_terms(self, **arguments: Any) -> tuple[Any, Any]:
        """``(Σ loss, Σ weight)`` per example (two 1-D tensors) for batched ``arguments``."""
        import torch

        loss = self.call(**arguments)
        weight = self.weights(loss, **arguments)
        if weight is not None:
            return _per_example(loss), _per_example(weight)
        elements = loss.reshape(len(loss) if loss.dim() else 1, -1).shape[1]
        return _per_example(loss), torch.full((len(loss) if loss.dim() else 1,), float(elements), dtype=torch.float64)

    # --- the contract ------------------------------------------------------------------------
    def stats(self, batch: Batch) -> Rows:
        import torch

        columns = {f: _column(batch, f, f in self.index_fields) for f in self.fields}
        n = _common_length(columns)
        if n == 0:
            return Rows(np.empty((0, 2)))
        with torch.no_grad():
            stacked = self._stacked(columns)
            if stacked is not None:
                try:
                    num, den = self.example_terms(**stacked)
                    if bool(torch.isfinite(num.sum() + den.sum())):  # else the walk below names the example
                        return self._rows(num, den)
                except (RuntimeError, ValueError, IndexError):
                    pass  # some example is at fault: the per-example walk names it
            terms = [self._one(columns, i) for i in range(n)]
        return Rows(np.array(terms, dtype=np.float64).reshape(n, 2))

    def sum_rows(self, stats: Statistics) -> np.ndarray:
        return np.asarray(stats, dtype=np.float64).reshape(len(stats), 2)

    def reduce(self, stats: Statistics) -> dict[str, float]:
        rows = self.sum_rows(stats)
        value = self.reduce_sums(rows.sum(axis=0, keepdims=True), np.array([float(len(rows))]))[self.key]
        return {self.key: float(value[0])}

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        with np.errstate(invalid="ignore", divide="ignore"):
            value = sums[:, 0] / np.where((counts > 0) & (sums[:, 1] != 0), sums[:, 1], math.nan)
        return {self.key: value}

    def example_scores(self, stats: Statistics) -> dict[str, np.ndarray]:
        return self.reduce_sums(self.sum_rows(stats), np.ones(len(stats)))

    # --- helpers ------------------------------------------------------------------------------
    def _rows(self, num: Any, den: Any) -> Rows:
        return Rows(np.column_stack([to_numpy(num).astype(np.float64), to_numpy(den).astype(np.float64)]))

    def _stacked(self, columns: dict[str, Column]) -> dict[str, Any] | None:
        """The batch as one call's arguments (examples along dim 0), or None when shapes differ."""
        import torch

        out = {}
        for field, values in columns.items():
            if not isinstance(values, np.ndarray):
                if any(v.shape != values[0].shape for v in values):
                    return None
                values = np.stack(values)
            out[field] = values
        if any(out[f].shape != out["y_pred"].shape for f in self.same_shape):
            return None
        return {self.arguments[f]: torch.from_numpy(v if v.flags.writeable else v.copy()) for f, v in out.items()}

    def _one(self, columns: dict[str, Column], row: int) -> tuple[float, float]:
        import torch

        for field in self.same_shape:
            if columns[field][row].shape != columns["y_pred"][row].shape:
                raise FieldError(field, field, row, f"has shape {columns[field][row].shape}, "
                                                    f"y_pred has {columns['y_pred'][row].shape}")
        arguments = {self.arguments[f]: torch.from_numpy(np.array(columns[f][row])[None])
                     for f in self.fields}
        try:
            num, den = self.example_terms(**arguments)
        except (RuntimeError, ValueError, IndexError) as e:
            shapes = ", ".join(f"{f} {tuple(columns[f][row].shape)}" for f in self.fields)
            field = "y_true" if "y_true" in self.fields and "target" in str(e).lower() else self.fields[0]
            raise FieldError(field, field, row,
                             f"{self.name} cannot take this example ({shapes}): {str(e).splitlines()[0]}") from None
        num, den = float(num.reshape(-1)[0]), float(den.reshape(-1)[0])
        if not math.isfinite(num):
            raise FieldError(self.fields[0], self.fields[0], row, f"{self.name} is not finite here ({num}): "
                                                                  "the inputs are outside the loss's domain")
        return num, den


def _per_example(values: Any) -> Any:
    """A loss (or weight) tensor with examples along dim 0, summed over each example's elements."""
    values = values.reshape(len(values) if values.dim() else 1, -1)
    return values[:, 0] if values.shape[1] == 1 else values.sum(1)


def _common_length(columns: dict[str, Column]) -> int:
    lengths = {f: len(v) for f, v in columns.items()}
    if len(set(lengths.values())) > 1:
        first, *rest = lengths.items()
        other = next(f for f, m in rest if m != first[1])
        raise FieldError(other, other, None, f"has {lengths[other]} examples, {first[0]} has {first[1]}")
    return next(iter(lengths.values()), 0)


def _column(batch: Batch, field: str, index: bool) -> Column:
    """The field's values as numpy (float64, or int64 for class indices): one array with the
    examples along dim 0 where the column is rectangular, else one array per example."""
    values = batch[field]
    if is_torch(values) or isinstance(values, np.ndarray):
        values = to_numpy(values)
    elif isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        values = list(values) if hasattr(values, "__iter__") and not isinstance(values, (str, bytes)) else None
        if values is None:
            raise FieldError(field, field, None, "expected one value per example (a list or array)")
    array = values
    if not isinstance(values, np.ndarray) and len(values) and not any(map(is_torch, values[:1])):
        try:  # a rectangular column of numbers converts in one call
            array = np.asarray(values)
        except (TypeError, ValueError):
            pass
    if isinstance(array, np.ndarray) and array.dtype.kind in "biuf" and array.ndim >= 1 and _valid(array, index):
        return array.astype(np.int64 if index else np.float64, copy=False)
    return [_example(field, row, v, index) for row, v in enumerate(values)]


def _valid(array: np.ndarray, index: bool) -> bool:
    if array.dtype.kind != "f":
        return True
    return bool(np.isfinite(array).all()) and (not index or bool((array == np.round(array)).all()))


def _example(field: str, row: int, value: Any, index: bool) -> np.ndarray:
    """One example's value as an array, or a `FieldError` saying what is wrong with it."""
    try:
        array = np.asarray(to_numpy(value))
    except (TypeError, ValueError, RuntimeError):
        raise FieldError(field, field, row, "expected a number or a rectangular array of numbers, "
                                            "got a ragged nesting") from None
    if array.dtype.kind == "O" and not index:  # e.g. an integer beyond int64: a float still holds it
        try:
            array = np.asarray(array, dtype=np.float64) if not any(map(is_missing, array.reshape(-1))) else array
        except (TypeError, ValueError, OverflowError):
            pass
    if array.dtype.kind not in "biuf":
        missing = [v for v in array.reshape(-1) if is_missing(v)] if array.dtype.kind == "O" else []
        if missing:
            raise FieldError(field, field, row, f"missing value ({describe_missing(missing[0])})")
        raise FieldError(field, field, row, f"expected a number or an array of numbers, got {value!r:.40}")
    if array.size == 0 and not index:
        raise FieldError(field, field, row, "empty array: a loss needs at least one value")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = array.reshape(-1)[~np.isfinite(array.reshape(-1))][0]
        raise FieldError(field, field, row, f"expected finite numbers, got {bad} (NaN is a missing value)")
    if index:
        if array.dtype.kind == "f" and not (array == np.round(array)).all():
            raise FieldError(field, field, row, "expected integer class indices, got a fraction")
        return array.astype(np.int64)
    return array.astype(np.float64)
