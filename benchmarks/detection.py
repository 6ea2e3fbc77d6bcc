"""COCO bbox mAP: pycocotools, faster-coco-eval and rageval side by side, from the COCO JSON to the
12 numbers of ``COCOeval.summarize``, in one process, with the largest difference printed; then the
time of rageval's bootstrap interval of mAP.

Data: tests/support/merge_cases/detection.py's generator, 5,000 images of 80 classes (about 25k
objects and 39k detections: jittered copies of the objects, some of the wrong class, plus false
positives; crowd regions; all area ranges). Each side starts from the same JSON files on disk:
pycocotools ``COCO`` + ``loadRes`` + ``evaluate`` + ``accumulate`` + ``summarize``; faster-coco-eval
the same through its ``COCOeval_faster``; rageval ``from_coco`` + ``coco_map`` stats + reduce. The
sides alternate ``repeats`` times and each keeps its fastest run (the machine is shared).
Run: python benchmarks/detection.py [N_IMAGES] [BOOTSTRAP_RESAMPLES]
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from support.merge_cases.detection import make_coco  # noqa: E402

from rageval.core.scorer import Batch  # noqa: E402
from rageval.data.coco import from_coco  # noqa: E402
from rageval.scorers.detection.coco import CocoMAP  # noqa: E402


def pycocotools_side(gt_path: str, dt_path: str) -> np.ndarray:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        e = COCOeval(gt, gt.loadRes(dt_path), "bbox")
        e.evaluate()
        e.accumulate()
        e.summarize()
    return np.array(e.stats[:12])


def faster_side(gt_path: str, dt_path: str) -> np.ndarray:
    from faster_coco_eval import COCO, COCOeval_faster

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        e = COCOeval_faster(gt, gt.loadRes(dt_path), "bbox")
        e.evaluate()
        e.accumulate()
        e.summarize()
    return np.array(e.stats[:12])


def rageval_side(gt_path: str, dt_path: str) -> tuple[np.ndarray, CocoMAP, object]:
    rows = from_coco(gt_path, dt_path)
    scorer = CocoMAP()
    stats = scorer.make_stats(Batch({k: [r[k] for r in rows] for k in rows[0] if k != "id"}))
    values = scorer.reduce(stats)
    return np.array([values[k] for k in scorer.keys()]), scorer, stats


def main(n_images: int = 5000, n_boot: int = 20, repeats: int = 2) -> None:
    gt, dets = make_coco(0, n_images=n_images, n_classes=80, max_objects=10, tie_decimals=None, fp_rate=1.1)
    print(f"{n_images} images, {len(gt['annotations'])} objects, {len(dets)} detections")
    with tempfile.TemporaryDirectory() as tmp:
        gt_path, dt_path = os.path.join(tmp, "gt.json"), os.path.join(tmp, "dt.json")
        with open(gt_path, "w") as f:
            json.dump(gt, f)
        with open(dt_path, "w") as f:
            json.dump(dets, f)
        best = {"pycocotools": np.inf, "faster-coco-eval": np.inf, "rageval": np.inf}
        out = {}
        for _ in range(repeats):
            for name, fn in (("pycocotools", pycocotools_side), ("faster-coco-eval", faster_side),
                             ("rageval", rageval_side)):
                t = time.perf_counter()
                out[name] = fn(gt_path, dt_path)
                best[name] = min(best[name], time.perf_counter() - t)
    ours, scorer, stats = out["rageval"]
    for name in ("pycocotools", "faster-coco-eval"):
        ratio = best[name] / best["rageval"]
        print(f"{name:>17}: {best[name]:7.3f} s   rageval {best['rageval']:.3f} s   ratio {ratio:5.2f}x"
              f"   max |diff| of the 12 numbers {np.abs(out[name] - ours).max():.1e}")
    gen = np.random.default_rng(0)
    t = time.perf_counter()
    maps = [scorer.reduce(stats.take(gen.integers(0, len(stats), len(stats))))["coco_map"] for _ in range(n_boot)]
    per = (time.perf_counter() - t) / n_boot
    print(f"bootstrap: {per:.3f} s per resample (take + reduce): 1,000 resamples ~ {1000 * per:.0f} s; "
          f"{n_boot}-resample 95% interval [{np.percentile(maps, 2.5):.4f}, {np.percentile(maps, 97.5):.4f}]")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
