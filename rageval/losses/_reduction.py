"""The ``reduction`` argument every loss takes, as torch.nn.functional applies it."""
from __future__ import annotations

import torch

REDUCTIONS = ("none", "mean", "sum")


def reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    """``loss`` unreduced (``"none"``), averaged over all its elements (``"mean"``) or summed (``"sum"``)."""
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction!r} is not a valid value for reduction: use one of {', '.join(REDUCTIONS)}")
