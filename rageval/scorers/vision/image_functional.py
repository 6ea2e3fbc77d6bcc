"""Image quality (numpy core): PSNR and SSIM with scikit-image's conventions.

`ssim` follows ``skimage.metrics.structural_similarity`` step by step (Wang et al. 2004): local
means, variances and covariance from a uniform ``win_size``-wide window (default 7) or a Gaussian
one (``gaussian_weights``, ``sigma`` 1.5, truncated at 3.5σ, ``mode="reflect"``), sample covariance
(``use_sample_covariance``, ``NP/(NP-1)``), ``C1 = (K1·R)²``, ``C2 = (K2·R)²`` with ``R =
data_range``, and the mean of the SSIM map after cropping ``(win_size-1)//2`` pixels from each
border; with ``channel_axis``, the mean over channels. The uniform window's map is computed on
the inner windows only, from window sums by doubling (exact integers for 8- and 16-bit images; see
`_uniform_ssim_map`); the Gaussian one filters all channels' five maps in one call. Computed in
float64 (scikit-image keeps float32 input in float32).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import ndimage


def dtype_range(dtype: np.dtype) -> float:
    """data_range for an integer image when none is given (scikit-image's ``dtype_range``)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return 1.0
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return float(info.max) - float(info.min)
    raise ValueError("the image is floating point: pass data_range (scikit-image requires it too)")


def channels_first(image: np.ndarray, channel_axis: int | None) -> np.ndarray:
    """``image`` as ``(channels, *spatial)`` (one channel when ``channel_axis`` is None)."""
    return image[None] if channel_axis is None else np.moveaxis(image, channel_axis, 0)


def mse(image: np.ndarray, reference: np.ndarray) -> float:
    diff = image.astype(np.float64) - reference.astype(np.float64)
    return float(np.mean(diff * diff))


def psnr(image: np.ndarray, reference: np.ndarray, data_range: float) -> float:
    """``10·log10(data_range² / MSE)`` (``skimage.metrics.peak_signal_noise_ratio``); inf when
    the images are equal."""
    err = mse(image, reference)
    return math.inf if err == 0 else float(10 * np.log10(data_range ** 2 / err))


def ssim(image: np.ndarray, reference: np.ndarray, data_range: float, win_size: int | None = None,
         gaussian_weights: bool = False, sigma: float = 1.5, use_sample_covariance: bool = True,
         channel_axis: int | None = None, K1: float = 0.01, K2: float = 0.03) -> float:  # noqa: N803
    """Mean SSIM, as ``skimage.metrics.structural_similarity(image, reference, ...)``."""
    image, reference = np.asarray(image), np.asarray(reference)
    shape = channels_first(image, channel_axis).shape
    spatial = len(shape) - 1
    truncate = 3.5
    if win_size is None:
        win_size = 2 * int(truncate * sigma + 0.5) + 1 if gaussian_weights else 7
    if any(s < win_size for s in shape[1:]):
        raise ValueError(f"win_size {win_size} exceeds the image extent {shape[1:]}")
    if win_size % 2 != 1:
        raise ValueError(f"win_size must be odd, got {win_size}")
    n_points = win_size ** spatial
    cov_norm = n_points / (n_points - 1) if use_sample_covariance else 1.0
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    if not gaussian_weights:
        # channel by channel: one channel's maps stay in cache (3x faster on 512x512 RGB than all at once)
        x, y = channels_first(image, channel_axis), channels_first(reference, channel_axis)
        means = [_uniform_ssim_map(x[c:c + 1], y[c:c + 1], win_size, cov_norm, c1, c2).mean(dtype=np.float64)
                 for c in range(len(x))]
        return float(np.mean(means))
    x = channels_first(image, channel_axis).astype(np.float64)
    y = channels_first(reference, channel_axis).astype(np.float64)
    maps = np.stack([x, y, x * x, y * y, x * y])
    filtered = ndimage.gaussian_filter(maps, sigma=(0, 0) + (sigma,) * spatial, truncate=truncate, mode="reflect")
    pad = (win_size - 1) // 2
    inner = (slice(None), slice(None)) + (slice(pad, -pad or None),) * spatial
    ux, uy, uxx, uyy, uxy = filtered[inner]
    vx, vy, vxy = cov_norm * (uxx - ux * ux), cov_norm * (uyy - uy * uy), cov_norm * (uxy - ux * uy)
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux ** 2 + uy ** 2 + c1) * (vx + vy + c2))
    return float(s.reshape(len(s), -1).mean(axis=1, dtype=np.float64).mean())


def _uniform_ssim_map(x: np.ndarray, y: np.ndarray, win_size: int, cov_norm: float, c1: float,
                      c2: float) -> np.ndarray:
    """The SSIM map over the windows wholly inside the image (what scikit-image keeps after
    filtering with reflection and cropping ``(win_size-1)//2`` pixels), ``(channels, *inner)``, of
    ``x`` and ``y`` given channels first.

    With window sums ``Sx, Sy, Sxx+Syy, Sxy`` of ``N`` pixels, the N²-scaled terms are
    ``(2SxSy + C1N²)(2k(N·Sxy − SxSy) + C2N²) / ((Sx² + Sy² + C1N²)(k(N(Sxx+Syy) − Sx² − Sy²) + C2N²))``,
    the same ratio as scikit-image's. For 8- and 16-bit integer images the sums and the integer
    terms are computed exactly in int32 / int64 (int32 for 8-bit images while ``N ≤ 128``: every
    term stays below 2³¹; int64 while ``N ≤ 30000``), for other images in float64."""
    x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
    n = win_size ** (x.ndim - 1)
    small = max(x.dtype.itemsize, y.dtype.itemsize)
    if x.dtype.kind in "biu" and y.dtype.kind in "biu" and small <= 2:
        kind = np.int32 if small == 1 and n <= 128 else np.int64 if n <= 30000 else np.float64
    else:
        kind = np.float64
    x, y = x.astype(kind), y.astype(kind)
    sx, sy = window_sums(x, win_size), window_sums(y, win_size)
    squares = x * x
    squares += y * y
    sq = window_sums(squares, win_size)
    del squares
    sxy = window_sums(x * y, win_size)
    prod = sx * sy
    norms = sx * sx
    norms += sy * sy
    sxy *= n
    sxy -= prod  # N·Sxy − Sx·Sy
    sq *= n
    sq -= norms  # N·(Sxx + Syy) − Sx² − Sy²
    c1, c2 = c1 * n * n, c2 * n * n
    num = prod * 2.0
    num += c1
    term = sxy * (2.0 * cov_norm)
    term += c2
    num *= term
    den = norms + c1
    term = sq * cov_norm
    term += c2
    den *= term
    num /= den
    return num


def window_sums(values: np.ndarray, win_size: int) -> np.ndarray:
    """Sums over every ``win_size``-wide window along each axis but the first (``(C, *spatial)``
    in, ``(C, *(s - win_size + 1))`` out): sums of widths 1, 2, 4, ... by doubling, combined after
    ``win_size``'s binary digits (vectorised adds, O(log win_size) passes per axis)."""
    for axis in range(1, values.ndim):
        length = values.shape[axis] - win_size + 1
        out, offset, width, block, rest = None, 0, 1, values, win_size
        while rest:
            if rest & 1:
                part = _take(block, axis, offset, length)
                out = part.copy() if out is None else _add(out, part)
                offset += width
            rest >>= 1
            if rest:
                size = block.shape[axis] - width
                block = _take(block, axis, 0, size) + _take(block, axis, width, size)
                width *= 2
        values = out
    return values


def _take(values: np.ndarray, axis: int, start: int, length: int) -> np.ndarray:
    index = [slice(None)] * values.ndim
    index[axis] = slice(start, start + length)
    return values[tuple(index)]


def _add(out: np.ndarray, part: np.ndarray) -> np.ndarray:
    out += part
    return out


#: pytorch-msssim's default scale weights (Wang et al. 2003)
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _gauss_1d(size: int, sigma: float) -> np.ndarray:
    coords = np.arange(size, dtype=np.float64) - size // 2
    g = np.exp(-(coords ** 2) / (2 * sigma ** 2))
    return g / g.sum()


def _valid_blur(x: np.ndarray, win: np.ndarray) -> np.ndarray:
    """pytorch-msssim's ``gaussian_filter``: a 'valid' separable correlation over the spatial axes
    (all but the first), skipping an axis shorter than the window."""
    for axis in range(1, x.ndim):
        if x.shape[axis] >= len(win):
            x = np.moveaxis(np.lib.stride_tricks.sliding_window_view(np.moveaxis(x, axis, -1), len(win), axis=-1)
                            @ win, -1, axis)
    return x


def _avg_pool2(x: np.ndarray) -> np.ndarray:
    """torch's ``avg_poolNd(kernel_size=2, padding=[s % 2 ...])`` (zero padding counted)."""
    for axis in range(1, x.ndim):
        pad = x.shape[axis] % 2
        if pad:
            widths = [(0, 0)] * x.ndim
            widths[axis] = (pad, pad)
            x = np.pad(x, widths)
        n = (x.shape[axis] - 2) // 2 + 1
        x = np.moveaxis(x, axis, -1)[..., :2 * n]
        x = np.moveaxis(x.reshape(*x.shape[:-1], n, 2).mean(-1), -1, axis)
    return x


def _ssim_cs(x: np.ndarray, y: np.ndarray, data_range: float, win: np.ndarray,
             K: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:  # noqa: N803
    c1, c2 = (K[0] * data_range) ** 2, (K[1] * data_range) ** 2
    mu1, mu2 = _valid_blur(x, win), _valid_blur(y, win)
    s1 = _valid_blur(x * x, win) - mu1 ** 2
    s2 = _valid_blur(y * y, win) - mu2 ** 2
    s12 = _valid_blur(x * y, win) - mu1 * mu2
    cs_map = (2 * s12 + c2) / (s1 + s2 + c2)
    ssim_map = ((2 * mu1 * mu2 + c1) / (mu1 ** 2 + mu2 ** 2 + c1)) * cs_map
    return ssim_map.reshape(len(x), -1).mean(1), cs_map.reshape(len(x), -1).mean(1)


def ms_ssim(image: np.ndarray, reference: np.ndarray, data_range: float = 255, win_size: int = 11,
            win_sigma: float = 1.5, weights: tuple[float, ...] | None = None, K: tuple[float, float] = (0.01, 0.03),
            channel_axis: int | None = None) -> float:  # noqa: N803
    """Multi-scale SSIM as ``pytorch_msssim.ms_ssim`` (one image; the mean over channels): at each
    of ``len(weights)`` scales the contrast-structure term ``cs`` (the SSIM at the last), a
    Gaussian ``win_size``-wide 'valid' window, 2× average pooling between scales; the product of
    ``relu(term)^weight``. The smaller side must exceed ``(win_size − 1)·2⁴``."""
    x = channels_first(np.asarray(image), channel_axis).astype(np.float64)
    y = channels_first(np.asarray(reference), channel_axis).astype(np.float64)
    weights = np.asarray(MS_SSIM_WEIGHTS if weights is None else weights, np.float64)
    if win_size % 2 != 1:
        raise ValueError(f"win_size must be odd, got {win_size}")
    if min(x.shape[-2:]) <= (win_size - 1) * 2 ** 4:
        raise ValueError(f"image sides {x.shape[1:]} must exceed {(win_size - 1) * 2 ** 4} for 4 downsamplings")
    win = _gauss_1d(win_size, win_sigma)
    terms = []
    for level in range(len(weights)):
        ssim_c, cs = _ssim_cs(x, y, data_range, win, K)
        if level < len(weights) - 1:
            terms.append(np.maximum(cs, 0))
            x, y = _avg_pool2(x), _avg_pool2(y)
    terms.append(np.maximum(ssim_c, 0))
    return float(np.prod(np.stack(terms) ** weights[:, None], axis=0).mean())
