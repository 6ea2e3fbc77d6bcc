"""boundary_iou against a brute-force transcription of boundary-iou-api (Cheng et al. 2021):
``mask_to_boundary`` with cv2's erosion written out (a 3×3 minimum applied ``dilation`` times, the
image padded by one background pixel, pixels beyond the padding at the maximum as cv2's default
erosion border), ``boundary_iou`` per class, then the mean over classes in both conventions."""
from __future__ import annotations

import numpy as np
import pytest

import rageval
from rageval.core.errors import ConfigError, FieldError


def cv2_erode(img, iterations):
    """cv2.erode(img, np.ones((3, 3)), iterations=...): BORDER_CONSTANT at the type's maximum."""
    for _ in range(iterations):
        padded = np.pad(img, 1, constant_values=np.iinfo(img.dtype).max)
        h, w = img.shape
        img = np.min([padded[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)], axis=0)
    return img


def mask_to_boundary(mask, dilation_ratio=0.02):
    """boundary-iou-api, boundary_iou/utils/boundary_utils.py (cv2 calls transcribed)."""
    mask = mask.astype(np.uint8)
    h, w = mask.shape
    img_diag = np.sqrt(h ** 2 + w ** 2)
    dilation = int(round(dilation_ratio * img_diag))
    if dilation < 1:
        dilation = 1
    new_mask = np.pad(mask, 1, constant_values=0)  # cv2.copyMakeBorder(..., BORDER_CONSTANT, value=0)
    new_mask_erode = cv2_erode(new_mask, dilation)
    mask_erode = new_mask_erode[1: h + 1, 1: w + 1]
    return mask - mask_erode


def class_counts(pred, gt, c, dilation_ratio, ignore):
    """(intersection, union) of class c's boundaries, ignored ground-truth pixels left out."""
    gt_b = mask_to_boundary(gt == c, dilation_ratio) > 0
    dt_b = mask_to_boundary(pred == c, dilation_ratio) > 0
    keep = np.ones(gt.shape, bool) if ignore is None else gt != ignore
    return ((gt_b & dt_b) & keep).sum(), ((gt_b | dt_b) & keep).sum()


def reference(pairs, num_classes, dilation_ratio=0.02, ignore=None):
    counts = np.array([[class_counts(p, g, c, dilation_ratio, ignore) for c in range(num_classes)]
                       for p, g in pairs], float)  # (images, classes, 2)
    inter, union = counts[..., 0], counts[..., 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = inter.sum(0) / union.sum(0)
        pair_iou = inter / union
    pooled = pair_iou[union > 0]
    return {"dataset": (np.nanmean(per_class), per_class),
            "per_image": (pooled.mean() if pooled.size else np.nan,
                          np.array([np.nanmean(col) if (~np.isnan(col)).any() else np.nan for col in pair_iou.T]))}


def blob_maps(rng, n, c, ignore=None, sides=(3, 70)):
    out = []
    for _ in range(n):
        h, w = (int(v) for v in rng.integers(*sides, size=2))
        yy, xx = np.mgrid[:h, :w]
        gt = np.zeros((h, w), int)
        for label in rng.integers(1, c, size=int(rng.integers(0, 5))):
            cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(1, max(2, min(h, w) / 2))
            gt[(yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2] = label
        pred = np.roll(gt, tuple(rng.integers(-2, 3, size=2)), axis=(0, 1))
        pred = np.where(rng.random((h, w)) < 0.03, rng.integers(0, c, (h, w)), pred)
        if ignore is not None:
            gt = np.where(rng.random((h, w)) < 0.05, ignore, gt)
        out.append((pred, gt))
    return out


def score(pairs, **params):
    scorer = rageval.get_scorer("boundary_iou", **params)
    stats = scorer.make_stats({"mask": [p for p, _ in pairs], "gt_mask": [g for _, g in pairs]})
    return scorer, stats, scorer.reduce(stats)


@pytest.mark.parametrize("convention", ["dataset", "per_image"])
@pytest.mark.parametrize("seed, dilation_ratio, ignore", [(0, 0.02, None), (1, 0.02, 255), (2, 0.05, None),
                                                         (3, 0.0, 255), (4, 0.1, 0), (5, 0.02, None)])
def test_matches_boundary_iou_api(seed, dilation_ratio, ignore, convention):
    rng = np.random.default_rng(seed)
    c = int(rng.integers(2, 5))
    pairs = blob_maps(rng, 12, c, ignore)
    want, want_parts = reference(pairs, c, dilation_ratio, ignore)[convention]
    _, stats, got = score(pairs, num_classes=c, dilation_ratio=dilation_ratio, ignore_index=ignore,
                          convention=convention)
    np.testing.assert_allclose(got["boundary_iou"], want, rtol=1e-12)
    np.testing.assert_allclose([got[f"boundary_iou.class_{k}"] for k in range(c)], want_parts, rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(40))
def test_matches_boundary_iou_api_sweep(seed):
    rng = np.random.default_rng(100 + seed)
    c = int(rng.integers(2, 6))
    ratio = float(rng.choice([0.0, 0.01, 0.02, 0.05, 0.2]))
    ignore = [None, 255][seed % 2]
    pairs = blob_maps(rng, 10, c, ignore, sides=(1, 90))
    for convention in ("dataset", "per_image"):
        want, _ = reference(pairs, c, ratio, ignore)[convention]
        _, _, got = score(pairs, num_classes=c, dilation_ratio=ratio, ignore_index=ignore, convention=convention)
        np.testing.assert_allclose(got["boundary_iou"], want, rtol=1e-12)


def test_binary_masks_equal_the_api_value_and_subsets_reduce_exactly():
    rng = np.random.default_rng(7)
    pairs = blob_maps(rng, 9, 2)
    scorer, stats, _ = score(pairs, num_classes=2)
    for (pred, gt), value in zip(pairs, scorer.example_scores(stats)["boundary_iou.class_1"]):
        inter, union = class_counts(pred, gt, 1, 0.02, None)
        np.testing.assert_allclose(value, inter / union if union else np.nan, rtol=1e-12)
    idx = [0, 4, 5]
    assert scorer.reduce(stats.take(idx)) == score([pairs[i] for i in idx], num_classes=2)[2]


def test_bad_input_names_the_field_and_row():
    good = np.zeros((4, 4), int)
    with pytest.raises(FieldError, match="gt_mask"):
        score([(good, good), (good, np.full((4, 4), 7))], num_classes=2)
    with pytest.raises(FieldError, match="mask"):
        score([(good, good), (np.full((4, 4), np.nan), good)], num_classes=2)
    with pytest.raises(FieldError, match="shape"):
        score([(good, good[:2])], num_classes=2)
    scorer = rageval.get_scorer("boundary_iou", num_classes=np.int64(2), dilation_ratio=np.float32(0.05))
    assert scorer.dilation_ratio == pytest.approx(0.05) and scorer.num_classes == 2  # numpy scalars are numbers
    for bad in (-0.1, "x", True, float("inf"), None):
        with pytest.raises(ConfigError):
            rageval.get_scorer("boundary_iou", num_classes=2, dilation_ratio=bad)
