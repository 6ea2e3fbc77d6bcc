"""Regression metrics over `y_true` / `y_pred` (optional `sample_weight`), identical to scikit-learn.

One example is one sample: a number, or an array of ``d`` numbers (one multi-output sample; every
example of a run holds the same ``d``). The numpy core is `rageval.scorers.classic.regression_losses`
(reading the columns, the losses per element, the loss statistics and their weighted sums) and
`rageval.scorers.classic.regression_functional` (explained-deviance fractions, weighted
percentiles, correlations); the classes here are the scorer contract over them. No reference is
called at run time.

Statistics, by kind of metric:

* **Means of an elementwise loss** (mse, rmse, mae, mape, msle, rmsle, pinball, the deviances,
  huber, log_cosh, smape): one `Rows` row ``[loss (d), weight]`` per example (weight 1 without
  ``sample_weight``). The metric is a function of the column sums ``Σ w·loss`` and ``Σ w``
  (`reduce_sums`), so shards merge by summing and a bootstrap is one matrix product. Every term is
  non-negative, so a sum taken in another order (a shard merge, a resample) differs from
  scikit-learn's in the last bits only (relative error below n·eps; tested to 1e-12). A weighted
  loss that overflows float64 (``(y - ŷ)²`` of 1e200 and -1e200), or exceeds max/2³² (≈4e298, so
  that no sum over fewer than 2³² examples overflows), is a `FieldError` for its example, where
  scikit-learn returns inf.
* **Order statistics of a loss** (median_ae, max_error): the same ``[loss (d), weight]`` rows;
  ``reduce`` takes the (weighted) median / the maximum of the subset: one partition or sort.
* **Everything else** (r2, adjusted_r2, explained_variance, d2_pinball, pearson, spearman,
  kendall, ccc): the exact rows ``[y_true (d), y_pred (d), weight]``; ``reduce`` computes the
  reference's two-pass / rank formula on the subset in numpy. Decision: no raw-moment summed form
  for r2, explained variance, pearson and ccc — ``Σwy² - (Σwy)²/Σw`` loses up to eps·(mean/std)²
  relative (1e-8 for values near 1e4 with residuals near 1), far from 1e-12; their resamples are
  reduced one by one. scikit-learn's r2 / explained_variance on a constant y_true (or a constant
  residual) with sample weights depend on row order by rounding (a weighted variance of 0 or
  ~1e-32 flips force_finite's 0/1 against a finite ratio): there, and only there, the rows are
  reduced in a canonical (sorted) order, so the value depends on the set of examples only and is
  scikit-learn's value on the sorted rows.

``multioutput`` takes scikit-learn's values: ``"uniform_average"`` (default), ``"variance_weighted"``
(r2, explained_variance), an array of one weight per output, or ``"raw_values"``, which needs
``n_outputs`` and reports one part ``output{j}`` per output (the primary value is then their
uniform average). Per-example scores are the metric on that example alone (the per-output loss
combined across outputs as ``multioutput`` says); metrics undefined on one sample (r2, correlations,
d2) give NaN there, as scikit-learn does (with its ``UndefinedMetricWarning``).
"""
from __future__ import annotations

import math
import warnings
from typing import Any, ClassVar

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, Scorer
from rageval.core.statistics import Rows, Statistics
from rageval.scorers.classic import regression_functional as F
from rageval.scorers.classic import regression_losses as L


class RegressionScorer(Scorer):
    """Base: reads ``y_true`` / ``y_pred`` / ``sample_weight`` as ``(n, d)`` arrays; statistics
    ``[y_true (d), y_pred (d), weight]`` per example, and ``reduce`` calls `value` on the subset's
    arrays (subclasses with loss statistics override both)."""

    fields: ClassVar[tuple[str, ...]] = ("y_true", "y_pred")
    optional_fields: ClassVar[tuple[str, ...]] = ("sample_weight",)
    higher_is_better = False
    bounds: ClassVar[tuple[float, float]] = (0.0, math.inf)
    #: multioutput strings the reference accepts (None: single output only)
    multioutputs: ClassVar[tuple[str, ...] | None] = ("raw_values", "uniform_average")
    #: the value depends on row order by rounding on degenerate data: reduce those rows sorted
    order_sensitive: ClassVar[bool] = False

    def __init__(self, multioutput: Any = "uniform_average", n_outputs: int | None = None, **params: Any) -> None:
        given = dict(params)
        if isinstance(multioutput, str):
            if multioutput != "uniform_average" and (self.multioutputs is None or multioutput not in self.multioutputs):
                raise ConfigError(f"{self.name}: multioutput must be one of {self.multioutputs}, got {multioutput!r}")
            if multioutput == "raw_values" and not (isinstance(n_outputs, int) and n_outputs >= 1):
                raise ConfigError(f"{self.name}: multioutput='raw_values' needs n_outputs (the number of outputs)")
            if multioutput != "uniform_average":
                given["multioutput"] = multioutput
        else:
            if self.multioutputs is None:
                raise ConfigError(f"{self.name}: multioutput is not supported (scikit-learn has none)")
            multioutput = np.asarray(multioutput, np.float64).ravel()
            given["multioutput"] = multioutput.tolist()
        if n_outputs is not None:
            given["n_outputs"] = n_outputs
        super().__init__(**given)
        self.multioutput, self.n_outputs = multioutput, n_outputs
        for k, v in params.items():
            setattr(self, k, v)
        if isinstance(multioutput, str) and multioutput == "raw_values":
            self.parts = tuple(f"output{j}" for j in range(n_outputs))

    # --- statistics -------------------------------------------------------------------------
    def check(self, t: np.ndarray, p: np.ndarray) -> None:
        """Domain checks of the reference (negative targets...): `FieldError` naming field and row."""

    def arrays(self, batch: Batch, finite: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray | float]:
        """``(y_true, y_pred, weight)`` of a batch, checked: ``(n, d)``, ``(n, d)``, ``(n,)`` (1.0
        without ``sample_weight``). ``finite=False``: NaN and infinities are let through (the
        caller finds them in the losses, which they make non-finite, and calls `check_finite`);
        any other error is raised as with ``finite=True`` (a non-finite value first)."""
        t = L.read_column(batch, "y_true", finite)
        p = None
        try:
            p = L.read_column(batch, "y_pred", finite)
            if len(t) != len(p):
                raise FieldError("y_pred", "y_pred", None, f"{len(p)} predictions for {len(t)} targets")
            if t.shape[1] != p.shape[1]:
                raise FieldError("y_pred", "y_pred", 0, f"has {p.shape[1]} outputs, y_true has {t.shape[1]}")
            if self.multioutputs is None and t.shape[1] > 1:
                raise FieldError("y_true", "y_true", 0, f"{t.shape[1]} outputs: multioutput not supported in "
                                                        f"{self.name} (scikit-learn)")
            self.check(t, p)
        except FieldError:
            if not finite:  # the error a checked read would have raised first
                self.check_finite(batch, t, p)
            raise
        w = batch.get("sample_weight")
        return t, p, (1.0 if w is None else np.asarray(w, np.float64).reshape(len(t)))

    def stats(self, batch: Batch) -> Rows:
        t, p, w = self.arrays(batch)
        return L.column_rows(t, p, np.broadcast_to(w, len(t)))

    @staticmethod
    def check_finite(batch: Batch, t: np.ndarray, p: np.ndarray | None) -> None:
        """What `arrays` skipped with ``finite=False``: `FieldError` at the first non-finite value
        of y_true, then of y_pred (none where `evaluate` checked the batch)."""
        for field, arr in (("y_true", t), ("y_pred", p)):
            if arr is not None and not (getattr(batch, "checked", False) and isinstance(batch[field], np.ndarray)):
                L.check_finite(arr, field)

    def unpack(self, stats: Statistics) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        rows = np.asarray(stats, np.float64)
        d = (rows.shape[1] - 1) // 2
        if self.order_sensitive and len(rows) > 1 and self.degenerate(rows[:, :d], rows[:, d:2 * d]):
            rows = rows[np.lexsort(rows.T[::-1])]  # the canonical order
        w = rows[:, -1]
        return rows[:, :d], rows[:, d:2 * d], (None if L.all_ones(w) else w)

    def degenerate(self, t: np.ndarray, p: np.ndarray) -> bool:
        """True where the reference's value on these rows depends on their order by rounding
        (``order_sensitive`` scorers): a constant y_true column."""
        return L.constant_column(t)

    # --- reduction --------------------------------------------------------------------------
    def value(self, t: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        """The metric per output on ``(n, d)`` arrays (``multioutput="raw_values"``)."""
        raise NotImplementedError(f"{type(self).__name__} must define value(t, p, w)")

    def output_weights(self, raw: np.ndarray) -> np.ndarray | None:
        """The weights that average the outputs (None: uniform); scikit-learn's multioutput rules."""
        mo = self.multioutput
        if isinstance(mo, str):
            if mo in ("raw_values", "uniform_average"):
                return None
            raise NotImplementedError(f"{type(self).__name__} lists multioutput={mo!r} but does not handle it")
        if len(mo) != raw.shape[-1]:
            raise FieldError("y_true", "y_true", 0, f"There must be equally many custom weights ({len(mo)}) as "
                                                    f"outputs ({raw.shape[-1]}).")
        return mo

    def result(self, raw: np.ndarray, weights: Any = "multioutput") -> dict[str, float]:
        """The value (outputs averaged by ``weights``; by default as ``multioutput`` says) and parts."""
        raw = np.atleast_1d(np.asarray(raw, np.float64))
        weights = self.output_weights(raw) if isinstance(weights, str) else weights
        out = {self.key: float(np.average(raw, weights=weights))}
        for j, part in enumerate(self.parts):
            out[f"{self.key}.{part}"] = float(raw[j]) if j < len(raw) else math.nan
        return out

    def reduce(self, stats: Statistics) -> dict[str, float]:
        if len(stats) == 0 or np.asarray(stats).shape[1] < 3:
            return {k: math.nan for k in self.keys()}
        return self.result(self.value(*self.unpack(stats)))

    def example_scores(self, stats: Statistics) -> dict[str, np.ndarray]:
        """Undefined on one sample (r2, d2, correlations): NaN."""
        return {k: np.full(len(stats), math.nan) for k in self.keys()}


def _undefined(what: str) -> None:
    from sklearn.exceptions import UndefinedMetricWarning

    warnings.warn(f"{what} is not well-defined with less than two samples.", UndefinedMetricWarning, stacklevel=4)


# --- losses of one example: statistics [loss (d), weight] -------------------------------------------
class _Pointwise(RegressionScorer):
    """A metric of the per-example loss ``elementwise(y, ŷ)`` (per output). Statistics:
    ``[loss (d), weight]``; the per-example score is the loss (``root``: its square root) combined
    across outputs."""

    version = "2"  # statistics are the losses (version 1: the raw rows)
    root: ClassVar[bool] = False
    #: the loss is never below 0 (NaN aside): its bound check takes the maximum only
    nonnegative: ClassVar[bool] = True

    def elementwise(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """The reference's loss per element."""
        raise NotImplementedError(f"{type(self).__name__} must define elementwise(t, p)")

    def elementwise_into(self, t: np.ndarray, p: np.ndarray, out: np.ndarray) -> float | None:
        """``out[...] = elementwise(t, p)`` (losses of one or two ufuncs write in place); returns
        ``out.max()`` where it computed it anyway, else None."""
        out[...] = self.elementwise(t, p)
        return None

    #: the numpy block loop runs on threads (`parallel.run_chunks`): only for kernels whose ufunc loop
    #: dominates (scipy's xlogy); cheap SIMD kernels run slower on threads (measured)
    threaded: ClassVar[bool] = False

    def stats(self, batch: Batch) -> Rows:
        # y_true and y_pred are not checked finite apart: a NaN or infinity makes its loss non-finite
        t, p, w = self.arrays(batch, finite=False)
        with np.errstate(over="ignore", invalid="ignore"):
            columns, largest, scale = L.loss_rows(self.elementwise_into, t, p, w, self.nonnegative, self.threaded)
            fine = not len(t) or largest * scale <= L.LARGEST  # NaN fails too
        if not fine:  # the largest loss times the largest weight: each row's own product decides
            self.check_finite(batch, t, p)  # a NaN or infinity in y_true or y_pred: that error
            d = t.shape[1]
            with np.errstate(over="ignore", invalid="ignore"):
                bad = np.flatnonzero(~(np.abs(columns[:d].T * columns[d][:, None]) <= L.LARGEST).all(axis=1))
            if len(bad):  # none: a large loss has a small weight (1e280 x 1e-100 beside a weight of 1e100)
                i = int(bad[0])
                raise FieldError("y_pred", "y_pred", i, f"the {self.name} loss of y_true={t[i].tolist()}, y_pred="
                                                        f"{p[i].tolist()} overflows float64 or its sums "
                                                        f"(> {L.LARGEST:.1e}; scikit-learn returns inf)")
        return Rows(columns.T)

    @staticmethod
    def losses(stats: Statistics) -> tuple[np.ndarray, np.ndarray]:
        rows = np.asarray(stats, np.float64)
        return rows[:, :-1], rows[:, -1]

    def example_scores(self, stats: Statistics) -> dict[str, np.ndarray]:
        if len(stats) == 0 or np.asarray(stats).shape[1] < 2:
            return {k: np.full(len(stats), math.nan) for k in self.keys()}
        e, _ = self.losses(stats)
        if self.root:
            e = np.sqrt(e)
        mo = self.multioutput
        main = e.mean(axis=1) if isinstance(mo, str) else e @ (np.asarray(mo) / np.sum(mo))
        out = {self.key: main}
        for j, part in enumerate(self.parts):
            out[f"{self.key}.{part}"] = e[:, j] if j < e.shape[1] else np.full(len(e), math.nan)
        return out


class _Mean(_Pointwise):
    """The weighted mean of the loss ``Σ w loss / Σ w`` per output (``root``: its square root),
    then combined across outputs: a function of the column sums of ``[w·loss (d), w]``."""

    def sum_rows(self, stats: Statistics) -> np.ndarray:
        e, w = self.losses(stats)
        return np.column_stack([e * w[:, None], w])

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        sums = np.asarray(sums, np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            total = np.where((np.asarray(counts) > 0) & (sums[:, -1] != 0), sums[:, -1], math.nan)
            raw = sums[:, :-1] / total[:, None]
        if self.root:
            raw = np.sqrt(raw)
        weights = self.output_weights(raw)
        out = {self.key: raw.mean(axis=1) if weights is None else np.average(raw, axis=1, weights=weights)}
        for j, part in enumerate(self.parts):
            out[f"{self.key}.{part}"] = raw[:, j] if j < raw.shape[1] else np.full(len(raw), math.nan)
        return out

    def reduce(self, stats: Statistics) -> dict[str, float]:
        rows = np.asarray(stats, np.float64)
        if len(rows) == 0:
            return {k: math.nan for k in self.keys()}
        return self.reduce_columns(lambda j: rows[:, j], rows.shape[1], len(rows))

    def reduce_columns(self, column, width: int, count: int) -> dict[str, float]:
        """From the columns ``[loss (d), weight]`` one at a time (a spilled run reads them so)."""
        if width < 2:
            return {k: math.nan for k in self.keys()}
        w = column(width - 1)
        if L.all_ones(w):  # scikit-learn's unweighted mean: the same pairwise sums
            sums = [np.sum(column(j)) for j in range(width - 1)] + [float(count)]
        else:  # Σ w·loss and Σ w block by block
            pairs = [L.weighted_sums(column(j), w) for j in range(width - 1)]
            sums = [product for product, _ in pairs] + [pairs[0][1]]
        values = self.reduce_sums(np.array([sums]), np.array([float(count)]))
        return {k: float(v[0]) for k, v in values.items()}


class MSE(_Mean):
    """Mean squared error ``Σ w (y - ŷ)² / Σ w`` per output; `sklearn.metrics.mean_squared_error`."""

    name = "mse"

    def elementwise(self, t, p):
        return (t - p) ** 2

    elementwise_into = staticmethod(L.squared_into)


class RMSE(MSE):
    """Root mean squared error ``sqrt(Σ w (y - ŷ)² / Σ w)`` per output, then averaged over outputs;
    `sklearn.metrics.root_mean_squared_error`."""

    name, root = "rmse", True


class MAE(_Mean):
    """Mean absolute error ``Σ w |y - ŷ| / Σ w``; `sklearn.metrics.mean_absolute_error`."""

    name = "mae"

    def elementwise(self, t, p):
        return np.abs(p - t)

    elementwise_into = staticmethod(L.absolute_into)


class MAPE(_Mean):
    """Mean absolute percentage error ``Σ w |y - ŷ| / max(|y|, eps) / Σ w`` (eps = float64 machine
    epsilon; a fraction, not percent); `sklearn.metrics.mean_absolute_percentage_error`."""

    name = "mape"

    def elementwise(self, t, p):
        return np.abs(p - t) / np.maximum(np.abs(t), np.finfo(np.float64).eps)

    elementwise_into = staticmethod(L.percentage_into)


class MSLE(_Mean):
    """Mean squared logarithmic error ``Σ w (log1p y - log1p ŷ)² / Σ w``;
    `sklearn.metrics.mean_squared_log_error`. Values ≤ -1 are refused (scikit-learn's ValueError,
    here a `FieldError` naming the field and row)."""

    name = "msle"
    label = "Mean Squared Logarithmic Error"

    def check(self, t, p):
        for field, a in (("y_true", t), ("y_pred", p)):
            if len(a) and a.min() <= -1:  # one pass; the row only when there is one
                bad = np.flatnonzero((a <= -1).any(axis=1))
                raise FieldError(field, field, int(bad[0]), f"{self.label} cannot be used when targets contain values "
                                                            "less than or equal to -1.")

    def elementwise(self, t, p):
        return (np.log1p(t) - np.log1p(p)) ** 2

    elementwise_into = staticmethod(L.squared_log_into)


class RMSLE(MSLE):
    """Root mean squared logarithmic error, ``sqrt`` of `msle` per output;
    `sklearn.metrics.root_mean_squared_log_error`."""

    name, root = "rmsle", True
    label = "Root Mean Squared Logarithmic Error"


class MedianAE(_Pointwise):
    """Median absolute error ``median |y - ŷ|`` per output; `sklearn.metrics.median_absolute_error`
    (weighted: scikit-learn's ``_weighted_percentile(average=True)``). Order-based: the statistics
    are the exact residuals, the median of a subset one partition (``np.median``) or one sort."""

    name = "median_ae"
    elementwise, elementwise_into = MAE.elementwise, staticmethod(L.absolute_into)

    def reduce(self, stats):
        if len(stats) == 0 or np.asarray(stats).shape[1] < 2:
            return {k: math.nan for k in self.keys()}
        e, w = self.losses(stats)
        if L.all_ones(w):
            return self.result(np.median(e, axis=0))
        return self.result(F.weighted_percentile(e, w, 50, average=True))


class MaxError(_Pointwise):
    """Maximum residual ``max |y - ŷ|``; `sklearn.metrics.max_error` (single output, no weights)."""

    name = "max_error"
    optional_fields = ()
    multioutputs = None
    elementwise, elementwise_into = MAE.elementwise, staticmethod(L.absolute_into)

    def reduce(self, stats):
        if len(stats) == 0 or np.asarray(stats).shape[1] < 2:
            return {k: math.nan for k in self.keys()}
        return self.result(np.max(self.losses(stats)[0], axis=0))


class R2(RegressionScorer):
    """Coefficient of determination ``1 - Σ w (y - ŷ)² / Σ w (y - ȳ_w)²`` per output (two-pass);
    `sklearn.metrics.r2_score` with ``force_finite`` (constant y_true: 1.0 for a perfect fit, else
    0.0; ``force_finite=False``: NaN / -inf). Fewer than two samples: NaN with scikit-learn's
    UndefinedMetricWarning. Higher is better."""

    name = "r2"
    multioutputs = ("raw_values", "uniform_average", "variance_weighted")
    higher_is_better, bounds, order_sensitive = True, (-math.inf, 1.0), True
    parts_of, fast_parts_of = staticmethod(F.r2_parts), staticmethod(F.fast_r2_parts)
    #: scikit-learn's r2 is NaN (with a warning) on fewer than two samples; explained variance is not
    needs_two: ClassVar[bool] = True

    def __init__(self, force_finite: bool = True, **kw: Any) -> None:
        super().__init__(**kw, **({} if force_finite else {"force_finite": False}))
        self.force_finite = force_finite

    def reduce(self, stats):
        if len(stats) == 0 or np.asarray(stats).shape[1] < 3:
            return {k: math.nan for k in self.keys()}
        rows = np.asarray(stats, np.float64)
        d = (rows.shape[1] - 1) // 2
        if len(rows) < 2 and self.needs_two:
            _undefined("R^2 score")
            return self.result(np.full(d, math.nan), None)
        if self.degenerate(rows[:, :d], rows[:, d:2 * d]):  # scikit-learn's operations on the sorted rows
            num, den = self.parts_of(*self.unpack(stats))
        else:
            w = rows[:, -1]
            t, p, w = rows[:, :d], rows[:, d:2 * d], (None if L.all_ones(w) else w)
            if d == 1:
                t, p = np.ascontiguousarray(t), np.ascontiguousarray(p)
            num, den = self.fast_parts_of(t, p, w)
        raw = F.fraction_explained(num, den, self.force_finite)
        if isinstance(self.multioutput, str) and self.multioutput == "variance_weighted":
            return self.result(raw, den if np.any(den != 0) else None)  # all constant: uniform
        return self.result(raw)


class ExplainedVariance(R2):
    """Explained variance ``1 - Var_w(y - ŷ) / Var_w(y)`` per output;
    `sklearn.metrics.explained_variance_score` (``force_finite`` as r2)."""

    name, needs_two = "explained_variance", False
    parts_of, fast_parts_of = staticmethod(F.explained_variance_parts), staticmethod(F.fast_explained_variance_parts)

    def degenerate(self, t, p):
        """A constant y_true or a constant residual (its weighted variance is rounding noise)."""
        if super().degenerate(t, p):
            return True
        if len(t) > 1 and np.all(t[0] - p[0] != t[-1] - p[-1]):  # two residuals differ: none constant
            return False
        e = t - p
        return bool(np.any(e.min(axis=0) == e.max(axis=0)))


class AdjustedR2(R2):
    """Adjusted R² ``1 - (1 - R²)(n - 1) / (n - n_features - 1)`` with n the number of examples
    and R² scikit-learn's `r2_score`; the adjustment of torchmetrics' ``R2Score(adjusted=...)``
    (parameter here ``n_features``); where ``n - n_features - 1 <= 0`` the plain R² with a warning, as
    torchmetrics."""

    name = "adjusted_r2"

    def __init__(self, n_features: int = 0, **kw: Any) -> None:
        if not isinstance(n_features, (int, np.integer)) or isinstance(n_features, bool) or n_features < 0:
            raise ConfigError(f"adjusted_r2: n_features must be a non-negative integer, got {n_features!r}")
        super().__init__(**kw)
        self.params["n_features"] = self.n_features = int(n_features)

    def reduce(self, stats):
        out, n, k = super().reduce(stats), len(stats), self.n_features
        if n - k - 1 <= 0:  # torchmetrics: a warning and the plain r2
            if k and n:
                warnings.warn("adjusted_r2: n_features >= n - 1, falls back to standard r2 score (torchmetrics)",
                              UserWarning, stacklevel=2)
            return out
        return {key: 1 - (1 - v) * (n - 1) / (n - k - 1) for key, v in out.items()}


def _check_alpha(name: str, alpha: Any) -> None:
    """scikit-learn's parameter validation: a real ``alpha`` in [0, 1]."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)) or not 0 <= alpha <= 1:
        raise ConfigError(f"{name}: alpha must be a float in the range [0.0, 1.0] (scikit-learn), got {alpha!r}")


class Pinball(_Mean):
    """Mean pinball loss ``Σ w [α max(y - ŷ, 0) + (1 - α) max(ŷ - y, 0)] / Σ w``;
    `sklearn.metrics.mean_pinball_loss` (``alpha`` default 0.5)."""

    name = "pinball"

    def __init__(self, alpha: float = 0.5, **kw: Any) -> None:
        _check_alpha(self.name, alpha)
        super().__init__(**kw, **({} if alpha == 0.5 else {"alpha": alpha}))
        self.alpha = float(alpha)

    def elementwise(self, t, p):
        return L.pinball(t, p, self.alpha)

    def elementwise_into(self, t, p, out):
        L.pinball_into(t, p, self.alpha, out)


class D2Pinball(RegressionScorer):
    """D² pinball score ``1 - pinball(y, ŷ) / pinball(y, q_α(y))``, q_α the (weighted) α-quantile
    of the subset's y_true (``_weighted_percentile(average=True)``); `sklearn.metrics.d2_pinball_score`
    (force_finite rules). Order-based; NaN on one sample."""

    name = "d2_pinball"
    higher_is_better, bounds = True, (-math.inf, 1.0)

    def __init__(self, alpha: float = 0.5, **kw: Any) -> None:
        _check_alpha(self.name, alpha)
        super().__init__(**kw, **({} if alpha == 0.5 else {"alpha": alpha}))
        self.alpha = float(alpha)

    def value(self, t, p, w):
        if len(t) < 2:
            _undefined("D^2 score")
            return np.full(t.shape[1], math.nan)
        t, p = np.ascontiguousarray(t), np.ascontiguousarray(p)
        numerator = np.average(L.pinball(t, p, self.alpha), axis=0, weights=w)
        weights = np.ones(len(t)) if w is None else w
        quantile = F.weighted_percentile(t, weights, self.alpha * 100, average=True)
        denominator = np.average(L.pinball(t, np.tile(quantile, (len(t), 1)), self.alpha), axis=0, weights=weights)
        return F.fraction_explained(numerator, denominator, True)


class _Tweedie(_Mean):
    """Mean Tweedie deviance (single output)."""

    multioutputs = None
    power: float = 0.0
    nonnegative = False  # rounding: -inf where y / ŷ underflows (scikit-learn's too)

    @property
    def threaded(self) -> bool:  # scipy's xlogy and np.power: a scalar libm call per element
        return self.power not in (0.0, 2.0)

    def check(self, t, p):
        pw, msg = self.power, f"Mean Tweedie deviance error with power={self.power} can only be used on "
        if pw < 0:
            rules = [("y_pred", p, True, msg + "strictly positive y_pred.")]
        elif 1 <= pw < 2:
            rules = [("y_true", t, False, msg + "non-negative y and strictly positive y_pred."),
                     ("y_pred", p, True, msg + "non-negative y and strictly positive y_pred.")]
        elif pw >= 2:
            rules = [("y_true", t, True, msg + "strictly positive y and y_pred."),
                     ("y_pred", p, True, msg + "strictly positive y and y_pred.")]
        else:
            rules = []
        for field, a, strict, text in rules:  # a.min() first: one pass, the row only when there is one
            if len(a) and (a.min() <= 0 if strict else a.min() < 0):
                rows = np.flatnonzero(((a <= 0) if strict else (a < 0)).any(axis=1))
                raise FieldError(field, field, int(rows[0]), text)

    def elementwise(self, t, p):
        return L.tweedie(t, p, self.power)

    def elementwise_into(self, t, p, out):
        L.tweedie_into(t, p, self.power, out)


class TweedieDeviance(_Tweedie):
    """Mean Tweedie deviance with ``power`` (0 normal, 1 Poisson, 2 gamma, ``p < 0`` or ``p ≥ 1``);
    `sklearn.metrics.mean_tweedie_deviance`. Inputs outside the power's domain: `FieldError` with
    scikit-learn's message."""

    name = "tweedie_deviance"

    def __init__(self, power: float = 0.0, **kw: Any) -> None:
        if 0 < power < 1:
            raise ConfigError("Tweedie deviance is only defined for power<=0 and power>=1.")
        super().__init__(**kw, **({"power": power} if power != 0 else {}))
        self.power = float(power)


class PoissonDeviance(_Tweedie):
    """Mean Poisson deviance ``2 Σ w (y log(y/ŷ) - y + ŷ) / Σ w`` (y ≥ 0, ŷ > 0);
    `sklearn.metrics.mean_poisson_deviance`."""

    name, power = "poisson_deviance", 1.0


class GammaDeviance(_Tweedie):
    """Mean gamma deviance ``2 Σ w (log(ŷ/y) + y/ŷ - 1) / Σ w`` (y, ŷ > 0);
    `sklearn.metrics.mean_gamma_deviance`."""

    name, power = "gamma_deviance", 2.0


class Huber(_Mean):
    """Mean Huber loss ``0.5 e²`` if ``|e| ≤ δ`` else ``δ (|e| - 0.5 δ)``, e = y - ŷ; equal to
    ``torch.nn.functional.huber_loss(reduction="mean", delta=delta)`` (weighted mean with weights)."""

    name = "huber"

    def __init__(self, delta: float = 1.0, **kw: Any) -> None:
        if not delta > 0:
            raise ConfigError(f"huber: delta must be positive, got {delta!r}")
        super().__init__(**kw, **({} if delta == 1.0 else {"delta": delta}))
        self.delta = float(delta)

    def elementwise(self, t, p):
        return L.huber(t, p, self.delta)

    def elementwise_into(self, t, p, out):
        L.huber_into(t, p, self.delta, out)


class LogCosh(_Mean):
    """Mean log-cosh error ``Σ w log(cosh(ŷ - y)) / Σ w``, torchmetrics' ``LogCoshError`` formula;
    where ``cosh`` overflows (``|ŷ - y| > ~710``, torchmetrics gives inf) the stable form
    ``|e| + log1p(exp(-2|e|)) - log 2`` of the same function."""

    name = "log_cosh"

    def elementwise(self, t, p):
        out = np.empty_like(t)
        self.elementwise_into(t, p, out)
        return out

    elementwise_into = staticmethod(L.log_cosh_into)


class SMAPE(_Mean):
    """Symmetric MAPE ``Σ w 2|ŷ - y| / max(|y| + |ŷ|, 1.17e-6) / Σ w`` (a fraction in [0, 2]),
    torchmetrics' ``SymmetricMeanAbsolutePercentageError``."""

    name, bounds = "smape", (0.0, 2.0)

    def elementwise(self, t, p):
        return L.smape(t, p)

    elementwise_into = staticmethod(L.smape_into)


class _Correlation(RegressionScorer):
    """A correlation per output over the subset (no sample weights), NaN on fewer than 2 examples
    or a constant column (scipy's ConstantInputWarning case)."""

    optional_fields = ()
    higher_is_better, bounds = True, (-1.0, 1.0)
    function: ClassVar[Any]

    def value(self, t, p, w):
        return type(self).function(t, p)


class Pearson(_Correlation):
    """Pearson's r per output; ``scipy.stats.pearsonr(y_true, y_pred).statistic`` (two-pass, clipped
    to [-1, 1], exactly ±1 on two samples)."""

    name, function = "pearson", staticmethod(F.pearson)


class Spearman(_Correlation):
    """Spearman's ρ (Pearson's r of average ranks, ties averaged) per output;
    ``scipy.stats.spearmanr(y_true, y_pred).statistic``. One unstable argsort per column."""

    name, function = "spearman", staticmethod(F.spearman)


class Kendall(_Correlation):
    """Kendall's tau-b ``(C - D) / sqrt((P - T_x)(P - T_y))`` (P pairs, T_x / T_y pairs tied in
    y_true / y_pred) per output; ``scipy.stats.kendalltau(y_true, y_pred)`` (``variant="b"``, its
    default). The rows are sorted once by (y_true, y_pred) dense ranks and the discordant pairs
    counted by scipy's own compiled counter."""

    name, function = "kendall", staticmethod(F.kendall_tau_b)


class CCC(_Correlation):
    """Lin's concordance correlation ``2 s_xy / (s_x² + s_y² + (x̄ - ȳ)²)`` with (n - 1)
    denominators, per output (two-pass); torchmetrics' ``ConcordanceCorrCoef``. A constant y_true or
    y_pred gives NaN (scipy's pearsonr convention; torchmetrics gives rounding noise there: 0, ~1e-32
    or NaN depending on the values)."""

    name, function = "ccc", staticmethod(F.ccc)


REGRESSION = {c.name: c for c in (MSE, RMSE, MAE, MAPE, SMAPE, MSLE, RMSLE, MedianAE, MaxError, R2, AdjustedR2,
                                  ExplainedVariance, Pinball, D2Pinball, PoissonDeviance, GammaDeviance,
                                  TweedieDeviance, Huber, LogCosh, Pearson, Spearman, Kendall, CCC)}
