"""Regression losses as scorers: ``y_pred`` the prediction, ``y_true`` the target, element-wise.

Each example holds one sample (a number, or an array of outputs of ``y_true``'s shape); the
value over any subset is the function's ``reduction="mean"`` over the stacked subset: the mean
over all elements of all its examples. Statistics: (sum of the example's element losses, their
count).
"""
from __future__ import annotations

import math

from rageval import losses
from rageval.scorers.losses.base import LossScorer


class _ElementWise(LossScorer):
    same_shape = ("y_true",)


class MSELoss(_ElementWise):
    """``mean((y_pred - y_true)²)``; `torch.nn.functional.mse_loss` (`rageval.losses.mse_loss`)."""

    name = "mse_loss"
    loss = losses.mse_loss


class L1Loss(_ElementWise):
    """``mean(|y_pred - y_true|)``; `torch.nn.functional.l1_loss`."""

    name = "l1_loss"
    loss = losses.l1_loss


class HuberLoss(_ElementWise):
    """Huber loss with ``delta`` (quadratic below ``delta``, linear above); `torch.nn.functional.huber_loss`."""

    name = "huber_loss"
    loss = losses.huber_loss


class SmoothL1Loss(_ElementWise):
    """Smooth L1 loss with ``beta`` (Huber divided by ``beta``); `torch.nn.functional.smooth_l1_loss`."""

    name = "smooth_l1_loss"
    loss = losses.smooth_l1_loss


class LogCoshLoss(_ElementWise):
    """``mean(log(cosh(y_pred - y_true)))``; torchmetrics' `log_cosh_error` (`rageval.losses.log_cosh_loss`)."""

    name = "log_cosh_loss"
    loss = losses.log_cosh_loss


class QuantileLoss(_ElementWise):
    """Pinball loss at ``quantile``: ``max(q·d, (q-1)·d)``, ``d = y_true - y_pred``; scikit-learn's
    `mean_pinball_loss` (``alpha = quantile``)."""

    name = "quantile_loss"
    loss = losses.quantile_loss


class PoissonNLLLoss(_ElementWise):
    """Poisson negative log-likelihood of counts ``y_true`` under rate ``exp(y_pred)`` (``log_input``)
    or ``y_pred``; `torch.nn.functional.poisson_nll_loss` (``log_input``, ``full``, ``eps``). Can be
    negative."""

    name = "poisson_nll_loss"
    loss = losses.poisson_nll_loss
    bounds = (-math.inf, math.inf)


class GaussianNLLLoss(LossScorer):
    """Gaussian negative log-likelihood of ``y_true`` under mean ``y_pred`` and variance ``var``
    (field ``var``: a positive number or array per example, of ``y_pred``'s shape or broadcastable
    as torch allows); `torch.nn.functional.gaussian_nll_loss` (``full``, ``eps``). Can be negative."""

    name = "gaussian_nll_loss"
    loss = losses.gaussian_nll_loss
    arguments = {"y_pred": "input", "y_true": "target", "var": "var"}
    same_shape = ("y_true",)
    bounds = (-math.inf, math.inf)
