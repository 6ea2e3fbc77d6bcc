"""Training with metrics: any scorer as a reward function (TRL's contract), and sequence-level losses.

>>> from rageval.training import reward, mrt_loss, reinforce_loss, self_critical_loss, sequence_nll
"""
from rageval.training.losses import mrt_loss, reinforce_loss, self_critical_loss, sequence_logprob, sequence_nll
from rageval.training.rewards import AsyncRewardFunction, RewardFunction, async_reward, reward

__all__ = ["reward", "async_reward", "RewardFunction", "AsyncRewardFunction", "mrt_loss", "reinforce_loss",
           "self_critical_loss", "sequence_nll", "sequence_logprob"]
