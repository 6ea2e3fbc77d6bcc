"""Boundary IoU of class maps (``mask`` / ``gt_mask``), per class, as boundary-iou-api (Cheng et al. 2021).

A class's boundary in a map is boundary-iou-api's ``mask_to_boundary`` of the binary mask
``map == c``: the mask minus its erosion by a 3×3 square applied ``d`` times (a (2d+1)-wide square),
the image padded with background so that a mask cut by the border has a boundary there;
``d = max(1, round(dilation_ratio · √(H² + W²)))`` (``dilation_ratio`` 0.02 by default). The
class's boundary IoU is ``|B_pred ∩ B_gt| / |B_pred ∪ B_gt|`` (the api's ``boundary_iou(gt, dt)``).

All classes' boundaries come from one pass: a pixel lies inside the erosion of its own class's
mask when every pixel of its (2d+1)² window, wholly inside the image, carries its label (the
window's minimum and maximum label both equal it). Statistics per image are the counts
``I_c = |B_pred,c ∩ B_gt,c|``, ``P_c = |B_pred,c|``, ``G_c = |B_gt,c|``, so ``|∪| = P + G − I``
and the scorer reduces like `miou` in both conventions: ``"dataset"`` sums the counts over the
images before the ratio; ``"per_image"`` pools the IoU of every (image, class) pair whose union is
not empty (`miou`'s, torchmetrics ``MeanIoU``'s rule). A class whose boundaries are both empty is
absent (NaN, skipped in the mean). ``ignore_index``: ground-truth pixels with that label are no
class's ground truth (a class mask ends where they begin, as in the binary masks the api is
given), and they are left out of all three counts.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
from scipy import ndimage

from rageval.core.errors import ConfigError, FieldError
from rageval.core.scorer import Batch
from rageval.core.statistics import Rows
from rageval.scorers.vision import segmentation_functional as F
from rageval.scorers.vision.arrays import pairs
from rageval.scorers.vision.segmentation import SegmentationScorer, _miou


def erosion_width(shape: tuple[int, int], dilation_ratio: float) -> int:
    """boundary-iou-api's ``dilation``: ``max(1, round(dilation_ratio · diagonal))``."""
    return max(1, int(round(dilation_ratio * math.hypot(*shape))))


def boundaries(labels: np.ndarray, width: int) -> np.ndarray:
    """Pixels on the boundary of their own class's mask: not inside its erosion by a
    ``(2·width+1)``-wide square with background outside the image."""
    labels = np.asarray(labels, np.int64)
    size = 2 * width + 1
    low = ndimage.minimum_filter(labels, size=size, mode="constant", cval=-1)
    high = ndimage.maximum_filter(labels, size=size, mode="constant", cval=-1)
    # cval -1 is below every label: a window reaching outside the image has minimum -1
    return (low != labels) | (high != labels)


def boundary_counts(pred: np.ndarray, gt: np.ndarray, num_classes: int, dilation_ratio: float = 0.02,
                    ignore_index: int | None = None) -> np.ndarray:
    """``[I_0.., P_0.., G_0..]`` of one image's class boundaries (float64, length ``3·num_classes``)."""
    pred, gt = np.asarray(pred), np.asarray(gt)
    F.confusion_counts(pred, gt, num_classes, ignore_index)  # the label checks, naming the field
    width = erosion_width(pred.shape, dilation_ratio)
    on_pred, on_gt = boundaries(pred, width), boundaries(gt, width)
    if ignore_index is not None:
        keep = gt != ignore_index
        on_pred &= keep
        on_gt &= keep
    pred, gt = pred.astype(np.intp, copy=False), gt.astype(np.intp, copy=False)
    both = on_pred & on_gt & (pred == gt)
    return np.concatenate([np.bincount(gt[both], minlength=num_classes),
                           np.bincount(pred[on_pred], minlength=num_classes),
                           np.bincount(gt[on_gt], minlength=num_classes)]).astype(np.float64)


class BoundaryIoU(SegmentationScorer):
    """Mean boundary IoU over the classes (Cheng et al. 2021; boundary-iou-api's ``mask_to_boundary``
    and ``boundary_iou`` per class); parts ``class_<c>``. ``dilation_ratio`` (0.02) sets the
    boundary's width as a share of the image diagonal; ``num_classes``, ``ignore_index`` and
    ``convention`` as `miou` (``"dataset"``: counts summed over images, then the ratio per class,
    the mean over classes; ``"per_image"``: the pooled (image, class) IoUs). See the module.
    Binary masks: ``num_classes=2``, the part ``class_1`` is the api's foreground value.
    """

    name = "boundary_iou"
    value = staticmethod(_miou)
    per_class = staticmethod(F.iou)
    pool_pairs = True

    def __init__(self, num_classes: int | None = None, dilation_ratio: float = 0.02, ignore_index: int | None = None,
                 convention: str = "dataset") -> None:
        if (isinstance(dilation_ratio, bool) or not isinstance(dilation_ratio, numbers.Real)
                or not 0 <= dilation_ratio < math.inf):
            raise ConfigError(f"boundary_iou: dilation_ratio must be a non-negative number, got {dilation_ratio!r}")
        super().__init__(num_classes=num_classes, ignore_index=ignore_index, convention=convention)
        self.params["dilation_ratio"] = self.dilation_ratio = float(dilation_ratio)

    def stats(self, batch: Batch) -> Rows:
        rows = []
        for i, (pred, gt) in enumerate(pairs(batch, "mask", "gt_mask", ndim=(2,), finite=False)):
            try:
                rows.append(boundary_counts(pred, gt, self.num_classes, self.dilation_ratio, self.ignore_index))
            except ValueError as e:
                field, _, problem = str(e).partition(": ")
                raise FieldError(field, field, i, problem) from None
        return Rows(np.array(rows).reshape(len(rows), 3 * self.num_classes))
