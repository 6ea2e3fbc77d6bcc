"""Matched-box metrics and box-loss scorers: published formulas, pycocotools' IoU, degenerate boxes."""
from __future__ import annotations

import numpy as np
import pytest

import rageval
from rageval.core.errors import FieldError
from rageval.core.scorer import Batch
from rageval.scorers.detection.boxes import BoxIoU, pair_metrics

torch = pytest.importorskip("torch", reason="the box losses are torch functions")
from rageval.losses import boxes as L  # noqa: E402


def pairs(seed: int, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.default_rng(seed)
    xy = gen.uniform(0, 50, (n, 2))
    g = np.c_[xy, xy + gen.uniform(0.5, 30, (n, 2))]
    p = g + gen.normal(0, 6, (n, 4))
    p[:, 2:] = np.maximum(p[:, 2:], p[:, :2] + 0.01)
    return p, g


def test_iou_equals_pycocotools():
    mask = pytest.importorskip("pycocotools.mask", reason="pycocotools is the IoU reference")
    p, g = pairs(0)
    want = np.array([mask.iou([list(a[:2]) + list(a[2:] - a[:2])], [list(b[:2]) + list(b[2:] - b[:2])], [0])[0, 0]
                     for a, b in zip(p, g)])
    np.testing.assert_allclose(pair_metrics(p, g)["box_iou"], want, rtol=0, atol=1e-12)


def test_equal_losses_without_eps():
    """On non-degenerate boxes each metric is 1 - torchvision's loss with eps = 0 (float64)."""
    p, g = pairs(1)
    got = pair_metrics(p, g)
    tp, tg = torch.tensor(p), torch.tensor(g)
    for name, fn in (("box_iou", L.iou_loss), ("giou", L.giou_loss), ("diou", L.diou_loss)):
        np.testing.assert_allclose(got[name], 1 - fn(tp, tg, eps=0.0).numpy(), rtol=0, atol=1e-12, err_msg=name)
    # torchvision's CIoU keeps eps = 1e-7 in its IoU and DIoU terms whatever eps is passed: 1e-7 against
    # unions and squared diagonals of 1 to 1e4 moves the loss by < 1e-7 relative
    np.testing.assert_allclose(got["ciou"], 1 - L.ciou_loss(tp, tg, eps=0.0).numpy(), rtol=0, atol=1e-8)
    assert not np.array_equal(got["ciou"], 1 - L.ciou_loss(tp, tg, eps=0.0).numpy())


def test_degenerate_boxes():
    b = np.array([[0, 0, 4, 2.0]])
    same = pair_metrics(b, b)
    assert all(same[k][0] == 1.0 for k in same)
    far = pair_metrics(b, b + [10, 0, 10, 0])  # disjoint, 6 apart: |C| = 28, U = 16, c² = 14² + 2², ρ² = 100
    assert far["box_iou"][0] == 0.0
    assert far["giou"][0] == pytest.approx(-(28 - 16) / 28, abs=1e-15)
    assert far["diou"][0] == pytest.approx(-100 / 200, abs=1e-15)
    inner = np.array([[1, 0.5, 3, 1.5]])  # nested, same aspect ratio: v = 0
    nested = pair_metrics(inner, b)
    assert nested["box_iou"][0] == 0.25 and nested["giou"][0] == 0.25 and nested["ciou"][0] == nested["diou"][0]
    point = np.array([[1, 1, 1, 1.0]])  # zero area
    z = pair_metrics(point, point)
    assert z["box_iou"][0] == 0.0 and z["giou"][0] == 0.0 and z["diou"][0] == 0.0 and z["ciou"][0] == 0.0
    line = pair_metrics(np.array([[0, 0, 4, 0.0]]), b)
    assert np.isfinite([line[k][0] for k in line]).all()


def test_scorers_mean_over_pairs_and_formats():
    p, g = pairs(2, 60)
    rows = [{"id": i, "pred_boxes": p[i * 6:(i + 1) * 6], "gt_boxes": g[i * 6:(i + 1) * 6]} for i in range(10)]
    res = rageval.evaluate(rows, ["box_iou", "giou", "diou", "ciou", "giou_loss", "ciou_loss"])
    want = pair_metrics(p, g)
    for k in ("box_iou", "giou", "diou", "ciou"):
        assert res.aggregate[k] == pytest.approx(want[k].mean(), abs=1e-12)
    assert res.aggregate["giou_loss"] == pytest.approx(L.giou_loss(torch.tensor(p), torch.tensor(g), "mean").item(),
                                                       abs=1e-12)
    xywh = BoxIoU(box_format="xywh").stats(Batch({"pred_boxes": [np.c_[p[:, :2], p[:, 2:] - p[:, :2]]],
                                                  "gt_boxes": [np.c_[g[:, :2], g[:, 2:] - g[:, :2]]]}))
    assert xywh.values[0, 0] / 60 == pytest.approx(want["box_iou"].mean(), abs=1e-12)


@pytest.mark.parametrize("value,problem", [(np.array([[0, 0, -1, 1.0]]), "x1 <= x2"),
                                           (np.array([[0, 0, 1.0]]), "n, 4"),
                                           (np.array([[0, 0, np.nan, 1]]), "finite"), (np.zeros((2, 4)), "2 boxes")])
def test_bad_input(value, problem):
    ok = np.array([[0, 0, 1, 1.0]])
    field = "gt_boxes"
    with pytest.raises(FieldError, match=f"{field}.*row 0.*{problem}"):
        BoxIoU().stats(Batch({"pred_boxes": [ok], "gt_boxes": [value]}))
