"""Segmentation scorers against torchmetrics (JaccardIndex, MeanIoU, DiceScore, MulticlassAccuracy)
and an mmsegmentation-style direct computation, on generated class maps; subsets reduce exactly."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torchmetrics.classification import JaccardIndex, MulticlassAccuracy
from torchmetrics.segmentation import DiceScore, MeanIoU

import rageval
from rageval.core.errors import ConfigError, FieldError

NAMES = ("miou", "dice", "pixel_accuracy", "mean_accuracy", "fw_iou")


def maps(rng: np.random.Generator, n: int, c: int, ignore: int | None = None, shape=None):
    """n (pred, gt) pairs of random size; classes are often absent; ``ignore`` pixels in gt."""
    out = []
    for _ in range(n):
        h, w = shape or (int(rng.integers(1, 12)), int(rng.integers(1, 12)))
        present = rng.choice(c, size=int(rng.integers(1, c + 1)), replace=False)
        gt = rng.choice(present, size=(h, w))
        pred = np.where(rng.random((h, w)) < 0.6, gt, rng.integers(0, c, (h, w)))
        if ignore is not None:
            gt = np.where(rng.random((h, w)) < 0.15, ignore, gt)
        out.append((pred, gt))
    return out


def mmseg_reference(pairs, c: int, ignore: int | None):
    """mmsegmentation's total_intersect_and_union and metrics (np.histogram per image, summed)."""
    ti, tu, tp, tg = (np.zeros(c) for _ in range(4))
    for pred, gt in pairs:
        keep = gt != ignore if ignore is not None else np.ones(gt.shape, bool)
        p, g = pred[keep], gt[keep]
        inter = p[p == g]
        ai = np.histogram(inter, bins=c, range=(0, c - 1))[0]
        ap = np.histogram(p, bins=c, range=(0, c - 1))[0]
        ag = np.histogram(g, bins=c, range=(0, c - 1))[0]
        ti += ai; tp += ap; tg += ag; tu += ap + ag - ai  # noqa: E702
    with np.errstate(invalid="ignore", divide="ignore"):
        iou, acc, dice = ti / tu, ti / tg, 2 * ti / (tp + tg)
        freq = tg / tg.sum()
    return {"miou": np.nanmean(iou), "mean_accuracy": np.nanmean(acc), "dice": np.nanmean(dice),
            "pixel_accuracy": ti.sum() / tg.sum(), "fw_iou": (freq[freq > 0] * iou[freq > 0]).sum(),
            "miou.class": iou, "dice.class": dice, "mean_accuracy.class": acc}


def score(name, pairs, **params):
    scorer = rageval.get_scorer(name, **params)
    stats = scorer.make_stats({"mask": [p for p, _ in pairs], "gt_mask": [g for _, g in pairs]})
    return scorer, stats, scorer.reduce(stats)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("ignore", [None, 255, 0])
def test_dataset_convention_matches_mmseg_and_jaccard_index(seed, ignore):
    rng = np.random.default_rng(seed)
    c = int(rng.integers(2, 7))
    pairs = maps(rng, int(rng.integers(1, 15)), c, ignore)
    ref = mmseg_reference(pairs, c, ignore)
    for name in NAMES:
        _, _, got = score(name, pairs, num_classes=c, ignore_index=ignore)
        np.testing.assert_allclose(got[name], ref[name], rtol=1e-12, atol=1e-15, err_msg=name)
        if f"{name}.class" in ref:
            np.testing.assert_allclose([got[f"{name}.class_{k}"] for k in range(c)], ref[f"{name}.class"],
                                       rtol=1e-12, err_msg=name)
    jac = JaccardIndex(task="multiclass", num_classes=c, average="macro", ignore_index=ignore)
    acc = MulticlassAccuracy(num_classes=c, average="micro", ignore_index=ignore)
    for pred, gt in pairs:
        jac.update(torch.as_tensor(pred), torch.as_tensor(gt))
        acc.update(torch.as_tensor(pred).ravel(), torch.as_tensor(gt).ravel())
    _, _, got = score("miou", pairs, num_classes=c, ignore_index=ignore)
    if ignore is None or ignore >= c:  # an ignore_index inside 0..C-1 JaccardIndex also drops from the mean
        np.testing.assert_allclose(got["miou"], float(jac.compute()), rtol=1e-6)
    _, _, got = score("pixel_accuracy", pairs, num_classes=c, ignore_index=ignore)
    if not np.isnan(got["pixel_accuracy"]):
        np.testing.assert_allclose(got["pixel_accuracy"], float(acc.compute()), rtol=1e-6)


@pytest.mark.parametrize("seed", range(8))
def test_per_image_convention_matches_torchmetrics(seed):
    rng = np.random.default_rng(100 + seed)
    c = int(rng.integers(2, 7))
    pairs = maps(rng, int(rng.integers(1, 15)), c)
    miou = MeanIoU(num_classes=c, input_format="index")
    miou_cls = MeanIoU(num_classes=c, input_format="index", per_class=True)
    dice = DiceScore(num_classes=c, input_format="index", average="macro")
    dice_cls = DiceScore(num_classes=c, input_format="index", average="none")
    for pred, gt in pairs:
        for m in (miou, miou_cls, dice, dice_cls):
            m.update(torch.as_tensor(pred)[None], torch.as_tensor(gt)[None])
    _, _, got = score("miou", pairs, num_classes=c, convention="per_image")
    np.testing.assert_allclose(got["miou"], float(miou.compute()), rtol=1e-6)
    want = miou_cls.compute().double().numpy()
    np.testing.assert_allclose([got[f"miou.class_{k}"] for k in range(c)], np.where(want == -1, np.nan, want),
                               rtol=1e-6)
    _, _, got = score("dice", pairs, num_classes=c, convention="per_image")
    np.testing.assert_allclose(got["dice"], float(dice.compute()), rtol=1e-6)
    np.testing.assert_allclose([got[f"dice.class_{k}"] for k in range(c)], dice_cls.compute().double().numpy(),
                               rtol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_per_image_is_the_mean_of_single_image_values(name):
    rng = np.random.default_rng(7)
    pairs = maps(rng, 12, 4, ignore=9)
    scorer, stats, got = score(name, pairs, num_classes=4, ignore_index=9, convention="per_image")
    singles = [score(name, [pair], num_classes=4, ignore_index=9)[2][name] for pair in pairs]
    if name != "miou":  # miou pools (image, class) pairs, as MeanIoU does
        np.testing.assert_allclose(got[name], np.nanmean(singles), rtol=1e-12)
    np.testing.assert_allclose(scorer.example_scores(stats)[name], singles, rtol=1e-12)


@pytest.mark.parametrize("convention", ["dataset", "per_image"])
@pytest.mark.parametrize("name", NAMES)
def test_any_subset_reduces_exactly(name, convention):
    rng = np.random.default_rng(11)
    pairs = maps(rng, 20, 5, ignore=255)
    scorer, stats, _ = score(name, pairs, num_classes=5, ignore_index=255, convention=convention)
    for _ in range(5):
        idx = sorted(rng.choice(20, size=int(rng.integers(1, 20)), replace=False))
        direct = score(name, [pairs[i] for i in idx], num_classes=5, ignore_index=255, convention=convention)[2]
        np.testing.assert_equal(scorer.reduce(stats.take(idx)), direct)


def test_evaluate_takes_stacked_arrays_tensors_and_keeps_pixels_numpy():
    rng = np.random.default_rng(3)
    pred, gt = rng.integers(0, 3, (6, 16, 16)), rng.integers(0, 3, (6, 16, 16))
    ref = mmseg_reference(list(zip(pred, gt)), 3, None)
    for cell in (np.asarray, torch.as_tensor, np.ndarray.tolist):
        rows = [{"mask": cell(p), "gt_mask": g} for p, g in zip(pred, gt)]
        res = rageval.evaluate(rows, scorers=[("miou", {"num_classes": 3})])
        assert res.aggregate["miou"] == pytest.approx(ref["miou"], rel=1e-12)
    for column in (pred, torch.as_tensor(pred)):  # a stacked column is split into per-example arrays
        checked = rageval.core.fields.check_array("mask", "mask", column)
        assert len(checked) == 6 and all(type(a) is np.ndarray and a.shape == (16, 16) for a in checked)
    checked = rageval.core.fields.check_array("mask", "mask", pred)
    assert all(type(a) is np.ndarray for a in checked)


def test_bad_input_names_the_field_and_row():
    good = np.zeros((4, 4), int)
    scorer = rageval.get_scorer("miou", num_classes=3)
    cases = [({"mask": [good, np.zeros((4, 5), int)], "gt_mask": [good, good]}, "mask", 1),
             ({"mask": [good, good], "gt_mask": [good, good + 3]}, "gt_mask", 1),
             ({"mask": [good - 1], "gt_mask": [good]}, "mask", 0),
             ({"mask": [good + 0.5], "gt_mask": [good]}, "mask", 0),
             ({"mask": [np.zeros((0, 0))], "gt_mask": [np.zeros((0, 0))]}, "mask", 0),
             ({"mask": [np.zeros(4)], "gt_mask": [np.zeros(4)]}, "mask", 0),
             ({"mask": [good, good], "gt_mask": [good]}, "gt_mask", None)]
    for batch, field, row in cases:
        with pytest.raises(FieldError) as e:
            scorer.stats(batch)
        assert (e.value.field, e.value.row) == (field, row), batch
    for column in ([None], [["a", "b"]], [{"x": 1}]):
        with pytest.raises(FieldError, match="mask"):
            rageval.core.fields.check_array("mask", "mask", column)
    with pytest.raises(FieldError, match="cannot read"):
        scorer.stats({"mask": ["/nonexistent.png"], "gt_mask": [good]})
    for params in ({}, {"num_classes": 0}, {"num_classes": True}, {"num_classes": 3, "convention": "x"},
                   {"num_classes": 3, "ignore_index": "255"}):
        with pytest.raises(ConfigError):
            rageval.get_scorer("miou", **params)


def test_png_paths_are_read(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(5)
    pred, gt = (rng.integers(0, 4, (10, 12)).astype(np.uint8) for _ in range(2))
    Image.fromarray(pred).save(tmp_path / "p.png")
    Image.fromarray(gt).save(tmp_path / "g.png")
    _, _, from_files = score("miou", [(str(tmp_path / "p.png"), str(tmp_path / "g.png"))], num_classes=4)
    _, _, from_arrays = score("miou", [(pred, gt)], num_classes=4)
    assert from_files == from_arrays
