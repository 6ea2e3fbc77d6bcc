"""Semantic segmentation scorers over ``mask`` / ``gt_mask`` (H×W integer class maps):
``miou``, ``dice``, ``pixel_accuracy``, ``mean_accuracy``, ``fw_iou``.

Statistics are each image's confusion counts (`segmentation_functional.confusion_counts`), so any
subset reduces exactly in both conventions (``convention="dataset"``: mmsegmentation and
torchmetrics' ``JaccardIndex``; ``"per_image"``: torchmetrics' ``MeanIoU`` / ``DiceScore``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch, SummedScorer
from rageval.core.statistics import Rows, Statistics
from rageval.scorers.vision import segmentation_functional as F
from rageval.scorers.vision.arrays import pairs

CONVENTIONS = ("dataset", "per_image")


class SegmentationScorer(SummedScorer):
    """A metric of confusion counts; subclasses name the per-image value and the per-class one.

    Parameters: ``num_classes`` (labels are ``0..num_classes-1``; required), ``ignore_index``
    (ground-truth label whose pixels are left out, as mmsegmentation's ``ignore_index`` and
    torchmetrics' ``JaccardIndex(ignore_index=)``; default None), ``convention``.
    Parts: the per-class value, ``class_<c>`` (NaN for a class absent from the subset), where the
    metric has one.
    """

    fields = ("mask", "gt_mask")
    bounds = (0.0, 1.0)
    #: the value of summed counts ``(I, P, G)``, vectorised over rows
    value: ClassVar[Callable[..., np.ndarray]]
    #: the per-class value, or None when the metric has no per-class parts
    per_class: ClassVar[Callable[..., np.ndarray] | None] = None
    #: per_image convention: pool the (image, class) values of `per_class` (torchmetrics' MeanIoU)
    #: instead of averaging the images' values
    pool_pairs: ClassVar[bool] = False

    def __init__(self, num_classes: int | None = None, ignore_index: int | None = None,
                 convention: str = "dataset") -> None:
        if not _is_int(num_classes) or num_classes < 1:
            raise ConfigError(f"{self.name}: num_classes must be a positive integer, got {num_classes!r}")
        if convention not in CONVENTIONS:
            raise ConfigError(f"{self.name}: convention must be one of {CONVENTIONS}, got {convention!r}")
        if ignore_index is not None and not _is_int(ignore_index):
            raise ConfigError(f"{self.name}: ignore_index must be an integer or None, got {ignore_index!r}")
        num_classes = int(num_classes)
        ignore_index = None if ignore_index is None else int(ignore_index)
        super().__init__(num_classes=num_classes, ignore_index=ignore_index, convention=convention)
        self.num_classes, self.ignore_index, self.convention = num_classes, ignore_index, convention
        self.parts = tuple(f"class_{c}" for c in range(num_classes)) if self.per_class else ()

    def stats(self, batch: Batch) -> Rows:
        rows = []
        for i, (pred, gt) in enumerate(pairs(batch, "mask", "gt_mask", ndim=(2, 3), finite=False)):
            try:
                rows.append(F.confusion_counts(pred, gt, self.num_classes, self.ignore_index))
            except ValueError as e:
                field, _, problem = str(e).partition(": ")
                raise FieldError(field, field, i, problem) from None
        return Rows(np.array(rows).reshape(len(rows), 3 * self.num_classes))

    def sum_rows(self, stats: Statistics) -> np.ndarray:
        counts = np.asarray(stats, np.float64).reshape(len(stats), 3 * self.num_classes)
        if self.convention == "dataset":
            return counts
        i, p, g = F.split(counts, self.num_classes)
        value = type(self).value(i, p, g)
        ok = ~np.isnan(value)
        cols = [np.where(ok, value, 0.0)[:, None], ok[:, None]]
        if self.per_class:
            per = type(self).per_class(i, p, g)
            valid = ~np.isnan(per)
            cols += [np.where(valid, per, 0.0), valid]
        return np.hstack(cols).astype(np.float64)

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        c = self.num_classes
        if self.convention == "dataset":
            width = 3 * c
        else:
            width = 2 + (2 * c if self.per_class else 0)
        if sums.shape[1] != width:  # no rows at all
            sums = np.zeros((len(sums), width))
        if self.convention == "dataset":
            i, p, g = F.split(sums, c)
            out = {self.key: type(self).value(i, p, g)}
            per = type(self).per_class(i, p, g) if self.per_class else None
        else:
            out = {self.key: F._div(sums[:, 0], sums[:, 1])}
            per = F._div(sums[:, 2:2 + c], sums[:, 2 + c:]) if self.per_class else None
            if self.pool_pairs:
                out[self.key] = F._div(sums[:, 2:2 + c].sum(1), sums[:, 2 + c:].sum(1))
        for k in range(c if self.per_class else 0):
            out[f"{self.key}.class_{k}"] = per[:, k]
        empty = counts <= 0
        return {k: np.where(empty, np.nan, v) for k, v in out.items()}


def _miou(i: np.ndarray, p: np.ndarray, g: np.ndarray) -> np.ndarray:
    return F.nanmean(F.iou(i, p, g))


def _mdice(i: np.ndarray, p: np.ndarray, g: np.ndarray) -> np.ndarray:
    return F.nanmean(F.dice(i, p, g))


def _macc(i: np.ndarray, p: np.ndarray, g: np.ndarray) -> np.ndarray:
    return F.nanmean(F.accuracy(i, p, g))


class MIoU(SegmentationScorer):
    """Mean intersection over union, ``mean_c I_c/(P_c+G_c-I_c)`` over the classes present
    (predicted or in the ground truth).

    ``convention="dataset"``: of the counts summed over the images; equals mmsegmentation's
    ``mIoU`` (``np.nanmean(total_area_intersect / total_area_union)``) and torchmetrics'
    ``JaccardIndex(task="multiclass", num_classes, ignore_index, average="macro")``.
    ``"per_image"``: torchmetrics' ``MeanIoU(num_classes, input_format="index")``: the IoU of every
    (image, class) pair where the class is present, pooled (sum over pairs / number of pairs); the
    parts equal ``MeanIoU(per_class=True)`` (NaN where torchmetrics writes -1).
    """

    name = "miou"
    value = staticmethod(_miou)
    per_class = staticmethod(F.iou)
    pool_pairs = True


class Dice(SegmentationScorer):
    """Mean Dice coefficient, ``mean_c 2I_c/(P_c+G_c)`` over the classes present.

    ``"dataset"``: of the summed counts (mmsegmentation's ``mDice``). ``"per_image"``: each image's
    mean over its classes present, then the mean over images: torchmetrics'
    ``DiceScore(num_classes, average="macro", aggregation_level="samplewise", input_format="index")``;
    the parts equal ``average="none"`` (each class's mean over the images where it is present).
    """

    name = "dice"
    value = staticmethod(_mdice)
    per_class = staticmethod(F.dice)


class PixelAccuracy(SegmentationScorer):
    """Pixel accuracy ``ΣI / ΣG``: the share of (non-ignored) pixels labelled right.

    ``"dataset"``: mmsegmentation's ``aAcc``, torchmetrics' ``MulticlassAccuracy(average="micro")``.
    ``"per_image"``: each image's accuracy, averaged over images (``multidim_average="samplewise"``).
    """

    name = "pixel_accuracy"
    value = staticmethod(F.pixel_accuracy)


class MeanAccuracy(SegmentationScorer):
    """Mean class accuracy ``mean_c I_c/G_c`` over the classes in the ground truth
    (mmsegmentation's ``mAcc``; ``"per_image"``: each image's, averaged over images). Parts: each
    class's accuracy."""

    name = "mean_accuracy"
    value = staticmethod(_macc)
    per_class = staticmethod(F.accuracy)


class FWIoU(SegmentationScorer):
    """Frequency-weighted IoU ``Σ_c (G_c/ΣG) · IoU_c`` (Long et al. 2015; the ``fwavacc`` of the
    FCN reference code). ``"per_image"``: each image's, averaged over images."""

    name = "fw_iou"
    value = staticmethod(F.fw_iou)


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
