"""Dense losses for segmentation, restoration and depth: differentiable torch functions.

Segmentation losses take ``input`` logits ``(B, C, H, W)`` (softmax over C) and ``target`` class
indices ``(B, H, W)``; pixels whose target is ``ignore_index`` are masked out of both, as kornia
does. ``scope="example"`` (default) computes the ratio per sample and averages the samples'
losses (kornia's ``dice_loss`` / ``tversky_loss``); ``scope="batch"`` sums the counts over the
whole batch before the ratio (segmentation_models_pytorch's losses). The two differ whenever
samples have different sizes of foreground: a batch-scoped loss weights big objects more.
``reduction``: ``"mean"`` (over samples), ``"sum"``, or ``"none"`` (one value per sample; with
``scope="batch"`` the single batch value).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812

SCOPES = ("example", "batch")


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _soft_one_hot(input: torch.Tensor, target: torch.Tensor,  # noqa: A002
                  ignore_index: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax probabilities and one-hot targets ``(B, C, H, W)``, ignored pixels zeroed in both."""
    if input.dim() != 4 or target.shape != (input.shape[0], *input.shape[2:]):
        raise ValueError(f"expected input (B, C, H, W) and target (B, H, W), got {tuple(input.shape)} and "
                         f"{tuple(target.shape)}")
    probs = F.softmax(input, dim=1)
    target = target.long()
    keep = torch.ones_like(target, dtype=probs.dtype)
    if ignore_index is not None:
        keep = (target != ignore_index).to(probs.dtype)
    labels = torch.where(keep > 0, target, torch.zeros_like(target))
    if labels.numel() and (labels.min() < 0 or labels.max() >= input.shape[1]):
        raise ValueError(f"target holds labels outside 0..{input.shape[1] - 1}")
    one_hot = F.one_hot(labels, input.shape[1]).movedim(-1, 1).to(probs.dtype)
    keep = keep.unsqueeze(1)
    return probs * keep, one_hot * keep


def _dims(scope: str) -> tuple[int, ...]:
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")
    return (2, 3) if scope == "example" else (0, 2, 3)


def _overlap_loss(input: torch.Tensor, target: torch.Tensor, average: str, eps: float, ignore_index: int | None,  # noqa: A002
                  scope: str, reduction: str, jaccard: bool) -> torch.Tensor:
    p, t = _soft_one_hot(input, target, ignore_index)
    dims = _dims(scope)
    if average not in ("micro", "macro"):
        raise ValueError(f"average must be 'micro' or 'macro', got {average!r}")
    if average == "micro":
        dims = (1, *dims) if scope == "example" else (0, 1, 2, 3)
    inter = (p * t).sum(dims)
    card = (p + t).sum(dims)
    empty = card == 0
    den = (card - inter) if jaccard else card
    score = ((1.0 if jaccard else 2.0) * inter / (den + eps).masked_fill(empty, 1.0)).masked_fill(empty, 0.0)
    loss = 1.0 - score
    if average == "macro":
        present = t.sum(dims[-2:] if scope == "example" else dims) > 0
        weight = present.to(loss.dtype)
        norm = weight.sum(-1)
        loss = ((loss * weight).sum(-1) / norm.clamp_min(1)).masked_fill(norm == 0, 1.0)
    return _reduce(loss, reduction)


def dice_loss(input: torch.Tensor, target: torch.Tensor, average: str = "micro", eps: float = 1e-8,  # noqa: A002
              ignore_index: int | None = -100, scope: str = "example", reduction: str = "mean") -> torch.Tensor:
    """``1 − 2·Σ p·t / (Σ p + Σ t + eps)``: kornia's ``dice_loss`` (``average="micro"``: over classes
    and pixels of a sample; ``"macro"``: per class, averaged over the classes present in the
    sample's target, 1 when none is); an empty sum scores 0 (loss 1). See the module for
    ``scope`` and ``reduction``."""
    return _overlap_loss(input, target, average, eps, ignore_index, scope, reduction, jaccard=False)


def jaccard_loss(input: torch.Tensor, target: torch.Tensor, average: str = "micro", eps: float = 1e-8,  # noqa: A002
                 ignore_index: int | None = -100, scope: str = "example", reduction: str = "mean") -> torch.Tensor:
    """Soft Jaccard (IoU) loss ``1 − Σ p·t / (Σ p + Σ t − Σ p·t + eps)`` (Rahman & Wang 2016;
    segmentation_models_pytorch's ``JaccardLoss`` with ``scope="batch"``), averaged as `dice_loss`."""
    return _overlap_loss(input, target, average, eps, ignore_index, scope, reduction, jaccard=True)


def _tversky_index(input: torch.Tensor, target: torch.Tensor, alpha: float, beta: float, eps: float,  # noqa: A002
                   ignore_index: int | None, scope: str) -> tuple[torch.Tensor, torch.Tensor]:
    p, t = _soft_one_hot(input, target, ignore_index)
    dims = _dims(scope)
    tp = (p * t).sum(dims)
    fp = (p * (1.0 - t)).sum(dims)
    fn = ((1.0 - p) * t).sum(dims)
    present = t.sum(dims) > 0
    index = (tp / (tp + alpha * fp + beta * fn + eps).masked_fill(~present, 1.0)).masked_fill(~present, 0.0)
    return index, present


def tversky_loss(input: torch.Tensor, target: torch.Tensor, alpha: float = 0.5, beta: float = 0.5,  # noqa: A002
                 eps: float = 1e-8, ignore_index: int | None = -100, scope: str = "example",
                 reduction: str = "mean") -> torch.Tensor:
    """``1 − mean_c TI_c``, ``TI_c = TP/(TP + α·FP + β·FN + eps)`` over the classes present in the
    target (Salehi et al. 2017): kornia's ``tversky_loss``. α = β = 0.5 is the Dice loss's ratio."""
    index, present = _tversky_index(input, target, alpha, beta, eps, ignore_index, scope)
    score = index.sum(-1) / present.sum(-1).clamp_min(1)
    return _reduce(1.0 - score, reduction)


def focal_tversky_loss(input: torch.Tensor, target: torch.Tensor, alpha: float = 0.7, beta: float = 0.3,  # noqa: A002
                       gamma: float = 0.75, eps: float = 1e-8, ignore_index: int | None = -100,
                       scope: str = "example", reduction: str = "mean") -> torch.Tensor:
    """``mean_c (1 − TI_c)^gamma`` over the classes present (Abraham & Khan 2019, whose exponent
    1/γ = 0.75 and α = 0.7, β = 0.3 are the defaults); gamma = 1 gives `tversky_loss`."""
    index, present = _tversky_index(input, target, alpha, beta, eps, ignore_index, scope)
    terms = (1.0 - index).clamp_min(0).pow(gamma) * present
    return _reduce(terms.sum(-1) / present.sum(-1).clamp_min(1), reduction)


def _lovasz_gradient(target_sorted: torch.Tensor) -> torch.Tensor:
    """The Lovász extension's weights: the increments of the Jaccard loss along the sorted errors."""
    total = target_sorted.sum(-1, keepdim=True)
    intersection = total - target_sorted.cumsum(-1)
    union = total + (1.0 - target_sorted).cumsum(-1)
    jaccard = 1.0 - intersection / union
    return torch.cat([jaccard[..., :1], jaccard[..., 1:] - jaccard[..., :-1]], dim=-1)


def lovasz_hinge(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:  # noqa: A002
    """Lovász hinge loss (Berman et al. 2018) of binary logits ``input`` ``(B, H, W)`` or
    ``(B, 1, H, W)`` against 0/1 ``target`` ``(B, H, W)``, per image: the hinge errors
    ``relu(1 − logit·sign)`` sorted decreasingly, weighted by the Jaccard loss's increments (kornia's
    ``lovasz_hinge_loss``, the mean over images)."""
    logits = input.reshape(input.shape[0], -1)
    labels = target.reshape(target.shape[0], -1).to(logits.dtype)
    if logits.shape != labels.shape:
        raise ValueError(f"input {tuple(input.shape)} and target {tuple(target.shape)} hold different pixel counts")
    errors = 1.0 - logits * (2.0 * labels - 1.0)
    errors_sorted, order = errors.sort(dim=1, descending=True)
    loss = (errors_sorted.relu() * _lovasz_gradient(labels.gather(1, order))).sum(1)
    return _reduce(loss, reduction)


def lovasz_softmax(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:  # noqa: A002
    """Lovász-softmax loss (Berman et al. 2018) of logits ``input`` ``(B, C, H, W)`` against class
    indices ``target`` ``(B, H, W)``, per image: for every class the errors ``|p_c − 1[y = c]|`` sorted
    decreasingly, weighted by the Jaccard loss's increments, averaged over all C classes (kornia's
    ``lovasz_softmax_loss``, the mean over images)."""
    if input.dim() != 4 or target.shape != (input.shape[0], *input.shape[2:]):
        raise ValueError(f"expected input (B, C, H, W) and target (B, H, W), got {tuple(input.shape)} and "
                         f"{tuple(target.shape)}")
    probs = input.reshape(input.shape[0], input.shape[1], -1).softmax(1)
    labels = target.reshape(target.shape[0], -1).long()
    if labels.numel() and (labels.min() < 0 or labels.max() >= input.shape[1]):
        raise ValueError(f"target holds labels outside 0..{input.shape[1] - 1}")
    foreground = F.one_hot(labels, input.shape[1]).permute(0, 2, 1).to(probs.dtype)
    errors_sorted, order = (probs - foreground).abs().sort(dim=2, descending=True)
    loss = (errors_sorted * _lovasz_gradient(foreground.gather(2, order))).sum(2).mean(1)
    return _reduce(loss, reduction)


def charbonnier_loss(input: torch.Tensor, target: torch.Tensor, eps: float = 1.0,  # noqa: A002
                     reduction: str = "mean") -> torch.Tensor:
    """Charbonnier penalty ``√(d² + eps²) − eps`` element-wise, ``d = input − target`` (computed as
    ``d²/(√(d²+eps²)+eps)``, stable for small d); with ``eps = 1`` kornia's ``charbonnier_loss``."""
    sq = (input - target) ** 2
    return _reduce(sq / ((sq + eps ** 2).sqrt() + eps), reduction)


def total_variation(input: torch.Tensor, reduction: str = "sum") -> torch.Tensor:  # noqa: A002
    """Anisotropic total variation ``Σ|x[i+1,j]−x[i,j]| + Σ|x[i,j+1]−x[i,j]|`` over the last two
    axes, one value per leading index (kornia's ``total_variation``; ``reduction="mean"`` averages
    each of the two sums over its differences instead)."""
    d1 = (input[..., 1:, :] - input[..., :-1, :]).abs().flatten(-2)
    d2 = (input[..., :, 1:] - input[..., :, :-1]).abs().flatten(-2)
    if reduction == "sum":
        return d1.sum(-1) + d2.sum(-1)
    if reduction == "mean":
        return (d1.mean(-1) if d1.shape[-1] else d1.sum(-1)) + (d2.mean(-1) if d2.shape[-1] else d2.sum(-1))
    raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")


def berhu_loss(input: torch.Tensor, target: torch.Tensor, threshold: float = 0.2,  # noqa: A002
               reduction: str = "mean") -> torch.Tensor:
    """Reverse Huber (berHu) loss (Laina et al. 2016) per element over the pixels where
    ``target > 0``: ``|d|`` if ``|d| <= c``, else ``(d² + c²) / (2c)``, with ``d = input − target``
    and ``c = threshold · max |d|`` over each image's valid pixels (the paper takes the max over
    the batch; per image, the loss of an image does not depend on what it is batched with). The
    gradient flows through ``c`` as well (a subgradient of the max).
    ``input``/``target`` ``(B, H, W)``; ``reduction="none"`` gives the per-image mean."""
    valid = (target > 0).to(input.dtype)
    d = ((input - target) * valid).flatten(1)
    n = valid.flatten(1).sum(1)
    if (n == 0).any():
        raise ValueError("a target holds no valid (positive) depth")
    c = (threshold * d.abs().max(dim=1, keepdim=True).values).clamp_min(torch.finfo(input.dtype).tiny)
    per = torch.where(d.abs() <= c, d.abs(), (d * d + c * c) / (2 * c)) * valid.flatten(1)
    return _reduce(per.sum(1) / n, reduction)


def scale_invariant_depth_loss(input: torch.Tensor, target: torch.Tensor, lambd: float = 0.5,  # noqa: A002
                               reduction: str = "mean") -> torch.Tensor:
    """Eigen et al. (2014)'s scale-invariant log loss per image,
    ``mean(d²) − lambd·mean(d)²`` with ``d = log input − log target`` over the pixels where
    ``target > 0`` (``lambd = 0.5`` the paper's training loss; 1 fully scale-invariant);
    ``input`` and ``target`` are ``(B, H, W)`` positive depths."""
    valid = (target > 0).to(input.dtype)
    d = (input.clamp_min(torch.finfo(input.dtype).tiny).log()
         - torch.where(target > 0, target, torch.ones_like(target)).log()) * valid
    n = valid.flatten(1).sum(1)
    if (n == 0).any():
        raise ValueError("a target holds no valid (positive) depth")
    mean_sq = (d * d).flatten(1).sum(1) / n
    mean = d.flatten(1).sum(1) / n
    return _reduce(mean_sq - lambd * mean * mean, reduction)
