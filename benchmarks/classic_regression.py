"""Regression metrics: rageval against scikit-learn / scipy / torch in one process, on N generated rows
(a regressor's predictions of a positive target, residuals ~10 %, sample weights).

Per scorer: rageval's own ``stats`` + ``reduce`` on the bare arrays, and ``rageval.evaluate`` on a
DataFrame, each timed against the reference on the bare arrays (weighted; for smape, huber and
log_cosh, which scikit-learn lacks, the reference's formula in numpy / torch's kernel, then
``np.average``); then, unweighted, the named torch / torchmetrics functions themselves; prints the ratio (reference s /
rageval s; > 1: rageval faster) and the difference of the values. The reference and rageval's
own path are timed alternately, ``--repeat`` times each, and the best time of each is kept (the
machine is shared: the minimum is the least disturbed run); ``evaluate`` runs up to 3 times.

Threads: numpy (scikit-learn, scipy) runs on one thread, and so does rageval but for the Tweedie deviances
(numpy blocks on Python threads, rageval/scorers/classic/parallel.py: why not torch's threads); torch runs on
all cores. The named torch functions are timed as users run them (torch's default threads) and with
``torch.set_num_threads(1)``; the goal counts the first.
`main` returns one row per comparison (``scorer, reference, ref_s, ours_s``) for classic.py's summary.

Run: python benchmarks/classic_regression.py [N] [--repeat 5] [--only NAME ...]   (default 1,000,000 rows)
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import scipy.stats
import torch
import torchmetrics.functional as tmf
from sklearn import metrics as skm
from timing import timed

import rageval
from rageval.core.scorer import Batch


def huber(t, p, w):
    e = torch.nn.functional.huber_loss(torch.from_numpy(p), torch.from_numpy(t), reduction="none").numpy()
    return np.average(e, weights=w)


REFERENCES = {
    "mse": lambda t, p, w: skm.mean_squared_error(t, p, sample_weight=w),
    "rmse": lambda t, p, w: skm.root_mean_squared_error(t, p, sample_weight=w),
    "mae": lambda t, p, w: skm.mean_absolute_error(t, p, sample_weight=w),
    "mape": lambda t, p, w: skm.mean_absolute_percentage_error(t, p, sample_weight=w),
    "smape": lambda t, p, w: np.average(2 * np.abs(p - t) / np.maximum(np.abs(t) + np.abs(p), 1.17e-06), weights=w),
    "msle": lambda t, p, w: skm.mean_squared_log_error(t, p, sample_weight=w),
    "rmsle": lambda t, p, w: skm.root_mean_squared_log_error(t, p, sample_weight=w),
    "median_ae": lambda t, p, w: skm.median_absolute_error(t, p, sample_weight=w),
    "max_error": lambda t, p, w: skm.max_error(t, p),
    "r2": lambda t, p, w: skm.r2_score(t, p, sample_weight=w),
    "adjusted_r2": lambda t, p, w: skm.r2_score(t, p, sample_weight=w),  # n_features=0: r2
    "explained_variance": lambda t, p, w: skm.explained_variance_score(t, p, sample_weight=w),
    "pinball": lambda t, p, w: skm.mean_pinball_loss(t, p, sample_weight=w),
    "d2_pinball": lambda t, p, w: skm.d2_pinball_score(t, p, sample_weight=w),
    "poisson_deviance": lambda t, p, w: skm.mean_poisson_deviance(t, p, sample_weight=w),
    "gamma_deviance": lambda t, p, w: skm.mean_gamma_deviance(t, p, sample_weight=w),
    "tweedie_deviance": lambda t, p, w: skm.mean_tweedie_deviance(t, p, sample_weight=w),
    "huber": huber,
    "log_cosh": lambda t, p, w: np.average(np.log(np.cosh(p - t)), weights=w),
    "pearson": lambda t, p, w: scipy.stats.pearsonr(t, p).statistic,
    "spearman": lambda t, p, w: scipy.stats.spearmanr(t, p).statistic,
    "kendall": lambda t, p, w: scipy.stats.kendalltau(t, p).statistic,
    "ccc": None,  # torchmetrics' formula; timed against its functional form
}
REFERENCE_NAMES = {"smape": "numpy formula + np.average", "log_cosh": "numpy formula + np.average",
                   "huber": "torch huber_loss + np.average", "ccc": "torchmetrics", "pearson": "scipy",
                   "spearman": "scipy", "kendall": "scipy"}
UNWEIGHTED = {"max_error", "pearson", "spearman", "kendall", "ccc"}

#: the references the issue names for the losses scikit-learn lacks (torch, torchmetrics; they take no
#: weights), against rageval's unweighted stats + reduce
NAMED = {"huber": torch.nn.functional.huber_loss, "log_cosh": tmf.log_cosh_error,
         "smape": tmf.symmetric_mean_absolute_percentage_error, "ccc": tmf.concordance_corrcoef}


def ccc_ref(t, p, w):
    return float(tmf.concordance_corrcoef(torch.from_numpy(p), torch.from_numpy(t)))


def best_of(repeat: int, *fns):
    """Each function run ``repeat`` times, alternately; per function its best time and last value."""
    times, values = [float("inf")] * len(fns), [None] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            s, values[i] = timed(fn)
            times[i] = min(times[i], s)
    return times, values


def main(n: int, repeat: int = 5, only: list[str] | None = None) -> list[dict]:
    rng = np.random.default_rng(0)
    t = rng.gamma(2.0, 3.0, n) + 0.01
    p = t * rng.lognormal(0, 0.1, n)
    w = rng.uniform(0.1, 3.0, n)
    frame = pd.DataFrame({"y_true": t, "y_pred": p, "sample_weight": w})
    rows = []
    print(f"{n:,} rows; ratio = reference s / rageval s (> 1: rageval faster)")
    print(f"{'scorer':20} {'ref s':>8} {'stats+reduce s':>15} {'ratio':>6} {'evaluate s':>11} {'ratio':>6} "
          f"{'|diff|':>9}")
    for name, ref in REFERENCES.items():
        if only and name not in only:
            continue
        ref = ref or ccc_ref
        weights = None if name in UNWEIGHTED else w
        scorer = rageval.get_scorer(name)
        cols = {"y_true": t, "y_pred": p} | ({} if weights is None else {"sample_weight": weights})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (ref_s, own_s), (want, got) = best_of(repeat, lambda: ref(t, p, weights),
                                                  lambda: scorer.reduce(scorer.make_stats(Batch(cols))))
            data = frame if weights is not None else frame[["y_true", "y_pred"]]
            (ev_s,), (res,) = best_of(min(repeat, 3), lambda: rageval.evaluate(data, [name], progress=False,
                                                                                batch_size=n))
        diff = max(abs(got[name] - want), abs(res.aggregate[name] - want))
        rows.append({"scorer": name + ("" if weights is None else " (weighted)"),
                     "reference": REFERENCE_NAMES.get(name, "scikit-learn"), "ref_s": ref_s, "ours_s": own_s})
        print(f"{name:20} {ref_s:8.4f} {own_s:15.4f} {ref_s / own_s:6.2f} {ev_s:11.4f} {ref_s / ev_s:6.2f} "
              f"{diff:9.1e}", flush=True)
    threads = torch.get_num_threads()
    print(f"\nThe named torch / torchmetrics functions on the bare tensors, unweighted: both sides with torch's "
          f"{threads} threads (as users run them), then both with torch.set_num_threads(1)")
    print(f"{'scorer':20} {'ref s':>8} {'stats+reduce s':>15} {'ratio':>6} {'ref s 1t':>9} {'ours s 1t':>10} "
          f"{'ratio 1t':>8} {'|diff|':>9}")
    tt, tp = torch.from_numpy(t), torch.from_numpy(p)
    for name, fn in NAMED.items():
        if only and name not in only:
            continue
        scorer, batch = rageval.get_scorer(name), Batch({"y_true": t, "y_pred": p})
        times = []
        for n_threads in (threads, 1):
            torch.set_num_threads(n_threads)
            (ref_s, own_s), (want, got) = best_of(repeat, lambda: float(fn(tp, tt)),
                                                  lambda: scorer.reduce(scorer.make_stats(batch)))
            times.append((ref_s, own_s))
        torch.set_num_threads(threads)
        (ref_s, own_s), (ref1, own1) = times
        print(f"{name:20} {ref_s:8.4f} {own_s:15.4f} {ref_s / own_s:6.2f} {ref1:9.4f} {own1:10.4f} {ref1 / own1:8.2f} "
              f"{abs(got[name] - want):9.1e}", flush=True)
        rows.append({"scorer": name, "reference": f"{fn.__module__.split('.')[0]}.{fn.__name__}", "ref_s": ref_s,
                     "ours_s": own_s, "ref_1t": ref1, "ours_1t": own1})
    return rows


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", nargs="*", help="these scorers only")
    a = ap.parse_args()
    main(a.n, a.repeat, a.only)
