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

``--features support=coverage,...,entailment`` fits other features than the current ones (names of
`rageval.judges.default.DefaultJudge.support_features` / ``relevance_features``), and ``--cv``
compares them with the current ones by cross-validation on the dev units instead of fitting
(`cross_validate`): the adoption check of a new version, on dev data only.
"""
from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rageval.judges.default import DefaultJudge
from rageval.metaeval.data import LabelledSet, load
from rageval.metaeval.evaluate import subsample

SETS = {"support": ("wice", "q2"), "relevance": ("clapnq",), "agreement": ("evouna-nq", "evouna-tq")}


def features(judge: DefaultJudge, primitive: str, data: LabelledSet, batch: int = 256,
             names: Sequence[str] | None = None) -> np.ndarray:
    """One feature row per row of ``data`` (see the module docstring); ``names``: the columns
    (default: the current weights' features)."""
    out = []
    for start in range(0, len(data.rows), batch):
        rows = data.rows[start:start + batch]
        if primitive == "support":
            out.append(judge.support_features(["\n\n".join(r["contexts"]) for r in rows], [r["answer"] for r in rows],
                                              names))
        elif primitive == "relevance":
            out.append(judge.relevance_features([r["question"] for r in rows], [r["contexts"][0] for r in rows],
                                                names))
        else:
            owner = np.array([i for i, r in enumerate(rows) for _ in r["references"]])
            f = judge.agreement_features([r["answer"] for r in rows for _ in r["references"]],
                                         [x for r in rows for x in r["references"]])
            out.append(np.stack([f[owner == i].max(axis=0) for i in range(len(rows))]))
    return np.concatenate(out)


def dev_sets(primitive: str, limit: int | None = None, seed: int = 0,
             data_dir: str | os.PathLike | None = None) -> list[LabelledSet]:
    """The dev splits of ``primitive``'s sets (``limit``: a seeded subset of units)."""
    out = []
    for name in SETS[primitive]:
        data = load(name, data_dir)
        dev = data.subset(set(data.units("dev")))
        out.append(subsample(dev, limit, seed) if limit is not None else dev)
    return out


def _set_weights(y: np.ndarray) -> np.ndarray:
    """Sample weights: each class half of its set's weight of 1."""
    return np.where(y == 1, 0.5 / max((y == 1).sum(), 1), 0.5 / max((y == 0).sum(), 1))


def _logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=5000).fit(x, y, sample_weight=w * len(y) / w.sum())


def fit(judge: DefaultJudge, primitive: str, limit: int | None = None, seed: int = 0,
        data_dir: str | os.PathLike | None = None, names: Sequence[str] | None = None
        ) -> tuple[tuple[float, ...], float]:
    """Coefficients and intercept of ``primitive`` fitted on the dev splits of its sets, read from
    ``data_dir`` (default: `rageval.metaeval.data.data_dir`), over the features ``names`` (default:
    the current ones)."""
    sets = dev_sets(primitive, limit, seed, data_dir)
    ys = [np.array([d.labels[u] for u in d.unit]) for d in sets]
    x = np.concatenate([features(judge, primitive, d, names=names) for d in sets])
    model = _logistic(x, np.concatenate(ys), np.concatenate([_set_weights(y) for y in ys]))
    return tuple(round(float(c), 4) for c in model.coef_[0]), round(float(model.intercept_[0]), 4)


def cross_validate(judge: DefaultJudge, primitive: str, candidates: dict[str, Sequence[str]], folds: int = 5,
                   seeds: Sequence[int] = (0, 1, 2), limit: int | None = None,
                   data_dir: str | os.PathLike | None = None) -> dict[str, dict[str, float]]:
    """Dev AUROC of each set (unit level: a unit's score is the maximum over its rows, as in
    `rageval.metaeval.evaluate`) for each candidate feature list, by ``folds``-fold cross-validation
    over the units of all the primitive's dev sets together (weights fitted as `fit` on the other
    folds), averaged over the fold assignments of ``seeds``."""
    from rageval.metaeval.metrics import auroc

    sets = dev_sets(primitive, limit, 0, data_dir)
    every = list(dict.fromkeys(n for names in candidates.values() for n in names))
    xs = [features(judge, primitive, d, names=every) for d in sets]
    ys = [np.array([d.labels[u] for u in d.unit]) for d in sets]
    units = [np.array([f"{d.name}:{u}" for u in d.unit]) for d in sets]
    x, y, w = np.concatenate(xs), np.concatenate(ys), np.concatenate([_set_weights(v) for v in ys])
    unit = np.concatenate(units)
    which = np.concatenate([np.full(len(v), i) for i, v in enumerate(ys)])
    distinct = np.unique(unit)
    out: dict[str, dict[str, float]] = {}
    for label, names in candidates.items():
        cols = [every.index(n) for n in names]
        scores: dict[str, list[float]] = {d.name: [] for d in sets}
        for seed in seeds:
            fold_of = dict(zip(distinct, np.random.default_rng(seed).permutation(len(distinct)) % folds))
            fold = np.array([fold_of[u] for u in unit])
            pred = np.zeros(len(y))
            for f in range(folds):
                model = _logistic(x[fold != f][:, cols], y[fold != f], w[fold != f])
                pred[fold == f] = model.decision_function(x[fold == f][:, cols])
            for i, d in enumerate(sets):
                best: dict[str, float] = {}
                for u, s in zip(unit[which == i], pred[which == i]):
                    best[u] = max(best.get(u, -np.inf), s)
                labels = np.array([d.labels[u.split(":", 1)[1]] for u in best])
                scores[d.name].append(auroc(labels, np.array(list(best.values()))))
        out[label] = {k: float(np.mean(v)) for k, v in scores.items()}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    from rageval.judges.default.weights import WEIGHTS

    p = argparse.ArgumentParser(prog="python -m rageval.metaeval.fit", description=__doc__.split("\n")[0])
    p.add_argument("--limit", type=int, default=None, help="at most N dev units per set (seeded)")
    p.add_argument("--primitives", nargs="+", default=list(SETS), choices=list(SETS))
    p.add_argument("--data-dir", type=Path, default=None, help="folder of the meta-evaluation sets "
                   "(default: $RAGEVAL_METAEVAL_DATA, as for rageval meta-eval)")
    p.add_argument("--features", nargs="*", default=[], metavar="PRIMITIVE=F1,F2,...",
                   help="the features of a primitive (default: the current weights'; with --cv, each one given "
                   "is a candidate)")
    p.add_argument("--cv", action="store_true", help="5-fold cross-validated dev AUROC of each --features "
                   "candidate and of the current features, instead of fitting")
    args = p.parse_args(argv)
    given = [(k, tuple(v.split(","))) for k, v in (f.split("=", 1) for f in args.features)]
    chosen = dict(given)
    judge = DefaultJudge()
    if args.cv:
        for prim in args.primitives:
            cands = {"current": WEIGHTS[prim][0], **{f"candidate {i}": names for i, (k, names) in
                                                     enumerate(given, 1) if k == prim}}
            for label, aucs in cross_validate(judge, prim, cands, limit=args.limit, data_dir=args.data_dir).items():
                print(prim, label, ",".join(cands[label]), " ".join(f"{k} {v:.4f}" for k, v in aucs.items()))
        return 0
    lines = ["WEIGHTS = {"]
    for prim in args.primitives:
        names = chosen.get(prim, WEIGHTS[prim][0])
        coef, b = fit(judge, prim, args.limit, data_dir=args.data_dir, names=names)
        lines.append(f"    {prim!r}: ({names!r}, {coef!r}, {b!r}),")
    lines.append("}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
