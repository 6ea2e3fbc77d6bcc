"""COCO bbox mAP: pycocotools, faster-coco-eval and rageval side by side, from the COCO JSON to the
12 numbers of ``COCOeval.summarize``, in one process, with the largest difference printed; then the
time of rageval's 1,000-resample bootstrap of mAP (every resample from its draws,
`CocoMAP.reduce_draws`) next to take + reduce of a few of the same resamples, with the largest
difference.

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
from rageval.stats.resampling import SEED, Replicator, bootstrap_indices  # noqa: E402


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


def main(n_images: int = 5000, n_boot: int = 1000, repeats: int = 2, n_slow: int = 5) -> None:
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
    # bootstrap: all resamples from their draws (reduce_draws) vs take + reduce of a few, same draws
    t, cpu = time.perf_counter(), time.process_time()
    boot = Replicator(scorer, stats).bootstrap(n_boot, seed=SEED)
    fast, cpu = time.perf_counter() - t, time.process_time() - cpu
    draws = next(bootstrap_indices(len(stats), n_boot, SEED))[:n_slow]
    t = time.perf_counter()
    slow = [scorer.reduce(stats.take(np.sort(row))) for row in draws]
    per = (time.perf_counter() - t) / n_slow
    diff = max(abs(slow[i][k] - boot[k][i]) for i in range(n_slow) for k in scorer.keys())
    lo, hi = np.percentile(boot["coco_map"], [2.5, 97.5])
    print(f"bootstrap, {n_boot} resamples from draws: {fast:.2f} s ({1e3 * fast / n_boot:.1f} ms each, "
          f"CPU time {cpu:.2f} s); "
          f"take + reduce {1e3 * per:.0f} ms each (~{n_boot * per:.0f} s for {n_boot}), "
          f"ratio {per * n_boot / fast:.0f}x; "
          f"max |diff| on {n_slow} resamples {diff:.1e}; 95% interval of mAP [{lo:.4f}, {hi:.4f}]")

if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
