"""Metric-learning losses over embeddings and cosine logits, with torch's argument names and reductions.

Pair losses take ``input1`` and ``input2`` ``(N, D)`` and a ``target`` ``(N,)``; the triplet loss
``anchor``, ``positive``, ``negative``; the margin softmax losses (ArcFace, CosFace) cosine logits
``input`` ``(N, C)`` (cosines between L2-normalised embeddings and class centres, in [-1, 1]) and
class indices ``target`` ``(N,)``. One loss per sample; ``"mean"`` averages over samples.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from rageval.losses._reduction import reduce


def cosine_embedding_loss(input1: torch.Tensor, input2: torch.Tensor, target: torch.Tensor, margin: float = 0.0,
                          reduction: str = "mean") -> torch.Tensor:
    """Per pair: ``1 - cos(x1, x2)`` where ``target = 1``, ``max(0, cos(x1, x2) - margin)`` where
    ``target = -1``; `torch.nn.functional.cosine_embedding_loss`."""
    return F.cosine_embedding_loss(input1, input2, target, margin=margin, reduction=reduction)


def triplet_margin_loss(anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, margin: float = 1.0,
                        p: float = 2.0, eps: float = 1e-6, swap: bool = False, reduction: str = "mean") -> torch.Tensor:
    """Per triplet: ``max(0, d(a, p) - d(a, n) + margin)``, ``d`` the p-norm distance with ``eps``
    added to the difference (``swap``: ``d(a, n)`` replaced by ``min(d(a, n), d(p, n))``);
    `torch.nn.functional.triplet_margin_loss`."""
    return F.triplet_margin_loss(anchor, positive, negative, margin=margin, p=p, eps=eps, swap=swap,
                                 reduction=reduction)


def contrastive_loss(input1: torch.Tensor, input2: torch.Tensor, target: torch.Tensor, margin: float = 1.0,
                     reduction: str = "mean") -> torch.Tensor:
    """Contrastive loss (Hadsell, Chopra & LeCun 2006, eq. 4) per pair, with ``D = ||x1 - x2||₂``:
    ``D²/2`` for a similar pair (``target = 1``) and ``max(0, margin - D)²/2`` for a dissimilar one
    (``target = 0``). The paper writes ``Y = 0`` for similar pairs: ``target = 1 - Y``, the
    similar-is-1 convention of `cosine_embedding_loss`."""
    d = (input1 - input2).pow(2).sum(-1).sqrt()
    loss = target * d.pow(2) / 2 + (1 - target) * F.relu(margin - d).pow(2) / 2
    return reduce(loss, reduction)


def _margin_softmax(input: torch.Tensor, target: torch.Tensor, target_logit: torch.Tensor, scale: float,
                    reduction: str) -> torch.Tensor:
    logits = input.scatter(1, target.unsqueeze(1), target_logit.unsqueeze(1))
    return F.cross_entropy(scale * logits, target, reduction=reduction)


def arcface_loss(input: torch.Tensor, target: torch.Tensor, scale: float = 64.0, margin: float = 0.5,
                 reduction: str = "mean") -> torch.Tensor:
    """ArcFace, additive angular margin (Deng et al. 2019, eq. 3): softmax cross-entropy of
    ``scale·cos θ_j`` with the target logit ``scale·cos(θ_y + margin)``, where
    ``cos θ = input``; ``cos(θ + m) = cos θ·cos m - sin θ·sin m`` with ``sin θ = sqrt(1 - cos² θ)``
    (the paper's formula: no easy-margin or threshold fallback for ``θ + m > π``)."""
    cos_y = input.gather(1, target.unsqueeze(1)).squeeze(1)
    sin_y = (1.0 - cos_y.pow(2)).clamp_min(0.0).sqrt()
    margin_t = torch.as_tensor(margin, dtype=input.dtype)
    return _margin_softmax(input, target, cos_y * margin_t.cos() - sin_y * margin_t.sin(), scale, reduction)


def cosface_loss(input: torch.Tensor, target: torch.Tensor, scale: float = 64.0, margin: float = 0.35,
                 reduction: str = "mean") -> torch.Tensor:
    """CosFace, large margin cosine loss (Wang et al. 2018, eq. 4): softmax cross-entropy of
    ``scale·cos θ_j`` with the target logit ``scale·(cos θ_y - margin)``, where ``cos θ = input``."""
    cos_y = input.gather(1, target.unsqueeze(1)).squeeze(1)
    return _margin_softmax(input, target, cos_y - margin, scale, reduction)
