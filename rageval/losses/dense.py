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


def _gaussian_window(size: int, sigma: float, dtype: torch.dtype) -> torch.Tensor:
    """The normalised 1-D Gaussian ``exp(−n²/2σ²)`` at the offsets ``n`` of ``size`` taps from the centre."""
    coords = torch.arange(size, dtype=dtype) - size // 2
    window = torch.exp(-(coords ** 2) / (2 * sigma ** 2))
    return window / window.sum()


def _blur(x: torch.Tensor, window: torch.Tensor, pad: int) -> torch.Tensor:
    """Separable depthwise correlation of ``(B, C, H, W)`` with ``window`` along W then H, after
    ``pad`` pixels of torch's ``"reflect"`` padding (0: 'valid')."""
    channels, size = x.shape[1], window.numel()
    for weight, padding in ((window.view(1, 1, 1, size), [pad, pad, 0, 0]),
                            (window.view(1, 1, size, 1), [0, 0, pad, pad])):
        if pad:
            x = F.pad(x, padding, mode="reflect")
        x = F.conv2d(x, weight.expand(channels, 1, *weight.shape[2:]), groups=channels)
    return x


def _ssim_maps(x: torch.Tensor, y: torch.Tensor, window: torch.Tensor, c1: float, c2: float, pad: int,
               eps: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(the SSIM map, the contrast-structure map) from Gaussian-weighted local moments."""
    mu1, mu2 = _blur(x, window, pad), _blur(y, window, pad)
    mu1_sq, mu2_sq, mu1_mu2 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    sigma1_sq = _blur(x * x, window, pad) - mu1_sq
    sigma2_sq = _blur(y * y, window, pad) - mu2_sq
    sigma12 = _blur(x * y, window, pad) - mu1_mu2
    cs = (2 * sigma12 + c2) / (sigma1_sq + sigma2_sq + c2)
    luminance = (2 * mu1_mu2 + c1) / (mu1_sq + mu2_sq + c1)
    if eps:  # kornia's map: one ratio with eps added to the whole denominator
        num = (2 * mu1_mu2 + c1) * (2 * sigma12 + c2)
        return num / ((mu1_sq + mu2_sq + c1) * (sigma1_sq + sigma2_sq + c2) + eps), cs
    return luminance * cs, cs


def _check_images(input: torch.Tensor, target: torch.Tensor) -> None:  # noqa: A002
    if input.dim() != 4 or input.shape != target.shape:
        raise ValueError(f"expected input and target of one shape (B, C, H, W), got {tuple(input.shape)} and "
                         f"{tuple(target.shape)}")


def ssim_loss(input: torch.Tensor, target: torch.Tensor, window_size: int = 11, max_val: float = 1.0,  # noqa: A002
              eps: float = 1e-12, reduction: str = "mean", padding: str = "same") -> torch.Tensor:
    """Structural dissimilarity ``clamp((1 − SSIM)/2, 0, 1)`` per pixel: kornia's
    ``losses.ssim_loss(img1=input, img2=target, window_size, max_val, eps, reduction, padding)``.

    The SSIM map (Wang et al. 2004) is ``(2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)
    + eps)`` with ``C1 = (0.01·max_val)²``, ``C2 = (0.03·max_val)²``, local moments from a
    ``window_size``-tap Gaussian window of σ = 1.5 (kornia's, whatever the size), population
    (biased) variances; ``padding="same"`` pads each side with torch's ``"reflect"`` (H and W must
    exceed ``window_size // 2``), ``"valid"`` keeps the windows wholly inside the image.
    ``input``/``target``: ``(B, C, H, W)`` floats. ``reduction``: ``"mean"`` over every element,
    ``"sum"``, or ``"none"`` (the loss map). ``window_size`` has no default in kornia; 11 here.
    """
    _check_images(input, target)
    if window_size < 1 or window_size % 2 == 0:
        raise ValueError(f"window_size must be odd and positive, got {window_size}")
    if padding not in ("same", "valid"):
        raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")
    dtype = torch.promote_types(input.dtype, target.dtype)
    window = _gaussian_window(window_size, 1.5, dtype)
    pad = window_size // 2 if padding == "same" else 0
    ssim_map, _ = _ssim_maps(input.to(dtype), target.to(dtype), window, (0.01 * max_val) ** 2,
                             (0.03 * max_val) ** 2, pad, eps)
    return _reduce(torch.clamp((1.0 - ssim_map) / 2, min=0, max=1), reduction)


def ms_ssim_loss(input: torch.Tensor, target: torch.Tensor, data_range: float = 255.0, win_size: int = 11,  # noqa: A002
                 win_sigma: float = 1.5, weights: list[float] | None = None, K: tuple[float, float] = (0.01, 0.03),  # noqa: N803
                 reduction: str = "mean") -> torch.Tensor:
    """``1 − MS-SSIM`` per image: ``1 − pytorch_msssim.ms_ssim(X=input, Y=target, data_range, size_average=False,
    win_size, win_sigma, weights, K)`` (Wang et al. 2003).

    At each of ``len(weights)`` scales (default 0.0448, 0.2856, 0.3001, 0.2363, 0.1333) the mean
    contrast-structure term ``cs`` (the SSIM at the last scale) of a ``win_size``-tap Gaussian
    'valid' window, ``relu``-ed; 2× average pooling (zero padding of odd sides) between scales;
    MS-SSIM is ``Π term^weight`` per image and channel, averaged over channels. The window is
    built in float32, as pytorch-msssim does. ``input``/``target`` ``(B, C, H, W)`` with the
    smaller side above ``(win_size − 1)·2⁴``. ``reduction``: ``"mean"`` over images (``1 −
    ms_ssim(size_average=True)``), ``"sum"``, ``"none"`` (one value per image).
    """
    _check_images(input, target)
    if win_size < 1 or win_size % 2 == 0:
        raise ValueError(f"win_size must be odd and positive, got {win_size}")
    if min(input.shape[-2:]) <= (win_size - 1) * 2 ** 4:
        raise ValueError(f"image sides {tuple(input.shape[-2:])} must exceed {(win_size - 1) * 2 ** 4} "
                         f"for the 4 downsamplings of MS-SSIM")
    dtype = torch.promote_types(input.dtype, target.dtype)
    x, y = input.to(dtype), target.to(dtype)
    weights_tensor = torch.as_tensor([0.0448, 0.2856, 0.3001, 0.2363, 0.1333] if weights is None else weights,
                                     dtype=dtype)
    window = _gaussian_window(win_size, win_sigma, torch.float32).to(dtype)
    c1, c2 = (K[0] * data_range) ** 2, (K[1] * data_range) ** 2
    terms = []
    for level in range(len(weights_tensor)):
        # pytorch-msssim skips the blur along an axis shorter than the window: the size check excludes it
        ssim_map, cs = _ssim_maps(x, y, window, c1, c2, 0)
        if level < len(weights_tensor) - 1:
            terms.append(torch.relu(cs.flatten(2).mean(-1)))
            padding = [s % 2 for s in x.shape[2:]]
            x = F.avg_pool2d(x, kernel_size=2, padding=padding)
            y = F.avg_pool2d(y, kernel_size=2, padding=padding)
    terms.append(torch.relu(ssim_map.flatten(2).mean(-1)))
    value = torch.prod(torch.stack(terms) ** weights_tensor.view(-1, 1, 1), dim=0).mean(1)
    return _reduce(1.0 - value, reduction)
