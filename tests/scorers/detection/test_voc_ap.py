"""voc_ap equals py-faster-rcnn's voc_eval (transcribed below: its matching and voc_ap)."""
from __future__ import annotations

import numpy as np
import pytest

from rageval.core.scorer import Batch
from rageval.scorers.detection.voc import VocAP


def voc_eval_reference(images: list[dict], classname: int, ovthresh: float, use_07_metric: bool) -> float:
    """py-faster-rcnn lib/datasets/voc_eval.py (voc_eval + voc_ap), on in-memory records."""
    class_recs, npos = {}, 0
    for k, im in enumerate(images):
        m = im["gt_labels"] == classname
        difficult = im["difficult"][m].astype(bool)
        npos += int(np.sum(~difficult))
        class_recs[k] = {"bbox": im["gt_boxes"][m], "difficult": difficult, "det": [False] * int(m.sum())}
    image_ids, confidence, bbs = [], [], []
    for k, im in enumerate(images):
        for b, s, c in zip(im["pred_boxes"], im["pred_scores"], im["pred_labels"]):
            if c == classname:
                image_ids.append(k), confidence.append(s), bbs.append(b)
    confidence, BB = np.array(confidence), np.array(bbs).reshape(-1, 4)
    sorted_ind = np.argsort(-confidence)
    BB = BB[sorted_ind, :]
    image_ids = [image_ids[x] for x in sorted_ind]
    nd = len(image_ids)
    tp, fp = np.zeros(nd), np.zeros(nd)
    for d in range(nd):
        R = class_recs[image_ids[d]]
        bb = BB[d, :].astype(float)
        ovmax = -np.inf
        BBGT = R["bbox"].astype(float)
        if BBGT.size > 0:
            ixmin, iymin = np.maximum(BBGT[:, 0], bb[0]), np.maximum(BBGT[:, 1], bb[1])
            ixmax, iymax = np.minimum(BBGT[:, 2], bb[2]), np.minimum(BBGT[:, 3], bb[3])
            iw, ih = np.maximum(ixmax - ixmin + 1., 0.), np.maximum(iymax - iymin + 1., 0.)
            inters = iw * ih
            uni = ((bb[2] - bb[0] + 1.) * (bb[3] - bb[1] + 1.) +
                   (BBGT[:, 2] - BBGT[:, 0] + 1.) * (BBGT[:, 3] - BBGT[:, 1] + 1.) - inters)
            overlaps = inters / uni
            ovmax, jmax = np.max(overlaps), np.argmax(overlaps)
        if ovmax > ovthresh:
            if not R["difficult"][jmax]:
                if not R["det"][jmax]:
                    tp[d], R["det"][jmax] = 1., 1
                else:
                    fp[d] = 1.
        else:
            fp[d] = 1.
    fp, tp = np.cumsum(fp), np.cumsum(tp)
    rec = tp / float(npos)
    prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    if use_07_metric:
        ap = 0.
        for t in np.arange(0., 1.1, 0.1):
            p = 0 if np.sum(rec >= t) == 0 else np.max(prec[rec >= t])
            ap = ap + p / 11.
        return ap
    mrec, mpre = np.concatenate(([0.], rec, [1.])), np.concatenate(([0.], prec, [0.]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = np.maximum(mpre[i - 1], mpre[i])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1])


def dataset(seed: int, n: int = 30, classes: int = 4) -> list[dict]:
    gen = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k = int(gen.integers(0, 7))
        xy = gen.uniform(0, 300, (k, 2))
        g = np.c_[xy, xy + gen.uniform(5, 150, (k, 2))]
        labels = gen.integers(0, classes, k)
        copies = gen.integers(0, 3, k)
        p = np.repeat(g, copies, 0) + gen.normal(0, 8, (int(copies.sum()), 4))
        p[:, 2:] = np.maximum(p[:, 2:], p[:, :2] + 1)
        pl = np.repeat(labels, copies)
        fp = gen.uniform(0, 300, (int(gen.integers(0, 4)), 2))
        p = np.r_[p, np.c_[fp, fp + 40]]
        pl = np.r_[pl, gen.integers(0, classes, len(fp))]
        out.append({"gt_boxes": g, "gt_labels": labels, "difficult": (gen.random(k) < 0.15).astype(int),
                    "pred_boxes": p, "pred_scores": gen.random(len(p)), "pred_labels": pl})
    return out


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("use_07", [False, True])
def test_equals_voc_eval(seed, use_07):
    images = dataset(seed)
    thr = [0.5, 0.3, 0.7, 0.5][seed]
    s = VocAP(iou_threshold=thr, use_07_metric=use_07)
    rows = [{**im, "gt_ignore": im["difficult"]} for im in images]
    st = s.make_stats(Batch({k: [r[k] for r in rows] for k in rows[0] if k != "difficult"}))
    per = s.per_class(st)
    for c, ap in per.items():
        assert ap == pytest.approx(voc_eval_reference(images, c, thr, use_07), abs=1e-12)
    assert s.reduce(st)["voc_ap"] == pytest.approx(np.mean(list(per.values())), abs=1e-15)
    # a subset of images reduces to voc_eval on those images
    keep = list(range(0, 30, 2))
    sub = s.per_class(st.take(keep))
    for c, ap in sub.items():
        assert ap == pytest.approx(voc_eval_reference([images[i] for i in keep], c, thr, use_07), abs=1e-12)
