"""panoptic_quality against a brute-force implementation of panopticapi's pq_compute rules
(segment masks compared pair by pair) on generated panoptic maps with void, crowd, things and stuff."""
from __future__ import annotations

import numpy as np
import pytest

import rageval
from rageval.core.errors import ConfigError, FieldError

THINGS, STUFF = [1, 2, 3], [10, 11]


def generate(rng, h, w, crowd=True):
    """A random panoptic annotation: rectangles of random categories painted in order, some void."""
    seg = np.zeros((h, w), np.int64)
    info = []
    for sid in range(1, int(rng.integers(1, 8))):
        y0, x0 = int(rng.integers(0, h)), int(rng.integers(0, w))
        seg[y0:y0 + int(rng.integers(2, h)), x0:x0 + int(rng.integers(2, w))] = sid * 7
        info.append({"id": sid * 7, "category_id": int(rng.choice(THINGS + STUFF)),
                     "iscrowd": int(crowd and rng.random() < 0.15)})
    present = set(np.unique(seg).tolist())
    return {"segments": seg, "segments_info": [s for s in info if s["id"] in present]}


def perturb(rng, gt):
    seg = gt["segments"].copy()
    noise = rng.random(seg.shape) < 0.15
    seg[noise] = rng.choice([0] + [s["id"] for s in gt["segments_info"]], size=int(noise.sum()))
    seg = np.where(np.roll(seg, int(rng.integers(-2, 3)), axis=1) >= 0, np.roll(seg, int(rng.integers(-2, 3)), 1), 0)
    info = [{"id": s["id"], "category_id": s["category_id"] if rng.random() < 0.8 else int(rng.choice(THINGS + STUFF))}
            for s in gt["segments_info"]]
    present = set(np.unique(seg).tolist())
    return {"segments": seg, "segments_info": [s for s in info if s["id"] in present]}


def brute_force(pairs):
    """panopticapi's pq_compute_single_core + pq_average, with boolean masks per segment."""
    cats = sorted(THINGS + STUFF)
    stat = {c: [0, 0, 0, 0.0] for c in cats}  # tp fp fn iou
    for pred, gt in pairs:
        ps, gs = pred["segments"], gt["segments"]
        pinfo = {s["id"]: s for s in pred["segments_info"]}
        ginfo = {s["id"]: {**s, "iscrowd": s.get("iscrowd", 0)} for s in gt["segments_info"]}
        void = gs == 0
        gm, pm = set(), set()
        for g, gi in ginfo.items():
            for p, pi in pinfo.items():
                if gi["iscrowd"] or gi["category_id"] != pi["category_id"]:
                    continue
                inter = np.sum((gs == g) & (ps == p))
                union = np.sum(ps == p) + np.sum(gs == g) - inter - np.sum(void & (ps == p))
                if inter and inter / union > 0.5:
                    stat[gi["category_id"]][0] += 1
                    stat[gi["category_id"]][3] += inter / union
                    gm.add(g)
                    pm.add(p)
        crowd = {}
        for g, gi in ginfo.items():
            if g in gm:
                continue
            if gi["iscrowd"]:
                crowd[gi["category_id"]] = g
                continue
            stat[gi["category_id"]][2] += 1
        for p, pi in pinfo.items():
            if p in pm:
                continue
            inter = np.sum(void & (ps == p))
            if pi["category_id"] in crowd:
                inter += np.sum((gs == crowd[pi["category_id"]]) & (ps == p))
            if inter / np.sum(ps == p) > 0.5:
                continue
            stat[pi["category_id"]][1] += 1

    def average(kinds):
        pq = sq = rq = n = 0
        for c in kinds:
            tp, fp, fn, iou = stat[c]
            if tp + fp + fn == 0:
                continue
            n += 1
            pq += iou / (tp + 0.5 * fp + 0.5 * fn)
            sq += iou / tp if tp else 0
            rq += tp / (tp + 0.5 * fp + 0.5 * fn)
        return (pq / n, sq / n, rq / n) if n else (0, 0, 0)

    return average(cats), average(THINGS)[0], average(STUFF)[0]


@pytest.mark.parametrize("seed", range(10))
def test_matches_brute_force_pq_compute(seed):
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(int(rng.integers(1, 12))):
        gt = generate(rng, int(rng.integers(4, 20)), int(rng.integers(4, 20)))
        pairs.append((perturb(rng, gt) if rng.random() < 0.9 else generate(rng, *gt["segments"].shape), gt))
    scorer = rageval.get_scorer("panoptic_quality", things=THINGS, stuff=STUFF)
    stats = scorer.make_stats({"panoptic": [p for p, _ in pairs], "gt_panoptic": [g for _, g in pairs]})
    got = scorer.reduce(stats)
    (pq, sq, rq), things, stuff = brute_force(pairs)
    assert got["panoptic_quality"] == pytest.approx(pq, abs=1e-12)
    assert got["panoptic_quality.sq"] == pytest.approx(sq, abs=1e-12)
    assert got["panoptic_quality.rq"] == pytest.approx(rq, abs=1e-12)
    assert got["panoptic_quality.things"] == pytest.approx(things, abs=1e-12)
    assert got["panoptic_quality.stuff"] == pytest.approx(stuff, abs=1e-12)
    idx = list(range(0, len(pairs), 2))
    (pq_half, _, _), _, _ = brute_force([pairs[i] for i in idx])
    assert scorer.reduce(stats.take(idx))["panoptic_quality"] == pytest.approx(pq_half, abs=1e-12)


def test_evaluate_and_bad_input():
    rng = np.random.default_rng(0)
    gt = generate(rng, 10, 10, crowd=False)
    # (segments, segments_info) pairs: evaluate's dataset fingerprint cannot hash dict cells of this shape yet
    cell = (gt["segments"], gt["segments_info"])
    res = rageval.evaluate([{"panoptic": cell, "gt_panoptic": cell}],
                           scorers=[("panoptic_quality", {"things": THINGS, "stuff": STUFF})])
    assert res.aggregate["panoptic_quality"] == 1.0
    scorer = rageval.get_scorer("panoptic_quality", things=THINGS, stuff=STUFF)
    bad_info = {"segments": gt["segments"], "segments_info": gt["segments_info"][1:]}
    bad_cat = {"segments": gt["segments"], "segments_info": [{**gt["segments_info"][0], "category_id": 99}]
               + gt["segments_info"][1:]}
    for pred, field in ((bad_info, "panoptic"), (bad_cat, "panoptic"), ({"segments": [[0.5]]}, "panoptic")):
        with pytest.raises(FieldError) as e:
            scorer.stats({"panoptic": [gt, pred], "gt_panoptic": [gt, gt]})
        assert (e.value.field, e.value.row) == (field, 1)
    with pytest.raises(ConfigError):
        rageval.get_scorer("panoptic_quality")
