"""coco_map (through from_coco) equals pycocotools on the COCO-format fixtures of faster-coco-eval's
own tests, read where they are installed; nothing of theirs is copied here.

faster-coco-eval 1.8.0's wheel ships no test data (its fixtures live in its repository's
``tests/dataset`` and ``tests/data``), and pycocotools ships none: the test looks in the installed
package and in ``RAGEVAL_PEER_COCO_FIXTURES`` (a checkout's ``tests`` folder) and skips, saying so,
when there is none.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest

from rageval.core.scorer import Batch
from rageval.data.coco import from_coco
from rageval.scorers.detection.coco import CocoMAP

pytest.importorskip("pycocotools.cocoeval", reason="pycocotools is the reference (extra [vision])")

#: faster-coco-eval's fixture pairs (ground truth, detections, IoU types; None: bbox, and segm where
#: the ground truth has masks), relative to its tests folder; dataset/cocoapi holds pycocotools' own
#: test data (COCO val2014's first 100 images and its fake bbox / segm results)
PAIRS = (("dataset/gt_dataset.json", "dataset/dt_dataset.json", None),
         ("dataset/gt_ignore_test.json", "dataset/dt_ignore_test.json", None),
         ("data/gt_cat_dog.json", "data/dt_cat_dog.json", None),
         ("dataset/cocoapi/instances_val2014_100.json", "dataset/cocoapi/instances_val2014_fakebbox100_results.json",
          ("bbox",)),
         ("dataset/cocoapi/instances_val2014_100.json", "dataset/cocoapi/instances_val2014_fakesegm100_results.json",
          ("segm",)))


def roots() -> list[Path]:
    out = []
    if os.environ.get("RAGEVAL_PEER_COCO_FIXTURES"):
        out.append(Path(os.environ["RAGEVAL_PEER_COCO_FIXTURES"]))
    with contextlib.suppress(ImportError):
        import faster_coco_eval

        package = Path(faster_coco_eval.__file__).parent
        out += [package / "tests", package.parent / "tests", package]
    return out


def found() -> list[tuple[Path, Path, tuple[str, ...] | None]]:
    return [(r / g, r / d, t) for r in roots() for g, d, t in PAIRS if (r / g).is_file() and (r / d).is_file()]


FOUND = found()


def reference(gt_path: Path, dt_path: Path, iou_type: str) -> np.ndarray:
    """pycocotools' 12 numbers; faster-coco-eval's where pycocotools cannot load the pair
    (gt_ignore_test.json gives one image id as "2299" and 2299: loadRes asserts)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(gt_path))
        try:
            e = COCOeval(gt, gt.loadRes(str(dt_path)), iou_type)
        except AssertionError:
            import faster_coco_eval

            gt = faster_coco_eval.COCO(str(gt_path))
            e = faster_coco_eval.COCOeval_faster(gt, gt.loadRes(str(dt_path)), iou_type)
        e.evaluate()
        e.accumulate()
        e.summarize()
    return np.array(e.stats[:12])


@pytest.mark.skipif(not FOUND, reason="no COCO-format test fixtures of faster-coco-eval installed (its 1.8.0 wheel "
                                      "ships none; pycocotools ships none): set RAGEVAL_PEER_COCO_FIXTURES to a "
                                      "checkout's tests folder to run")
@pytest.mark.parametrize("pair", FOUND, ids=[p[1].name for p in FOUND])
def test_equals_pycocotools_on_peer_fixtures(pair):
    gt_path, dt_path, types = pair
    segm = any("segmentation" in a for a in json.loads(gt_path.read_text())["annotations"])
    for iou_type in types or (("bbox", "segm") if segm else ("bbox",)):
        rows = from_coco(str(gt_path), str(dt_path), iou_type=iou_type)
        scorer = CocoMAP(iou_type=iou_type)
        values = scorer.reduce(scorer.make_stats(Batch({k: [r[k] for r in rows] for k in rows[0] if k != "id"})))
        np.testing.assert_allclose([values[k] for k in scorer.keys()], reference(gt_path, dt_path, iou_type),
                                   rtol=0, atol=1e-12, err_msg=f"{gt_path.name} {iou_type}")
