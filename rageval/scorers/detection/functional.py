"""COCO detection evaluation as per-image statistics and a vectorised reduce.

pycocotools' ``COCOeval`` in two halves. `match_image` is ``evaluateImg`` for one image (every
class, every area range, every IoU threshold at once): detections sorted by score with a stable
sort and cut to ``max_dets[-1]`` per class, ground truths ignored when crowd or outside the area
range, greedy matching in score order (a detection takes the free ground truth of highest IoU
>= the threshold, ties to the later one, non-ignored ground truths before ignored ones; a crowd
region stays free). Its result is one `Ragged` entry per image:

* one row per kept detection: ``[0, label, score, rank, code(area, threshold)...]`` with ``rank``
  its place among the image's detections of that class and ``code`` 0 = false positive,
  1 = true positive, 2 = ignored (matched to an ignored ground truth, or unmatched and outside
  the area range);
* one row per (image, class) with ground truths: ``[1, label, 0, 0, non-ignored count per area...]``.

`accumulate` is ``COCOeval.accumulate`` over the rows of any set of images (a stable sort by
score per class, the cut to each ``max_dets``, cumulated true / false positives, the interpolated
precision at the 101 recall thresholds, ``-1`` for classes without ground truth) and `summarize`
the 12 numbers of ``COCOeval.summarize``. Reducing any subset of images equals ``COCOeval`` run
on those images alone, in the same (ascending id) order.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: COCOeval's defaults (``Params.setDetParams``)
IOU_THRESHOLDS = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
REC_THRESHOLDS = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
MAX_DETS = (1, 10, 100)
AREA_RANGES = ((0 ** 2, 1e5 ** 2), (0 ** 2, 32 ** 2), (32 ** 2, 96 ** 2), (96 ** 2, 1e5 ** 2))
AREA_NAMES = ("all", "small", "medium", "large")
FP, TP, IGNORED = 0, 1, 2


def to_xywh(boxes: np.ndarray, box_format: str = "xywh") -> np.ndarray:
    """``(n, 4)`` boxes as COCO's ``[x, y, width, height]``."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if box_format == "xywh":
        return boxes
    if box_format == "xyxy":
        return np.stack([boxes[:, 0], boxes[:, 1], boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]], 1)
    if box_format == "cxcywh":
        return np.stack([boxes[:, 0] - boxes[:, 2] / 2, boxes[:, 1] - boxes[:, 3] / 2, boxes[:, 2], boxes[:, 3]], 1)
    raise ValueError(f"box_format must be 'xywh', 'xyxy' or 'cxcywh', got {box_format!r}")


def coco_box_iou(dt: np.ndarray, gt: np.ndarray, iscrowd: np.ndarray | None = None) -> np.ndarray:
    """pycocotools' ``maskUtils.iou`` for ``xywh`` boxes, ``(len(dt), len(gt))``: intersection over
    union, and intersection over the detection's area for a crowd ground truth (``bbIou``)."""
    dt = np.asarray(dt, np.float64).reshape(-1, 4)
    gt = np.asarray(gt, np.float64).reshape(-1, 4)
    da = (dt[:, 2] * dt[:, 3])[:, None]
    ga = (gt[:, 2] * gt[:, 3])[None, :]
    w = np.minimum(dt[:, None, 2] + dt[:, None, 0], gt[None, :, 2] + gt[None, :, 0]) - np.maximum(dt[:, None, 0],
                                                                                                   gt[None, :, 0])
    h = np.minimum(dt[:, None, 3] + dt[:, None, 1], gt[None, :, 3] + gt[None, :, 1]) - np.maximum(dt[:, None, 1],
                                                                                                   gt[None, :, 1])
    inter = w * h
    union = da + ga - inter
    if iscrowd is not None:
        union = np.where(np.asarray(iscrowd, bool)[None, :], np.broadcast_to(da, union.shape), union)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = inter / union
    return np.where((w > 0) & (h > 0), out, 0.0)


def match_image(ious: np.ndarray, det_labels: np.ndarray, det_scores: np.ndarray, det_areas: np.ndarray,
                gt_labels: np.ndarray, gt_areas: np.ndarray, gt_ignore: np.ndarray, gt_crowd: np.ndarray,
                iou_thresholds: Sequence[float] = IOU_THRESHOLDS, area_ranges: Sequence = AREA_RANGES,
                max_det: int = 100) -> np.ndarray:
    """One image's statistics rows (see the module docstring); ``ious`` is ``(n_det, n_gt)`` over
    all classes (pairs of different classes are never matched). ``gt_ignore``: ignored ground
    truths (COCO: crowd regions), whose matches are neither counted nor missed; ``gt_crowd``: crowd
    regions, which stay free after a match (their IoU is computed by the caller)."""
    thr = np.minimum(np.asarray(iou_thresholds, np.float64), 1 - 1e-10)
    rng = np.asarray(area_ranges, np.float64).reshape(-1, 2)
    n_a, n_t = len(rng), len(thr)
    width = 4 + n_a * n_t
    rows = []
    for label in np.unique(np.concatenate([det_labels, gt_labels])):
        d = np.flatnonzero(det_labels == label)
        g = np.flatnonzero(gt_labels == label)
        d = d[np.argsort(-det_scores[d], kind="mergesort")][:max_det]
        if len(g):
            gig = np.asarray(gt_ignore[g], bool)
            ig = gig[None, :] | (gt_areas[g][None, :] < rng[:, :1]) | (gt_areas[g][None, :] > rng[:, 1:])  # (A, G)
            counts = np.zeros(width)
            counts[0], counts[1] = 1, label
            counts[4:4 + n_a] = (~ig).sum(1)
            rows.append(counts[None, :])
        if not len(d):
            continue
        outside = (det_areas[d][:, None] < rng[:, 0]) | (det_areas[d][:, None] > rng[:, 1])  # (D, A)
        codes = np.repeat(np.where(outside, IGNORED, FP)[:, :, None], n_t, axis=2)  # (D, A, T)
        if len(g):
            iou = ious[np.ix_(d, g)]
            crowd = np.asarray(gt_crowd[g], bool)
            free = np.ones((n_a, n_t, len(g)), bool)
            for j in np.flatnonzero((iou >= thr.min()).any(1)):
                cand = free & (iou[j][None, None, :] >= thr[None, :, None])  # (A, T, G)
                cand_n = cand & ~ig[:, None, :]
                has_n = cand_n.any(-1, keepdims=True)
                sel = np.where(has_n, cand_n, cand)
                hit = sel.any(-1)  # (A, T)
                if not hit.any():
                    continue
                key = np.where(sel, iou[j][None, None, :], -1.0)[..., ::-1]
                m = len(g) - 1 - key.argmax(-1)  # (A, T): the last of the best
                a_i, t_i = np.nonzero(hit)
                mg = m[a_i, t_i]
                codes[j, a_i, t_i] = np.where(ig[a_i, mg], IGNORED, TP)
                keep = ~crowd[mg]  # a crowd region stays free
                free[a_i[keep], t_i[keep], mg[keep]] = False
        det = np.empty((len(d), width))
        det[:, 0], det[:, 1], det[:, 2], det[:, 3] = 0, label, det_scores[d], np.arange(len(d))
        det[:, 4:] = codes.reshape(len(d), -1)
        rows.append(det)
    return np.concatenate(rows) if rows else np.empty((0, width))


def accumulate(values: np.ndarray, n_area: int, n_iou: int, rec_thresholds: Sequence[float] = REC_THRESHOLDS,
               max_dets: Sequence[int] = MAX_DETS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``COCOeval.accumulate`` over statistics rows (examples concatenated in order): ``precision``
    ``(T, R, K, A, M)``, ``recall`` ``(T, K, A, M)`` (-1 where a class has no non-ignored ground
    truth) and the class labels ``K``."""
    rec = np.asarray(rec_thresholds, np.float64)
    is_gt = values[:, 0] == 1
    labels = np.unique(values[is_gt, 1])
    n_r, n_m = len(rec), len(max_dets)
    precision = -np.ones((n_iou, n_r, len(labels), n_area, n_m))
    recall = -np.ones((n_iou, len(labels), n_area, n_m))
    gt_rows, dt_rows = values[is_gt], values[~is_gt]
    order = np.lexsort((-dt_rows[:, 2], dt_rows[:, 1]))  # by class, then score, both stable
    dt_rows = dt_rows[order]
    starts = np.searchsorted(dt_rows[:, 1], labels, "left")
    ends = np.searchsorted(dt_rows[:, 1], labels, "right")
    for k, label in enumerate(labels):
        npig = gt_rows[gt_rows[:, 1] == label, 4:4 + n_area].sum(0)  # (A,)
        rows = dt_rows[starts[k]:ends[k]]
        for m, max_det in enumerate(max_dets):
            sub = rows[rows[:, 3] < max_det]
            codes = sub[:, 4:4 + n_area * n_iou].reshape(len(sub), n_area, n_iou)
            tp = np.cumsum(codes == TP, axis=0).astype(np.float64)
            fp = np.cumsum(codes == FP, axis=0).astype(np.float64)
            for a in range(n_area):
                if npig[a] == 0:
                    continue
                if not len(sub):
                    recall[:, k, a, m] = 0
                    precision[:, :, k, a, m] = 0
                    continue
                rc = tp[:, a, :] / npig[a]  # (D, T)
                pr = tp[:, a, :] / (fp[:, a, :] + tp[:, a, :] + np.spacing(1))
                pr = np.maximum.accumulate(pr[::-1], axis=0)[::-1]
                recall[:, k, a, m] = rc[-1]
                for t in range(n_iou):
                    idx = np.searchsorted(rc[:, t], rec, side="left")
                    ok = idx < len(sub)
                    q = np.zeros(n_r)
                    q[ok] = pr[idx[ok], t]
                    precision[t, :, k, a, m] = q
    return precision, recall, labels


def _mean_valid(s: np.ndarray) -> float:
    s = s[s > -1]
    return float(np.mean(s)) if s.size else -1.0


def summarize(precision: np.ndarray, recall: np.ndarray, iou_thresholds: Sequence[float] = IOU_THRESHOLDS,
              max_dets: Sequence[int] = MAX_DETS, area_names: Sequence[str] = AREA_NAMES,
              fix_max_dets: bool = False) -> list[float]:
    """The 12 numbers of ``COCOeval.summarize`` (bbox / segm). The first (AP@[.5:.95]) reads the
    ``max_dets == 100`` column, so it is -1 when 100 is not among ``max_dets`` (pycocotools' quirk);
    ``fix_max_dets=True`` reads the last ``max_dets`` instead."""
    thr = np.asarray(iou_thresholds, np.float64)
    names = list(area_names)

    def one(ap: bool, iou: float | None = None, area: str = "all", max_det: int = 100) -> float:
        a = [names.index(area)] if area in names else []
        mi = [i for i, md in enumerate(max_dets) if md == max_det]
        s = precision if ap else recall
        if iou is not None:
            s = s[np.where(iou == thr)[0]]
        s = s[..., a, :][..., mi] if ap else s[:, :, a, :][..., mi]
        return _mean_valid(s)

    last = max_dets[-1] if fix_max_dets else 100
    md = list(max_dets) + [max_dets[-1]] * 3
    return [one(True, max_det=last), one(True, .5, max_det=md[2]), one(True, .75, max_det=md[2]),
            one(True, area="small", max_det=md[2]), one(True, area="medium", max_det=md[2]),
            one(True, area="large", max_det=md[2]),
            one(False, max_det=md[0]), one(False, max_det=md[1]), one(False, max_det=md[2]),
            one(False, area="small", max_det=md[2]), one(False, area="medium", max_det=md[2]),
            one(False, area="large", max_det=md[2])]


def per_class_ap(precision: np.ndarray, area: int = 0, max_det: int = -1) -> np.ndarray:
    """AP@[.5:.95] per class (the mean of valid precisions), -1 for a class without ground truth."""
    p = precision[:, :, :, area, max_det]
    return np.array([_mean_valid(p[:, :, k]) for k in range(p.shape[2])])


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])`` without a loop."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + np.arange(total) - offsets


def match_boxes(image: np.ndarray, det_boxes: np.ndarray, det_labels: np.ndarray, det_scores: np.ndarray,
                gt_image: np.ndarray, gt_boxes: np.ndarray, gt_labels: np.ndarray, gt_areas: np.ndarray,
                gt_ignore: np.ndarray, gt_crowd: np.ndarray, n_images: int,
                iou_thresholds: Sequence[float] = IOU_THRESHOLDS, area_ranges: Sequence = AREA_RANGES,
                max_det: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """`match_image` for the ``xywh`` boxes of many images at once (flat arrays with each object's
    image), vectorised: the greedy matching runs in rounds, round ``r`` matching the ``r``-th
    detection (by score) of every (image, class) that has one with a candidate ground truth.
    Returns the rows and the image of each row, rows of an image in the order of `match_image`'s."""
    thr = np.minimum(np.asarray(iou_thresholds, np.float64), 1 - 1e-10)
    rng = np.asarray(area_ranges, np.float64).reshape(-1, 2)
    n_a, n_t = len(rng), len(thr)
    width = 4 + n_a * n_t
    # groups: (image, class); detections sorted by image, class, descending score (stable), cut to max_det
    labels_all = np.unique(np.concatenate([det_labels, gt_labels]))
    if not len(labels_all):
        return np.empty((0, width)), np.zeros(0, np.int64)
    dg = image * len(labels_all) + np.searchsorted(labels_all, det_labels)
    gg = gt_image * len(labels_all) + np.searchsorted(labels_all, gt_labels)
    order = np.lexsort((-det_scores, dg))
    dg, det_boxes, det_labels, det_scores = dg[order], det_boxes[order], det_labels[order], det_scores[order]
    first = np.searchsorted(dg, dg, "left")
    rank = np.arange(len(dg)) - first
    keep = rank < max_det
    dg, det_boxes, det_labels, det_scores, rank = dg[keep], det_boxes[keep], det_labels[keep], det_scores[keep], \
        rank[keep]
    gorder = np.argsort(gg, kind="mergesort")
    gg, gt_boxes, gt_labels, gt_areas = gg[gorder], gt_boxes[gorder], gt_labels[gorder], gt_areas[gorder]
    gt_ignore, gt_crowd = np.asarray(gt_ignore, bool)[gorder], np.asarray(gt_crowd, bool)[gorder]
    ig = gt_ignore[None, :] | (gt_areas[None, :] < rng[:, :1]) | (gt_areas[None, :] > rng[:, 1:])  # (A, G)
    det_area = det_boxes[:, 2] * det_boxes[:, 3]
    outside = (det_area[:, None] < rng[:, 0]) | (det_area[:, None] > rng[:, 1])
    codes = np.repeat(np.where(outside, IGNORED, FP)[:, :, None], n_t, axis=2)  # (D, A, T)
    # candidate pairs: same group, IoU >= the lowest threshold
    gstart = np.searchsorted(gg, dg, "left")
    gcount = np.searchsorted(gg, dg, "right") - gstart
    pd = np.repeat(np.arange(len(dg)), gcount)
    pg = _ranges(gstart, gcount)
    a, b = det_boxes[pd], gt_boxes[pg]
    w = np.minimum(a[:, 2] + a[:, 0], b[:, 2] + b[:, 0]) - np.maximum(a[:, 0], b[:, 0])
    h = np.minimum(a[:, 3] + a[:, 1], b[:, 3] + b[:, 1]) - np.maximum(a[:, 1], b[:, 1])
    inter = w * h
    da = a[:, 2] * a[:, 3]
    union = np.where(gt_crowd[pg], da, da + b[:, 2] * b[:, 3] - inter)
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where((w > 0) & (h > 0), inter / union, 0.0)
    ok = iou >= thr.min()
    pd, pg, iou = pd[ok], pg[ok], iou[ok]
    # the round of each detection with a candidate: its place among its group's such detections
    cand_det = np.unique(pd)
    cfirst = np.searchsorted(dg[cand_det], dg[cand_det], "left")
    round_of = np.full(len(dg), -1)
    round_of[cand_det] = np.arange(len(cand_det)) - cfirst
    free = np.ones((n_a, n_t, len(gg)), bool)
    pround = round_of[pd]
    for r in range(int(pround.max()) + 1 if len(pround) else 0):
        sel_p = np.flatnonzero(pround == r)  # pairs sorted by detection, then gt order
        d, g, v = pd[sel_p], pg[sel_p], iou[sel_p]
        cand = free[:, :, g].transpose(2, 0, 1) & (v[:, None, None] >= thr[None, None, :])  # (P, A, T)
        nonig = ~ig[:, g].T[:, :, None]  # (P, A, 1)
        starts = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
        seg = np.cumsum(np.r_[False, d[1:] != d[:-1]])  # pair -> its detection's segment
        has_n = np.logical_or.reduceat(cand & nonig, starts, axis=0)  # (S, A, T)
        sel = cand & (nonig | ~has_n[seg])
        key = np.where(sel, v[:, None, None], -1.0)
        best = np.maximum.reduceat(key, starts, axis=0)
        pick = sel & (key == best[seg])
        gi = np.maximum.reduceat(np.where(pick, g[:, None, None], -1), starts, axis=0)  # (S, A, T): last of best
        s_i, a_i, t_i = np.nonzero(gi >= 0)
        mg = gi[s_i, a_i, t_i]
        dets = d[starts][s_i]
        codes[dets, a_i, t_i] = np.where(ig[a_i, mg], IGNORED, TP)
        stay = ~gt_crowd[mg]
        free[a_i[stay], t_i[stay], mg[stay]] = False
    det_rows = np.empty((len(dg), width))
    det_rows[:, 0], det_rows[:, 1], det_rows[:, 2], det_rows[:, 3] = 0, det_labels, det_scores, rank
    det_rows[:, 4:] = codes.reshape(len(dg), n_a * n_t)
    # one count row per group with ground truths
    ug, ustart = np.unique(gg, return_index=True)
    counts = np.add.reduceat((~ig).T.astype(np.float64), ustart, axis=0) if len(gg) else np.zeros((0, n_a))
    gt_rows = np.zeros((len(ug), width))
    gt_rows[:, 0], gt_rows[:, 1], gt_rows[:, 4:4 + n_a] = 1, gt_labels[ustart], counts
    # per image: group by group (count row first, then the group's detections in rank order)
    rows = np.concatenate([gt_rows, det_rows])
    key_group = np.concatenate([ug, dg])
    kind = np.concatenate([np.zeros(len(ug)), np.ones(len(dg))])
    o = np.lexsort((kind, key_group))
    return rows[o], (key_group[o] // len(labels_all)).astype(np.int64)
