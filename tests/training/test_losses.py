"""Sequence-level losses: values against direct computations, gradcheck, and the expected-reward
gradient (exact enumeration of a tiny categorical policy) against finite differences."""
from __future__ import annotations

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from rageval.training import mrt_loss, reinforce_loss, self_critical_loss, sequence_logprob, sequence_nll

D = torch.float64


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.7])
def test_sequence_nll_equals_flattened_cross_entropy(seed, label_smoothing):
    g = torch.Generator().manual_seed(seed)
    b, t, v = 3, 5, 7
    logits = torch.randn(b, t, v, generator=g, dtype=D)
    target = torch.randint(0, v, (b, t), generator=g)
    target[torch.rand(b, t, generator=g) < 0.3] = -100
    target[0, 0] = 2  # at least one token counts
    ref = F.cross_entropy(logits.reshape(-1, v), target.reshape(-1), ignore_index=-100, label_smoothing=label_smoothing)
    assert torch.equal(sequence_nll(logits, target, label_smoothing=label_smoothing), ref)
    # direct computation of the smoothed per-token loss, summed per sequence
    logp = logits.log_softmax(-1)
    keep = target != -100
    nll = -logp.gather(-1, target.clamp(min=0)[..., None])[..., 0]
    per_token = ((1 - label_smoothing) * nll + label_smoothing * (-logp.mean(-1))) * keep
    torch.testing.assert_close(sequence_nll(logits, target, label_smoothing=label_smoothing, reduction="none"),
                               per_token.sum(1), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(sequence_nll(logits, target, label_smoothing=label_smoothing, reduction="sum"),
                               per_token.sum(), rtol=1e-12, atol=1e-12)
    if label_smoothing == 0:
        torch.testing.assert_close(sequence_logprob(logits, target), -per_token.sum(1), rtol=1e-12, atol=1e-12)


def test_sequence_nll_custom_ignore_index_and_gradcheck():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(2, 4, 5, generator=g, dtype=D, requires_grad=True)
    target = torch.tensor([[1, 2, 0, 0], [3, 4, 4, 0]])
    ref = F.cross_entropy(logits.reshape(-1, 5), target.reshape(-1), ignore_index=0)
    assert torch.equal(sequence_nll(logits, target, ignore_index=0), ref)
    assert torch.autograd.gradcheck(lambda x: sequence_nll(x, target, ignore_index=0, label_smoothing=0.2), (logits,))
    with pytest.raises(ValueError, match="batch, length"):
        sequence_nll(logits[0], target)


def test_mrt_loss_direct():
    g = torch.Generator().manual_seed(0)
    logp = -torch.rand(4, 6, generator=g, dtype=D) * 20
    r = torch.rand(4, 6, generator=g, dtype=D)
    for alpha in (5e-3, 0.5, 1.0):
        expected = []
        for i in range(4):
            w = [math.exp(alpha * float(x)) for x in logp[i]]
            expected.append(-sum(wk / sum(w) * float(rk) for wk, rk in zip(w, r[i])))
        torch.testing.assert_close(mrt_loss(logp, r, alpha=alpha, reduction="none"), torch.tensor(expected, dtype=D),
                                   rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(mrt_loss(logp, r, alpha=alpha), torch.tensor(expected, dtype=D).mean())
    # 1-D: one group
    torch.testing.assert_close(mrt_loss(logp[0], r[0], reduction="none"), mrt_loss(logp[:1], r[:1], reduction="none"))


def test_reinforce_and_self_critical_direct():
    g = torch.Generator().manual_seed(0)
    logp = -torch.rand(3, 4, generator=g, dtype=D)
    r = torch.rand(3, 4, generator=g, dtype=D)
    mean = r.mean(1, keepdim=True)
    loo = (r.sum(1, keepdim=True) - r) / 3
    torch.testing.assert_close(reinforce_loss(logp, r), (-(r - mean) * logp).mean())
    torch.testing.assert_close(reinforce_loss(logp, r, baseline="leave_one_out"), (-(r - loo) * logp).mean())
    torch.testing.assert_close(reinforce_loss(logp, r, baseline=None, reduction="sum"), (-r * logp).mean(1).sum())
    greedy = torch.rand(3, generator=g, dtype=D)
    torch.testing.assert_close(self_critical_loss(logp, r, greedy), (-(r - greedy[:, None]) * logp).mean())
    torch.testing.assert_close(reinforce_loss(logp, r, baseline=greedy[:, None]), self_critical_loss(logp, r, greedy))
    # one sample per source (1-D)
    torch.testing.assert_close(self_critical_loss(logp[:, 0], r[:, 0], greedy, reduction="none"),
                               -(r[:, 0] - greedy) * logp[:, 0])


def test_bad_inputs_are_refused():
    logp = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="one reward per sequence"):
        mrt_loss(logp, torch.zeros(2, 2))
    with pytest.raises(ValueError, match="NaN"):
        reinforce_loss(logp, torch.tensor([[0.0, math.nan, 1.0], [0, 0, 0]]))
    with pytest.raises(ValueError, match="leave_one_out"):
        reinforce_loss(logp[:, :1], torch.zeros(2, 1), baseline="leave_one_out")
    with pytest.raises(ValueError, match="baseline"):
        reinforce_loss(logp, torch.zeros(2, 3), baseline="median")
    with pytest.raises(ValueError, match="greedy_rewards"):
        self_critical_loss(logp, torch.zeros(2, 3), torch.zeros(3))
    with pytest.raises(TypeError, match="floating-point"):
        mrt_loss(torch.zeros(2, 3, dtype=torch.long), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="reduction"):
        mrt_loss(logp, torch.zeros(2, 3), reduction="max")


def test_gradcheck_all_losses():
    g = torch.Generator().manual_seed(3)
    logp = (-torch.rand(3, 4, generator=g, dtype=D) * 3).requires_grad_()
    r = torch.rand(3, 4, generator=g, dtype=D)
    greedy = torch.rand(3, generator=g, dtype=D)
    assert torch.autograd.gradcheck(lambda x: mrt_loss(x, r, alpha=0.3), (logp,))
    for baseline in ("mean", "leave_one_out", None):
        assert torch.autograd.gradcheck(lambda x, b=baseline: reinforce_loss(x, r, baseline=b), (logp,))
    assert torch.autograd.gradcheck(lambda x: self_critical_loss(x, r, greedy), (logp,))


# --- the expected-reward gradient on a tiny categorical policy --------------------------------------
V = 3
REWARD = torch.tensor([0.2, 1.0, -0.5], dtype=D)


def _expected_reward(theta: torch.Tensor) -> torch.Tensor:
    return (theta.softmax(-1) * REWARD).sum()


def _finite_difference(theta: torch.Tensor, h: float = 1e-6) -> torch.Tensor:
    grad = torch.empty_like(theta)
    for i in range(len(theta)):
        e = torch.zeros_like(theta)
        e[i] = h
        grad[i] = (_expected_reward(theta + e) - _expected_reward(theta - e)) / (2 * h)
    return grad


def _expected_estimator_gradient(theta: torch.Tensor, k: int, loss) -> torch.Tensor:
    """E over k i.i.d. samples of -∇loss, by enumerating all V^k sample tuples exactly."""
    probs = theta.softmax(-1).detach()
    total = torch.zeros_like(theta)
    for draw in itertools.product(range(V), repeat=k):
        t = theta.detach().clone().requires_grad_()
        logp = t.log_softmax(-1)[list(draw)]
        (grad,) = torch.autograd.grad(-loss(logp, REWARD[list(draw)]), t)
        total += probs[list(draw)].prod() * grad
    return total


@pytest.mark.parametrize("seed", range(3))
def test_reinforce_expected_gradient_matches_finite_differences(seed):
    theta = torch.randn(V, generator=torch.Generator().manual_seed(seed), dtype=D)
    true = _finite_difference(theta)
    k = 3
    for baseline, factor in ((None, 1.0), ("leave_one_out", 1.0), ("mean", (k - 1) / k)):
        est = _expected_estimator_gradient(theta, k, lambda lp, r, b=baseline: reinforce_loss(lp, r, baseline=b))
        torch.testing.assert_close(est, factor * true, rtol=1e-7, atol=1e-9)
    # self-critical: a greedy baseline (a constant of the source) keeps the estimate unbiased
    greedy = REWARD[int(theta.argmax())]
    est = _expected_estimator_gradient(theta, 1, lambda lp, r: self_critical_loss(lp[None], r[None], greedy[None]))
    torch.testing.assert_close(est, true, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_mrt_gradient_is_the_expected_reward_gradient_over_the_full_space(seed):
    theta = torch.randn(V, generator=torch.Generator().manual_seed(seed), dtype=D, requires_grad=True)
    loss = mrt_loss(theta.log_softmax(-1), REWARD, alpha=1.0)
    torch.testing.assert_close(loss, -_expected_reward(theta))
    (grad,) = torch.autograd.grad(-loss, theta)
    torch.testing.assert_close(grad, _finite_difference(theta.detach()), rtol=1e-7, atol=1e-9)
