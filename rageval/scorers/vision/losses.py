"""The dense losses of `rageval.losses.dense` as scorers: ``reduce`` over any subset equals the
function's ``reduction="mean"`` over that subset, stacked.

Segmentation losses read ``y_score`` (per-pixel class logits, C×H×W) and ``gt_mask`` (H×W class
indices) and take ``scope="example"`` only: the batch-scoped ratio is not a mean over examples.
"""
from __future__ import annotations

from typing import Any

from rageval import losses
from rageval.core.errors import ConfigError
from rageval.scorers.losses.base import LossScorer


class _SegmentationLoss(LossScorer):
    arguments = {"y_score": "input", "gt_mask": "target"}
    index_fields = ("gt_mask",)
    bounds = (0.0, 1.0)

    def __init__(self, **params: Any) -> None:
        if params.get("scope", "example") != "example":
            raise ConfigError(f"{self.name}: a scorer takes scope='example' (a mean over examples); call "
                              f"rageval.losses.{self.name}(..., scope='batch') on a batch instead")
        super().__init__(**params)


class DiceLoss(_SegmentationLoss):
    """`rageval.losses.dice_loss` (kornia's ``dice_loss``: ``1 − 2Σpt/(Σp+Σt+eps)`` per example;
    ``average``, ``eps``, ``ignore_index``), the mean over examples."""

    name = "dice_loss"
    loss = losses.dice_loss


class JaccardLoss(_SegmentationLoss):
    """`rageval.losses.jaccard_loss` (soft IoU ``1 − Σpt/(Σp+Σt−Σpt+eps)`` per example), the mean over examples."""

    name = "jaccard_loss"
    loss = losses.jaccard_loss


class TverskyLoss(_SegmentationLoss):
    """`rageval.losses.tversky_loss` (kornia's ``tversky_loss``; ``alpha``, ``beta``), the mean over examples."""

    name = "tversky_loss"
    loss = losses.tversky_loss


class FocalTverskyLoss(_SegmentationLoss):
    """`rageval.losses.focal_tversky_loss` (``mean_c (1 − TI_c)^gamma``), the mean over examples."""

    name = "focal_tversky_loss"
    loss = losses.focal_tversky_loss


class LovaszSoftmax(LossScorer):
    """`rageval.losses.lovasz_softmax` (kornia's ``lovasz_softmax_loss``) of ``y_score`` logits
    (C×H×W) against ``gt_mask``, the mean over examples."""

    name = "lovasz_softmax"
    loss = losses.lovasz_softmax
    arguments = {"y_score": "input", "gt_mask": "target"}
    index_fields = ("gt_mask",)


class LovaszHinge(LossScorer):
    """`rageval.losses.lovasz_hinge` (kornia's ``lovasz_hinge_loss``) of ``y_score`` binary logits
    (H×W) against a 0/1 ``gt_mask``, the mean over examples."""

    name = "lovasz_hinge"
    loss = losses.lovasz_hinge
    arguments = {"y_score": "input", "gt_mask": "target"}
    index_fields = ("gt_mask",)


class CharbonnierLoss(LossScorer):
    """`rageval.losses.charbonnier_loss` ``√(d²+eps²) − eps`` of ``image`` against
    ``reference_image``, the mean over all elements (kornia's with ``eps=1``)."""

    name = "charbonnier_loss"
    loss = losses.charbonnier_loss
    arguments = {"image": "input", "reference_image": "target"}


class TotalVariation(LossScorer):
    """kornia's ``total_variation(image)`` (the sum of absolute neighbour differences per channel;
    H×W or C×H×W ``image``), the mean over images and channels."""

    name = "total_variation"
    loss = losses.total_variation
    arguments = {"image": "input"}

    def call(self, **arguments: Any) -> Any:
        return losses.total_variation(arguments["input"], reduction="sum")


class ScaleInvariantDepthLoss(LossScorer):
    """`rageval.losses.scale_invariant_depth_loss` (Eigen et al. 2014, ``lambd``) of ``depth``
    against ``gt_depth`` (0 = invalid), the mean over images."""

    name = "scale_invariant_depth_loss"
    loss = losses.scale_invariant_depth_loss
    arguments = {"depth": "input", "gt_depth": "target"}
    bounds = (-float("inf"), float("inf"))


class BerHuLoss(LossScorer):
    """`rageval.losses.berhu_loss` (Laina et al. 2016, ``threshold``; ``c`` per image) of ``depth``
    against ``gt_depth`` (0 = invalid), the mean over images."""

    name = "berhu_loss"
    loss = losses.berhu_loss
    arguments = {"depth": "input", "gt_depth": "target"}


class _ImageLoss(LossScorer):
    """An image loss of ``image`` against ``reference_image``: H×W (one channel) or C×H×W per example."""

    arguments = {"image": "input", "reference_image": "target"}

    def call(self, **arguments: Any) -> Any:
        if arguments["input"].dim() == 3:  # a batch of H×W images: one channel
            arguments = {k: v.unsqueeze(1) for k, v in arguments.items()}
        return super().call(**arguments)


class SSIMLoss(_ImageLoss):
    """`rageval.losses.ssim_loss` (kornia's ``ssim_loss``: ``clamp((1 − SSIM)/2, 0, 1)`` per pixel;
    ``window_size`` 11, ``max_val`` 1.0, ``eps``, ``padding``) of ``image`` against
    ``reference_image``, the mean over all pixels and channels (kornia's ``reduction="mean"`` on
    the stacked batch; images of several sizes weigh by their pixel counts)."""

    name = "ssim_loss"
    loss = losses.ssim_loss
    bounds = (0.0, 1.0)


class MSSSIMLoss(_ImageLoss):
    """`rageval.losses.ms_ssim_loss` (``1 − pytorch_msssim.ms_ssim`` per image; ``data_range`` 255,
    ``win_size``, ``win_sigma``, ``weights``, ``K``) of ``image`` against ``reference_image``, the
    mean over images (``1 − ms_ssim(size_average=True)``)."""

    name = "ms_ssim_loss"
    loss = losses.ms_ssim_loss
    bounds = (0.0, 1.0)
