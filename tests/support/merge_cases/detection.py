"""Detection data: a COCO-format generator (crowds, all area ranges, empty images, images with only
false positives, ties in scores) for the detection tests, and the merge-test rows built from it."""
from __future__ import annotations

import random

import numpy as np

from support.merge_cases import Case


def make_coco(seed: int, n_images: int = 50, n_classes: int = 5, crowd: float = 0.05, tie_decimals: int | None = 2,
              dets_per_gt: float = 1.3, fp_rate: float = 2.0, max_objects: int = 8) -> tuple[dict, list]:
    """A COCO ground-truth dict and a results list. Boxes span small, medium and large areas;
    detections are jittered copies of the objects (some of the wrong class) plus false positives;
    scores are rounded to ``tie_decimals`` (ties) unless None. Image 0 is empty, image 1 has only
    false positives."""
    gen = np.random.default_rng(seed)
    images, anns, dets = [], [], []
    for img in range(1, n_images + 1):
        images.append({"id": img, "width": 640, "height": 480})
        n_obj = 0 if img in (1, 2) else int(gen.integers(0, max_objects + 1))
        for _ in range(n_obj):
            side = float(np.exp(gen.uniform(np.log(4), np.log(300))))
            w, h = side * gen.uniform(0.5, 1.5), side * gen.uniform(0.5, 1.5)
            x, y = gen.uniform(0, 640 - min(w, 600)), gen.uniform(0, 480 - min(h, 400))
            box = [x, y, w, h]
            cat = int(gen.integers(1, n_classes + 1))
            anns.append({"id": len(anns) + 1, "image_id": img, "category_id": cat, "bbox": box, "area": w * h,
                         "iscrowd": int(gen.random() < crowd)})
            for _ in range(int(gen.poisson(dets_per_gt))):
                j = gen.normal(0, 0.15, 4) * [w, h, w, h]
                dets.append({"image_id": img, "bbox": [x + j[0], y + j[1], max(w + j[2], 1.0), max(h + j[3], 1.0)],
                             "category_id": cat if gen.random() < 0.9 else int(gen.integers(1, n_classes + 1)),
                             "score": float(gen.random())})
        if img == 1:
            continue
        for _ in range(int(gen.poisson(fp_rate))):
            w, h = gen.uniform(2, 200, 2)
            dets.append({"image_id": img, "bbox": [gen.uniform(0, 500), gen.uniform(0, 400), w, h],
                         "category_id": int(gen.integers(1, n_classes + 1)), "score": float(gen.random())})
    if tie_decimals is not None:
        for d in dets:
            d["score"] = round(d["score"], tie_decimals)
    gt = {"images": images, "annotations": anns,
          "categories": [{"id": c, "name": f"c{c}"} for c in range(1, n_classes + 1)]}
    return gt, dets


def rows_from_coco(gt: dict, dets: list) -> list[dict]:
    """One row per image (ascending id) with the canonical detection fields (``xywh``)."""
    out = []
    for im in sorted(gt["images"], key=lambda i: i["id"]):
        g = [a for a in gt["annotations"] if a["image_id"] == im["id"]]
        d = [x for x in dets if x["image_id"] == im["id"]]
        out.append({"id": f"img{im['id']:05d}",
                    "gt_boxes": np.array([a["bbox"] for a in g], np.float64).reshape(-1, 4),
                    "gt_labels": np.array([a["category_id"] for a in g], np.int64),
                    "gt_iscrowd": np.array([a["iscrowd"] for a in g], np.int64),
                    "gt_area": np.array([a["area"] for a in g], np.float64),
                    "pred_boxes": np.array([x["bbox"] for x in d], np.float64).reshape(-1, 4),
                    "pred_scores": np.array([x["score"] for x in d], np.float64),
                    "pred_labels": np.array([x["category_id"] for x in d], np.int64)})
    return out


def cases(name, cls, rng: random.Random, params, specs):
    if name in ("coco_map", "voc_ap"):
        gt, dets = make_coco(rng.randrange(2**31), n_images=40, tie_decimals=None)
        rows = rows_from_coco(gt, dets)
        rows[7]["pred_scores"] = np.array([0.5] * (len(rows[7]["pred_labels"]) + 1))  # mismatched: an error row
        if name == "voc_ap":
            return [Case("voc", specs({"box_format": "xywh"}), rows, rtol=1e-12)]
        return [Case("coco", specs(), rows, rtol=1e-12)]
    gen = np.random.default_rng(rng.randrange(2**31))
    if name == "sigmoid_focal_loss":
        rows = [{"id": f"f{i}", "y_pred": gen.normal(0, 2, 3), "y_true": (gen.random(3) < 0.4).astype(float)}
                for i in range(40)]
        return [Case("logits", specs(), rows, rtol=1e-11)]
    rows = []
    for i in range(40):
        a = gen.uniform(0, 50, (3, 2))
        g = np.concatenate([a, a + gen.uniform(0.5, 30, (3, 2))], 1)
        p = g + gen.normal(0, 4, (3, 4))
        p[:, 2:] = np.maximum(p[:, 2:], p[:, :2] + 0.1)
        rows.append({"id": f"b{i}", "pred_boxes": p, "gt_boxes": g})
    return [Case("pairs", specs(), rows, rtol=1e-12)]
