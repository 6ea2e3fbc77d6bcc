"""Classic classification metrics: rageval against scikit-learn, side by side in one process.

1. Every classification scorer's own ``stats`` + ``reduce`` on N rows (numpy columns: 5 integer
   classes, 80 % right, binary 0/1 with a score for the order-based ones) against the scikit-learn
   function on the bare arrays (``ece`` against torchmetrics, binary and multiclass; ``log_loss``,
   ``brier``, ``f1`` and ``precision`` (macro) also on multilabel indicators); both are run ``--repeat``
   times, alternately, and the best time of each is kept (the machine is shared: the minimum is the
   least disturbed run).
2. ``roc_auc`` and ``average_precision`` end to end through ``rageval.evaluate`` on a pandas
   DataFrame (without an id column, and with 1M string ids) against scikit-learn on the arrays,
   best of ``--repeat`` alternate runs.
3. A 1,000-resample bootstrap of ROC AUC (sacrebleu's draws): rageval's `Replicator` against
   resampling and calling ``roc_auc_score``. At N = 1M the scikit-learn side would take minutes,
   so it runs the first ``--ref-resamples`` resamples (same draws) and its time is scaled to
   1,000; the values of those resamples are compared. ``--check N`` also runs both sides in full
   on N rows and compares the intervals.

Run: python benchmarks/classic.py [--n 1000000] [--ref-resamples 20] [--check 20000] [--repeat 3]
Runs benchmarks/classic_regression.py afterwards (``--no-regression``: not), then prints every scorer's
stats + reduce ratio in one summary table.

Threads: scikit-learn and rageval run on one thread here; torch (torchmetrics) on all cores. The torchmetrics
references are timed as users run them (torch's default threads) and with ``torch.set_num_threads(1)``; the
goal counts the first.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np
from sklearn import metrics as skm
from timing import timed

import rageval
from rageval.stats.bootstrap import percentile_bounds
from rageval.stats.resampling import Replicator, bootstrap_indices

LABEL = [("accuracy", {}, skm.accuracy_score), ("precision", {"average": "macro"}, skm.precision_score),
         ("recall", {"average": "micro"}, skm.recall_score), ("f1", {"average": "weighted"}, skm.f1_score),
         ("fbeta", {"beta": 2.0, "average": "macro"}, skm.fbeta_score),
         ("jaccard", {"average": "macro"}, skm.jaccard_score),
         ("balanced_accuracy", {}, skm.balanced_accuracy_score), ("mcc", {}, skm.matthews_corrcoef),
         ("cohen_kappa", {"weights": "quadratic"}, lambda t, p, **k: skm.cohen_kappa_score(t, p, **k)),
         ("confusion_matrix", {}, lambda t, p: np.trace(c := skm.confusion_matrix(t, p)) / c.sum()),
         ("zero_one_loss", {}, skm.zero_one_loss), ("hamming_loss", {}, skm.hamming_loss)]
RATES = ("specificity", "npv", "fpr", "fdr")  # no scikit-learn function: timed against multilabel_confusion_matrix
SCORE = [("roc_auc", {}, skm.roc_auc_score), ("average_precision", {}, skm.average_precision_score)]
PROB = [("log_loss", {}, skm.log_loss), ("brier", {}, skm.brier_score_loss), ("hinge_loss", {}, skm.hinge_loss)]


def data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 5, n)
    p = np.where(rng.random(n) < 0.8, t, rng.integers(0, 5, n))
    yb = rng.integers(0, 2, n)
    score = np.round(rng.random(n) + 0.4 * yb, 4)  # ties
    return t, p, yb, score


#: every stats + reduce comparison of the run, for the summary table
SUMMARY: list[dict] = []


def line(label: str, ours: float, ref: float, a: float, b: float, reference: str | None = "scikit-learn",
         **one_thread: float) -> None:
    """One printed comparison; kept for the summary unless ``reference`` is None."""
    print(f"{label:<34} {ours:>10.4f} {ref:>10.4f} {ref / ours:>8.2f} {abs(a - b):>10.2g}", flush=True)
    if reference is not None:
        SUMMARY.append({"scorer": label, "reference": reference, "ref_s": ref, "ours_s": ours, **one_thread})


def summary(rows: list[dict]) -> None:
    """Every scorer's stats + reduce against its reference, in one table (same-run times)."""
    print("\nSummary: own stats + reduce at N rows; ratio = reference s / rageval s (>= 1: goal met); "
          "1t: both sides with torch.set_num_threads(1)")
    print(f"{'scorer':<40} {'reference':<38} {'ref s':>8} {'ours s':>8} {'ratio':>6} {'ratio 1t':>8}")
    for r in rows:
        one = f"{r['ref_1t'] / r['ours_1t']:8.2f}" if "ref_1t" in r else f"{'':8}"
        print(f"{r['scorer']:<40} {r['reference']:<38} {r['ref_s']:8.4f} {r['ours_s']:8.4f} "
              f"{r['ref_s'] / r['ours_s']:6.2f} {one}")
    below = [r["scorer"] for r in rows if r["ref_s"] < r["ours_s"]]
    print(f"below 1x: {', '.join(below) if below else 'none'}")
    end = tuple(round(x, 2) for x in os.getloadavg())
    print(f"load average (1, 5, 15 min) at the start: {LOAD[0]}, at the end: {end} on {os.cpu_count()} cores "
          "(others' processes slow both sides; torch's threads most)")


REPEAT = 3
#: the load average when the run started (the machine is shared: the figures depend on it)
LOAD = [tuple(round(x, 2) for x in os.getloadavg())]


def best_of(*fns):
    """Each function run `REPEAT` times, alternately: per function its best time and last value."""
    times, values = [float("inf")] * len(fns), [None] * len(fns)
    for _ in range(REPEAT):
        for i, fn in enumerate(fns):
            s, values[i] = timed(fn)
            times[i] = min(times[i], s)
    return times, values


def own(name, params, batch, ref, args) -> None:
    s = rageval.get_scorer(name, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (ours_s, ref_s), (ours, want) = best_of(lambda: s.reduce(s.stats(batch))[s.key], lambda: ref(*args, **params))
    line(f"{name} {params or ''}".strip(), ours_s, ref_s, ours, want)


def calibration(n: int, t: np.ndarray, yb: np.ndarray, prob: np.ndarray, scores: np.ndarray) -> None:
    """ece against torchmetrics (binary, and multiclass top-label on 5-class probability rows; the
    reference casts multiclass confidences to float32, hence |diff| ~1e-7 there), and multilabel
    log_loss / brier against scikit-learn on 5 labels."""
    import torch
    import torchmetrics.functional.classification as tmc

    mc = scores / scores.sum(axis=1, keepdims=True)
    tm_cases = [("ece", {"y_true": yb, "y_score": prob},
                 lambda: float(tmc.binary_calibration_error(torch.from_numpy(prob), torch.from_numpy(yb), n_bins=15))),
                ("ece (multiclass)", {"y_true": t, "y_score": mc},
                 lambda: float(tmc.multiclass_calibration_error(torch.from_numpy(mc), torch.from_numpy(t),
                                                                num_classes=5, n_bins=15)))]
    threads = torch.get_num_threads()
    for label, batch, ref in tm_cases:
        s = rageval.get_scorer("ece")
        times = []
        for n_threads in (threads, 1):
            torch.set_num_threads(n_threads)
            (ours_s, ref_s), (ours, want) = best_of(lambda s=s, b=batch: s.reduce(s.stats(b))["ece"], ref)
            times.append((ours_s, ref_s))
        torch.set_num_threads(threads)
        (ours_s, ref_s), (ours1, ref1) = times
        line(f"{label} vs torchmetrics", ours_s, ref_s, ours, want, "torchmetrics", ref_1t=ref1, ours_1t=ours1)
    truth = (np.random.default_rng(2).random((n, 5)) < 0.3).astype(np.int64)
    labels_prob = np.clip(truth * 0.5 + np.random.default_rng(3).random((n, 5)) * 0.6, 0, 1)
    for name, ref in (("log_loss", skm.log_loss), ("brier", skm.brier_score_loss)):
        s = rageval.get_scorer(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (ours_s, ref_s), (ours, want) = best_of(
                lambda s=s: s.reduce(s.stats({"y_true": truth, "y_score": labels_prob}))[s.key],
                lambda ref=ref: ref(truth, labels_prob))
        line(f"{name} (multilabel, 5 labels)", ours_s, ref_s, ours, want)
    predicted = (labels_prob > 0.5).astype(np.int64)
    for name, ref in (("f1", skm.f1_score), ("precision", skm.precision_score)):
        s = rageval.get_scorer(name, average="macro")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (ours_s, ref_s), (ours, want) = best_of(
                lambda s=s: s.reduce(s.stats({"y_true": truth, "y_pred": predicted}))[s.key],
                lambda ref=ref: ref(truth, predicted, average="macro"))
        line(f"{name} macro (multilabel, 5 labels)", ours_s, ref_s, ours, want)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--ref-resamples", type=int, default=20)
    ap.add_argument("--check", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-regression", action="store_true")
    a = ap.parse_args()
    global REPEAT
    REPEAT = a.repeat
    n = a.n
    t, p, yb, score = data(n)
    print(f"{n} rows; times in seconds; ratio = scikit-learn / rageval (>= 1: rageval as fast or faster); "
          "|diff| = |value - scikit-learn's|")
    print(f"{'scorer (stats + reduce)':<34} {'rageval':>10} {'sklearn':>10} {'ratio':>8} {'|diff|':>10}")
    for name, params, ref in LABEL:
        own(name, params, {"y_true": t, "y_pred": p}, ref, (t, p))
    for name in RATES:
        s = rageval.get_scorer(name, average="macro")
        (ours_s, ref_s), _ = best_of(lambda s=s: s.reduce(s.stats({"y_true": t, "y_pred": p}))[s.key],
                                     lambda: skm.multilabel_confusion_matrix(t, p))
        print(f"{name + ' (vs sklearn mcm only)':<34} {ours_s:>10.4f} {ref_s:>10.4f} {ref_s / ours_s:>8.2f}")
        SUMMARY.append({"scorer": f"{name} macro", "reference": "sklearn multilabel_confusion_matrix",
                        "ref_s": ref_s, "ours_s": ours_s})
    for name, params, ref in SCORE:
        own(name, params, {"y_true": yb, "y_score": score}, ref, (yb, score))
    prob = np.clip(score / 1.4, 0, 1)
    for name, params, ref in PROB:
        own(name, params, {"y_true": yb, "y_score": prob}, ref, (yb, prob))
    onehot = np.random.default_rng(1).random((n, 5)) + np.eye(5)[t] * 0.3
    own("top_k_accuracy", {"k": 2}, {"y_true": t, "y_score": onehot}, skm.top_k_accuracy_score, (t, onehot))
    calibration(n, t, yb, prob, onehot)

    import pandas as pd

    frames = {"no id column": pd.DataFrame({"y_true": yb, "y_score": score}),
              "string ids": pd.DataFrame({"id": np.arange(n).astype(str), "y_true": yb, "y_score": score})}
    print(f"\n{'evaluate(DataFrame) end to end':<34} {'rageval':>10} {'sklearn':>10} {'ratio':>8} {'|diff|':>10}")
    for kind, df in frames.items():
        for name, _params, ref in SCORE:
            rageval.evaluate(df.iloc[:1000], [name], progress=False)  # imports and first calls out of the timing
            (ours_s, ref_s), (res, want) = best_of(
                lambda name=name, df=df: rageval.evaluate(df, [name], progress=False), lambda ref=ref: ref(yb, score))
            line(f"{name} ({kind})", ours_s, ref_s, res.aggregate[name], want, None)

    print(f"\nbootstrap of roc_auc, {a.resamples} resamples (sacrebleu's draws, seed 12345)")
    scorer = rageval.get_scorer("roc_auc")
    stats = scorer.stats({"y_true": yb, "y_score": score})
    ours_s, reps = timed(lambda: Replicator(scorer, stats).bootstrap(a.resamples)["roc_auc"])
    k = a.ref_resamples

    def reference(count: int) -> np.ndarray:
        out = []
        for idx in bootstrap_indices(n, a.resamples):
            for row in idx:
                if len(out) == count:
                    return np.array(out)
                out.append(skm.roc_auc_score(yb[row], score[row]))
        return np.array(out)

    ref_s, want = timed(lambda: reference(k))
    draw_s, _ = timed(lambda: [None for _ in bootstrap_indices(n, k)])
    scaled = ref_s * a.resamples / k
    print(f"rageval {ours_s:.2f} s for {a.resamples}; scikit-learn {ref_s:.2f} s for {k} (draws {draw_s:.2f} s), "
          f"scaled to {a.resamples}: {scaled:.1f} s; ratio {scaled / ours_s:.1f}x; "
          f"max |diff| on those {k}: {np.max(np.abs(reps[:k] - want)):.2g}")
    print(f"interval (2.5, 97.5 %): {percentile_bounds(reps)[:2]}")
    if a.check:
        m = a.check
        yc, sc = yb[:m], score[:m]
        st = scorer.stats({"y_true": yc, "y_score": sc})
        o_s, ours_reps = timed(lambda: Replicator(scorer, st).bootstrap(a.resamples)["roc_auc"])
        r_s, ref_reps = timed(lambda: np.array([skm.roc_auc_score(yc[r], sc[r])
                                                for idx in bootstrap_indices(m, a.resamples) for r in idx]))
        print(f"full check on {m} rows: rageval {o_s:.2f} s, scikit-learn {r_s:.2f} s, ratio {r_s / o_s:.1f}x; "
              f"intervals {percentile_bounds(ours_reps)[:2]} vs {percentile_bounds(ref_reps)[:2]}; "
              f"max |diff| over resamples {np.max(np.abs(ours_reps - ref_reps)):.2g}")

    if not a.no_regression:
        print("\n--- classic_regression.py ---", flush=True)
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import classic_regression

        SUMMARY.extend(classic_regression.main(n, max(REPEAT, 3)))
    summary(SUMMARY)


if __name__ == "__main__":
    main()
