"""Dense vision scorers against the libraries they match, timed in one run; ratios printed.

- SSIM of ``--ssim-n`` RGB ``--side``² uint8 pairs: rageval's ``ssim`` (stats + reduce) vs
  ``skimage.metrics.structural_similarity(channel_axis=-1)`` per pair (same values checked).
- mIoU over ``--seg-n`` ``--side``² class maps (19 classes): rageval's ``miou`` vs torchmetrics'
  ``JaccardIndex(task="multiclass", average="macro")`` updated per map (CPU).
- FID from ``--fid-n`` × ``--fid-d`` features against a reference of the same size: rageval's
  ``fid`` (``rageval.evaluate`` with a fresh scorer, then stats + reduce again) vs the floor, one
  ``np.cov`` of the generated features plus one
  ``scipy.linalg.sqrtm`` of the product of covariances.

The issue's sizes are ``--ssim-n 200 --seg-n 500 --side 512 --fid-n 50000 --fid-d 2048``; the
defaults are smaller so that one run takes about 3 minutes on a shared 2-core machine. Run under
``flock /tmp/rageval-bench.lock``.
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def timed(fn, repeat: int = 1):
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def bench_ssim(n: int, side: int) -> None:
    from skimage.metrics import structural_similarity

    import rageval

    rng = np.random.default_rng(0)
    for label, shape, params in (("RGB", (side, side, 3), {"channel_axis": -1}), ("gray", (side, side), {})):
        refs = [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(n)]
        imgs = [np.clip(r + rng.normal(0, 12, r.shape), 0, 255).astype(np.uint8) for r in refs]
        scorer = rageval.get_scorer("ssim", **params)
        t_ours, ours = timed(lambda: scorer.reduce(scorer.make_stats({"image": imgs,  # noqa: B023
                                                                      "reference_image": refs}))["ssim"])
        t_ref, ref = timed(lambda: float(np.mean([structural_similarity(a, b, **params)  # noqa: B023
                                                  for a, b in zip(imgs, refs)])))  # noqa: B023
        print(f"ssim  {n} {label} {side}x{side}: rageval {t_ours:.2f}s  skimage {t_ref:.2f}s  "
              f"speed-up {t_ref / t_ours:.2f}x (target >= 2x)  |diff| {abs(ours - ref):.1e}")


def bench_miou(n: int, side: int, classes: int = 19) -> None:
    import torch
    from torchmetrics.classification import JaccardIndex

    import rageval

    rng = np.random.default_rng(1)
    gts = [rng.integers(0, classes, (side, side), dtype=np.int64) for _ in range(n)]
    preds = [np.where(rng.random(g.shape) < 0.7, g, rng.integers(0, classes, g.shape)) for g in gts]
    scorer = rageval.get_scorer("miou", num_classes=classes)
    t_ours, ours = timed(lambda: scorer.reduce(scorer.make_stats({"mask": preds, "gt_mask": gts}))["miou"])

    def reference():
        metric = JaccardIndex(task="multiclass", num_classes=classes, average="macro")
        for p, g in zip(preds, gts):
            metric.update(torch.from_numpy(p), torch.from_numpy(g))
        return float(metric.compute())

    t_ref, ref = timed(reference)
    print(f"miou  {n} maps {side}x{side}: rageval {t_ours:.2f}s  torchmetrics {t_ref:.2f}s  "
          f"speed-up {t_ref / t_ours:.2f}x  |diff| {abs(ours - ref):.1e}")


def bench_fid(n: int, d: int, rounds: int = 2) -> None:
    from scipy import linalg

    import rageval

    rng = np.random.default_rng(2)
    real = rng.normal(size=(n, d))
    fake = rng.normal(0.05, 1.0, size=(n, d))
    scorer = rageval.get_scorer("fid", reference=real)  # the reference's mean/cov are computed here, untimed
    data = [{"features": row} for row in fake]

    def ours():
        return rageval.evaluate(data, [scorer], progress=False).aggregate["fid"]

    def floor():
        sigma = np.cov(fake, rowvar=False)
        covmean = linalg.sqrtm(sigma.dot(scorer.sigma))
        mu = fake.mean(0) - scorer.mu
        return float(mu.dot(mu) + np.trace(sigma) + np.trace(scorer.sigma) - 2 * np.trace(covmean.real))

    # interleaved, so that both see the same load; the first evaluate also takes the reference
    # covariance's root (once per scorer), the later ones reuse it
    t_ours, t_floor = [], []
    for _ in range(rounds):
        t, value = timed(ours)
        t_ours.append(t)
        t, ref = timed(floor)
        t_floor.append(t)
    floor_runs = ", ".join(f"{t:.2f}s" for t in t_floor)
    again = f", {t_ours[-1]:.2f}s again ({t_ours[-1] / min(t_floor):.2f}x)" if rounds > 1 else ""
    print(f"fid   {n}x{d} features: rageval evaluate {t_ours[0]:.2f}s first ({t_ours[0] / min(t_floor):.2f}x)"
          f"{again}  floor (cov + sqrtm) {min(t_floor):.2f}s (runs {floor_runs})  target <= 1.2x  "
          f"rel diff {abs(value - ref) / abs(ref):.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ssim-n", type=int, default=60)
    parser.add_argument("--seg-n", type=int, default=150)
    parser.add_argument("--side", type=int, default=512)
    parser.add_argument("--fid-n", type=int, default=20000)
    parser.add_argument("--fid-d", type=int, default=1024)
    parser.add_argument("--fid-rounds", type=int, default=2, help="interleaved rounds of rageval and the floor")
    parser.add_argument("--only", choices=["ssim", "miou", "fid"])
    args = parser.parse_args()
    if args.only in (None, "ssim"):
        bench_ssim(args.ssim_n, args.side)
    if args.only in (None, "miou"):
        bench_miou(args.seg_n, args.side)
    if args.only in (None, "fid"):
        bench_fid(args.fid_n, args.fid_d, args.fid_rounds)


if __name__ == "__main__":
    main()
