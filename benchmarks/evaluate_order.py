"""Order-based classic metrics end to end through ``rageval.evaluate`` on a pandas DataFrame, against
the reference function on the bare numpy arrays (issue 12: ≥ 1x end to end).

For each metric: rageval on a DataFrame without an id column (default ids: the row numbers), with an
int64 id column, with a string id column of pandas' ``str`` dtype (pandas 3's default for strings:
Arrow-backed, kept as Arrow and checked unique from its buffers) of short ids ("q123") and of UUIDs,
and with an ``object`` column of the same short ids (1M Python strings, checked unique), and the reference
(scikit-learn's ``roc_auc_score``, ``average_precision_score``, ``median_absolute_error``; scipy's
``spearmanr``, ``kendalltau``). Best of ``--repeat`` runs each; the ratio is reference s / rageval s;
``|diff|`` compares the values. Distinct generated rows (continuous scores, no repeated pairs).

Run: flock /tmp/rageval-bench.lock python benchmarks/evaluate_order.py [--n 1000000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import uuid

import numpy as np
import pandas as pd
import scipy.stats
import sklearn.metrics as skm
from timing import best  # beside this file

import rageval


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    rng = np.random.default_rng(0)
    n = a.n
    y = rng.integers(0, 2, n)
    score = rng.random(n) + 0.3 * y
    target = rng.normal(size=n)
    pred = target + rng.normal(size=n)
    cases = [
        ("roc_auc", {"y_true": y, "y_score": score}, lambda: skm.roc_auc_score(y, score)),
        ("average_precision", {"y_true": y, "y_score": score}, lambda: skm.average_precision_score(y, score)),
        ("median_ae", {"y_true": target, "y_pred": pred}, lambda: skm.median_absolute_error(target, pred)),
        ("spearman", {"y_true": target, "y_pred": pred}, lambda: scipy.stats.spearmanr(target, pred).statistic),
        ("kendall", {"y_true": target, "y_pred": pred}, lambda: scipy.stats.kendalltau(target, pred).statistic),
    ]
    text = np.char.add("q", np.arange(n).astype(str)).astype(object)
    uuids = np.array([str(uuid.UUID(int=int(x))) for x in rng.integers(0, 2**63, n)], object)
    ids = {"no id column": None, "int64 ids": np.arange(n, dtype=np.int64) * 7 + 3,
           "str ids": pd.Series(text, dtype="str"), "str UUIDs": pd.Series(uuids, dtype="str"),
           "object ids": pd.Series(text, dtype=object)}
    print(f"{n:,} rows; best of {a.repeat}; ratio = reference s / rageval s")
    print(f"{'metric':<18} {'ids':<13} {'rageval s':>10} {'ref s':>8} {'ratio':>7} {'|diff|':>9}")
    assert str(ids["str ids"].dtype) == "str" and ids["object ids"].dtype == object
    for name, columns, ref in cases:
        ref_s, want = best(ref, a.repeat)
        for label, id_col in ids.items():
            frame = pd.DataFrame(columns if id_col is None else {"id": id_col, **columns})
            rageval.evaluate(frame.head(1000), [name], progress=False)  # imports, first calls
            ours_s, res = best(lambda frame=frame, name=name: rageval.evaluate(frame, [name], progress=False),
                               a.repeat)
            print(f"{name:<18} {label:<13} {ours_s:>10.4f} {ref_s:>8.4f} {ref_s / ours_s:>7.2f} "
                  f"{abs(res.aggregate[name] - want):>9.1e}")


if __name__ == "__main__":
    main()
