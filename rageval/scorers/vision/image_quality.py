"""Image quality scorers over ``image`` / ``reference_image`` (H×W, or with channels at
``channel_axis``; uint8 or float): ``psnr`` and ``ssim``, identical to scikit-image."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, MeanScorer, SummedScorer
from rageval.core.statistics import Rows, Statistics
from rageval.scorers.vision import image_functional as F
from rageval.scorers.vision.arrays import pairs


def _images(batch: Batch, data_range: float | None):
    """``(i, image, reference, data_range)`` per example; a float image without ``data_range``
    is refused naming the row (scikit-image refuses it too)."""
    for i, (image, ref) in enumerate(pairs(batch, "image", "reference_image", ndim=(2, 3, 4))):
        if data_range is None:
            try:
                yield i, image, ref, F.dtype_range(image.dtype)
            except ValueError as e:
                raise FieldError("image", "image", i, str(e)) from None
        else:
            yield i, image, ref, data_range


def _check_range(name: str, data_range: Any) -> float | None:
    if data_range is None:
        return None
    if isinstance(data_range, bool) or not isinstance(data_range, (int, float)) or not 0 < data_range < math.inf:
        raise ConfigError(f"{name}: data_range must be a positive number or None, got {data_range!r}")
    return float(data_range)


class PSNR(SummedScorer):
    """Peak signal-to-noise ratio ``10·log10(data_range² / MSE)`` in dB, as
    ``skimage.metrics.peak_signal_noise_ratio(reference_image, image, data_range=)``.

    ``data_range``: None takes the range of ``image``'s integer dtype (255 for uint8), as
    scikit-image does; float images need it. ``pool="per_image"`` (default): the mean of the
    images' PSNR (torchmetrics' ``PeakSignalNoiseRatio(dim=(1, 2, 3))`` style); ``"mse"``: the PSNR
    of the MSE pooled over all pixels (torchmetrics' ``PeakSignalNoiseRatio()``, ``dim=None``).
    Identical images give inf. Statistics per image: PSNR, squared-error sum, pixel count, data range².
    """

    name = "psnr"
    fields = ("image", "reference_image")
    bounds = (0.0, math.inf)

    def __init__(self, data_range: float | None = None, pool: str = "per_image") -> None:
        if pool not in ("per_image", "mse"):
            raise ConfigError(f"psnr: pool must be 'per_image' or 'mse', got {pool!r}")
        super().__init__(data_range=data_range, pool=pool)
        self.data_range, self.pool = _check_range("psnr", data_range), pool

    def stats(self, batch: Batch) -> Rows:
        rows = []
        for _, image, ref, dr in _images(batch, self.data_range):
            err = F.mse(image, ref)
            rows.append([F.psnr(image, ref, dr), err * image.size, image.size, dr * dr])
        return Rows(np.array(rows, np.float64).reshape(len(rows), 4))

    def sum_rows(self, stats: Statistics) -> np.ndarray:
        rows = np.asarray(stats, np.float64).reshape(len(stats), 4)
        if self.pool == "per_image":
            return rows[:, :1]
        if len(rows) and np.ptp(rows[:, 3]) > 0:
            raise ConfigError("psnr: pool='mse' needs one data_range for all images; pass data_range")
        return np.column_stack([rows[:, 1], rows[:, 2], rows[:, 3]])

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        safe = np.where(counts > 0, counts, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.pool == "per_image" or sums.shape[1] < 3:
                value = sums[:, 0] / safe
            else:
                value = 10 * np.log10((sums[:, 2] / safe) / (sums[:, 0] / sums[:, 1]))
        return {self.key: np.where(counts > 0, value, np.nan)}


class SSIM(MeanScorer):
    """Mean structural similarity (Wang et al. 2004), identical to
    ``skimage.metrics.structural_similarity(image, reference_image, ...)`` with its parameters and
    defaults: ``win_size`` (None: 7, or 2·⌊3.5σ+0.5⌋+1 with Gaussian weights), ``gaussian_weights``
    (False), ``sigma`` (1.5), ``use_sample_covariance`` (True), ``data_range`` (None: the range of
    the integer dtype; float images need it), ``channel_axis`` (None), ``K1``, ``K2``; see
    `image_functional.ssim`. The corpus value is the mean over images.
    """

    name = "ssim"
    fields = ("image", "reference_image")
    bounds = (-1.0, 1.0)

    def __init__(self, win_size: int | None = None, gaussian_weights: bool = False, sigma: float = 1.5,
                 use_sample_covariance: bool = True, data_range: float | None = None,
                 channel_axis: int | None = None, K1: float = 0.01, K2: float = 0.03) -> None:  # noqa: N803
        if win_size is not None and (not isinstance(win_size, int) or win_size < 1 or win_size % 2 == 0):
            raise ConfigError(f"ssim: win_size must be an odd positive integer or None, got {win_size!r}")
        if win_size == 1 and use_sample_covariance:
            raise ConfigError("ssim: win_size 1 leaves no sample covariance (N/(N-1) divides by zero); "
                              "pass use_sample_covariance=False")
        super().__init__(win_size=win_size, gaussian_weights=gaussian_weights, sigma=sigma,
                         use_sample_covariance=use_sample_covariance, data_range=data_range,
                         channel_axis=channel_axis, K1=K1, K2=K2)
        self.options = dict(win_size=win_size, gaussian_weights=bool(gaussian_weights), sigma=float(sigma),
                            use_sample_covariance=bool(use_sample_covariance), channel_axis=channel_axis,
                            K1=float(K1), K2=float(K2))
        self.data_range = _check_range("ssim", data_range)

    def score_batch(self, batch: Batch) -> list[float]:
        out = []
        for i, image, ref, dr in _images(batch, self.data_range):
            try:
                out.append(F.ssim(image, ref, dr, **self.options))
            except (ValueError, IndexError, np.exceptions.AxisError) as e:
                raise FieldError("image", "image", i, str(e)) from None
        return out


class MSSSIM(MeanScorer):
    """Multi-scale SSIM (Wang et al. 2003), identical to ``pytorch_msssim.ms_ssim`` (1e-5) with its
    parameters and defaults: ``data_range`` (255), ``win_size`` (11), ``win_sigma`` (1.5), ``weights``
    (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), ``K`` ((0.01, 0.03)); ``channel_axis`` (None: H×W)
    says where an image's channels are (pytorch-msssim takes N×C×H×W). The per-image value is the
    mean over channels; the corpus value the mean over images (``size_average=True``). Images'
    smaller side must exceed ``(win_size − 1)·16`` (161 pixels by default), as pytorch-msssim asserts.
    """

    name = "ms_ssim"
    fields = ("image", "reference_image")
    bounds = (0.0, 1.0)

    def __init__(self, data_range: float = 255, win_size: int = 11, win_sigma: float = 1.5,
                 weights: list[float] | None = None, K: tuple[float, float] = (0.01, 0.03),  # noqa: N803
                 channel_axis: int | None = None) -> None:
        if not isinstance(win_size, int) or win_size < 1 or win_size % 2 == 0:
            raise ConfigError(f"ms_ssim: win_size must be an odd positive integer, got {win_size!r}")
        data_range = _check_range("ms_ssim", data_range)
        if data_range is None:
            raise ConfigError("ms_ssim: data_range must be a positive number (pytorch-msssim's default is 255)")
        weights = None if weights is None else [float(w) for w in weights]
        K = (float(K[0]), float(K[1]))  # noqa: N806
        super().__init__(data_range=data_range, win_size=win_size, win_sigma=float(win_sigma), weights=weights,
                         K=list(K), channel_axis=channel_axis)
        self.options = dict(data_range=data_range, win_size=win_size, win_sigma=float(win_sigma),
                            weights=None if weights is None else tuple(weights), K=K, channel_axis=channel_axis)

    def score_batch(self, batch: Batch) -> list[float]:
        out = []
        for i, (image, ref) in enumerate(pairs(batch, "image", "reference_image", ndim=(2, 3))):
            try:
                out.append(F.ms_ssim(image, ref, **self.options))
            except (ValueError, IndexError, np.exceptions.AxisError) as e:
                raise FieldError("image", "image", i, str(e)) from None
        return out
