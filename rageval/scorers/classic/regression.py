"""Regression metrics over `y_true` / `y_pred` (optional `sample_weight`), identical to scikit-learn.

One example is one sample: a number, or an array of ``d`` numbers (one multi-output sample; every
example of a run holds the same ``d``). The numpy core is `rageval.scorers.classic.regression_losses`
(reading the columns, the losses per element, the loss statistics and their weighted sums) and
`rageval.scorers.classic.regression_functional` (explained-deviance fractions, weighted
percentiles, correlations); the classes here (the base and the whole-data metrics) and in
`rageval.scorers.classic.regression_pointwise` (the metrics of a per-example loss) are the scorer
contract over them. No reference is called at run time.

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
