"""Monocular depth errors (Eigen et al. 2014), as monodepth2's ``evaluate_depth.py`` computes them.

Per image: the valid pixels are those whose ground truth lies strictly between ``min_depth`` and
``max_depth`` (0 and NaN mark invalid ground truth), within the Eigen crop when ``eigen_crop``
(rows 0.40810811·H..0.99189189·H, columns 0.03594771·W..0.96405229·W, truncated to int32 as
monodepth2 does). With ``median_scaling`` the prediction is multiplied by
``median(gt) / median(pred)`` over the valid pixels; then it is clipped to ``[min_depth,
max_depth]``. On those pixels (``d = log(pred) − log(gt)``):

- ``abs_rel`` mean(|gt−pred|/gt), ``sq_rel`` mean((gt−pred)²/gt), ``rmse`` √mean((gt−pred)²),
  ``rmse_log`` √mean(d²), ``delta1..3`` mean(max(gt/pred, pred/gt) < 1.25^k): monodepth2's
  ``compute_errors``;
- ``log10`` mean(|log10 gt − log10 pred|) and ``silog`` 100·√(mean(d²) − mean(d)²) (the KITTI
  benchmark's scale-invariant log error), as BTS's ``compute_errors``.

A dataset's value is the mean of the images' values (monodepth2's ``np.array(errors).mean(0)``).
"""
from __future__ import annotations

import numpy as np

METRICS = ("abs_rel", "sq_rel", "rmse", "rmse_log", "log10", "delta1", "delta2", "delta3", "silog")


def valid_mask(gt: np.ndarray, min_depth: float, max_depth: float, eigen_crop: bool) -> np.ndarray:
    """The pixels evaluated: ground truth in ``(min_depth, max_depth)``, inside the Eigen crop."""
    with np.errstate(invalid="ignore"):
        mask = (gt > min_depth) & (gt < max_depth)
    if eigen_crop:
        h, w = gt.shape[:2]
        crop = np.array([0.40810811 * h, 0.99189189 * h, 0.03594771 * w, 0.96405229 * w]).astype(np.int32)
        inside = np.zeros(mask.shape, bool)
        inside[crop[0]:crop[1], crop[2]:crop[3]] = True
        mask &= inside
    return mask


def depth_errors(pred: np.ndarray, gt: np.ndarray, min_depth: float = 1e-3, max_depth: float = 80.0,
                 median_scaling: bool = False, eigen_crop: bool = False) -> np.ndarray:
    """The values of `METRICS` for one image (float64). Raises ValueError when no pixel is valid."""
    pred, gt = np.asarray(pred, np.float64), np.asarray(gt, np.float64)
    mask = valid_mask(gt, min_depth, max_depth, eigen_crop)
    if not mask.any():
        raise ValueError("no valid ground-truth pixel (all outside (min_depth, max_depth) or the crop)")
    pred, gt = pred[mask], gt[mask]
    if median_scaling:
        pred = pred * (np.median(gt) / np.median(pred))
    pred = np.clip(pred, min_depth, max_depth)
    thresh = np.maximum(gt / pred, pred / gt)
    diff = gt - pred
    log_diff = np.log(pred) - np.log(gt)
    return np.array([
        np.mean(np.abs(diff) / gt), np.mean(diff ** 2 / gt), np.sqrt(np.mean(diff ** 2)),
        np.sqrt(np.mean(log_diff ** 2)), np.mean(np.abs(np.log10(gt) - np.log10(pred))),
        (thresh < 1.25).mean(), (thresh < 1.25 ** 2).mean(), (thresh < 1.25 ** 3).mean(),
        np.sqrt(max(np.mean(log_diff ** 2) - np.mean(log_diff) ** 2, 0.0)) * 100,
    ])
