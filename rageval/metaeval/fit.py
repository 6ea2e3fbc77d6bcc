"""Refit the default judge's logistic weights on the dev splits of the meta-evaluation sets.

``python -m rageval.metaeval.fit [--limit N] [--data-dir DIR]`` prints the literal of
`rageval.judges.default.weights.WEIGHTS`.
Training data (dev splits only; test splits are never read):

* ``support``: WiCE dev oracle-chunk rows and Q² dev rows, (premise = the row's contexts joined,
  claim = the whole answer), labelled with their unit's human label;
* ``relevance``: ClapNQ dev (question, passage);
* ``agreement``: EVOUNA NQ and TQ dev (answer, each gold alternative); a row's features are the
  maximum over its alternatives.

Each set gets the same total weight, and within a set both classes get the same weight, so no set
or class dominates. Model: L2-regularised logistic regression (scikit-learn, C=1).
"""
from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rageval.judges.default import DefaultJudge
from rageval.metaeval.data import LabelledSet, load
from rageval.metaeval.evaluate import subsample

SETS = {"support": ("wice", "q2"), "relevance": ("clapnq",), "agreement": ("evouna-nq", "evouna-tq")}


def features(judge: DefaultJudge, primitive: str, data: LabelledSet, batch: int = 256) -> np.ndarray:
    """One feature row per row of ``data`` (see the module docstring)."""
    out = []
    for start in range(0, len(data.rows), batch):
        rows = data.rows[start:start + batch]
        if primitive == "support":
            out.append(judge.support_features(["\n\n".join(r["contexts"]) for r in rows], [r["answer"] for r in rows]))
        elif primitive == "relevance":
            out.append(judge.relevance_features([r["question"] for r in rows], [r["contexts"][0] for r in rows]))
        else:
            owner = np.array([i for i, r in enumerate(rows) for _ in r["references"]])
            f = judge.agreement_features([r["answer"] for r in rows for _ in r["references"]],
                                         [x for r in rows for x in r["references"]])
            out.append(np.stack([f[owner == i].max(axis=0) for i in range(len(rows))]))
    return np.concatenate(out)


def fit(judge: DefaultJudge, primitive: str, limit: int | None = None, seed: int = 0,
        data_dir: str | os.PathLike | None = None) -> tuple[tuple[float, ...], float]:
    """Coefficients and intercept of ``primitive`` fitted on the dev splits of its sets, read from
    ``data_dir`` (default: `rageval.metaeval.data.data_dir`)."""
    from sklearn.linear_model import LogisticRegression

    xs, ys, ws = [], [], []
    for name in SETS[primitive]:
        data = load(name, data_dir)
        dev = data.subset(set(data.units("dev")))
        if limit is not None:
            dev = subsample(dev, limit, seed)
        y = np.array([dev.labels[u] for u in dev.unit])
        w = np.where(y == 1, 0.5 / max((y == 1).sum(), 1), 0.5 / max((y == 0).sum(), 1))
        xs.append(features(judge, primitive, dev))
        ys.append(y)
        ws.append(w)
    model = LogisticRegression(C=1.0, max_iter=5000)
    x, y, w = np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)
    model.fit(x, y, sample_weight=w * len(y) / w.sum())
    return tuple(round(float(c), 4) for c in model.coef_[0]), round(float(model.intercept_[0]), 4)


def main(argv: Sequence[str] | None = None) -> int:
    from rageval.judges.default.weights import WEIGHTS

    p = argparse.ArgumentParser(prog="python -m rageval.metaeval.fit", description=__doc__.split("\n")[0])
    p.add_argument("--limit", type=int, default=None, help="at most N dev units per set (seeded)")
    p.add_argument("--primitives", nargs="+", default=list(SETS), choices=list(SETS))
    p.add_argument("--data-dir", type=Path, default=None, help="folder of the meta-evaluation sets "
                   "(default: $RAGEVAL_METAEVAL_DATA, as for rageval meta-eval)")
    args = p.parse_args(argv)
    judge = DefaultJudge()
    lines = ["WEIGHTS = {"]
    for prim in args.primitives:
        names = WEIGHTS[prim][0]
        coef, b = fit(judge, prim, args.limit, data_dir=args.data_dir)
        lines.append(f"    {prim!r}: ({names!r}, {coef!r}, {b!r}),")
    lines.append("}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
