"""Ranking metrics at scale: rageval (through `rageval.evaluate` on a list of dicts) against
pytrec_eval and ranx, in one process, on the same data; prints agreement, times and ratios.

Data: 100,000 queries x 100 retrieved ids (distinct str objects, as loaded from JSON), about 20
graded judgements per query (grades 0-3, half of them on retrieved ids). Every reference is timed
end to end from the same list of dicts (building its inputs included).

Then trec_eval's further measures (set_*, relative_P, bpref, gm_map, iprec_at_recall, 11pt_avg,
Rprec_mult, utility, the counts, infAP, Rndcg, ndcg_rel, and rbp, which pytrec_eval lacks) against
pytrec_eval on the same data, per query.

    python benchmarks/retrieval.py [--queries 100000] [--depth 100] [--skip-trec] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

import rageval
from rageval.core.scorer import Batch

CUTOFFS = (1, 5, 10, 20, 100)
#: rageval name -> (pytrec_eval measure, its result key, ranx metric)
MEASURES: dict[str, tuple[str, str, str]] = {}
for k in CUTOFFS:
    MEASURES[f"precision@{k}"] = (f"P.{k}", f"P_{k}", f"precision@{k}")
    MEASURES[f"recall@{k}"] = (f"recall.{k}", f"recall_{k}", f"recall@{k}")
    MEASURES[f"ndcg@{k}"] = (f"ndcg_cut.{k}", f"ndcg_cut_{k}", f"ndcg@{k}")
    MEASURES[f"hit_rate@{k}"] = (f"success.{k}", f"success_{k}", f"hit_rate@{k}")
MEASURES["map@10"] = ("map_cut.10", "map_cut_10", "map@10")
MEASURES["map@100"] = ("map_cut.100", "map_cut_100", "map@100")
MEASURES["map"] = ("map", "map", "map")
MEASURES["mrr"] = ("recip_rank", "recip_rank", "mrr")
MEASURES["r_precision"] = ("Rprec", "Rprec", "r-precision")
MEASURES["ndcg"] = ("ndcg", "ndcg", "ndcg")

#: trec_eval's further measures, timed in a second comparison on the same data: rageval spec ->
#: (pytrec_eval measure, [(rageval key, pytrec_eval key), ...]); rbp has no pytrec_eval counterpart
POINTS = [f"{x:.2f}" for x in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)]
MULTIPLES = [f"{x:.2f}" for x in (0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0)]
TREC_MEASURES: dict[str, tuple[str | None, list[tuple[str, str]]]] = {
    name: (name, [(name, name)]) for name in (
        "set_P", "set_recall", "set_F", "set_map", "set_relative_P", "bpref", "gm_map", "11pt_avg", "utility",
        "num_ret", "num_rel", "num_rel_ret", "infAP", "Rndcg", "ndcg_rel")}
TREC_MEASURES["relative_P@10"] = ("relative_P.10", [("relative_P@10", "relative_P_10")])
TREC_MEASURES["iprec_at_recall"] = ("iprec_at_recall",
                                    [(f"iprec_at_recall.{p}", f"iprec_at_recall_{p}") for p in POINTS])
TREC_MEASURES["Rprec_mult"] = ("Rprec_mult", [(f"Rprec_mult.{m}", f"Rprec_mult_{m}") for m in MULTIPLES])
TREC_MEASURES["rbp"] = (None, [("rbp", ""), ("rbp.residual", "")])


def make_data(n: int, depth: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    pool = np.array([f"doc-{i:06d}" for i in range(20 * depth)], dtype=object)
    # depth + 10 distinct docs per query (steps < 15 never wrap around the pool), shuffled
    steps = rng.integers(1, 15, (n, depth + 10))
    docs = (rng.integers(0, len(pool), n)[:, None] + np.cumsum(steps, axis=1)) % len(pool)
    docs = np.take_along_axis(docs, np.argsort(rng.random(docs.shape), axis=1), axis=1)
    judged_inside = np.argsort(rng.random((n, depth)), axis=1)[:, :10]  # 10 judged ranked docs
    grades = rng.integers(0, 4, (n, 20))
    rows = []
    for i in range(n):
        judged = np.concatenate([docs[i, judged_inside[i]], docs[i, depth:]])  # + 10 judged unranked docs
        rows.append({"id": f"q{i}", "retrieved_ids": pool[docs[i, :depth]].tolist(),
                     "relevant_ids": dict(zip(pool[judged].tolist(), grades[i].tolist()))})
    return json.loads(json.dumps(rows))  # distinct string objects, as read from a file


def timed(fn):
    """``fn()``, its wall time and this process's CPU time (the machine may be shared)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, (time.perf_counter() - wall, time.process_time() - cpu)


def least(times: tuple[float, float], fn) -> tuple[float, float]:
    """The smaller wall and CPU times of ``times`` and of another run of ``fn`` (``--repeat``: on a
    busy machine the least of interleaved runs is the steadier figure)."""
    _, again = timed(fn)
    return min(times[0], again[0]), min(times[1], again[1])


def run_rageval(data: list[dict]):
    res = rageval.evaluate(data, scorers=list(MEASURES), progress=False)
    return res.aggregate, res.to_pandas()


def run_rageval_scorers(data: list[dict], batch_size: int = 1000):
    """The scorers alone, on the canonical columns in evaluate's batches: stats, then reduce."""
    scorers = [rageval.get_scorer(name) for name in MEASURES]
    columns = {f: [row[f] for row in data] for f in ("retrieved_ids", "relevant_ids")}
    stats: dict[str, list] = {s.key: [] for s in scorers}
    for start in range(0, len(data), batch_size):
        batch = Batch({f: v[start:start + batch_size] for f, v in columns.items()})  # shared judging
        for s in scorers:
            stats[s.key].append(s.stats(batch))
    return {k: v for s in scorers for k, v in s.reduce(np.concatenate(stats[s.key])).items()}


def run_pytrec(data: list[dict]):
    import pytrec_eval

    qrels = {row["id"]: row["relevant_ids"] for row in data}
    run = {row["id"]: {d: float(-i) for i, d in enumerate(row["retrieved_ids"])} for row in data}
    per_query = pytrec_eval.RelevanceEvaluator(qrels, {m[0] for m in MEASURES.values()}).evaluate(run)
    return per_query


def compare_trec_measures(data: list[dict], repeat: int = 1) -> None:
    """trec_eval's further measures: rageval.evaluate against pytrec_eval on the same rows, per query."""
    import pytrec_eval

    res, t_rageval = timed(lambda: rageval.evaluate(data, scorers=list(TREC_MEASURES), progress=False))
    table = res.to_pandas()
    qrels = {row["id"]: row["relevant_ids"] for row in data}

    def reference():
        run = {row["id"]: {d: float(-i) for i, d in enumerate(row["retrieved_ids"])} for row in data}
        measures = {m for m, _ in TREC_MEASURES.values() if m}
        return pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)

    per_query, t_pytrec = timed(reference)
    for _ in range(repeat - 1):
        t_rageval = least(t_rageval, lambda: rageval.evaluate(data, scorers=list(TREC_MEASURES), progress=False))
        t_pytrec = least(t_pytrec, reference)
    ids = table["id"].tolist()
    print(f"\n{'measure':<26} {'rageval':>12} {'max |diff| per query':>22}   (trec_eval's further measures)")
    worst = 0.0
    for spec, (measure, keys) in TREC_MEASURES.items():
        for key, ref_key in keys:
            ours = table[key].to_numpy()
            if measure is None:
                print(f"{key:<26} {res.aggregate[key]:>12.6f} {'(no pytrec_eval counterpart)':>22}")
                continue
            ref = np.array([per_query[q][ref_key] for q in ids])
            if spec == "gm_map":  # pytrec_eval reports each query's log(max(AP, 1e-5))
                ours = np.log(ours)
            diff = float(np.abs(ours - ref).max())
            worst = max(worst, diff)
            print(f"{key:<26} {res.aggregate[key]:>12.6f} {diff:>22.3g}")
    print(f"values agree with pytrec_eval: {'yes' if worst <= 1e-12 else 'NO'} "
          f"(largest per-query difference {worst:.3g})")
    print(f"  rageval.evaluate           {t_rageval[0]:8.2f} {t_rageval[1]:8.2f}   ({len(TREC_MEASURES)} scorers, "
          f"{sum(len(k) for _, k in TREC_MEASURES.values())} values per query)")
    print(f"  pytrec_eval                {t_pytrec[0]:8.2f} {t_pytrec[1]:8.2f}   "
          f"rageval.evaluate is {t_pytrec[0] / t_rageval[0]:.2f}x as fast (rbp included on rageval's side only)")


def run_ranx(data: list[dict]):
    import ranx

    qrels = ranx.Qrels({row["id"]: row["relevant_ids"] for row in data})
    run = ranx.Run({row["id"]: {d: float(-i) for i, d in enumerate(row["retrieved_ids"])} for row in data})
    return ranx.evaluate(qrels, run, [m[2] for m in MEASURES.values()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--skip-trec", action="store_true", help="skip trec_eval's further measures")
    parser.add_argument("--repeat", type=int, default=1, help="time each side this many times, interleaved; "
                        "report the least (steadier on a busy machine)")
    args = parser.parse_args()

    data, (t_data, _) = timed(lambda: make_data(args.queries, args.depth))
    print(f"{args.queries:,} queries x {args.depth} retrieved ids, {len(MEASURES)} measures "
          f"(data built in {t_data:.1f} s)\n")

    (aggregate, table), t_rageval = timed(lambda: run_rageval(data))
    direct, t_direct = timed(lambda: run_rageval_scorers(data))
    assert direct == aggregate
    per_query, t_pytrec = timed(lambda: run_pytrec(data))
    for _ in range(args.repeat - 1):
        t_rageval = least(t_rageval, lambda: run_rageval(data))
        t_direct = least(t_direct, lambda: run_rageval_scorers(data))
        t_pytrec = least(t_pytrec, lambda: run_pytrec(data))
    ids = table["id"].tolist()

    print(f"{'measure':<14} {'rageval':>10} {'pytrec_eval':>12} {'max |diff| per query':>22}")
    worst = 0.0
    for name, (_, key, _) in MEASURES.items():
        ref = np.array([per_query[q][key] for q in ids])
        diff = float(np.abs(table[name].to_numpy() - ref).max())
        worst = max(worst, diff)
        print(f"{name:<14} {aggregate[name]:>10.6f} {ref.mean():>12.6f} {diff:>22.3g}")
    print(f"\nvalues agree with pytrec_eval: {'yes' if worst <= 1e-12 else 'NO'} "
          f"(largest per-query difference {worst:.3g})")

    try:
        import ranx  # noqa: F401
    except ImportError:
        ranx_line = "ranx: not installed (pip install ranx)"
        t_ranx = None
    else:
        run_ranx(data[:50])  # compile its numba kernels outside the timing
        ranx_means, t_ranx = timed(lambda: run_ranx(data))
        disagree = {name: (aggregate[name], ranx_means[m[2]]) for name, m in MEASURES.items()
                    if abs(aggregate[name] - ranx_means[m[2]]) > 1e-9}
        ranx_line = ("ranx means agree on every measure" if not disagree else
                     "ranx means differ on " + ", ".join(f"{k} ({a:.6f} vs {b:.6f})" for k, (a, b) in disagree.items()))

    print(f"\ntimes, end to end from the list of dicts: wall s, CPU s (ratios of wall times"
          f"{f'; least of {args.repeat} interleaved runs' if args.repeat > 1 else ''})")
    print(f"  rageval.evaluate           {t_rageval[0]:8.2f} {t_rageval[1]:8.2f}")
    print(f"    of which the scorers     {t_direct[0]:8.2f} {t_direct[1]:8.2f}   (stats + reduce, 1000-query batches)")
    print(f"  pytrec_eval                {t_pytrec[0]:8.2f} {t_pytrec[1]:8.2f}   "
          f"rageval.evaluate is {t_pytrec[0] / t_rageval[0]:.2f}x as fast, "
          f"its scorers {t_pytrec[0] / t_direct[0]:.2f}x")
    if t_ranx is not None:
        print(f"  ranx (warm, numba)         {t_ranx[0]:8.2f} {t_ranx[1]:8.2f}   "
              f"rageval.evaluate is {t_ranx[0] / t_rageval[0]:.2f}x as fast")
    print(ranx_line)
    if not args.skip_trec:
        compare_trec_measures(data, args.repeat)


if __name__ == "__main__":
    main()
