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
        # float32 arithmetic against the float64 formula on the same (float32-rounded) boxes
        want32 = reference(b1.astype(np.float32).astype(np.float64), b2.astype(np.float32).astype(np.float64))
        np.testing.assert_allclose(got32.numpy(), want32[name], rtol=1e-5, atol=1e-6, err_msg=name)
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


def test_equal_torchvision_when_it_loads():
    try:
        from torchvision import ops
    except Exception as e:  # noqa: BLE001 - any failure to load is the reason to skip
        pytest.skip(f"torchvision cannot load with this torch build ({type(e).__name__}); formulas tested above")
    gen = np.random.default_rng(2)
    b1, b2 = torch.tensor(boxes(gen, 50), dtype=torch.float32), torch.tensor(boxes(gen, 50), dtype=torch.float32)
    for ours, theirs in ((L.giou_loss, ops.generalized_box_iou_loss), (L.diou_loss, ops.distance_box_iou_loss),
                         (L.ciou_loss, ops.complete_box_iou_loss)):
        for reduction in ("none", "mean", "sum"):
            torch.testing.assert_close(ours(b1, b2, reduction), theirs(b1, b2, reduction), rtol=1e-6, atol=1e-6)
    x, t = torch.randn(6, 5), (torch.rand(6, 5) < 0.3).float()
    torch.testing.assert_close(L.sigmoid_focal_loss(x, t, reduction="sum"), ops.sigmoid_focal_loss(x, t, reduction="sum"))
