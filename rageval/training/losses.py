"""Sequence-level training losses in torch: token cross-entropy, minimum risk training, REINFORCE
and self-critical sequence training. Every function is differentiable in its log-probabilities
(or logits) and treats rewards as constants (they come from a scorer, not from the graph).

Shapes: ``seq_logprobs`` and ``rewards`` are ``(n_sources, n_candidates)`` (the K sampled
candidates of each source side by side) or 1-D (one group). ``reduction`` is torch's: ``"mean"``
over sources, ``"sum"``, or ``"none"`` (one value per source).

>>> import torch
>>> logp = torch.tensor([[-1.0, -2.0]], requires_grad=True)
>>> float(reinforce_loss(logp, torch.tensor([[1.0, 0.0]]), baseline="mean"))
-0.25
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

__all__ = ["sequence_nll", "sequence_logprob", "mrt_loss", "reinforce_loss", "self_critical_loss"]


def _reduce(values: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    if reduction == "none":
        return values
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _grouped(seq_logprobs: torch.Tensor, rewards: Any, name: str = "rewards") -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probabilities and rewards as ``(n_sources, n_candidates)`` tensors of one dtype and device."""
    if not torch.is_tensor(seq_logprobs) or not seq_logprobs.is_floating_point():
        raise TypeError(f"seq_logprobs must be a floating-point tensor, got {type(seq_logprobs).__name__}")
    rewards = torch.as_tensor(rewards, dtype=seq_logprobs.dtype, device=seq_logprobs.device)
    if rewards.shape != seq_logprobs.shape:
        raise ValueError(f"{name} has shape {tuple(rewards.shape)}, seq_logprobs {tuple(seq_logprobs.shape)}: "
                         "give one reward per sequence")
    if seq_logprobs.dim() not in (1, 2) or seq_logprobs.numel() == 0:
        raise ValueError("seq_logprobs must be a non-empty (n_sources, n_candidates) or 1-D tensor")
    if not torch.isfinite(rewards).all():
        raise ValueError(f"{name} holds a NaN or an infinity: drop or fill the examples the scorer could not score")
    if seq_logprobs.dim() == 1:
        return seq_logprobs[None], rewards[None]
    return seq_logprobs, rewards


def sequence_nll(logits: torch.Tensor, target: torch.Tensor, ignore_index: int = -100,
                 label_smoothing: float = 0.0, reduction: str = "mean") -> torch.Tensor:
    """Token cross-entropy of ``logits`` ``(batch, length, vocab)`` against ``target`` ``(batch, length)``.

    Per token t with ``target != ignore_index``, with ε = ``label_smoothing`` and V the vocabulary:

        ℓ_t = (1 - ε) · (-log p_t[y_t]) + ε · mean_v(-log p_t[v]),   p_t = softmax(logits_t)

    ``reduction="mean"``: Σ_t ℓ_t / (number of non-ignored tokens), exactly
    ``F.cross_entropy(logits.flatten(0, 1), target.flatten(), ignore_index=..., label_smoothing=...)``;
    ``"sum"``: Σ_t ℓ_t; ``"none"``: one value per sequence, Σ of its tokens' ℓ_t (the sequence NLL
    -log P(y | x) when ε = 0). Targets are not shifted: pass ``logits[:, :-1]`` and ``ids[:, 1:]``
    for a causal LM. Parameter names are torch's.
    """
    if logits.dim() != 3 or target.shape != logits.shape[:2]:
        raise ValueError(f"logits must be (batch, length, vocab) and target (batch, length), got "
                         f"{tuple(logits.shape)} and {tuple(target.shape)}")
    if reduction == "mean":  # torch's own token mean, so the value is bit-identical to it
        return F.cross_entropy(logits.flatten(0, 1), target.flatten(), ignore_index=ignore_index,
                               label_smoothing=label_smoothing)
    tokens = F.cross_entropy(logits.flatten(0, 1), target.flatten(), ignore_index=ignore_index,
                             label_smoothing=label_smoothing, reduction="none").view(target.shape)
    if reduction == "none":
        return tokens.sum(dim=1)
    return _reduce(tokens.sum(dim=1), reduction)


def sequence_logprob(logits: torch.Tensor, target: torch.Tensor, ignore_index: int = -100) -> torch.Tensor:
    """log P(y | x) per sequence: Σ over non-ignored tokens of log softmax(logits_t)[y_t], shape ``(batch,)``
    (``-sequence_nll(..., reduction="none")``): the ``seq_logprobs`` the losses below take."""
    return -sequence_nll(logits, target, ignore_index=ignore_index, reduction="none")


def mrt_loss(seq_logprobs: torch.Tensor, rewards: Any, alpha: float = 5e-3, reduction: str = "mean") -> torch.Tensor:
    """Minimum risk training (Shen et al., 2016, "Minimum Risk Training for Neural Machine Translation").

    For each source x with sampled candidates y_1..y_K (``seq_logprobs[x, k]`` = log P(y_k | x)):

        Q(y_k | x) = P(y_k | x)^α / Σ_j P(y_j | x)^α = softmax_k(α · log P(y_k | x))
        loss(x)    = -Σ_k Q(y_k | x) · r(y_k)

    the expected cost under Q with cost = -reward (Shen et al.'s Δ = 1 - reward differs by the
    constant 1, since Σ_k Q = 1, and has the same gradient). α = 5e-3 is the paper's value.
    Candidates are used as given: deduplicate the sample first to follow the paper's S(x) exactly.
    With α = 1 and every outcome of a finite space listed once, the loss is -E_P[r] exactly.
    """
    logp, r = _grouped(seq_logprobs, rewards)
    q = torch.softmax(alpha * logp, dim=-1)
    return _reduce(-(q * r).sum(dim=-1), reduction)


def reinforce_loss(seq_logprobs: torch.Tensor, rewards: Any, baseline: Any = "mean",
                   reduction: str = "mean") -> torch.Tensor:
    """REINFORCE (Williams, 1992) with a baseline: per source x,

        loss(x) = -(1/K) Σ_k (r_k - b_k) · log P(y_k | x)

    with ``(r_k - b_k)`` a constant (no gradient), so that ∇loss is the score-function estimate of
    -∇ E[r]. ``baseline``: ``"mean"`` (b_k = mean of the K rewards of x, GRPO's centring; the
    estimate is then (K-1)/K times the unbiased one, as the sample itself enters its baseline),
    ``"leave_one_out"`` (b_k = mean of the other K-1 rewards, RLOO, Kool et al. 2019: unbiased;
    needs K ≥ 2), ``None`` (b = 0), or a tensor broadcast against ``rewards`` (e.g. a critic's value).
    """
    logp, r = _grouped(seq_logprobs, rewards)
    k = r.shape[-1]
    if isinstance(baseline, str):
        if baseline == "mean":
            b = r.mean(dim=-1, keepdim=True)
        elif baseline == "leave_one_out":
            if k < 2:
                raise ValueError("baseline='leave_one_out' needs at least 2 candidates per source")
            b = (r.sum(dim=-1, keepdim=True) - r) / (k - 1)
        else:
            raise ValueError(f"baseline must be 'mean', 'leave_one_out', None or a tensor, got {baseline!r}")
    elif baseline is None:
        b = torch.zeros_like(r)
    else:
        b = torch.as_tensor(baseline, dtype=r.dtype, device=r.device)
        b = b.reshape(r.shape) if b.numel() == r.numel() else b
    advantage = (r - b).detach()
    return _reduce(-(advantage * logp).mean(dim=-1), reduction)


def self_critical_loss(sample_logprobs: torch.Tensor, sample_rewards: Any, greedy_rewards: Any,
                       reduction: str = "mean") -> torch.Tensor:
    """Self-critical sequence training (Rennie et al., 2017): REINFORCE whose baseline is the reward
    of the model's own greedy decode of the same source,

        loss(x) = -(1/K) Σ_k (r(y_k) - r(ŷ)) · log P(y_k | x),   ŷ = greedy decode of x

    ``sample_logprobs`` and ``sample_rewards`` are ``(n_sources, K)`` or ``(n_sources,)`` (one
    sample each); ``greedy_rewards`` one value per source.
    """
    logp, r = _grouped(sample_logprobs, sample_rewards, "sample_rewards")
    greedy = torch.as_tensor(greedy_rewards, dtype=r.dtype, device=r.device).reshape(-1)
    if sample_logprobs.dim() == 1:  # one sample per source: sources lie along the only axis
        logp, r = logp.T, r.T
    if greedy.numel() != r.shape[0]:
        raise ValueError(f"greedy_rewards has {greedy.numel()} values for {r.shape[0]} sources")
    if not torch.isfinite(greedy).all():
        raise ValueError("greedy_rewards holds a NaN or an infinity")
    return reinforce_loss(logp, r, baseline=greedy[:, None].expand_as(r), reduction=reduction)
