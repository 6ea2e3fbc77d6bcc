"""coco_map equals pycocotools' COCOeval (evaluate, accumulate, summarize) on generated datasets."""
from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from support.merge_cases.detection import make_coco, rows_from_coco

import rageval
from rageval.core.errors import FieldError
from rageval.core.scorer import Batch
from rageval.scorers.detection.coco import CocoMAP

pycocotools = pytest.importorskip("pycocotools.cocoeval", reason="pycocotools is the reference (extra [vision])")


def reference(gt: dict, dets: list, **params) -> object:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
        e = COCOeval(coco, coco.loadRes(dets) if dets else COCO(), "bbox")
        for k, v in params.items():
            setattr(e.params, k, v)
        e.evaluate()
        e.accumulate()
        e.summarize()
    return e


def ours(rows: list[dict], **params) -> tuple[CocoMAP, object]:
    s = CocoMAP(**params)
    batch = Batch({k: [r[k] for r in rows] for k in rows[0]})
    return s, s.make_stats(batch)


def check(gt, dets, ref_params=None, **params):
    e = reference(gt, dets, **(ref_params or {}))
    s, st = ours(rows_from_coco(gt, dets), **params)
    got = s.reduce(st)
    np.testing.assert_allclose([got[k] for k in s.keys()], e.stats, rtol=0, atol=1e-12)
    precision, recall, labels = s.accumulate(st)
    # our classes are those with ground truth (one class without use_cats: COCOeval's catIds [-1])
    has = np.isin(e.params.catIds, labels) if params.get("use_cats", True) else np.ones(1, bool)
    np.testing.assert_allclose(precision, e.eval["precision"][:, :, has], rtol=0, atol=1e-12)
    np.testing.assert_allclose(recall, e.eval["recall"][:, has], rtol=0, atol=1e-12)
    assert (e.eval["precision"][:, :, ~has] == -1).all()


SETTINGS = [dict(n_classes=1), dict(n_classes=3, crowd=0.2), dict(n_classes=12, tie_decimals=1),
            dict(n_classes=5, tie_decimals=None, max_objects=25, dets_per_gt=3.0),
            dict(n_classes=30, crowd=0.0), dict(n_classes=4, fp_rate=8.0, tie_decimals=0)]


@pytest.mark.parametrize("seed", range(len(SETTINGS)))
def test_equals_pycocotools(seed):
    gt, dets = make_coco(seed, n_images=40, **SETTINGS[seed])
    check(gt, dets)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100))
def test_equals_pycocotools_sweep(seed):
    gen = np.random.default_rng(seed)
    gt, dets = make_coco(1000 + seed, n_images=int(gen.integers(1, 60)), n_classes=int(gen.integers(1, 20)),
                         crowd=float(gen.uniform(0, 0.3)), tie_decimals=[None, 0, 1, 2][seed % 4],
                         max_objects=int(gen.integers(1, 30)), fp_rate=float(gen.uniform(0, 6)))
    check(gt, dets)


def test_parameters_like_pycocotools():
    gt, dets = make_coco(7, n_images=40, n_classes=4, max_objects=20, dets_per_gt=2.0)
    # small max_dets (truncation per class by score), other thresholds: stats[0] is -1 (quirk)
    check(gt, dets, dict(maxDets=[1, 3, 5], iouThrs=np.array([0.3, 0.5, 0.75, 0.9])),
          max_dets=[1, 3, 5], iou_thresholds=[0.3, 0.5, 0.75, 0.9])
    s, st = ours(rows_from_coco(gt, dets), max_dets=[1, 3, 5], fix_max_dets=True)
    e = reference(gt, dets, maxDets=[1, 3, 5])
    assert s.reduce(st)["coco_map"] == pytest.approx(float(np.mean(e.eval["precision"][:, :, :, 0, -1][
        e.eval["precision"][:, :, :, 0, -1] > -1])), abs=1e-12)
    # use_cats=False: classes ignored
    check(gt, dets, dict(useCats=0), use_cats=False)


def test_box_formats_and_subsets():
    gt, dets = make_coco(3, n_images=30, n_classes=3)
    rows = rows_from_coco(gt, dets)
    s, st = ours(rows)
    xyxy = [{**r, "gt_boxes": np.c_[r["gt_boxes"][:, :2], r["gt_boxes"][:, :2] + r["gt_boxes"][:, 2:]],
             "pred_boxes": np.c_[r["pred_boxes"][:, :2], r["pred_boxes"][:, :2] + r["pred_boxes"][:, 2:]]}
            for r in rows]
    s2, st2 = ours(xyxy, box_format="xyxy")
    np.testing.assert_allclose(list(s2.reduce(st2).values()), list(s.reduce(st).values()), atol=1e-12)
    # any subset of images reduces to COCOeval on those images
    keep = [i for i in range(30) if i % 3 != 1]
    ids = {gt["images"][i]["id"] for i in keep}
    sub_gt = {**gt, "images": [im for im in gt["images"] if im["id"] in ids],
              "annotations": [a for a in gt["annotations"] if a["image_id"] in ids]}
    e = reference(sub_gt, [d for d in dets if d["image_id"] in ids])
    got = s.reduce(st.take(keep))
    np.testing.assert_allclose([got[k] for k in s.keys()], e.stats, atol=1e-12)


def test_evaluate_and_intervals():
    gt, dets = make_coco(11, n_images=30, n_classes=3, tie_decimals=None)
    rows = rows_from_coco(gt, dets)
    res = rageval.evaluate(rows, ["coco_map"])
    e = reference(gt, dets)
    assert res.aggregate["coco_map"] == pytest.approx(e.stats[0], abs=1e-12)


@pytest.mark.parametrize("field,value,problem", [
    ("gt_boxes", np.array([[0, 0, -1, 2.0]]), "negative"),
    ("pred_scores", np.array([np.nan]), "NaN"),
    ("pred_labels", np.array([1, 2]), "shape"),
    ("gt_boxes", np.zeros((1, 3)), "shape"),
    ("pred_boxes", [["a", "b", "c", "d"]], "numeric"),
])
def test_bad_input_names_field_and_row(field, value, problem):
    row = {"gt_boxes": np.array([[0, 0, 2, 2.0]]), "gt_labels": np.array([1]),
           "pred_boxes": np.array([[0, 0, 2, 2.0]]), "pred_scores": np.array([0.5]), "pred_labels": np.array([1])}
    row[field] = value
    with pytest.raises(FieldError, match=f"{field}.*row 0.*{problem}"):
        CocoMAP().stats(Batch({k: [v] for k, v in row.items()}))


def test_images_without_objects_or_detections():
    empty = {"gt_boxes": np.zeros((0, 4)), "gt_labels": np.zeros(0), "pred_boxes": np.zeros((0, 4)),
             "pred_scores": np.zeros(0), "pred_labels": np.zeros(0)}
    s, st = ours([empty, empty])
    assert len(st) == 2 and st.values.shape[0] == 0
    assert s.reduce(st)["coco_map"] == -1.0  # COCOeval: no class with ground truth
    gt, dets = make_coco(2, n_images=3, n_classes=2)
    rows = rows_from_coco(gt, dets)  # images 1 (empty) and 2 (only false positives) first
    check(gt, dets)
    assert len(ours(rows[:1])[1].values) == 0
