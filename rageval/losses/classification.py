"""Classification losses: torch functions with torch.nn.functional's argument names and reductions.

``input`` holds logits (or log-probabilities, or probabilities, as each loss says) of shape
``(N, C)`` or ``(N, C, d1, ...)``; ``target`` class indices ``(N,)`` / ``(N, d1, ...)``, or a
per-element target of ``input``'s shape for the binary losses. Where torch.nn.functional has the
loss, the function calls it; focal and poly-1 implement the published formulas stated below.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from rageval.losses._reduction import reduce


def cross_entropy(input: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0) -> torch.Tensor:
    """Softmax cross-entropy; `torch.nn.functional.cross_entropy`.

    With class indices: ``w[y]·(-(1-ε)·log p_y - (ε/C)·Σ_c log p_c)`` per element (``p`` the
    softmax over dim 1, ``ε = label_smoothing``, ``w = weight``, ones by default; with a weight the
    smoothing term is ``-(ε/C)·Σ_c w_c log p_c``); an element whose target is ``ignore_index``
    gives 0. ``"mean"`` divides the sum by ``Σ w[y]`` over the elements not ignored (not by their
    count). With class probabilities as target: ``-Σ_c w_c·t_c log p_c`` and the plain mean.
    """
    return F.cross_entropy(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction,
                           label_smoothing=label_smoothing)


def nll_loss(input: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> torch.Tensor:
    """Negative log-likelihood of log-probabilities ``input``: ``-w[y]·input[y]`` per element,
    0 where the target is ``ignore_index``; ``"mean"`` divides by ``Σ w[y]`` over the elements not
    ignored; `torch.nn.functional.nll_loss`."""
    return F.nll_loss(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction)


def binary_cross_entropy(input: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
                         reduction: str = "mean") -> torch.Tensor:
    """Binary cross-entropy of probabilities ``input``: ``-w·(t·log p + (1-t)·log(1-p))`` per
    element, logs clamped at -100; `torch.nn.functional.binary_cross_entropy`."""
    return F.binary_cross_entropy(input, target, weight=weight, reduction=reduction)


def bce_with_logits(input: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
                    reduction: str = "mean", pos_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Binary cross-entropy of logits ``input``: ``-w·(pos_weight·t·log σ(x) + (1-t)·log(1-σ(x)))``
    per element, computed stably; `torch.nn.functional.binary_cross_entropy_with_logits`
    (``pos_weight`` broadcast over the last dimension, one value per class)."""
    return F.binary_cross_entropy_with_logits(input, target, weight=weight, reduction=reduction,
                                              pos_weight=pos_weight)


def kl_div(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean",
           log_target: bool = False) -> torch.Tensor:
    """Kullback-Leibler divergence term per element with ``input`` log-probabilities:
    ``t·(log t - input)`` (0 where ``t = 0``), or ``exp(t)·(t - input)`` when ``log_target``;
    `torch.nn.functional.kl_div`. ``"mean"`` is torch's mean over all elements; ``"batchmean"``
    (the sum divided by the batch size, the mathematical KL) is also accepted."""
    return F.kl_div(input, target, reduction=reduction, log_target=log_target)


def focal_loss(input: torch.Tensor, target: torch.Tensor, alpha: float | None = 0.25, gamma: float = 2.0,
               reduction: str = "mean") -> torch.Tensor:
    """Focal loss (Lin et al. 2017), ``-α_t·(1 - p_t)^γ·log p_t``.

    Binary (``target`` of ``input``'s shape, 0/1 or soft): ``input`` logits, ``p = σ(input)``,
    ``p_t = p·t + (1-p)·(1-t)``, the log term the BCE with logits, ``α_t = α·t + (1-α)·(1-t)``;
    torchvision's `sigmoid_focal_loss` formula (``alpha=None`` or negative: no α factor).

    Multi-class (``input`` ``(N, C, ...)`` logits, ``target`` ``(N, ...)`` integer classes):
    ``p_t`` the softmax probability of the target class, ``α_t = 1 - α`` for class 0 (background)
    and ``α`` for the other classes (``alpha=None``: 1); kornia's `focal_loss` convention. The
    element losses are kornia's ``reduction="none"`` map summed over the class dimension; ``"mean"``
    averages them over the ``N·d1·...`` elements (kornia's ``"mean"`` also divides by ``C``).
    """
    if not target.is_floating_point() and input.dim() == target.dim() + 1:
        log_p = F.log_softmax(input, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
        loss = -((1.0 - log_p.exp()) ** gamma) * log_p
        if alpha is not None:
            loss = torch.where(target == 0, 1.0 - alpha, alpha) * loss
        return reduce(loss, reduction)
    p = torch.sigmoid(input)
    ce = F.binary_cross_entropy_with_logits(input, target, reduction="none")
    p_t = p * target + (1.0 - p) * (1.0 - target)
    loss = ce * (1.0 - p_t) ** gamma
    if alpha is not None and alpha >= 0:
        loss = (alpha * target + (1.0 - alpha) * (1.0 - target)) * loss
    return reduce(loss, reduction)


def poly1_loss(input: torch.Tensor, target: torch.Tensor, epsilon: float = 1.0,
               reduction: str = "mean") -> torch.Tensor:
    """Poly-1 cross-entropy (Leng et al. 2022, "PolyLoss", eq. 3): ``CE + ε·(1 - p_t)`` per
    element, ``p_t`` the softmax probability of the target class (``input`` ``(N, C, ...)`` logits,
    ``target`` ``(N, ...)`` class indices)."""
    log_p = F.log_softmax(input, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    return reduce(-log_p + epsilon * (1.0 - log_p.exp()), reduction)


def multi_margin_loss(input: torch.Tensor, target: torch.Tensor, p: int = 1, margin: float = 1.0,
                      weight: torch.Tensor | None = None, reduction: str = "mean") -> torch.Tensor:
    """Multi-class hinge loss per sample: ``Σ_{c≠y} w[y]·max(0, margin - x[y] + x[c])^p / C``;
    `torch.nn.functional.multi_margin_loss` (``"mean"``: the plain mean over samples)."""
    return F.multi_margin_loss(input, target, p=p, margin=margin, weight=weight, reduction=reduction)


def hinge_embedding_loss(input: torch.Tensor, target: torch.Tensor, margin: float = 1.0,
                         reduction: str = "mean") -> torch.Tensor:
    """Per element: ``input`` where ``target = 1``, ``max(0, margin - input)`` where ``target = -1``
    (``input`` typically a distance); `torch.nn.functional.hinge_embedding_loss`."""
    return F.hinge_embedding_loss(input, target, margin=margin, reduction=reduction)
