"""Semantic segmentation metrics from per-image confusion counts (numpy core).

An image's statistics are three counts per class ``c``: ``I_c`` the pixels predicted ``c`` whose
ground truth is ``c``, ``P_c`` the pixels predicted ``c``, ``G_c`` the pixels whose ground truth is
``c``; pixels whose ground truth is ``ignore_index`` are left out of all three (mmsegmentation's
``intersect_and_union``). Every metric below is a function of these counts, so any subset of
images reduces exactly, in both conventions:

- ``"dataset"``: the counts summed over all images, then the metric (mmsegmentation's
  ``total_area_*``; torchmetrics' ``JaccardIndex(task="multiclass", average="macro")``).
- ``"per_image"``: the metric of each image, then averaged over images (torchmetrics' segmentation
  metrics, ``MeanIoU`` and ``DiceScore``).

Per class: IoU ``I/(P+G-I)``, Dice ``2I/(P+G)``, accuracy ``I/G``; NaN where the denominator is
0 (the class is absent), and a mean over classes skips NaN (mmsegmentation's ``np.nanmean``).
"""
from __future__ import annotations

import numpy as np

#: statistics columns per class, in this order
COUNTS = ("intersection", "pred", "gt")


def confusion_counts(pred: np.ndarray, gt: np.ndarray, num_classes: int,
                     ignore_index: int | None = None) -> np.ndarray:
    """``[I_0..I_{C-1}, P_0.., G_0..]`` of one image (float64, length ``3·num_classes``).

    Raises ValueError naming ``"mask"`` or ``"gt_mask"`` for labels outside ``0..num_classes-1``
    (other than ``ignore_index`` in the ground truth)."""
    pred, gt = np.asarray(pred).ravel(), np.asarray(gt).ravel()
    if ignore_index is not None:
        keep = gt != ignore_index
        pred, gt = pred[keep], gt[keep]
    for name, labels in (("mask", pred), ("gt_mask", gt)):
        if labels.size and (labels.dtype.kind == "f" and not np.array_equal(labels, np.floor(labels))
                            or labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"{name}: labels must be integers in 0..{num_classes - 1}"
                             + ("" if name == "mask" or ignore_index is None else f" or {ignore_index}"))
    pred, gt = pred.astype(np.intp, copy=False), gt.astype(np.intp, copy=False)
    inter = np.bincount(gt[pred == gt], minlength=num_classes)
    return np.concatenate([inter, np.bincount(pred, minlength=num_classes),
                           np.bincount(gt, minlength=num_classes)]).astype(np.float64)


def split(counts: np.ndarray, num_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(I, P, G)``, each ``(m, num_classes)``, from rows of `confusion_counts`."""
    counts = np.asarray(counts, np.float64).reshape(-1, 3 * num_classes)
    return counts[:, :num_classes], counts[:, num_classes:2 * num_classes], counts[:, 2 * num_classes:]


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def nanmean(values: np.ndarray) -> np.ndarray:
    """Mean over the last axis skipping NaN (NaN when all are NaN), without numpy's warning."""
    ok = ~np.isnan(values)
    return _div(np.where(ok, values, 0.0).sum(-1), ok.sum(-1).astype(np.float64))


def iou(i: np.ndarray, p: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Per-class IoU ``I/(P+G-I)``."""
    return _div(i, p + g - i)


def dice(i: np.ndarray, p: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Per-class Dice ``2I/(P+G)``."""
    return _div(2 * i, p + g)


def accuracy(i: np.ndarray, p: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Per-class accuracy (recall) ``I/G``."""
    return _div(i, g)


def pixel_accuracy(i: np.ndarray, p: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``ΣI / ΣG`` over classes (mmsegmentation's ``aAcc``)."""
    return _div(i.sum(-1), g.sum(-1))


def fw_iou(i: np.ndarray, p: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Frequency-weighted IoU ``Σ_c (G_c/ΣG) · IoU_c`` (Long et al. 2015, FCN's ``fwavacc``)."""
    return _div(np.where(g > 0, g * np.nan_to_num(iou(i, p, g)), 0.0).sum(-1), g.sum(-1))
