"""Differentiable losses: torch functions with torch.nn.functional's argument names and reductions.

Each is also a registered scorer of the same name (`rageval.scorers.losses`) whose ``reduce``
equals the function's ``reduction="mean"`` over any subset of examples. Requires torch.
"""
# one import per module; the box and dense losses add theirs below
from rageval.losses.boxes import ciou_loss, diou_loss, giou_loss, iou_loss, sigmoid_focal_loss  # noqa: F401
from rageval.losses.classification import (  # noqa: F401
    bce_with_logits,
    binary_cross_entropy,
    cross_entropy,
    focal_loss,
    hinge_embedding_loss,
    kl_div,
    multi_margin_loss,
    nll_loss,
    poly1_loss,
)
from rageval.losses.dense import (  # noqa: F401
    berhu_loss,
    charbonnier_loss,
    dice_loss,
    focal_tversky_loss,
    jaccard_loss,
    lovasz_hinge,
    lovasz_softmax,
    ms_ssim_loss,
    scale_invariant_depth_loss,
    ssim_loss,
    total_variation,
    tversky_loss,
)
from rageval.losses.embedding import (  # noqa: F401
    arcface_loss,
    contrastive_loss,
    cosface_loss,
    cosine_embedding_loss,
    triplet_margin_loss,
)
from rageval.losses.regression import (  # noqa: F401
    gaussian_nll_loss,
    huber_loss,
    l1_loss,
    log_cosh_loss,
    mse_loss,
    poisson_nll_loss,
    quantile_loss,
    smooth_l1_loss,
)
from rageval.losses.sequence import ctc_loss  # noqa: F401
