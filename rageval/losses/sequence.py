"""Sequence losses: connectionist temporal classification, with torch's argument names and reductions."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def ctc_loss(log_probs: torch.Tensor, targets: torch.Tensor, input_lengths: torch.Tensor, target_lengths: torch.Tensor,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> torch.Tensor:
    """CTC negative log-likelihood (Graves et al. 2006) of ``targets`` under ``log_probs``
    ``(T, N, C)``, one loss per sequence; `torch.nn.functional.ctc_loss`. ``"mean"`` divides each
    sequence's loss by its target length (at least 1), then averages over the batch."""
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=blank, reduction=reduction,
                      zero_infinity=zero_infinity)
