"""trec_eval's further measures (set_*, bpref, gm_map, iprec_at_recall, 11pt_avg, Rprec_mult,
relative_P, unjudged, utility, the counts; infAP, Rndcg, ndcg_rel and rbp in test_trec_graded.py) against pytrec_eval per query on seeded random rankings
with the edge cases mixed in, and against trec_eval's own test outputs (the files of its test/
folder in ../shared/peer-suites/trec_eval: runs with -c, -M100 and -l2 among them)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

pytrec_eval = pytest.importorskip("pytrec_eval", reason="pytrec_eval (pytrec-eval-terrier) is the reference")

from support import SHARED  # noqa: E402
from support.retrieval import make_queries, trec  # noqa: E402

import rageval  # noqa: E402
from rageval.core.registry import get_scorer  # noqa: E402
from rageval.data.trec import from_trec  # noqa: E402
from rageval.scorers.retrieval import functional as F  # noqa: E402

PEER = SHARED / "peer-suites" / "trec_eval"
RANDOM = make_queries(seed=11, n=1500)
POINTS = [f"{x:.2f}" for x in F.RECALL_POINTS]
MULTIPLES = [f"{x:.2f}" for x in F.R_MULTIPLES]

#: our name -> (pytrec_eval measure, its result keys, our keys)
MEASURES = {
    "set_P": ("set_P", ["set_P"], ["set_P"]),
    "set_recall": ("set_recall", ["set_recall"], ["set_recall"]),
    "set_F": ("set_F", ["set_F"], ["set_F"]),
    "set_map": ("set_map", ["set_map"], ["set_map"]),
    "set_relative_P": ("set_relative_P", ["set_relative_P"], ["set_relative_P"]),
    "bpref": ("bpref", ["bpref"], ["bpref"]),
    "11pt_avg": ("11pt_avg", ["11pt_avg"], ["11pt_avg"]),
    "iprec_at_recall": ("iprec_at_recall", [f"iprec_at_recall_{p}" for p in POINTS],
                        [f"iprec_at_recall.{p}" for p in POINTS]),
    "Rprec_mult": ("Rprec_mult", [f"Rprec_mult_{m}" for m in MULTIPLES], [f"Rprec_mult.{m}" for m in MULTIPLES]),
    "utility": ("utility", ["utility"], ["utility"]),
    "num_ret": ("num_ret", ["num_ret"], ["num_ret"]),
    "num_rel": ("num_rel", ["num_rel"], ["num_rel"]),
    "num_rel_ret": ("num_rel_ret", ["num_rel_ret"], ["num_rel_ret"]),
}
for _k in (5, 10, 30, 100, 1000):
    MEASURES[f"relative_P@{_k}"] = ("relative_P", [f"relative_P_{_k}"], [f"relative_P@{_k}"])


@pytest.fixture(scope="module", params=[1, 2, 3], ids=lambda level: f"level{level}")
def reference(request):
    level = request.param
    return level, trec(*RANDOM, {m for m, _, _ in MEASURES.values()} | {"gm_map"}, level)


def per_query(name: str, **params) -> dict[str, np.ndarray]:
    scorer = get_scorer(name, **params)
    retrieved, relevant = RANDOM
    return scorer.example_scores(scorer.stats({"retrieved_ids": retrieved, "relevant_ids": relevant}))


@pytest.mark.parametrize("name", sorted(MEASURES))
def test_matches_pytrec_eval_per_query(reference, name):
    level, ref = reference
    _, ref_keys, keys = MEASURES[name]
    params = {} if name == "num_ret" else {"relevance_level": level}
    got = per_query(name, **params)
    # pytrec_eval scores the queries with qrels; an empty ranking is 0/0 (NaN) for iprec at recall 0
    # and 11pt_avg in trec_eval, 0 here (the functional module's convention for undefined values)
    scored = [q for q in sorted(ref) if RANDOM[0][q]]
    assert len(scored) > 1300
    for ref_key, key in zip(ref_keys, keys):
        want = np.array([ref[q][ref_key] for q in scored])
        np.testing.assert_allclose(got[key][scored], want, rtol=1e-13, atol=1e-15, err_msg=key)


def test_gm_map_is_the_geometric_mean_of_trec_eval_per_query_logs(reference):
    level, ref = reference
    got = per_query("gm_map", relevance_level=level)["gm_map"]
    scored = sorted(ref)
    logs = np.array([ref[q]["gm_map"] for q in scored])  # pytrec_eval reports log(max(AP, 1e-5)) per query
    np.testing.assert_allclose(np.log(got[scored]), logs, rtol=1e-13, atol=1e-15)
    scorer = get_scorer("gm_map", relevance_level=level)
    retrieved, relevant = RANDOM
    stats = scorer.stats({"retrieved_ids": [retrieved[q] for q in scored], "relevant_ids": [relevant[q] for q in scored]})
    assert math.isclose(scorer.reduce(stats)["gm_map"], math.exp(logs.mean()), rel_tol=1e-13)


def test_empty_ranking_scores_zero_where_trec_eval_divides_zero_by_zero():
    values = per_query("iprec_at_recall")
    empty = [q for q, r in enumerate(RANDOM[0]) if not r]
    assert empty and all(values[k][empty].tolist() == [0.0] * len(empty) for k in values)


def test_unjudged_counts_ids_outside_the_qrels_over_k():
    retrieved, relevant = RANDOM
    for k in (1, 5, 20):
        got = per_query(f"unjudged@{k}")[f"unjudged@{k}"]
        want = [sum(d not in rel or rel[d] < 0 for d in ranking[:k]) / k
                for ranking, rel in zip(retrieved, relevant)]
        np.testing.assert_allclose(got, want, rtol=0, atol=0)


def test_utility_with_other_coefficients_matches_its_formula():
    retrieved, relevant = RANDOM
    got = per_query("utility", a=2, b=-1, c=0.5, d=0.25, num_docs=1000)["utility"]
    want = []
    for ranking, rel in zip(retrieved, relevant):
        rel_ret = sum(rel.get(d, -1) >= 1 for d in ranking)
        r = sum(g >= 1 for g in rel.values())
        want.append(2 * rel_ret - (len(ranking) - rel_ret) + 0.5 * (r - rel_ret) + 0.25 * (1000 + rel_ret - len(ranking) - r))
    np.testing.assert_allclose(got, want, rtol=1e-15)


def test_counts_sum_over_queries_as_trec_eval_all_line():
    retrieved, relevant = RANDOM
    res = rageval.evaluate([{"retrieved_ids": a, "relevant_ids": b} for a, b in zip(retrieved, relevant)],
                           ["num_ret", "num_rel", "num_rel_ret", "num_q"], progress=False)
    assert res.aggregate["num_ret"] == sum(map(len, retrieved))
    assert res.aggregate["num_q"] == len(retrieved)
    assert res.aggregate["num_rel"] == sum(sum(g >= 1 for g in r.values()) for r in relevant)


@pytest.mark.parametrize("name,params,message", [
    ("set_F", {"beta": "x"}, "beta must be a finite number"),
    ("utility", {"a": math.nan}, "a must be a finite number"),
    ("iprec_at_recall", {"rounding": "up"}, "rounding must be one of"),
    ("bpref", {"k": 3}, "takes no cutoff"),
    ("unjudged@k", {"relevance_level": 2}, "takes no parameter 'relevance_level'"),
])
def test_bad_parameters(name, params, message):
    with pytest.raises((TypeError, ValueError), match=message):
        get_scorer(name.replace("@k", "@5") if "k" not in params else name, **params)


# --- trec_eval's own test outputs -------------------------------------------------------------------

def expected(path: Path) -> dict[str, dict[str, str]]:
    """trec_eval's printed output: query -> measure -> value as printed (4 decimals)."""
    out: dict[str, dict[str, str]] = {}
    for line in path.read_text().splitlines():
        measure, query, value = line.split()
        out.setdefault(query, {})[measure] = value
    return out


def ours_for(measure: str) -> tuple[str, str] | None:
    """(scorer name, key) for one of trec_eval's printed measure names, None when not ours."""
    fixed = {"Rprec": ("r_precision", "r_precision"), "recip_rank": ("mrr", "mrr"), "map": ("map", "map"),
             "gm_map": ("gm_map", "gm_map"), "ndcg": ("ndcg", "ndcg"), "infAP": ("infAP", "infAP"),
             "Rndcg": ("Rndcg", "Rndcg"), "ndcg_rel": ("ndcg_rel", "ndcg_rel"), "rbp": ("rbp", "rbp"),
             "rbp_resid": ("rbp", "rbp.residual")}
    if measure in fixed:
        return fixed[measure]
    for prefix, name in (("iprec_at_recall_", "iprec_at_recall"), ("Rprec_mult_", "Rprec_mult")):
        if measure.startswith(prefix):
            return name, f"{name}.{measure[len(prefix):]}"
    cut = {"P_": "precision", "recall_": "recall", "relative_P_": "relative_P", "ndcg_cut_": "ndcg",
           "map_cut_": "map", "success_": "hit_rate", "unj_": "unjudged"}
    for prefix, name in cut.items():
        if measure.startswith(prefix) and measure[len(prefix):].isdigit():
            return f"{name}@{measure[len(prefix):]}", f"{name}@{measure[len(prefix):]}"
    if measure in MEASURES or measure in ("num_q",):
        return measure, measure
    return None


PEER_RUNS = [  # the Makefile's commands: output file, run file, qrels file, from_trec options, -l
    ("out.test.aq", "results.test", "qrels.test", {}, 1),
    ("out.test.aqc", "results.trunc", "qrels.test", {"complete": True}, 1),
    ("out.test.aqcM", "results.trunc", "qrels.test", {"complete": True, "depth": 100}, 1),
    ("out.test.aql", "results.test", "qrels.rel_level", {}, 2),
]


@pytest.mark.skipif(not PEER.is_dir(), reason="../shared/peer-suites/trec_eval (trec_eval's test files) is absent")
@pytest.mark.parametrize("output,run,qrels,options,level", PEER_RUNS, ids=[r[0] for r in PEER_RUNS])
def test_trec_eval_test_outputs(output, run, qrels, options, level):
    """Every measure of ours that trec_eval's `-m all_trec -q` output prints, per query and on the
    "all" line, to the 4 decimals it prints; trec_eval 10 wrote these files, so iprec_at_recall and
    11pt_avg use rounding="nearest"."""
    want = expected(PEER / output)
    rows = from_trec(PEER / run, PEER / qrels, **options)
    assert [r["id"] for r in rows] == sorted(q for q in want if q != "all")
    pairs = {m: ours_for(m) for m in want["all"] if ours_for(m)}
    assert len(pairs) >= 85 and {"infAP", "Rndcg", "ndcg_rel", "rbp", "rbp_resid"} <= set(pairs), sorted(pairs)
    scorers = {}
    for name, _ in pairs.values():
        params = {} if name.startswith(("ndcg", "num_ret", "num_q", "unjudged", "rbp")) else {"relevance_level": level}
        if name in ("iprec_at_recall", "11pt_avg"):
            params["rounding"] = "nearest"
        scorers[name] = get_scorer(name, **params)
    res = rageval.evaluate(rows, list(scorers.values()), progress=False)
    table = res.to_pandas().set_index("id")
    checked = 0
    for query, values in want.items():
        for measure, (_, key) in pairs.items():
            if measure not in values:
                continue
            got = res.aggregate[key] if query == "all" else table.loc[query, key]
            printed = values[measure]
            assert f"{got:.4f}" == printed or (measure.startswith("num") and got == int(printed)), \
                (output, query, measure, got, printed)
            checked += 1
    assert checked >= 4 * 80


@pytest.mark.skipif(not PEER.is_dir(), reason="../shared/peer-suites/trec_eval (trec_eval's test files) is absent")
def test_ndcg_with_per_level_gains_is_trec_eval_ndcg_with_gain_parameters():
    """out.test.meas_params was written by `trec_eval -q -mndcg.1=3,2=9,4=4.5 ...`."""
    want = {q: v["ndcg_1=3,2=9,4=4.5"] for q, v in expected(PEER / "out.test.meas_params").items()}
    rows = from_trec(PEER / "results.test", PEER / "qrels.test")
    res = rageval.evaluate(rows, [("ndcg", {"gains": {1: 3, 2: 9, 4: 4.5}})], progress=False)
    got = dict(zip(res.ids, res.to_pandas()["ndcg"]))
    assert {q: f"{v:.4f}" for q, v in got.items()} == {q: v for q, v in want.items() if q != "all"}
    assert f"{res.aggregate['ndcg']:.4f}" == want["all"]


def test_ndcg_gains_on_random_rankings_equal_a_direct_computation():
    retrieved, relevant = RANDOM
    gains = {0: 0.5, 1: 3, 2: -1, 4: 4.5}
    got = per_query("ndcg@10", gains=gains)["ndcg@10"]
    for q in range(0, len(retrieved), 7):
        rel = {d: g for d, g in relevant[q].items() if g >= 0}
        gain = {d: gains.get(g, g) for d, g in rel.items()}
        dcg = sum(gain.get(d, 0) / math.log2(i + 2) for i, d in enumerate(retrieved[q][:10]))
        ideal = sum(g / math.log2(i + 2) for i, g in enumerate(sorted((g for g in gain.values() if g > 0), reverse=True)[:10]))
        assert got[q] == pytest.approx(dcg / ideal if ideal > 0 else 0.0, rel=1e-12, abs=1e-15), q


def test_ndcg_without_gains_keeps_its_signature():
    assert get_scorer("ndcg@10").signature == "ndcg@10|duplicates:error|gain:linear|k:10|version:1"
    assert "gains:" in get_scorer("ndcg", gains={"1": 2}).signature  # keys as a saved manifest holds them
    with pytest.raises(ValueError, match="gains must map grades"):
        get_scorer("ndcg", gains={1: "x"})
    with pytest.raises(ValueError, match="linear gain"):
        get_scorer("ndcg", gains={1: 2}, gain="exponential")
