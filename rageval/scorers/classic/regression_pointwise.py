"""The regression metrics of a per-example loss, identical to scikit-learn (and torch / torchmetrics
for huber, log_cosh and smape): the means of an elementwise loss (mse, rmse, mae, mape, msle,
rmsle, pinball, the deviances, huber, log_cosh, smape) and its order statistics (median_ae,
max_error). Statistics: one `Rows` row ``[loss (d), weight]`` per example; see
`rageval.scorers.classic.regression` for the conventions they share with the whole-data metrics.
"""
from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch
from rageval.core.statistics import Rows, Statistics
from rageval.scorers.classic import regression_functional as F
from rageval.scorers.classic import regression_losses as L
from rageval.scorers.classic.regression import RegressionScorer, _check_alpha


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
