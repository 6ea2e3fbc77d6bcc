"""CTC as a scorer: one sequence per example.

``y_pred`` holds the example's log-probabilities ``(T, C)`` (log-softmax over ``C`` classes,
``blank`` among them) and ``y_true`` its target label sequence ``(S,)`` (possibly empty); the
input length is ``T`` and the target length ``S``. Torch's ``"mean"`` divides each sequence's
loss by its target length (at least 1) and averages over sequences, so the statistics are
(loss / max(S, 1), 1).
"""
from __future__ import annotations

from typing import Any

from rageval import losses
from rageval.scorers.losses.base import LossScorer


class CTCLoss(LossScorer):
    """Connectionist temporal classification loss with ``blank`` and ``zero_infinity``;
    `torch.nn.functional.ctc_loss` (`rageval.losses.ctc_loss`)."""

    name = "ctc_loss"
    loss = losses.ctc_loss
    arguments = {"y_pred": "log_probs", "y_true": "targets"}
    index_fields = ("y_true",)

    def example_terms(self, log_probs: Any, targets: Any) -> tuple[Any, Any]:
        import torch

        n, steps = log_probs.shape[:2]
        target_lengths = torch.full((n,), targets.shape[1] if targets.dim() > 1 else 0, dtype=torch.long)
        loss = self.call(log_probs=log_probs.transpose(0, 1), targets=targets.reshape(n, -1),
                         input_lengths=torch.full((n,), steps, dtype=torch.long), target_lengths=target_lengths)
        return loss / target_lengths.clamp_min(1), torch.ones(n, dtype=torch.float64)
