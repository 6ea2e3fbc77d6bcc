"""Depth estimation scorers over ``depth`` / ``gt_depth`` (H×W): ``depth_abs_rel``, ``depth_sq_rel``,
``depth_rmse``, ``depth_rmse_log``, ``depth_log10``, ``depth_delta1..3`` and ``silog``, each the
mean over images of `depth_functional.depth_errors` (monodepth2's conventions)."""
from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, MeanScorer, memo
from rageval.scorers.vision import depth_functional as F
from rageval.scorers.vision.arrays import pairs


class DepthScorer(MeanScorer):
    """One of monodepth2's depth errors, averaged over images (see `depth_functional`).

    Parameters (monodepth2's): ``min_depth`` (1e-3) and ``max_depth`` (80, KITTI), ``median_scaling``
    (False: the prediction is metric; True: per-image median scaling, monodepth2's default for
    monocular models), ``eigen_crop`` (False). An image with no valid ground-truth pixel, or a
    prediction that is NaN, infinite or not positive on a valid pixel, is an error for that image.
    """

    fields = ("depth", "gt_depth")
    higher_is_better = False
    bounds = (0.0, math.inf)
    metric: ClassVar[str]

    def __init__(self, min_depth: float = 1e-3, max_depth: float = 80.0, median_scaling: bool = False,
                 eigen_crop: bool = False) -> None:
        if not 0 <= min_depth < max_depth:
            raise ConfigError(f"{self.name}: need 0 <= min_depth < max_depth, got {min_depth}, {max_depth}")
        super().__init__(min_depth=float(min_depth), max_depth=float(max_depth),
                         median_scaling=bool(median_scaling), eigen_crop=bool(eigen_crop))
        self.options = dict(self.params)

    def score_batch(self, batch: Batch) -> np.ndarray:
        key = ("depth_errors", tuple(sorted(self.options.items())))
        return memo(batch, key, lambda: _errors(batch, self.options))[:, F.METRICS.index(self.metric)]


def _errors(batch: Batch, options: dict) -> np.ndarray:
    rows = []
    for i, (pred, gt) in enumerate(pairs(batch, "depth", "gt_depth", ndim=(2,), finite=False)):
        mask = F.valid_mask(gt, options["min_depth"], options["max_depth"], options["eigen_crop"])
        on = pred[mask]
        if not (np.isfinite(on).all() and (on > 0).all()):
            raise FieldError("depth", "depth", i, "predicted depth must be finite and positive on valid pixels")
        try:
            rows.append(F.depth_errors(pred, gt, **options))
        except ValueError as e:
            raise FieldError("gt_depth", "gt_depth", i, str(e)) from None
    return np.array(rows, np.float64).reshape(len(rows), len(F.METRICS))


def _scorer(cls_name: str, metric: str, doc: str, better: bool = False) -> type[DepthScorer]:
    name = "silog" if metric == "silog" else f"depth_{metric}"
    attrs = {"name": name, "metric": metric, "higher_is_better": better, "__doc__": doc + "\n\n" + DepthScorer.__doc__,
             "__module__": __name__, "__qualname__": cls_name}
    if better:
        attrs["bounds"] = (0.0, 1.0)
    return type(cls_name, (DepthScorer,), attrs)


DepthAbsRel = _scorer("DepthAbsRel", "abs_rel", "Absolute relative error, mean(|gt − pred| / gt).")
DepthSqRel = _scorer("DepthSqRel", "sq_rel", "Squared relative error, mean((gt − pred)² / gt).")
DepthRMSE = _scorer("DepthRMSE", "rmse", "Root mean squared error, √mean((gt − pred)²).")
DepthRMSELog = _scorer("DepthRMSELog", "rmse_log", "RMSE of log depth, √mean((log gt − log pred)²).")
DepthLog10 = _scorer("DepthLog10", "log10", "Mean absolute log10 error, mean(|log10 gt − log10 pred|).")
DepthDelta1 = _scorer("DepthDelta1", "delta1", "Share of pixels with max(gt/pred, pred/gt) < 1.25.", True)
DepthDelta2 = _scorer("DepthDelta2", "delta2", "Threshold accuracy δ < 1.25².", True)
DepthDelta3 = _scorer("DepthDelta3", "delta3", "Threshold accuracy δ < 1.25³.", True)
SILog = _scorer("SILog", "silog", "KITTI scale-invariant log error, 100·√(mean(d²) − mean(d)²), d = log pred − log gt.")
