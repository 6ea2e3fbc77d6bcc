"""Boundary F-measure of binary masks (``mask`` / ``gt_mask``, nonzero = foreground), as
davis2017-evaluation's ``f_measure`` (Perazzi et al. 2016).

The boundary of a mask is davis's ``_seg2bmap`` (a pixel differs from its east, south or
south-east neighbour). Each boundary is dilated by a disk of radius ``bound_pix`` (``bound_th`` if
``bound_th >= 1``, else ``ceil(bound_th · ‖(H, W)‖)``; default 0.008 of the diagonal, as davis);
precision = predicted boundary pixels within the dilated true boundary / predicted boundary
pixels, recall likewise; F = 2PR/(P+R), 0 when P + R = 0. No predicted boundary: P = 1, R = 0;
no true boundary: P = 0, R = 1; neither: 1 and 1 (davis's conventions). The corpus value is the
mean over images (davis averages F over frames).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from rageval.core.errors import ConfigError
from rageval.core.scorer import Batch, MeanScorer
from rageval.scorers.vision.arrays import pairs


def seg2bmap(seg: np.ndarray) -> np.ndarray:
    """davis2017's ``_seg2bmap`` at the mask's own size."""
    seg = np.asarray(seg).astype(bool)
    e, s, se = np.zeros_like(seg), np.zeros_like(seg), np.zeros_like(seg)
    e[:, :-1] = seg[:, 1:]
    s[:-1, :] = seg[1:, :]
    se[:-1, :-1] = seg[1:, 1:]
    b = seg ^ e | seg ^ s | seg ^ se
    b[-1, :] = seg[-1, :] ^ e[-1, :]
    b[:, -1] = seg[:, -1] ^ s[:, -1]
    b[-1, -1] = 0
    return b


def disk(radius: int) -> np.ndarray:
    """skimage.morphology.disk(radius): the pixels within Euclidean distance ``radius``."""
    r = np.arange(-radius, radius + 1)
    return (r[:, None] ** 2 + r[None, :] ** 2) <= radius ** 2


def f_measure(pred: np.ndarray, gt: np.ndarray, bound_th: float = 0.008) -> tuple[float, float, float]:
    """``(F, precision, recall)`` of one binary mask against the true one (davis's ``f_measure``)."""
    bound_pix = bound_th if bound_th >= 1 else math.ceil(bound_th * np.linalg.norm(pred.shape))
    fg, gt_b = seg2bmap(pred), seg2bmap(gt)
    kernel = disk(int(bound_pix))
    fg_dil = ndimage.binary_dilation(fg, kernel) if fg.any() else fg
    gt_dil = ndimage.binary_dilation(gt_b, kernel) if gt_b.any() else gt_b
    n_fg, n_gt = int(fg.sum()), int(gt_b.sum())
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1.0, 0.0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0.0, 1.0
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1.0, 1.0
    else:
        precision = float((fg & gt_dil).sum()) / n_fg
        recall = float((gt_b & fg_dil).sum()) / n_gt
    f = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return f, precision, recall


class BoundaryF1(MeanScorer):
    """davis2017-evaluation's boundary F-measure (``bound_th``, default 0.008), the mean over
    images; parts ``precision`` and ``recall`` (their means over images). See the module."""

    name = "boundary_f1"
    fields = ("mask", "gt_mask")
    parts = ("precision", "recall")
    bounds = (0.0, 1.0)

    def __init__(self, bound_th: float = 0.008) -> None:
        if (isinstance(bound_th, bool) or not isinstance(bound_th, (int, float)) or not 0 < bound_th < math.inf
                or bound_th >= 1 and bound_th != int(bound_th)):
            raise ConfigError(f"boundary_f1: bound_th must be a fraction of the diagonal in (0, 1) or a whole "
                              f"number of pixels, got {bound_th!r}")
        super().__init__(bound_th=float(bound_th))

    def score_batch(self, batch: Batch) -> list[tuple[float, float, float]]:
        return [f_measure(p, g, self.params["bound_th"])
                for p, g in pairs(batch, "mask", "gt_mask", ndim=(2,))]
