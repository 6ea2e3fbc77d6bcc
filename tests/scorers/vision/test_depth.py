"""Depth scorers against monodepth2's evaluation (compute_errors and its masking, copied here as
the reference) and BTS's log10 / silog, on generated depth maps."""
from __future__ import annotations

import numpy as np
import pytest

import rageval
from rageval.core.errors import ConfigError, FieldError

NAMES = ("depth_abs_rel", "depth_sq_rel", "depth_rmse", "depth_rmse_log", "depth_log10", "depth_delta1",
         "depth_delta2", "depth_delta3", "silog")


def compute_errors(gt, pred):
    """monodepth2 evaluate_depth.compute_errors, plus BTS's log10 and silog."""
    thresh = np.maximum((gt / pred), (pred / gt))
    a1, a2, a3 = (thresh < 1.25).mean(), (thresh < 1.25 ** 2).mean(), (thresh < 1.25 ** 3).mean()
    rmse = np.sqrt(((gt - pred) ** 2).mean())
    rmse_log = np.sqrt(((np.log(gt) - np.log(pred)) ** 2).mean())
    abs_rel = np.mean(np.abs(gt - pred) / gt)
    sq_rel = np.mean(((gt - pred) ** 2) / gt)
    err = np.log(pred) - np.log(gt)
    silog = np.sqrt(np.mean(err ** 2) - np.mean(err) ** 2) * 100
    log10 = np.mean(np.abs(np.log10(gt) - np.log10(pred)))
    return dict(zip(NAMES, (abs_rel, sq_rel, rmse, rmse_log, log10, a1, a2, a3, silog)))


def monodepth2(pred_depth, gt_depth, min_depth, max_depth, median_scaling, eigen):
    """evaluate_depth.evaluate's per-image loop (pred already a depth map at gt's size)."""
    gt_height, gt_width = gt_depth.shape[:2]
    mask = np.logical_and(gt_depth > min_depth, gt_depth < max_depth)
    if eigen:
        crop = np.array([0.40810811 * gt_height, 0.99189189 * gt_height,
                         0.03594771 * gt_width, 0.96405229 * gt_width]).astype(np.int32)
        crop_mask = np.zeros(mask.shape)
        crop_mask[crop[0]:crop[1], crop[2]:crop[3]] = 1
        mask = np.logical_and(mask, crop_mask)
    pred_depth, gt_depth = pred_depth[mask], gt_depth[mask]
    if median_scaling:
        pred_depth = pred_depth * (np.median(gt_depth) / np.median(pred_depth))
    pred_depth = pred_depth.copy()
    pred_depth[pred_depth < min_depth] = min_depth
    pred_depth[pred_depth > max_depth] = max_depth
    return compute_errors(gt_depth, pred_depth)


def maps(rng, n):
    out = []
    for _ in range(n):
        h, w = int(rng.integers(8, 30)), int(rng.integers(8, 40))
        gt = rng.uniform(0.5, 90, (h, w))
        gt[rng.random((h, w)) < 0.3] = 0
        gt[rng.random((h, w)) < 0.05] = np.nan
        gt[h // 2, :] = 10.0  # at least one valid pixel inside the crop
        pred = gt * rng.lognormal(0.1, 0.3, (h, w))
        pred = np.where(np.isnan(pred) | (pred <= 0), rng.uniform(0.001, 100, (h, w)), pred)
        out.append((pred, gt))
    return out


@pytest.mark.parametrize("options", [
    {}, {"median_scaling": True}, {"eigen_crop": True}, {"min_depth": 1.0, "max_depth": 50.0, "median_scaling": True,
                                                         "eigen_crop": True}])
def test_matches_monodepth2(options):
    rng = np.random.default_rng(len(options))
    pairs = maps(rng, 12)
    full = {"min_depth": 1e-3, "max_depth": 80.0, "median_scaling": False, "eigen_crop": False, **options}
    want = [monodepth2(p, g, full["min_depth"], full["max_depth"], full["median_scaling"], full["eigen_crop"])
            for p, g in pairs]
    batch = rageval.core.scorer.Batch(depth=[p for p, _ in pairs], gt_depth=[g for _, g in pairs])
    for name in NAMES:
        scorer = rageval.get_scorer(name, **options)
        stats = scorer.make_stats(batch)
        np.testing.assert_allclose(scorer.example_scores(stats)[name], [w[name] for w in want], rtol=1e-10,
                                   err_msg=name)
        np.testing.assert_allclose(scorer.reduce(stats)[name], np.mean([w[name] for w in want]), rtol=1e-10)


def test_bad_input():
    good = np.full((4, 4), 5.0)
    scorer = rageval.get_scorer("depth_rmse")
    for batch, field, row in [
        ({"depth": [good, good], "gt_depth": [good, np.zeros((4, 4))]}, "gt_depth", 1),  # nothing valid
        ({"depth": [good, np.full((4, 4), np.nan)], "gt_depth": [good, good]}, "depth", 1),
        ({"depth": [-good], "gt_depth": [good]}, "depth", 0),
        ({"depth": [good], "gt_depth": [np.ones((4, 5))]}, "depth", 0),
    ]:
        with pytest.raises(FieldError) as e:
            scorer.stats(batch)
        assert (e.value.field, e.value.row) == (field, row)
    with pytest.raises(ConfigError):
        rageval.get_scorer("silog", min_depth=10, max_depth=1)
