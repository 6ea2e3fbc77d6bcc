"""Classification metrics: rageval against scikit-learn, in one process, on distinct generated
predictions of a realistic classifier (20 classes, skewed priors, 80 % right, sample weights).

For each metric: the corpus value (`reduce`) and a 1000-resample bootstrap interval, timed against
scikit-learn computing the same value and the same 1000 resamples (sacrebleu's draws); values and the
largest difference over the resamples are printed beside the times.

Run: python benchmarks/classification.py [N]
"""
from __future__ import annotations

import sys
import warnings

import numpy as np
from sklearn import metrics as skm
from timing import row, timed

import rageval
from rageval.stats.resampling import Replicator, bootstrap_indices

SK = {"accuracy": skm.accuracy_score, "f1": skm.f1_score, "precision": skm.precision_score,
      "recall": skm.recall_score}
CASES = [("accuracy", {}), ("f1", {"average": "macro"}), ("f1", {"average": "weighted"}),
         ("precision", {"average": "micro"}), ("recall", {"average": "macro"})]


def data(n: int, seed: int = 0) -> tuple[list, list, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.array([f"class_{i:02d}" for i in range(20)])
    prior = rng.dirichlet(np.ones(20) * 0.7)
    t = rng.choice(20, n, p=prior)
    p = np.where(rng.random(n) < 0.8, t, rng.choice(20, n, p=prior))
    return labels[t].tolist(), labels[p].tolist(), rng.random(n) * 2


def run(n: int = 5_000, resamples: int = 1000) -> list[dict]:
    t, p, w = data(n)
    rows = [{"id": str(i), "y_true": a, "y_pred": b, "sample_weight": float(c)}
            for i, (a, b, c) in enumerate(zip(t, p, w))]
    out = []
    idx = next(bootstrap_indices(n, resamples))
    ta, pa = np.array(t), np.array(p)
    for name, params in CASES:
        def reference(t, p, w, name=name, params=params):
            return SK[name](t, p, sample_weight=w, **params)

        res = rageval.evaluate(rows, [(name, params)], progress=False)
        scorer, stats = res.scorers[0], res.by_scorer[res.scorers[0].key].stats
        ours_s, ours = timed(lambda: (scorer.reduce(stats)[scorer.key],
                                      Replicator(scorer, stats).bootstrap(resamples)[scorer.key]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref_s, ref = timed(lambda: (reference(t, p, w), np.array([reference(ta[i], pa[i], w[i]) for i in idx])))
        diff = max(abs(ours[0] - ref[0]), float(np.max(np.abs(ours[1] - ref[1]))))
        label = f"{name}({', '.join(f'{k}={v}' for k, v in params.items())})"
        out.append({**row(label, n, ours_s, ref_s, diff), "value": ours[0], "reference_value": ref[0]})
    return out


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    print(f"{n} distinct examples, 20 classes, value + 1000 bootstrap resamples; ratio = scikit-learn s / rageval s")
    print(f"{'metric':<28} {'rageval s':>10} {'sklearn s':>10} {'ratio':>8} {'value':>10} {'max |diff|':>11}")
    for r in run(n):
        print(f"{r['scorer']:<28} {r['rageval_s']:>10.3f} {r['reference_s']:>10.2f} {r['ratio']:>8.1f} "
              f"{r['value']:>10.6f} {r['max_abs_diff']:>11.2g}")
