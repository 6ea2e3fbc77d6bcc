"""Dense losses against kornia (dice_loss, tversky_loss, charbonnier_loss, total_variation) and the
published formulas written out directly; gradients checked with torch.autograd.gradcheck."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from kornia import losses as K

from rageval.losses import dense


def seg(seed, b=3, c=4, h=6, w=7, ignore=None):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(b, c, h, w, generator=g, dtype=torch.float64)
    target = torch.randint(0, c, (b, h, w), generator=g)
    target[:, 0, 0] = 0
    if ignore is not None:
        target[torch.rand(b, h, w, generator=g) < 0.2] = ignore
    return logits, target


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("average", ["micro", "macro"])
@pytest.mark.parametrize("ignore", [None, 255])
def test_dice_matches_kornia(seed, average, ignore):
    logits, target = seg(seed, c=2 + seed, ignore=ignore)
    kw = {"ignore_index": ignore} if ignore is not None else {}
    want = K.dice_loss(logits, target, average=average, **kw)
    assert float(dense.dice_loss(logits, target, average=average, **kw)) == pytest.approx(float(want), abs=1e-12)
    per = dense.dice_loss(logits, target, average=average, reduction="none", **kw)
    for i in range(len(per)):  # per-sample values are kornia's on that sample alone
        assert float(per[i]) == pytest.approx(float(K.dice_loss(logits[i:i + 1], target[i:i + 1], average=average,
                                                                **kw)), abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("alpha, beta", [(0.5, 0.5), (0.3, 0.7), (0.9, 0.1)])
def test_tversky_matches_kornia(seed, alpha, beta):
    logits, target = seg(seed, ignore=255 if seed % 2 else None)
    kw = {"ignore_index": 255} if seed % 2 else {}
    want = K.tversky_loss(logits, target, alpha=alpha, beta=beta, **kw)
    got = dense.tversky_loss(logits, target, alpha=alpha, beta=beta, **kw)
    assert float(got) == pytest.approx(float(want), abs=1e-12)
    focal = dense.focal_tversky_loss(logits, target, alpha=alpha, beta=beta, gamma=1.0, **kw)
    assert float(focal) == pytest.approx(float(want), abs=1e-12)  # gamma 1 is the Tversky loss


def test_batch_scope_sums_counts_before_the_ratio():
    logits, target = seg(9)
    p = torch.softmax(logits, 1)
    t = torch.nn.functional.one_hot(target, 4).movedim(-1, 1).double()
    inter, card = (p * t).sum(), (p + t).sum()
    assert float(dense.dice_loss(logits, target, scope="batch")) == pytest.approx(float(1 - 2 * inter / (card + 1e-8)))
    assert float(dense.jaccard_loss(logits, target, scope="batch")) == pytest.approx(
        float(1 - inter / (card - inter + 1e-8)))
    logits, target = seg(9, ignore=255)  # samples with different numbers of pixels: the scopes differ
    assert float(dense.dice_loss(logits, target, ignore_index=255, scope="batch")) != pytest.approx(
        float(dense.dice_loss(logits, target, ignore_index=255)), abs=1e-6)


def test_charbonnier_and_total_variation_match_kornia():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(2, 3, 8, 9, generator=g, dtype=torch.float64), torch.randn(2, 3, 8, 9, generator=g,
                                                                                  dtype=torch.float64)
    assert torch.allclose(dense.charbonnier_loss(a, b, reduction="none"), K.charbonnier_loss(a, b), atol=1e-14)
    a3 = a * 3
    eps = 1e-3  # the published form with another eps: √(d² + eps²) − eps
    assert torch.allclose(dense.charbonnier_loss(a3, b, eps=eps, reduction="none"),
                          ((a3 - b) ** 2 + eps ** 2).sqrt() - eps, atol=1e-12)
    for reduction in ("sum", "mean"):
        assert torch.allclose(dense.total_variation(a, reduction), K.total_variation(a, reduction), atol=1e-12)


def test_scale_invariant_depth_loss_formula():
    rng = np.random.default_rng(0)
    gt = rng.uniform(1, 10, (3, 5, 6))
    gt[rng.random(gt.shape) < 0.3] = 0
    pred = rng.uniform(1, 10, gt.shape)
    got = dense.scale_invariant_depth_loss(torch.as_tensor(pred), torch.as_tensor(gt), reduction="none")
    for i in range(3):
        d = np.log(pred[i][gt[i] > 0]) - np.log(gt[i][gt[i] > 0])
        assert float(got[i]) == pytest.approx(np.mean(d ** 2) - 0.5 * np.mean(d) ** 2, rel=1e-12)


@pytest.mark.parametrize("loss", ["dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss"])
@pytest.mark.parametrize("scope", ["example", "batch"])
def test_gradcheck_segmentation(loss, scope):
    logits, target = seg(1, b=2, c=3, h=3, w=4, ignore=255)
    logits.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: getattr(dense, loss)(x, target, ignore_index=255, scope=scope),
                                    (logits,))


def test_gradcheck_dense():
    g = torch.Generator().manual_seed(2)
    a = torch.rand(2, 4, 5, generator=g, dtype=torch.float64) + 0.5
    b = torch.rand(2, 4, 5, generator=g, dtype=torch.float64) + 0.5
    a.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: dense.charbonnier_loss(x, b), (a,))
    assert torch.autograd.gradcheck(lambda x: dense.total_variation(x).sum(), (a,))
    assert torch.autograd.gradcheck(lambda x: dense.scale_invariant_depth_loss(x, b), (a,))


def test_bad_arguments():
    logits, target = seg(0)
    with pytest.raises(ValueError, match="scope"):
        dense.dice_loss(logits, target, scope="all")
    with pytest.raises(ValueError, match="labels"):
        dense.dice_loss(logits, target + 10)
    with pytest.raises(ValueError, match="expected input"):
        dense.tversky_loss(logits[0], target)


@pytest.mark.parametrize("seed", range(4))
def test_lovasz_match_kornia(seed):
    logits, target = seg(seed, c=2 + seed)
    assert float(dense.lovasz_softmax(logits, target)) == pytest.approx(float(K.lovasz_softmax_loss(logits, target)),
                                                                        abs=1e-12)
    binary = (target > 0).long()
    hinge = logits[:, :1]
    assert float(dense.lovasz_hinge(hinge, binary)) == pytest.approx(float(K.lovasz_hinge_loss(hinge, binary)),
                                                                     abs=1e-12)
    per = dense.lovasz_softmax(logits, target, reduction="none")
    assert float(per[0]) == pytest.approx(float(K.lovasz_softmax_loss(logits[:1], target[:1])), abs=1e-12)


def test_gradcheck_lovasz():
    logits, target = seg(3, b=2, c=3, h=3, w=3)
    logits.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: dense.lovasz_softmax(x, target), (logits,))
    hinge = logits[:, 0].detach().clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: dense.lovasz_hinge(x, (target > 0).long()), (hinge,))


def test_berhu_formula_and_gradcheck():
    rng = np.random.default_rng(5)
    gt = rng.uniform(1, 10, (3, 6, 7))
    gt[rng.random(gt.shape) < 0.3] = 0
    pred = rng.uniform(1, 10, gt.shape)
    got = dense.berhu_loss(torch.as_tensor(pred), torch.as_tensor(gt), threshold=0.2, reduction="none")
    for i in range(3):
        d = np.abs(pred[i][gt[i] > 0] - gt[i][gt[i] > 0])
        c = 0.2 * d.max()
        assert float(got[i]) == pytest.approx(np.mean(np.where(d <= c, d, (d ** 2 + c ** 2) / (2 * c))), rel=1e-12)
    x = torch.as_tensor(pred[:, :3, :3]).clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda v: dense.berhu_loss(v, torch.as_tensor(gt[:, :3, :3]) + 0.5), (x,))
