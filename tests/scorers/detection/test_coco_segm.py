"""coco_map with iou_type='segm' equals pycocotools' COCOeval(iouType='segm')."""
from __future__ import annotations

import contextlib
import copy
import io

import numpy as np
import pytest
from support.merge_cases.detection import make_coco

import rageval
from rageval.data.coco import from_coco

mask_utils = pytest.importorskip("pycocotools.mask", reason="pycocotools is the reference (extra [vision])")


def polygon(box, gen):
    x, y, w, h = box
    pts = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    return [float(v) for px, py in pts for v in (px + gen.uniform(-0.2, 0.2) * w, py + gen.uniform(-0.2, 0.2) * h)]


def segm_dataset(seed: int, **kw):
    gt, dets = make_coco(seed, n_images=30, **kw)
    gen = np.random.default_rng(seed)
    for a in gt["annotations"]:
        a["segmentation"] = [polygon(a["bbox"], gen)]
        if a["iscrowd"]:  # crowd regions as uncompressed RLE, as in COCO
            rle = mask_utils.merge(mask_utils.frPyObjects(a["segmentation"], 480, 640))
            m = mask_utils.decode(rle)
            flat = m.flatten(order="F")
            change = np.flatnonzero(np.diff(np.r_[0, flat, 1 - flat[-1]]))
            a["segmentation"] = {"size": [480, 640], "counts": np.diff(np.r_[0, change]).tolist()}
        a["area"] = float(mask_utils.area(mask_utils.merge(mask_utils.frPyObjects(a["segmentation"], 480, 640))
                                          if isinstance(a["segmentation"], list) else
                                          mask_utils.frPyObjects(a["segmentation"], 480, 640)))
    out = []
    for d in dets:
        rle = mask_utils.merge(mask_utils.frPyObjects([polygon(d["bbox"], gen)], 480, 640))
        rle["counts"] = rle["counts"].decode()
        out.append({"image_id": d["image_id"], "category_id": d["category_id"], "score": d["score"],
                    "segmentation": rle})
    return gt, out


def reference(gt, dets):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = copy.deepcopy(gt)
        coco.createIndex()
        e = COCOeval(coco, coco.loadRes(copy.deepcopy(dets)), "segm")
        e.evaluate()
        e.accumulate()
        e.summarize()
    return e.stats


@pytest.mark.parametrize("boxed", [False, True])
@pytest.mark.parametrize("seed,kw", [(0, dict(n_classes=3, crowd=0.15)), (1, dict(n_classes=6, tie_decimals=1))])
def test_segm_equals_pycocotools(seed, kw, boxed):
    """``boxed``: the results also carry a box (here scaled so its area differs from the mask's): as
    pycocotools' loadRes, the area ranges then read the box's area, not the mask's (from_coco's
    pred_area); without a box, the mask's."""
    gt, dets = segm_dataset(seed, **kw)
    if boxed:
        gen = np.random.default_rng(seed)
        for d in dets:
            x, y, w, h = mask_utils.toBbox(d["segmentation"]).tolist()
            d["bbox"] = [x, y, w * gen.uniform(0.3, 2.0), h * gen.uniform(0.3, 2.0)]
    res = rageval.evaluate(from_coco(gt, dets, iou_type="segm"), [("coco_map", {"iou_type": "segm"})])
    got = [res.aggregate[k] for k in ["coco_map"] + [f"coco_map.{p}" for p in
                                                     ("50", "75", "small", "medium", "large", "ar1", "ar10", "ar100",
                                                      "ar_small", "ar_medium", "ar_large")]]
    np.testing.assert_allclose(got, reference(gt, dets), rtol=0, atol=1e-12)


def test_masks_as_arrays_equal_rles():
    gt, dets = segm_dataset(3, n_classes=2, crowd=0.0)
    rows = from_coco(gt, dets, iou_type="segm")
    arrays = [{**r, "gt_masks": np.array([mask_utils.decode(m) for m in r["gt_masks"]]).reshape(-1, 480, 640),
               "pred_masks": [mask_utils.decode(m) for m in r["pred_masks"]]} for r in rows[:10]]
    a = rageval.evaluate(rows[:10], [("coco_map", {"iou_type": "segm"})]).aggregate
    b = rageval.evaluate(arrays, [("coco_map", {"iou_type": "segm"})]).aggregate
    assert a == pytest.approx(b, abs=1e-12)
