"""Box losses and sigmoid focal loss: torchvision.ops' formulas, reductions, float32 / float64, gradcheck."""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="rageval.losses needs torch")

from rageval.losses import boxes as L  # noqa: E402


def boxes(gen: np.random.Generator, n: int) -> np.ndarray:
    xy = gen.uniform(-20, 50, (n, 2))
    b = np.c_[xy, xy + gen.uniform(0.5, 40, (n, 2))]
    b[: n // 8] = b[n // 8: 2 * (n // 8)]  # identical pairs
    return b


def reference(b1: np.ndarray, b2: np.ndarray, eps: float = 1e-7) -> dict[str, np.ndarray]:
    """torchvision.ops' box losses, float64 numpy, element by element."""
    out = {k: [] for k in ("iou_loss", "giou_loss", "diou_loss", "ciou_loss")}
    for (x1, y1, x2, y2), (a1, b1_, a2, b2_) in zip(b1, b2):
        iw, ih = min(x2, a2) - max(x1, a1), min(y2, b2_) - max(y1, b1_)
        inter = iw * ih if iw > 0 and ih > 0 else 0.0
        union = (x2 - x1) * (y2 - y1) + (a2 - a1) * (b2_ - b1_) - inter
        iou = inter / (union + eps)
        cw, ch = max(x2, a2) - min(x1, a1), max(y2, b2_) - min(y1, b1_)
        rho = ((x1 + x2) / 2 - (a1 + a2) / 2) ** 2 + ((y1 + y2) / 2 - (b1_ + b2_) / 2) ** 2
        diou = 1 - iou + rho / (cw ** 2 + ch ** 2 + eps)
        v = 4 / math.pi ** 2 * (math.atan((a2 - a1) / (b2_ - b1_)) - math.atan((x2 - x1) / (y2 - y1))) ** 2
        out["iou_loss"].append(1 - iou)
        out["giou_loss"].append(1 - (iou - (cw * ch - union) / (cw * ch + eps)))
        out["diou_loss"].append(diou)
        out["ciou_loss"].append(diou + v / (1 - iou + v + eps) * v)
    return {k: np.array(v) for k, v in out.items()}


NAMES = ("iou_loss", "giou_loss", "diou_loss", "ciou_loss")


# torchvision.ops' code paths (torchvision 0.2x: _utils._upcast_non_float, _loss_inter_union,
# giou_loss.py, diou_loss.py, ciou_loss.py, focal_loss.py), transcribed operation by operation in
# torch, without the reductions: torchvision cannot load with this CPU build of torch
def tv_upcast(t):
    return t if t.dtype in (torch.float32, torch.float64) else t.float()


def tv_inter_union(boxes1, boxes2):
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xkis1 = torch.max(x1, x1g)
    ykis1 = torch.max(y1, y1g)
    xkis2 = torch.min(x2, x2g)
    ykis2 = torch.min(y2, y2g)
    intsctk = torch.zeros_like(x1)
    mask = (ykis2 > ykis1) & (xkis2 > xkis1)
    intsctk[mask] = (xkis2[mask] - xkis1[mask]) * (ykis2[mask] - ykis1[mask])
    unionk = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intsctk
    return intsctk, unionk


def tv_giou(boxes1, boxes2, eps=1e-7):
    boxes1, boxes2 = tv_upcast(boxes1), tv_upcast(boxes2)
    intsctk, unionk = tv_inter_union(boxes1, boxes2)
    iouk = intsctk / (unionk + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xc1 = torch.min(x1, x1g)
    yc1 = torch.min(y1, y1g)
    xc2 = torch.max(x2, x2g)
    yc2 = torch.max(y2, y2g)
    area_c = (xc2 - xc1) * (yc2 - yc1)
    miouk = iouk - ((area_c - unionk) / (area_c + eps))
    return 1 - miouk


def tv_diou_iou(boxes1, boxes2, eps=1e-7):
    intsct, union = tv_inter_union(boxes1, boxes2)
    iou = intsct / (union + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xc1 = torch.min(x1, x1g)
    yc1 = torch.min(y1, y1g)
    xc2 = torch.max(x2, x2g)
    yc2 = torch.max(y2, y2g)
    diagonal_distance_squared = ((xc2 - xc1) ** 2) + ((yc2 - yc1) ** 2) + eps
    x_p = (x2 + x1) / 2
    y_p = (y2 + y1) / 2
    x_g = (x1g + x2g) / 2
    y_g = (y1g + y2g) / 2
    centers_distance_squared = ((x_p - x_g) ** 2) + ((y_p - y_g) ** 2)
    return 1 - iou + (centers_distance_squared / diagonal_distance_squared), iou


def tv_diou(boxes1, boxes2, eps=1e-7):
    return tv_diou_iou(tv_upcast(boxes1), tv_upcast(boxes2), eps)[0]


def tv_ciou(boxes1, boxes2, eps=1e-7):
    boxes1, boxes2 = tv_upcast(boxes1), tv_upcast(boxes2)
    diou_loss, iou = tv_diou_iou(boxes1, boxes2)  # sic: torchvision passes no eps here
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    w_pred = x2 - x1
    h_pred = y2 - y1
    w_gt = x2g - x1g
    h_gt = y2g - y1g
    v = (4 / (torch.pi**2)) * torch.pow((torch.atan(w_gt / h_gt) - torch.atan(w_pred / h_pred)), 2)
    with torch.no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou_loss + alpha * v


def tv_focal(inputs, targets, alpha=0.25, gamma=2):
    p = torch.sigmoid(inputs)
    ce_loss = torch.nn.functional.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    return loss


TORCHVISION = {"giou_loss": tv_giou, "diou_loss": tv_diou, "ciou_loss": tv_ciou}


@pytest.mark.parametrize("seed", range(3))
def test_torchvision_code_paths_bit_for_bit(seed):
    """float32 (and float64, half upcast to float32): torchvision's operations in its order, so
    the same bits; eps other than the default reaches CIoU's alpha only, as in torchvision."""
    gen = np.random.default_rng(seed)
    b1, b2 = boxes(gen, 200), boxes(gen, 200)
    b2[100:120] = np.c_[b1[100:120, :2] + 1, b1[100:120, 2:] - 1]  # nested
    b2[120:140] = b1[120:140] + 500  # disjoint
    b2[140:150] = np.c_[b1[140:150, :2] + 0.5, b1[140:150, 2:] + 0.5]  # near-identical: 1 - IoU cancels
    for dtype in (torch.float32, torch.float64, torch.float16):
        t1, t2 = torch.tensor(b1, dtype=dtype), torch.tensor(b2, dtype=dtype)
        for name, theirs in TORCHVISION.items():
            for eps in (1e-7, 1e-3):
                got, want = getattr(L, name)(t1, t2, eps=eps), theirs(t1, t2, eps=eps)
                assert got.dtype == want.dtype == (torch.float64 if dtype == torch.float64 else torch.float32)
                assert torch.equal(got, want), (name, dtype, eps, (got - want).abs().max().item())
                assert torch.equal(getattr(L, name)(t1, t2, "sum", eps), want.sum())
    x, t = torch.tensor(gen.normal(0, 4, (30, 7)), dtype=torch.float32), torch.tensor(gen.random((30, 7)) < 0.3)
    for alpha, gamma in ((0.25, 2), (0.5, 0.0), (-1, 1.5)):
        assert torch.equal(L.sigmoid_focal_loss(x, t.float(), alpha, gamma), tv_focal(x, t.float(), alpha, gamma))


@pytest.mark.parametrize("seed", range(4))
def test_equal_torchvision_formulas(seed):
    gen = np.random.default_rng(seed)
    b1, b2 = boxes(gen, 64), boxes(gen, 64)
    b2[40:48] = np.c_[b1[40:48, :2] + 1, b1[40:48, 2:] - 1]  # nested
    b2[48:56] = b1[48:56] + 500  # disjoint
    want = reference(b1, b2)
    for name in NAMES:
        fn = getattr(L, name)
        got = fn(torch.tensor(b1), torch.tensor(b2)).numpy()
        np.testing.assert_allclose(got, want[name], rtol=1e-12, atol=1e-12, err_msg=name)
        got32 = fn(torch.tensor(b1, dtype=torch.float32), torch.tensor(b2, dtype=torch.float32))
        assert got32.dtype == torch.float32
        # float32 arithmetic against the float64 formula on the same (float32-rounded) boxes: float32
        # rounding only (up to ~5e-7 absolute measured; relative error grows where 1 - IoU cancels)
        want32 = reference(b1.astype(np.float32).astype(np.float64), b2.astype(np.float32).astype(np.float64))
        np.testing.assert_allclose(got32.numpy(), want32[name], rtol=1e-6, atol=1e-6, err_msg=name)
        for reduction, agg in (("mean", np.mean), ("sum", np.sum)):
            np.testing.assert_allclose(fn(torch.tensor(b1), torch.tensor(b2), reduction=reduction).item(),
                                       agg(want[name]), rtol=1e-12)


def test_empty_and_bad_reduction():
    e = torch.zeros((0, 4))
    for name in NAMES:
        assert getattr(L, name)(e, e, reduction="mean").item() == 0.0
        assert getattr(L, name)(e, e, reduction="sum").item() == 0.0
        with pytest.raises(ValueError, match="reduction"):
            getattr(L, name)(e, e, reduction="avg")


def test_sigmoid_focal_loss_formula():
    gen = np.random.default_rng(0)
    x, t = gen.normal(0, 3, (5, 7)), (gen.random((5, 7)) < 0.3).astype(float)
    for alpha, gamma in ((0.25, 2.0), (0.5, 0.0), (-1.0, 1.5)):
        p = 1 / (1 + np.exp(-x))
        ce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
        p_t = p * t + (1 - p) * (1 - t)
        want = ce * (1 - p_t) ** gamma * ((alpha * t + (1 - alpha) * (1 - t)) if alpha >= 0 else 1)
        got = L.sigmoid_focal_loss(torch.tensor(x), torch.tensor(t), alpha=alpha, gamma=gamma)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(L.sigmoid_focal_loss(torch.tensor(x), torch.tensor(t), alpha, gamma, "mean").item(),
                                   want.mean(), rtol=1e-10)


def test_gradcheck():
    gen = np.random.default_rng(1)
    b1 = torch.tensor(boxes(gen, 6)[2:], requires_grad=True)
    b2 = torch.tensor(boxes(gen, 6)[2:] + 3.0)
    for fn in (L.iou_loss, L.giou_loss, L.diou_loss):
        assert torch.autograd.gradcheck(functools.partial(fn, boxes2=b2, reduction="sum"), (b1,))
    # CIoU's alpha is taken without gradient (torchvision): its gradient is DIoU's plus alpha times v's
    loss = L.ciou_loss(b1, b2, reduction="sum")
    (g,) = torch.autograd.grad(loss, b1)
    x1, y1, x2, y2 = b1.unbind(-1)
    gx1, gy1, gx2, gy2 = b2.unbind(-1)
    v = 4 / math.pi ** 2 * (torch.atan((gx2 - gx1) / (gy2 - gy1)) - torch.atan((x2 - x1) / (y2 - y1))) ** 2
    iou = 1 - L.iou_loss(b1, b2)
    alpha = (v / (1 - iou + v + 1e-7)).detach()
    (want,) = torch.autograd.grad(L.diou_loss(b1, b2, reduction="sum") + (alpha * v).sum(), b1)
    torch.testing.assert_close(g, want, rtol=1e-12, atol=1e-12)
    x = torch.tensor(gen.normal(0, 2, (4, 3)), requires_grad=True)
    t = torch.tensor((gen.random((4, 3)) < 0.5).astype(float))
    assert torch.autograd.gradcheck(lambda a: L.sigmoid_focal_loss(a, t, reduction="mean"), (x,))


@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason="torchvision's compiled ops cannot load with the CPU build of torch used here (importing it "
                           "is not safe): compared with the GPU machine's torchvision only; its code paths are "
                           "transcribed above")
def test_equal_torchvision_on_the_gpu_machine():
    ops = pytest.importorskip("torchvision.ops", reason="torchvision is not installed")
    gen = np.random.default_rng(2)
    b1, b2 = torch.tensor(boxes(gen, 50), dtype=torch.float32), torch.tensor(boxes(gen, 50), dtype=torch.float32)
    for ours, theirs in ((L.giou_loss, ops.generalized_box_iou_loss), (L.diou_loss, ops.distance_box_iou_loss),
                         (L.ciou_loss, ops.complete_box_iou_loss)):
        for reduction in ("none", "mean", "sum"):
            assert torch.equal(ours(b1, b2, reduction), theirs(b1, b2, reduction))
    x, t = torch.randn(6, 5), (torch.rand(6, 5) < 0.3).float()
    torch.testing.assert_close(L.sigmoid_focal_loss(x, t, reduction="sum"), ops.sigmoid_focal_loss(x, t, reduction="sum"))
