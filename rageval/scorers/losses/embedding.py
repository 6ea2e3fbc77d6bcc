"""Metric-learning losses as scorers, one pair, triplet or sample per example.

Canonical fields: ``embedding1`` / ``embedding2`` (a pair of embeddings, ``(D,)`` each: torch's
``input1`` / ``input2``) with ``y_true`` the pair label; ``anchor`` / ``positive`` / ``negative``
(a triplet of ``(D,)`` embeddings); for the margin softmax losses ``y_pred``, the ``C`` cosines
between the sample's normalised embedding and the class centres, and ``y_true`` the class index.
The value over any subset is the function's ``reduction="mean"``: the mean over samples.
"""
from __future__ import annotations

from rageval import losses
from rageval.scorers.losses.base import LossScorer

_PAIR = {"embedding1": "input1", "embedding2": "input2", "y_true": "target"}


class CosineEmbeddingLoss(LossScorer):
    """``1 - cos(e1, e2)`` for ``y_true = 1``, ``max(0, cos(e1, e2) - margin)`` for ``y_true = -1``;
    `torch.nn.functional.cosine_embedding_loss`."""

    name = "cosine_embedding_loss"
    loss = losses.cosine_embedding_loss
    arguments = _PAIR


class ContrastiveLoss(LossScorer):
    """``D²/2`` for a similar pair (``y_true = 1``), ``max(0, margin - D)²/2`` for a dissimilar one
    (``y_true = 0``), ``D`` the Euclidean distance of ``embedding1`` and ``embedding2``
    (Hadsell et al. 2006; `rageval.losses.contrastive_loss`)."""

    name = "contrastive_loss"
    loss = losses.contrastive_loss
    arguments = _PAIR


class TripletMarginLoss(LossScorer):
    """``max(0, d(anchor, positive) - d(anchor, negative) + margin)`` with ``p``, ``eps``, ``swap``;
    `torch.nn.functional.triplet_margin_loss`."""

    name = "triplet_margin_loss"
    loss = losses.triplet_margin_loss
    arguments = {"anchor": "anchor", "positive": "positive", "negative": "negative"}


class ArcFaceLoss(LossScorer):
    """ArcFace (Deng et al. 2019) of cosines ``y_pred`` and class index ``y_true``, ``scale`` and
    ``margin`` (`rageval.losses.arcface_loss`)."""

    name = "arcface_loss"
    loss = losses.arcface_loss
    index_fields = ("y_true",)


class CosFaceLoss(LossScorer):
    """CosFace (Wang et al. 2018) of cosines ``y_pred`` and class index ``y_true``, ``scale`` and
    ``margin`` (`rageval.losses.cosface_loss`)."""

    name = "cosface_loss"
    loss = losses.cosface_loss
    index_fields = ("y_true",)
