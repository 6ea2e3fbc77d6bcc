"""Regression losses: torch functions with torch.nn.functional's argument names and reductions.

``input`` is the prediction and ``target`` the true value, element by element, same shape.
``reduction``: ``"none"`` (the element losses), ``"mean"`` (their mean over all elements) or
``"sum"``. Where torch.nn.functional has the loss, the function calls it (so the values and
gradients are torch's); the others implement the formula stated in their docstring.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from rageval.losses._reduction import reduce


def mse_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Squared error ``(input - target)²`` per element; `torch.nn.functional.mse_loss`.

    >>> float(mse_loss(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 0.0])))
    2.5
    """
    return F.mse_loss(input, target, reduction=reduction)


def l1_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Absolute error ``|input - target|`` per element; `torch.nn.functional.l1_loss`."""
    return F.l1_loss(input, target, reduction=reduction)


def huber_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean", delta: float = 1.0) -> torch.Tensor:
    """Huber loss per element, with ``d = |input - target|``: ``d²/2`` where ``d < delta``, else
    ``delta·(d - delta/2)``; `torch.nn.functional.huber_loss`."""
    return F.huber_loss(input, target, reduction=reduction, delta=delta)


def smooth_l1_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean",
                   beta: float = 1.0) -> torch.Tensor:
    """Smooth L1 per element, with ``d = |input - target|``: ``d²/(2·beta)`` where ``d < beta``,
    else ``d - beta/2`` (``beta = 0``: the L1 loss); `torch.nn.functional.smooth_l1_loss`
    (Huber loss divided by ``beta``)."""
    return F.smooth_l1_loss(input, target, reduction=reduction, beta=beta)


def log_cosh_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """``log(cosh(input - target))`` per element, computed stably as
    ``|d| + softplus(-2|d|) - log 2`` (no overflow for large ``|d|``); the mean is torchmetrics'
    `log_cosh_error` (``torchmetrics.functional.log_cosh_error``) for one output."""
    d = (input - target).abs()
    return reduce(d + F.softplus(-2.0 * d) - math.log(2.0), reduction)


def quantile_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean",
                  quantile: float = 0.5) -> torch.Tensor:
    """Pinball (quantile) loss per element, with ``d = target - input``: ``quantile·d`` where
    ``d >= 0``, else ``(quantile - 1)·d`` (Koenker & Bassett 1978; scikit-learn's
    `mean_pinball_loss` with ``alpha = quantile``). ``quantile = 0.5`` gives half the L1 loss."""
    if not 0.0 <= quantile <= 1.0:
        raise ValueError(f"quantile must be in [0, 1], got {quantile!r}")
    d = target - input
    return reduce(torch.maximum(quantile * d, (quantile - 1.0) * d), reduction)


def poisson_nll_loss(input: torch.Tensor, target: torch.Tensor, log_input: bool = True, full: bool = False,
                     eps: float = 1e-8, reduction: str = "mean") -> torch.Tensor:
    """Poisson negative log-likelihood per element: ``exp(input) - target·input`` (``log_input``),
    else ``input - target·log(input + eps)``; ``full`` adds Stirling's term
    ``target·log(target) - target + log(2π·target)/2`` where ``target > 1``;
    `torch.nn.functional.poisson_nll_loss`."""
    return F.poisson_nll_loss(input, target, log_input=log_input, full=full, eps=eps, reduction=reduction)


def gaussian_nll_loss(input: torch.Tensor, target: torch.Tensor, var: torch.Tensor, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> torch.Tensor:
    """Gaussian negative log-likelihood per element: ``(log(max(var, eps)) + (input - target)² /
    max(var, eps)) / 2``, plus ``log(2π)/2`` when ``full``; `torch.nn.functional.gaussian_nll_loss`
    (``var`` of ``input``'s shape, or with its last dimension 1, or one dimension fewer)."""
    return F.gaussian_nll_loss(input, target, var, full=full, eps=eps, reduction=reduction)
