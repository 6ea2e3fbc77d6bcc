"""Regression metrics over `y_true` / `y_pred` (optional `sample_weight`), identical to scikit-learn.

One example is one sample: a number, or an array of ``d`` numbers (one multi-output sample; every
example of a run holds the same ``d``). Statistics: the exact per-example values, one `Rows` row
``[y_true (d), y_pred (d), weight]`` (weight 1 without ``sample_weight``). ``reduce`` recomputes
the metric on exactly the examples given with the reference's own two-pass / order-based formula
(scikit-learn's function where it has one, scipy's for the rank correlations, torchmetrics' formula
for ``smape``, ``log_cosh``, ``ccc`` and ``adjusted_r2``), so any subset, shard merge or resample
reduces to the reference's value on it. The rows are reduced in a canonical (sorted) order, so the
value depends on the set of examples only: on degenerate data scikit-learn's value depends on row
order by rounding (a constant y_true with sample weights: its weighted variance is 0 or ~1e-32
depending on the order, and r2 / explained_variance flip between force_finite's 0/1 and a finite
ratio); rageval's is the reference's value on the sorted rows. Decision: no summed-moment form is used — r2, explained
variance, pearson and ccc from raw moments lose digits to cancellation on data with a large mean
(values near 1e4 with residuals near 1), so bootstrap resamples also reduce exactly (the generic
path of `rageval.stats.resampling`, one reduce per resample).

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

_EPS_TM = 1.17e-06  # torchmetrics' clamp in symmetric_mean_absolute_percentage_error


def _column(batch: Batch, field: str) -> np.ndarray:
    """``batch[field]`` as an ``(n, d)`` float64 array; `FieldError` naming field and row otherwise."""
    values = batch[field]
    arr = np.asarray(values) if isinstance(values, np.ndarray) else None
    if arr is None or arr.dtype.kind not in "biuf":
        rows = []
        for i, v in enumerate(values):
            a = np.asarray(v.tolist() if hasattr(v, "tolist") and not isinstance(v, np.ndarray) else v)
            if a.dtype.kind not in "biuf" or a.ndim > 1 or a.size == 0:
                raise FieldError(field, field, i, f"expected a number or a 1-d array of numbers, got {v!r:.60}")
            rows.append(a.astype(np.float64).ravel())
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            first = len(rows[0])
            i = next(j for j, r in enumerate(rows) if len(r) != first)
            raise FieldError(field, field, i, f"has {len(rows[i])} outputs, row 0 has {first}")
        arr = np.array(rows, dtype=np.float64).reshape(len(rows), -1)
    arr = arr.astype(np.float64, copy=False).reshape(len(arr), -1)
    bad = np.flatnonzero(~np.isfinite(arr).all(axis=1))
    if len(bad):
        raise FieldError(field, field, int(bad[0]), f"not finite: {arr[bad[0]].tolist()}")
    return arr


class RegressionScorer(Scorer):
    """Base: statistics ``[y_true (d), y_pred (d), weight]`` per example; ``reduce`` calls
    `value` on the subset's arrays."""

    fields: ClassVar[tuple[str, ...]] = ("y_true", "y_pred")
    optional_fields: ClassVar[tuple[str, ...]] = ("sample_weight",)
    higher_is_better = False
    bounds: ClassVar[tuple[float, float]] = (0.0, math.inf)
    #: multioutput strings the reference accepts (None: single output only)
    multioutputs: ClassVar[tuple[str, ...] | None] = ("raw_values", "uniform_average")
    #: per-example loss is the reference's elementwise loss (None: undefined on one sample)
    pointwise: ClassVar[bool] = True
    root: ClassVar[bool] = False

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

    def stats(self, batch: Batch) -> Rows:
        t, p = _column(batch, "y_true"), _column(batch, "y_pred")
        if t.shape[1] != p.shape[1]:
            raise FieldError("y_pred", "y_pred", 0, f"has {p.shape[1]} outputs, y_true has {t.shape[1]}")
        if self.multioutputs is None and t.shape[1] > 1:
            raise FieldError("y_true", "y_true", 0, f"{t.shape[1]} outputs: multioutput not supported in {self.name} "
                                                    "(scikit-learn)")
        self.check(t, p)
        w = batch.get("sample_weight")
        w = np.ones(len(t)) if w is None else np.asarray(w, np.float64).reshape(len(t))
        return Rows(np.column_stack([t, p, w]))

    @staticmethod
    def unpack(stats: Statistics, canonical: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        rows = np.asarray(stats, np.float64)
        if canonical:  # sorted: the value depends on the set of rows only
            rows = rows[np.lexsort(rows.T[::-1])]
        d = (rows.shape[1] - 1) // 2
        w = rows[:, -1]
        return rows[:, :d], rows[:, d:2 * d], (None if np.all(w == 1) else w)

    # --- reduction --------------------------------------------------------------------------
    def value(self, t: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> Any:
        """The reference on ``(n, d)`` arrays with ``multioutput="raw_values"`` (an array of d)."""
        raise NotImplementedError(f"{type(self).__name__} must define value(t, p, w)")

    def combine(self, raw: np.ndarray, t: np.ndarray, w: np.ndarray | None) -> float:
        """Per-output values as one (scikit-learn's multioutput rules)."""
        mo = self.multioutput
        if isinstance(mo, str) and mo in ("raw_values", "uniform_average"):
            return float(np.average(raw))
        if isinstance(mo, str):  # variance_weighted: only r2/explained_variance list it, and handle it in value()
            raise NotImplementedError(f"{type(self).__name__} lists multioutput={mo!r} but does not handle it")
        if len(mo) != raw.shape[-1]:
            raise FieldError("y_true", "y_true", 0, f"There must be equally many custom weights ({len(mo)}) as "
                                                    f"outputs ({raw.shape[-1]}).")
        return float(np.average(raw, weights=mo))

    def result(self, raw: np.ndarray, t: np.ndarray, w: np.ndarray | None) -> dict[str, float]:
        raw = np.atleast_1d(np.asarray(raw, np.float64))
        out = {self.key: self.combine(raw, t, w)}
        for j, part in enumerate(self.parts):
            out[f"{self.key}.{part}"] = float(raw[j]) if j < len(raw) else math.nan
        return out

    def reduce(self, stats: Statistics) -> dict[str, float]:
        if len(stats) == 0 or np.asarray(stats).shape[1] < 3:
            return {k: math.nan for k in self.keys()}
        t, p, w = self.unpack(stats)
        return self.result(self.value(t, p, w), t, w)

    def elementwise(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """The per-example loss (scorers with ``pointwise``)."""
        raise NotImplementedError(f"{type(self).__name__} has no per-example loss")

    def example_scores(self, stats: Statistics) -> dict[str, np.ndarray]:
        n = len(stats)
        if not self.pointwise or n == 0:
            return {k: np.full(n, math.nan) for k in self.keys()}
        t, p, _ = self.unpack(stats, canonical=False)
        e = self.elementwise(t, p)
        if self.root:
            e = np.sqrt(e)
        mo = self.multioutput
        main = e.mean(axis=1) if isinstance(mo, str) else e @ (np.asarray(mo) / np.sum(mo))
        out = {self.key: main}
        for j, part in enumerate(self.parts):
            out[f"{self.key}.{part}"] = e[:, j] if j < e.shape[1] else np.full(n, math.nan)
        return out


def _sk(name: str) -> Any:
    import sklearn.metrics

    return getattr(sklearn.metrics, name)


def _one(a: np.ndarray) -> np.ndarray:
    return a[:, 0] if a.shape[1] == 1 else a


class _Sklearn(RegressionScorer):
    """A metric scikit-learn computes: ``sklearn.metrics.<function>`` on the subset, called with
    the scorer's ``multioutput`` (``"raw_values"``: parts from it, the value its uniform average)."""

    function: ClassVar[str]
    extra: ClassVar[tuple[str, ...]] = ()

    def call(self, t, p, w, multioutput):
        kw = {k: getattr(self, k) for k in self.extra}
        return _sk(self.function)(_one(t), _one(p), sample_weight=w, multioutput=multioutput, **kw)

    def reduce(self, stats):
        if len(stats) == 0 or np.asarray(stats).shape[1] < 3:
            return {k: math.nan for k in self.keys()}
        t, p, w = self.unpack(stats)
        mo = self.multioutput
        out = {self.key: float(self.call(t, p, w, "uniform_average" if isinstance(mo, str) and mo == "raw_values"
                                         else mo))}
        if self.parts:
            raw = np.atleast_1d(self.call(t, p, w, "raw_values"))
            for j, part in enumerate(self.parts):
                out[f"{self.key}.{part}"] = float(raw[j]) if j < len(raw) else math.nan
        return self.adjust(out, len(t))

    def adjust(self, out, n):
        return out


class MSE(_Sklearn):
    """Mean squared error ``Σ w (y - ŷ)² / Σ w`` per output; `sklearn.metrics.mean_squared_error`."""

    name, function = "mse", "mean_squared_error"

    def elementwise(self, t, p):
        return (t - p) ** 2


class RMSE(MSE):
    """Root mean squared error ``sqrt(Σ w (y - ŷ)² / Σ w)`` per output, then averaged over outputs;
    `sklearn.metrics.root_mean_squared_error`."""

    name, function, root = "rmse", "root_mean_squared_error", True


class MAE(_Sklearn):
    """Mean absolute error ``Σ w |y - ŷ| / Σ w``; `sklearn.metrics.mean_absolute_error`."""

    name, function = "mae", "mean_absolute_error"

    def elementwise(self, t, p):
        return np.abs(t - p)


class MAPE(_Sklearn):
    """Mean absolute percentage error ``Σ w |y - ŷ| / max(|y|, eps) / Σ w`` (eps = float64 machine
    epsilon; a fraction, not percent); `sklearn.metrics.mean_absolute_percentage_error`."""

    name, function = "mape", "mean_absolute_percentage_error"

    def elementwise(self, t, p):
        return np.abs(t - p) / np.maximum(np.abs(t), np.finfo(np.float64).eps)


class MSLE(_Sklearn):
    """Mean squared logarithmic error ``Σ w (log1p y - log1p ŷ)² / Σ w``;
    `sklearn.metrics.mean_squared_log_error`. Values ≤ -1 are refused (scikit-learn's ValueError,
    here a `FieldError` naming the field and row)."""

    name, function = "msle", "mean_squared_log_error"
    label = "Mean Squared Logarithmic Error"

    def check(self, t, p):
        for field, a in (("y_true", t), ("y_pred", p)):
            bad = np.flatnonzero((a <= -1).any(axis=1))
            if len(bad):
                raise FieldError(field, field, int(bad[0]), f"{self.label} cannot be used when targets contain values "
                                                            "less than or equal to -1.")

    def elementwise(self, t, p):
        return (np.log1p(t) - np.log1p(p)) ** 2


class RMSLE(MSLE):
    """Root mean squared logarithmic error, ``sqrt`` of `msle` per output;
    `sklearn.metrics.root_mean_squared_log_error`."""

    name, function, root = "rmsle", "root_mean_squared_log_error", True
    label = "Root Mean Squared Logarithmic Error"


class MedianAE(_Sklearn):
    """Median absolute error ``median |y - ŷ|`` per output (weighted: scikit-learn's
    ``_weighted_percentile(average=True)``); `sklearn.metrics.median_absolute_error`. Order-based:
    reduce keeps the exact values and takes the median of the subset."""

    name, function = "median_ae", "median_absolute_error"

    def elementwise(self, t, p):
        return np.abs(t - p)


class MaxError(RegressionScorer):
    """Maximum residual ``max |y - ŷ|``; `sklearn.metrics.max_error` (single output, no weights)."""

    name = "max_error"
    optional_fields = ()
    multioutputs = None

    def value(self, t, p, w):
        return _sk("max_error")(t[:, 0], p[:, 0])

    def elementwise(self, t, p):
        return np.abs(t - p)


class R2(_Sklearn):
    """Coefficient of determination ``1 - Σ w (y - ŷ)² / Σ w (y - ȳ_w)²`` per output (two-pass);
    `sklearn.metrics.r2_score` with ``force_finite`` (constant y_true: 1.0 for a perfect fit, else
    0.0; ``force_finite=False``: NaN / -inf). Fewer than two samples: NaN with scikit-learn's
    UndefinedMetricWarning. Higher is better."""

    name, function, extra = "r2", "r2_score", ("force_finite",)
    multioutputs = ("raw_values", "uniform_average", "variance_weighted")
    pointwise, higher_is_better, bounds = False, True, (-math.inf, 1.0)

    def __init__(self, force_finite: bool = True, **kw: Any) -> None:
        super().__init__(**kw, **({} if force_finite else {"force_finite": False}))
        self.force_finite = force_finite


class ExplainedVariance(R2):
    """Explained variance ``1 - Var_w(y - ŷ) / Var_w(y)`` per output;
    `sklearn.metrics.explained_variance_score` (``force_finite`` as r2)."""

    name, function = "explained_variance", "explained_variance_score"


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

    def adjust(self, out, n):
        k = self.n_features
        if n - k - 1 <= 0:  # torchmetrics: a warning and the plain r2
            if k:
                warnings.warn("adjusted_r2: n_features >= n - 1, falls back to standard r2 score (torchmetrics)",
                              UserWarning, stacklevel=3)
            return out
        return {key: 1 - (1 - v) * (n - 1) / (n - k - 1) for key, v in out.items()}


class Pinball(_Sklearn):
    """Mean pinball loss ``Σ w [α max(y - ŷ, 0) + (1 - α) max(ŷ - y, 0)] / Σ w``;
    `sklearn.metrics.mean_pinball_loss` (``alpha`` default 0.5)."""

    name, function, extra = "pinball", "mean_pinball_loss", ("alpha",)

    def __init__(self, alpha: float = 0.5, **kw: Any) -> None:
        super().__init__(**kw, **({} if alpha == 0.5 else {"alpha": alpha}))
        self.alpha = float(alpha)

    def elementwise(self, t, p):
        d = t - p
        return self.alpha * np.maximum(d, 0) + (1 - self.alpha) * np.maximum(-d, 0)


class D2Pinball(Pinball):
    """D² pinball score ``1 - pinball(y, ŷ) / pinball(y, q_α(y))``, q_α the (weighted) α-quantile
    of the subset's y_true; `sklearn.metrics.d2_pinball_score`. Order-based; NaN on one sample."""

    name, function = "d2_pinball", "d2_pinball_score"
    pointwise, higher_is_better, bounds = False, True, (-math.inf, 1.0)

class _Tweedie(RegressionScorer):
    """Mean Tweedie deviance (single output)."""

    multioutputs = None
    power: float = 0.0

    def check(self, t, p):
        pw, msg = self.power, f"Mean Tweedie deviance error with power={self.power} can only be used on "
        if pw < 0:
            rules = [("y_pred", p <= 0, msg + "strictly positive y_pred.")]
        elif 1 <= pw < 2:
            rules = [("y_true", t < 0, msg + "non-negative y and strictly positive y_pred."),
                     ("y_pred", p <= 0, msg + "non-negative y and strictly positive y_pred.")]
        elif pw >= 2:
            rules = [("y_true", t <= 0, msg + "strictly positive y and y_pred."),
                     ("y_pred", p <= 0, msg + "strictly positive y and y_pred.")]
        else:
            rules = []
        for field, bad, text in rules:
            rows = np.flatnonzero(bad.any(axis=1))
            if len(rows):
                raise FieldError(field, field, int(rows[0]), text)

    def value(self, t, p, w):
        return _sk("mean_tweedie_deviance")(t[:, 0], p[:, 0], sample_weight=w, power=self.power)

    def elementwise(self, t, p):
        """scikit-learn's ``_mean_tweedie_deviance`` per element."""
        pw = self.power
        if pw == 0:
            return (t - p) ** 2
        if pw == 1:
            from scipy.special import xlogy

            return 2 * (xlogy(t, t / p) - t + p)
        if pw == 2:
            return 2 * (np.log(p / t) + t / p - 1)
        y = np.maximum(t, 0) if pw < 0 else t
        return 2 * (np.power(y, 2 - pw) / ((1 - pw) * (2 - pw)) - t * np.power(p, 1 - pw) / (1 - pw)
                    + np.power(p, 2 - pw) / (2 - pw))


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


class _Weighted(RegressionScorer):
    """A mean of an elementwise loss, per output: ``Σ w loss(y, ŷ) / Σ w``."""

    def value(self, t, p, w):
        return np.average(self.elementwise(t, p), axis=0, weights=w)


class Huber(_Weighted):
    """Mean Huber loss ``0.5 e²`` if ``|e| ≤ δ`` else ``δ (|e| - 0.5 δ)``, e = y - ŷ; equal to
    ``torch.nn.functional.huber_loss(reduction="mean", delta=delta)`` (weighted mean with weights)."""

    name = "huber"

    def __init__(self, delta: float = 1.0, **kw: Any) -> None:
        if not delta > 0:
            raise ConfigError(f"huber: delta must be positive, got {delta!r}")
        super().__init__(**kw, **({} if delta == 1.0 else {"delta": delta}))
        self.delta = float(delta)

    def elementwise(self, t, p):
        a = np.abs(t - p)
        return np.where(a <= self.delta, 0.5 * a * a, self.delta * (a - 0.5 * self.delta))


class LogCosh(_Weighted):
    """Mean log-cosh error ``Σ w log(cosh(ŷ - y)) / Σ w``, torchmetrics' ``LogCoshError`` formula,
    computed stably as ``|e| + log1p(exp(-2|e|)) - log 2`` (torchmetrics overflows to inf for
    ``|e| > ~710`` in float64; equal elsewhere)."""

    name = "log_cosh"

    def elementwise(self, t, p):
        a = np.abs(p - t)
        return a + np.log1p(np.exp(-2 * a)) - math.log(2)


class SMAPE(_Weighted):
    """Symmetric MAPE ``Σ w 2|ŷ - y| / max(|y| + |ŷ|, 1.17e-6) / Σ w`` (a fraction in [0, 2]),
    torchmetrics' ``SymmetricMeanAbsolutePercentageError``."""

    name, bounds = "smape", (0.0, 2.0)

    def elementwise(self, t, p):
        return 2 * np.abs(p - t) / np.maximum(np.abs(t) + np.abs(p), _EPS_TM)


class _Correlation(RegressionScorer):
    """A correlation per output over the subset (no sample weights), NaN on fewer than 2 examples."""

    optional_fields = ()
    pointwise, higher_is_better, bounds = False, True, (-1.0, 1.0)

    def value(self, t, p, w):
        if len(t) < 2:
            return np.full(t.shape[1], math.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # constant input: NaN, as scipy
            return np.array([self.corr(t[:, j], p[:, j]) for j in range(t.shape[1])])


class Pearson(_Correlation):
    """Pearson's r per output; ``scipy.stats.pearsonr(y_true, y_pred).statistic``."""

    name = "pearson"

    def corr(self, x, y):
        import scipy.stats

        return scipy.stats.pearsonr(x, y).statistic


class Spearman(_Correlation):
    """Spearman's ρ (Pearson's r of average ranks, ties averaged) per output;
    ``scipy.stats.spearmanr(y_true, y_pred).statistic``."""

    name = "spearman"

    def corr(self, x, y):
        import scipy.stats

        return scipy.stats.spearmanr(x, y).statistic


class Kendall(_Correlation):
    """Kendall's tau-b (ties corrected) per output; ``scipy.stats.kendalltau(y_true, y_pred)``
    (``variant="b"``, its default)."""

    name = "kendall"

    def corr(self, x, y):
        import scipy.stats

        return scipy.stats.kendalltau(x, y).statistic


class CCC(_Correlation):
    """Lin's concordance correlation ``2 s_xy / (s_x² + s_y² + (x̄ - ȳ)²)`` with (n - 1)
    denominators, per output (two-pass); torchmetrics' ``ConcordanceCorrCoef``. A constant y_true or
    y_pred gives NaN (scipy's pearsonr convention; torchmetrics gives rounding noise there: 0, ~1e-32
    or NaN depending on the values)."""

    name = "ccc"

    def corr(self, x, y):
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            return math.nan  # undefined (0/0 Pearson factor)
        mx, my = x.mean(), y.mean()
        dx, dy = x - mx, y - my
        n1 = len(x) - 1
        return 2 * (dx @ dy / n1) / ((dx @ dx) / n1 + (dy @ dy) / n1 + (mx - my) ** 2)


REGRESSION = {c.name: c for c in (MSE, RMSE, MAE, MAPE, SMAPE, MSLE, RMSLE, MedianAE, MaxError, R2, AdjustedR2,
                                  ExplainedVariance, Pinball, D2Pinball, PoissonDeviance, GammaDeviance,
                                  TweedieDeviance, Huber, LogCosh, Pearson, Spearman, Kendall, CCC)}
