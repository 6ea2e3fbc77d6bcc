"""from_coco: COCO JSON (path or dict) and results (list or path, or torchmetrics-style) to rows."""
from __future__ import annotations

import json

import numpy as np
import pytest
from support.merge_cases.detection import make_coco

import rageval
from rageval.core.errors import FieldError
from rageval.data.coco import from_coco


def test_rows_in_id_order_with_empty_images(tmp_path):
    gt, dets = make_coco(5, n_images=12, n_classes=3)
    gt["images"] = gt["images"][::-1]
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dets))
    rows = from_coco(tmp_path / "gt.json", str(tmp_path / "dt.json"))
    assert [r["id"] for r in rows] == list(range(1, 13))
    assert len(rows[0]["gt_boxes"]) == 0 and len(rows[0]["pred_boxes"]) == 0  # image 1: empty
    assert sum(len(r["gt_labels"]) for r in rows) == len(gt["annotations"])
    assert sum(len(r["pred_scores"]) for r in rows) == len(dets)
    for r in rows:
        mine = [a for a in gt["annotations"] if a["image_id"] == r["id"]]
        np.testing.assert_array_equal(r["gt_boxes"], np.array([a["bbox"] for a in mine]).reshape(-1, 4))
        np.testing.assert_array_equal(r["gt_iscrowd"], [a["iscrowd"] for a in mine])


def test_torchmetrics_style_equals_results_list():
    gt, dets = make_coco(6, n_images=10, n_classes=3)
    rows = from_coco(gt, dets)
    tm = [{"boxes": r["pred_boxes"], "scores": r["pred_scores"], "labels": r["pred_labels"]} for r in rows]
    rows2 = from_coco(gt, tm)
    for a, b in zip(rows, rows2):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    assert rageval.evaluate(rows2, ["coco_map"]).aggregate["coco_map"] == \
        rageval.evaluate(rows, ["coco_map"]).aggregate["coco_map"]


@pytest.mark.parametrize("change,field", [
    (lambda gt, d: d[0].update(bbox=[0, 0, -1, 3]), "pred_boxes"),
    (lambda gt, d: d[0].update(score=float("nan")), "pred_scores"),
    (lambda gt, d: d[0].update(score=1.5), "pred_scores"),
    (lambda gt, d: d[0].update(category_id=99), "pred_labels"),
    (lambda gt, d: d[0].update(image_id=999), "pred_boxes"),
    (lambda gt, d: gt["annotations"][0].update(bbox=[0, 0, 2, -2]), "gt_boxes"),
    (lambda gt, d: gt["annotations"][0].update(category_id=0), "gt_labels"),
    (lambda gt, d: gt["annotations"][0].update(category_id=1.5), "gt_labels"),
    (lambda gt, d: gt["annotations"][0].pop("bbox"), "gt_boxes"),
    (lambda gt, d: d[0].update(bbox=[0, 0, 2]), "pred_boxes"),
    (lambda gt, d: d[0].update(bbox=[0, 0, float("inf"), 2]), "pred_boxes"),
    (lambda gt, d: d[0].update(score="high"), "pred_scores"),
    (lambda gt, d: d[0].update(score=None), "pred_scores"),
    (lambda gt, d: d[0].pop("score"), "pred_scores"),
    (lambda gt, d: d[0].update(category_id=float("nan")), "pred_labels"),
    (lambda gt, d: d[0].update(image_id="img-x"), "pred_boxes"),
    (lambda gt, d: gt["images"][0].update(id="first"), "gt"),
])
def test_bad_input_names_image_and_field(change, field):
    gt, dets = make_coco(8, n_images=6, n_classes=3)
    change(gt, dets)
    with pytest.raises(FieldError, match=f"{field}.*image"):
        from_coco(gt, dets)


def test_mismatched_torchmetrics_lengths():
    gt, _ = make_coco(9, n_images=3, n_classes=2)
    tm = [{"boxes": np.zeros((2, 4)), "scores": np.ones(1) / 2, "labels": np.ones(2, int)}] * 3
    with pytest.raises(FieldError, match="pred_boxes.*image"):
        from_coco(gt, tm)


def test_numeric_string_ids_and_repeated_images_as_cocoeval():
    """Image ids given as numeric strings are the same images; an image listed twice is evaluated
    once (COCOeval's imgIds are unique)."""
    gt, dets = make_coco(10, n_images=8, n_classes=3)
    rows = from_coco(gt, dets)
    gt2 = {**gt, "images": gt["images"] + gt["images"][:3],
           "annotations": [{**a, "image_id": str(a["image_id"])} for a in gt["annotations"]]}
    rows2 = from_coco(gt2, [{**d, "image_id": str(d["image_id"])} for d in dets])
    assert [r["id"] for r in rows2] == [r["id"] for r in rows]
    for a, b in zip(rows, rows2):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])


def test_bad_torchmetrics_entries():
    gt, _ = make_coco(9, n_images=2, n_classes=2)
    good = {"boxes": np.zeros((1, 4)), "scores": np.ones(1) / 2, "labels": np.ones(1, int)}
    for bad, field in (({**good, "boxes": np.zeros((1, 3))}, "pred_boxes"), ({**good, "scores": [np.nan]}, "pred_scores"),
                       ({k: v for k, v in good.items() if k != "labels"}, "pred_labels"),
                       ({**good, "labels": [7]}, "pred_labels")):
        with pytest.raises(FieldError, match=f"{field}.*image"):
            from_coco(gt, [good, bad])
