"""boundary_f1 against davis2017-evaluation's f_measure (copied here; cv2.dilate replaced by
scikit-image's binary_dilation with the same disk, which is what cv2 computes on binary maps)."""
from __future__ import annotations

import numpy as np
import pytest
from skimage.morphology import binary_dilation, disk

import rageval
from rageval.core.errors import ConfigError


def _seg2bmap(seg):
    seg = seg.astype(bool)
    seg[seg > 0] = 1
    e, s, se = np.zeros_like(seg), np.zeros_like(seg), np.zeros_like(seg)
    e[:, :-1] = seg[:, 1:]
    s[:-1, :] = seg[1:, :]
    se[:-1, :-1] = seg[1:, 1:]
    b = seg ^ e | seg ^ s | seg ^ se
    b[-1, :] = seg[-1, :] ^ e[-1, :]
    b[:, -1] = seg[:, -1] ^ s[:, -1]
    b[-1, -1] = 0
    return b


def f_measure(foreground_mask, gt_mask, bound_th=0.008):
    bound_pix = bound_th if bound_th >= 1 else np.ceil(bound_th * np.linalg.norm(foreground_mask.shape))
    fg_boundary, gt_boundary = _seg2bmap(foreground_mask), _seg2bmap(gt_mask)
    fg_dil = binary_dilation(fg_boundary, disk(bound_pix))
    gt_dil = binary_dilation(gt_boundary, disk(bound_pix))
    gt_match, fg_match = gt_boundary * fg_dil, fg_boundary * gt_dil
    n_fg, n_gt = np.sum(fg_boundary), np.sum(gt_boundary)
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1, 0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0, 1
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1, 1
    else:
        precision, recall = np.sum(fg_match) / float(n_fg), np.sum(gt_match) / float(n_gt)
    return 0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def blobs(rng, h, w):
    yy, xx = np.mgrid[:h, :w]
    mask = np.zeros((h, w), bool)
    for _ in range(int(rng.integers(0, 4))):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(2, max(3, min(h, w) / 2))
        mask |= (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2
    return mask.astype(np.uint8)


@pytest.mark.parametrize("bound_th", [0.008, 0.03, 1, 3])
def test_matches_davis_f_measure(bound_th):
    rng = np.random.default_rng(int(bound_th * 1000))
    masks = []
    for _ in range(25):
        h, w = int(rng.integers(5, 80)), int(rng.integers(5, 80))
        masks.append((blobs(rng, h, w), blobs(rng, h, w)))
    masks.append((np.zeros((9, 9), np.uint8), np.zeros((9, 9), np.uint8)))
    scorer = rageval.get_scorer("boundary_f1", bound_th=bound_th)
    stats = scorer.make_stats({"mask": [p for p, _ in masks], "gt_mask": [g for _, g in masks]})
    want = [f_measure(p, g, bound_th) for p, g in masks]
    np.testing.assert_allclose(scorer.example_scores(stats)["boundary_f1"], want, rtol=1e-12)
    assert scorer.reduce(stats)["boundary_f1"] == pytest.approx(np.mean(want), rel=1e-12)


def test_bad_bound_th():
    for bound_th in (0, -1, 2.5, "x"):
        with pytest.raises(ConfigError):
            rageval.get_scorer("boundary_f1", bound_th=bound_th)
