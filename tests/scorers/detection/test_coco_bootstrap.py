"""coco_map's bootstrap from draws (CocoMAP.reduce_draws) equals reduce of each materialised resample."""
from __future__ import annotations

import numpy as np
import pytest
from support.merge_cases.detection import make_coco, rows_from_coco

from rageval.core.scorer import Batch
from rageval.core.statistics import Ragged
from rageval.scorers.detection.coco import CocoMAP
from rageval.scorers.detection.resample import _count_le
from rageval.stats.resampling import Replicator


def stats_of(rows: list[dict], **params) -> tuple[CocoMAP, Ragged]:
    s = CocoMAP(**params)
    return s, s.make_stats(Batch({k: [r[k] for r in rows] for k in rows[0] if k != "id"}))


def check_draws(s: CocoMAP, st: Ragged, draws: np.ndarray) -> None:
    """Every key on every draw equals reduce of the resample (images ascending, copies adjacent)."""
    got = s.reduce_draws(st, draws)
    want = [s.reduce(st.take(np.sort(row))) for row in draws]
    for k in s.keys():
        np.testing.assert_allclose(got[k], [w[k] for w in want], rtol=0, atol=1e-12, err_msg=k)


CASES = [  # generator settings, scorer parameters
    (dict(n_classes=1), {}),
    (dict(n_classes=3, crowd=0.3), {}),
    (dict(n_classes=6, tie_decimals=0), {}),  # scores 0 or 1: ties inside images, copied blocks
    (dict(n_classes=4, tie_decimals=1, max_objects=20, dets_per_gt=3.0), dict(max_dets=[1, 3, 5])),
    (dict(n_classes=4, tie_decimals=1, max_objects=20, dets_per_gt=3.0), dict(max_dets=[1, 3, 5], fix_max_dets=True)),
    (dict(n_classes=5, tie_decimals=None, fp_rate=6.0), dict(iou_thresholds=[0.3, 0.5, 0.75, 0.9])),
    (dict(n_classes=5, tie_decimals=2), dict(use_cats=False)),
    (dict(n_classes=3, tie_decimals=1), dict(rec_thresholds=[0.9, 0.05, 0.5, 0.5, 0.33])),  # uneven, unsorted
    (dict(n_classes=3, tie_decimals=1), dict(max_dets=[10, 2, 100, 300])),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_draws_equal_materialised_resamples(case):
    settings, params = CASES[case]
    gt, dets = make_coco(500 + case, n_images=25, **settings)
    s, st = stats_of(rows_from_coco(gt, dets), **params)
    gen = np.random.default_rng(case)
    draws = gen.integers(0, len(st), (12, len(st)))
    draws[0] = np.arange(len(st))  # the sample itself
    draws[1] = 3  # one image drawn every time
    check_draws(s, st, draws)


def test_small_samples_many_copies():
    """Few images drawn many times each: long runs of copies, blocks of tied detections repeated."""
    for seed in range(6):
        gt, dets = make_coco(600 + seed, n_images=4, n_classes=2, tie_decimals=[0, 1, None][seed % 3],
                             max_objects=12, dets_per_gt=2.5)
        s, st = stats_of(rows_from_coco(gt, dets))
        check_draws(s, st, np.random.default_rng(seed).integers(0, len(st), (20, len(st))))


def test_later_chunks_with_more_copies():
    """The layout of tied blocks is rebuilt when a later call draws an image more often."""
    gt, dets = make_coco(7, n_images=6, n_classes=2, tie_decimals=0, max_objects=10)
    s, st = stats_of(rows_from_coco(gt, dets))
    check_draws(s, st, np.tile(np.arange(6), (2, 1)))
    check_draws(s, st, np.array([[2] * 6, [2, 2, 2, 5, 5, 5]]))


def test_degenerate_sets():
    empty = {"gt_boxes": np.zeros((0, 4)), "gt_labels": np.zeros(0), "pred_boxes": np.zeros((0, 4)),
             "pred_scores": np.zeros(0), "pred_labels": np.zeros(0)}
    only_fp = {**empty, "pred_boxes": np.array([[0, 0, 5, 5.0]]), "pred_scores": np.array([0.5]),
               "pred_labels": np.array([1])}
    only_gt = {**empty, "gt_boxes": np.array([[0, 0, 5, 5.0]]), "gt_labels": np.array([1])}
    crowd_only = {**only_gt, "gt_iscrowd": np.array([1])}
    for rows in ([empty, empty], [only_fp, empty], [only_gt, only_fp], [crowd_only, only_fp], [only_gt, crowd_only]):
        rows = [{**{"gt_iscrowd": np.zeros(len(r["gt_labels"]))}, **r} for r in rows]
        s, st = stats_of(rows)
        check_draws(s, st, np.array([[0, 0], [0, 1], [1, 1]]))
    assert len(s.reduce_draws(st, np.zeros((0, 2), np.int64))["coco_map"]) == 0


def test_bootstrap_and_paired_test_use_the_draws():
    gt, dets = make_coco(21, n_images=30, n_classes=4, tie_decimals=2)
    s, st = stats_of(rows_from_coco(gt, dets))
    rep = Replicator(s, st)
    got = rep.bootstrap(25, seed=5)
    draws = np.random.default_rng(5).choice(len(st), size=(25, len(st)), replace=True)
    for i, row in enumerate(draws):
        want = s.reduce(st.take(np.sort(row)))
        assert all(abs(got[k][i] - want[k]) <= 1e-12 for k in s.keys())
    # an example axis with a failed example falls back to resampling the statistics themselves
    part = Replicator(s, st, positions=np.r_[np.arange(len(st)), -1]).bootstrap(3, seed=1)
    assert np.isfinite(part["coco_map"]).all()


def test_count_le_equals_searchsorted():
    gen = np.random.default_rng(0)
    for rec in (np.linspace(0, 1, 101), np.sort(gen.random(7)), np.array([0.0, 0.5, 0.5, 1.0]), np.array([0.3]),
                np.array([0.2, 0.2])):
        x = np.r_[gen.random(500), rec, np.nextafter(rec, 2), np.nextafter(rec, -1), -1, 2, 0, 1]
        assert np.array_equal(_count_le(rec, x), np.searchsorted(rec, x, "right"))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(40))
def test_draws_sweep(seed):
    gen = np.random.default_rng(seed)
    gt, dets = make_coco(2000 + seed, n_images=int(gen.integers(2, 50)), n_classes=int(gen.integers(1, 12)),
                         crowd=float(gen.uniform(0, 0.3)), tie_decimals=[None, 0, 1, 2][seed % 4],
                         max_objects=int(gen.integers(1, 20)), fp_rate=float(gen.uniform(0, 6)))
    s, st = stats_of(rows_from_coco(gt, dets), max_dets=[[1, 10, 100], [1, 2, 4]][seed % 2])
    check_draws(s, st, gen.integers(0, len(st), (20, len(st))))
