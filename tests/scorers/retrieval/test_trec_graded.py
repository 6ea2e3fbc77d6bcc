"""trec_eval's infAP, Rndcg, ndcg_rel and rbp (with rbp_resid): the first three against pytrec_eval per
query on seeded random rankings (grade -1 marks unsampled pool ids, which infAP reads); rbp, which
pytrec_eval (trec_eval 9) lacks, against a line-by-line transcription of trec_eval 10's m_rbp.c /
m_rbp_resid.c and against Moffat and Zobel's formula on 0/1 grades. All four are also checked
against trec_eval's own test outputs in test_trec_measures.py (test_trec_eval_test_outputs)."""
from __future__ import annotations

import math

import numpy as np
import pytest

pytrec_eval = pytest.importorskip("pytrec_eval", reason="pytrec_eval (pytrec-eval-terrier) is the reference")

from support.retrieval import make_queries, trec  # noqa: E402

import rageval  # noqa: E402
from rageval.core.errors import FieldError  # noqa: E402
from rageval.core.registry import get_scorer  # noqa: E402
from rageval.scorers.retrieval import functional as F  # noqa: E402

RANDOM = make_queries(seed=23, n=1500)
LEVELLED = ("infAP", "Rndcg")  # the measures that take trec_eval's -l


def per_query(name: str, queries=RANDOM, **params) -> dict[str, np.ndarray]:
    scorer = get_scorer(name, **params)
    retrieved, relevant = queries
    return scorer.example_scores(scorer.stats({"retrieved_ids": retrieved, "relevant_ids": relevant}))


@pytest.fixture(scope="module", params=[1, 2, 3], ids=lambda level: f"level{level}")
def reference(request):
    level = request.param
    return level, trec(*RANDOM, {"infAP", "Rndcg", "ndcg_rel"}, level)


@pytest.mark.parametrize("name", ["infAP", "Rndcg", "ndcg_rel"])
def test_matches_pytrec_eval_per_query(reference, name):
    level, ref = reference
    got = per_query(name, **({"relevance_level": level} if name in LEVELLED else {}))[name]
    scored = sorted(ref)
    assert len(scored) > 1300
    np.testing.assert_allclose(got[scored], [ref[q][name] for q in scored], rtol=1e-13, atol=1e-15)
    dropped = sorted(set(range(len(RANDOM[0]))) - set(ref))  # no qrels: trec_eval drops them, 0 here
    assert dropped and (got[dropped] == 0).all()


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_sweep_matches_pytrec_eval(seed):
    """The default run's comparison on 6 x 4,000 further queries, at each of three levels."""
    queries = make_queries(seed=100 + seed, n=4000)
    for level in (1, 2, 3):
        ref = trec(*queries, {"infAP", "Rndcg", "ndcg_rel"}, level)
        scored = sorted(ref)
        for name in ("infAP", "Rndcg", "ndcg_rel"):
            got = per_query(name, queries, **({"relevance_level": level} if name in LEVELLED else {}))[name]
            np.testing.assert_allclose(got[scored], [ref[q][name] for q in scored], rtol=1e-13, atol=1e-15)


def test_the_random_queries_exercise_the_cases_that_differ():
    """The sample holds unsampled pool ids (grade -1) above relevant ones, so infAP differs from AP,
    and gaps between grades, so Rndcg averages at several R levels."""
    retrieved, relevant = RANDOM
    assert (per_query("infAP")["infAP"] != per_query("map")["map"]).sum() > 300
    assert sum(len({g for g in r.values() if g > 0}) >= 3 for r in relevant) > 300


def test_infap_without_sampling_is_average_precision_up_to_epsilon():
    """Every pooled id judged and every ranked id judged: infAP is AP (Yilmaz and Aslam), but for ε."""
    rng = np.random.default_rng(4)
    retrieved, relevant = [], []
    for _ in range(300):
        ranking = [f"d{i}" for i in rng.permutation(40)[:int(rng.integers(1, 30))]]
        retrieved.append(ranking)
        relevant.append({d: int(rng.integers(0, 3)) for d in ranking} | {"unranked": 1})
    queries = (retrieved, relevant)
    np.testing.assert_allclose(per_query("infAP", queries)["infAP"], per_query("map", queries)["map"], atol=1e-4)


# --- rbp: trec_eval 10's m_rbp.c and m_rbp_resid.c, transcribed ------------------------------------

def trec_eval_rbp(ranking: list[str], qrels: dict[str, int], p: float) -> tuple[float, float]:
    """m_rbp.c and m_rbp_resid.c line by line: results_rel_list holds each ranked id's grade, -1 when
    absent from the qrels, -2 when graded below 0; default gains are the levels 0..max grade, scaled
    by (gain - min) / (max - min) when they leave [0, 1]; rbp_resid is 0 without an unjudged id."""
    rel_list = [(qrels[d] if qrels[d] >= 0 else -2) if d in qrels else -1 for d in ranking]
    levels = [g for g in qrels.values() if g >= 0]
    gains = {level: float(level) for level in range(max(levels) + 1)} if levels else {}
    low, high = min(gains.values(), default=0.0), max(gains.values(), default=0.0)
    if low < 0 or high > 1:
        gains = {level: (gain - low) / (high - low) for level, gain in gains.items()}
    total, cur_p = 0.0, 1.0
    for rel in rel_list:
        gain = gains.get(rel, 0.0)
        if gain != 0:
            total += gain * cur_p
        cur_p = cur_p * p
    value = (1.0 - p) * total
    unjudged, total, cur_p = 0, 0.0, 1.0
    for rel in rel_list:
        if rel < 0:
            unjudged += 1
            total += cur_p
        cur_p = cur_p * p
    return value, (cur_p + (1 - p) * total if unjudged else 0.0)


@pytest.mark.parametrize("p", [0.9, 0.5, 0.95, 0.0])
def test_rbp_is_trec_eval_rbp_and_rbp_resid(p):
    retrieved, relevant = RANDOM
    got = per_query("rbp", p=p)
    want = np.array([trec_eval_rbp(r, q, p) for r, q in zip(retrieved, relevant)])
    np.testing.assert_array_equal(got["rbp"], want[:, 0])  # the same operations in the same order
    np.testing.assert_array_equal(got["rbp.residual"], want[:, 1])
    assert (want[:, 1] > 0).sum() > 1000 and (want[:, 0] > 0).sum() > 200  # p = 0: the top id alone


def test_rbp_on_binary_grades_is_moffat_and_zobel():
    """RBP = (1 - p) · Σ_i r_i · p^(i-1) (Moffat and Zobel 2008, eq. 5; ir_measures' and ranx's RBP)."""
    retrieved, relevant = RANDOM
    binary = [{d: min(g, 1) for d, g in q.items()} for q in relevant]
    for p in (0.8, 0.9):
        got = per_query("rbp", (retrieved, binary), p=p)["rbp"]
        want = [(1 - p) * sum(p ** i for i, d in enumerate(r) if q.get(d, 0) >= 1) for r, q in zip(retrieved, binary)]
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_rbp_scales_grades_by_the_highest_one():
    got = per_query("rbp", ([["a", "b", "c"], ["a"]], [{"a": 4, "b": 2, "z": 0}, {"a": 1, "q": 0}]), p=0.5)
    assert got["rbp"].tolist() == [0.5 * (1.0 + 0.5 * 0.5), 0.5]
    assert got["rbp.residual"].tolist() == [0.125 + 0.5 * 0.25, 0.0]  # "c" unjudged at rank 3; none in row 2


def test_rbp_mean_and_residual_through_evaluate():
    retrieved, relevant = RANDOM
    rows = [{"retrieved_ids": r, "relevant_ids": q} for r, q in zip(retrieved, relevant)]
    res = rageval.evaluate(rows, [("rbp", {"p": 0.8})], progress=False)
    want = np.array([trec_eval_rbp(r, q, 0.8) for r, q in zip(retrieved, relevant)])
    assert math.isclose(res.aggregate["rbp"], want[:, 0].mean(), rel_tol=1e-13)
    assert math.isclose(res.aggregate["rbp.residual"], want[:, 1].mean(), rel_tol=1e-13)


# --- edges, parameters, bad input ------------------------------------------------------------------

def test_edge_cases_one_by_one_against_pytrec_eval():
    retrieved = [["a"], ["a", "b"], ["x", "y", "z"], ["b", "a"], ["u", "a", "v", "b", "w"], ["a", "b", "c", "d"]]
    relevant = [{"a": 0}, {"a": 2, "b": 2, "c": 1}, {"x": -1, "a": 1}, {"a": 3, "b": 1, "c": 0}, {"u": -1, "a": 1, "b": 2},
                {"a": 1}]
    for level in (1, 2):
        ref = trec(retrieved, relevant, {"infAP", "Rndcg", "ndcg_rel"}, level)
        for name in ("infAP", "Rndcg", "ndcg_rel"):
            got = per_query(name, (retrieved, relevant), **({"relevance_level": level} if name in LEVELLED else {}))
            np.testing.assert_allclose(got[name], [ref[q][name] for q in range(len(retrieved))], rtol=1e-15,
                                       err_msg=f"{name} level {level}")


def test_empty_batch_and_empty_rankings():
    empty = F.judge([], [])
    assert [F.infap(empty).shape, F.rndcg(empty).shape, F.ndcg_rel(empty).shape] == [(0,)] * 3
    assert [v.shape for v in F.rbp(empty)] == [(0,), (0,)]
    for name in ("infAP", "Rndcg", "ndcg_rel", "rbp"):
        scorer = get_scorer(name)
        assert scorer.stats({"retrieved_ids": [], "relevant_ids": []}).values.shape == (0, len(scorer.keys()))
        values = per_query(name, ([[], []], [{"a": 1}, {}]))
        assert all(v.tolist() == [0.0, 0.0] for v in values.values()), name


def test_infap_tells_unpooled_unsampled_and_judged_ids_apart():
    """The id above the relevant one: outside the pool (absent), judged non-relevant, unsampled (-1)."""
    judged = F.judge([["a", "b"]] * 3, [{"b": 1}, {"a": 0, "b": 1}, {"a": -1, "b": 1}])
    assert judged.unsampled[:, 2].tolist() == [True, False] and not judged.unsampled[:, :2].any()
    assert F.infap(judged).tolist() == [0.5, 0.5 + 0.5 * (1 / 1) * (1e-5 / (1 + 2e-5)), 0.75]
    assert not F.judge([["a", "b"]], [{"b": 1}]).unsampled.any()


@pytest.mark.parametrize("name,params,message", [
    ("rbp", {"p": 1.0}, r"persistence p must be a number in \[0, 1\)"),
    ("rbp", {"p": -0.1}, "persistence p"),
    ("rbp", {"p": "0.9"}, "persistence p"),
    ("rbp", {"relevance_level": 2}, "takes no parameter 'relevance_level'"),
    ("ndcg_rel", {"relevance_level": 2}, "takes no parameter 'relevance_level'"),
    ("infAP", {"k": 10}, "takes no cutoff"),
    ("Rndcg", {"relevance_level": 0}, "relevance_level must be a positive number"),
])
def test_bad_parameters(name, params, message):
    with pytest.raises((TypeError, ValueError), match=message):
        get_scorer(name, **params)


def test_bad_input_names_field_and_row():
    with pytest.raises(FieldError, match="relevant_ids"):
        per_query("infAP", ([["a"], ["b"]], [{"a": 1}, {"b": math.nan}]))
    with pytest.raises(FieldError, match="ranked twice"):
        per_query("rbp", ([["a", "a"]], [{"a": 1}]))


def test_signatures():
    assert get_scorer("rbp").signature == "rbp|duplicates:error|p:0.9|version:1"
    assert get_scorer("infAP", relevance_level=2).signature == "infAP|duplicates:error|relevance_level:2|version:1"
    assert get_scorer("rbp").keys() == ["rbp", "rbp.residual"]
