"""Ranking scorers against trec_eval (pytrec_eval): every measure and cutoff, per query, on
thousands of seeded random rankings with the edge cases mixed in, and on real WiCE evidence."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

pytrec_eval = pytest.importorskip("pytrec_eval", reason="pytrec_eval (pytrec-eval-terrier) is the reference")

from support import SHARED  # noqa: E402
from support.retrieval import make_queries, trec  # noqa: E402

from rageval.core.errors import FieldError  # noqa: E402
from rageval.core.registry import get_scorer, scorer_class  # noqa: E402
from rageval.core.scorer import Batch  # noqa: E402
from rageval.scorers.retrieval import functional as F  # noqa: E402
from rageval.scorers.retrieval.ranking import judged  # noqa: E402

CUTOFFS = [1, 2, 3, 5, 10, 20, 50, 100]
WICE = SHARED / "data" / "wice" / "entailment_retrieval" / "claim"


def trec_measure(name: str, k: int | None) -> str:
    """The pytrec_eval measure (with its parameter) matching ``name@k``."""
    whole = {"precision": "set_P", "recall": "set_recall", "hit_rate": "success.1000", "ndcg": "ndcg",
             "map": "map", "mrr": "recip_rank", "r_precision": "Rprec"}
    cut = {"precision": "P", "recall": "recall", "hit_rate": "success", "ndcg": "ndcg_cut", "map": "map_cut",
           "mrr": "recip_rank"}
    if k is None:
        return whole[name]
    return cut[name] if name == "mrr" else f"{cut[name]}.{k}"


def result_key(measure: str) -> str:
    """pytrec_eval's key for a measure: ``P.5`` -> ``P_5``."""
    return measure.replace(".", "_")


def values(scorer, retrieved, relevant) -> np.ndarray:
    stats = scorer.stats({"retrieved_ids": retrieved, "relevant_ids": relevant})
    return scorer.example_scores(stats)[scorer.key]


def assert_same(got: np.ndarray, ref: dict[int, dict[str, float]], key: str, n: int) -> None:
    """Equal to float precision on every query trec_eval scores; 0 on those it drops (no qrels)."""
    scored = sorted(ref)
    np.testing.assert_allclose(got[scored], [ref[q][key] for q in scored], rtol=1e-13, atol=1e-15)
    dropped = sorted(set(range(n)) - set(ref))
    assert (got[dropped] == 0).all()


RANDOM = make_queries(seed=5, n=2500)
SPECS = [(name, k) for name in ("precision", "recall", "hit_rate", "ndcg", "map") for k in [*CUTOFFS, None]]
SPECS += [("mrr", None), ("r_precision", None)]


@pytest.fixture(scope="module", params=[1, 2, 3], ids=lambda level: f"level{level}")
def reference(request):
    level = request.param
    measures = {trec_measure(name, k) for name, k in SPECS}
    return level, trec(*RANDOM, measures, level)


def retrieval_scorer(name: str, k: int | None, **params):
    """``name@k``; without a cutoff, precision and recall (``set_P``, ``set_recall``) through their
    class: the bare names are the classification metrics."""
    if k is None and name in ("precision", "recall"):
        return scorer_class(f"{name}@k")(**params)
    return get_scorer(name if k is None else f"{name}@{k}", **params)


@pytest.mark.parametrize("name,k", SPECS, ids=[f"{n}@{k}" if k else n for n, k in SPECS])
def test_matches_trec_eval(reference, name, k):
    level, ref = reference
    params = {} if name == "ndcg" else {"relevance_level": level}
    scorer = retrieval_scorer(name, k, **params)
    assert scorer.key == (name if k is None else f"{name}@{k}")
    got = values(scorer, *RANDOM)
    assert_same(got, ref, result_key(trec_measure(name, k)), len(RANDOM[0]))
    aggregate = scorer.reduce(scorer.stats({"retrieved_ids": RANDOM[0], "relevant_ids": RANDOM[1]}))
    assert aggregate == {scorer.key: pytest.approx(got.mean(), rel=1e-12)}


@pytest.mark.parametrize("k", CUTOFFS)
def test_mrr_at_k_is_recip_rank_of_the_top_k(k):
    ref = trec(*RANDOM, {"recip_rank"}, truncate=k)
    assert_same(values(get_scorer(f"mrr@{k}"), *RANDOM), ref, "recip_rank", len(RANDOM[0]))


@pytest.mark.parametrize("k", [1, 3, 10, 100, None])
def test_exponential_gain_is_trec_eval_ndcg_on_exponential_grades(k):
    # trec_eval's gain is the grade itself: grades 2^g - 1 make it the exponential-gain nDCG
    exp_qrels = [{d: (2 ** g - 1 if g > 0 else g) for d, g in q.items()} for q in RANDOM[1]]
    measure = trec_measure("ndcg", k)
    ref = trec(RANDOM[0], exp_qrels, {measure})
    scorer = get_scorer("ndcg" if k is None else f"ndcg@{k}", gain="exponential")
    assert_same(values(scorer, *RANDOM), ref, result_key(measure), len(RANDOM[0]))


def test_exponential_gain_matches_ranx_ndcg_burges():
    ranx = pytest.importorskip("ranx", reason="ranx is the second reference for ndcg_burges (pip install ranx)")
    retrieved, relevant = make_queries(seed=11, n=400)
    # ranx needs every query judged, with at least one positive grade, and no negative grades
    keep = [q for q, d in enumerate(relevant) if any(g > 0 for g in d.values()) and retrieved[q]]
    retrieved = [retrieved[q] for q in keep]
    relevant = [{d: max(g, 0) for d, g in relevant[q].items()} for q in keep]
    qrels = ranx.Qrels({f"q{q:05d}": d for q, d in enumerate(relevant)})  # ranx sorts query ids
    run = ranx.Run({f"q{q:05d}": {d: float(len(r) - i) for i, d in enumerate(r)} for q, r in enumerate(retrieved)})
    ref = ranx.evaluate(qrels, run, "ndcg_burges@10", return_mean=False)
    got = values(get_scorer("ndcg@10", gain="exponential"), retrieved, relevant)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-15)


def test_edge_cases_one_by_one():
    # empty ranking / no relevant id / empty qrels / cutoff beyond the list / all relevant
    retrieved = [[], ["a", "b"], ["a"], ["a", "b"], ["x", "a"]]
    relevant = [{"a": 1}, {"a": 0, "c": -1}, {}, {"a": 2, "b": 1}, {"a": 1, "b": 3}]
    measures = ["P.5", "recall.5", "success.5", "ndcg_cut.5", "map_cut.5", "map", "recip_rank", "Rprec", "ndcg"]
    ref = trec(retrieved, relevant, measures)
    assert sorted(ref) == [0, 1, 3, 4]  # trec_eval drops the query without qrels; rageval scores it 0
    for name, k, measure in [("precision", 5, "P.5"), ("recall", 5, "recall.5"), ("hit_rate", 5, "success.5"),
                             ("ndcg", 5, "ndcg_cut.5"), ("map", 5, "map_cut.5"), ("map", None, "map"),
                             ("mrr", None, "recip_rank"), ("r_precision", None, "Rprec"), ("ndcg", None, "ndcg")]:
        scorer = get_scorer(name if k is None else f"{name}@{k}")
        assert_same(values(scorer, retrieved, relevant), ref, result_key(measure), len(retrieved))


def test_duplicates_are_an_error_as_in_trec_eval():
    scorer = get_scorer("ndcg@10")
    with pytest.raises(FieldError, match=r"field 'retrieved_ids' at row 1: id 'b' is ranked twice \(ranks 2 and 4\)"):
        scorer.stats({"retrieved_ids": [["a"], ["a", "b", "c", "b"]], "relevant_ids": [{"a": 1}, {"b": 1}]})


def test_duplicates_first_keeps_the_best_rank():
    rng = np.random.default_rng(3)
    retrieved, relevant = make_queries(seed=7, n=800)
    with_dups = [r + list(rng.choice(r, min(len(r), 5))) if r else r for r in retrieved]
    with_dups = [list(rng.permutation(r)) for r in with_dups]
    first = [list(dict.fromkeys(r)) for r in with_dups]
    ref = trec(first, relevant, {"ndcg_cut.10", "map", "P.5"})
    for name, measure in [("ndcg@10", "ndcg_cut_10"), ("map", "map"), ("precision@5", "P_5")]:
        got = values(get_scorer(name, duplicates="first"), with_dups, relevant)
        assert_same(got, ref, measure, len(first))


def test_list_relevant_ids_mean_grade_one():
    retrieved, relevant = make_queries(seed=9, n=300)
    as_lists = [[d for d, g in q.items() if g >= 1] for q in relevant]
    as_dicts = [dict.fromkeys(q, 1) for q in as_lists]
    for name in ("ndcg@5", "map", "recall@10", "r_precision"):
        scorer = get_scorer(name)
        np.testing.assert_array_equal(values(scorer, retrieved, as_lists), values(scorer, retrieved, as_dicts))


@pytest.mark.skipif(not WICE.is_dir(), reason="needs ../shared/data/wice (real evidence sentences), absent here")
@pytest.mark.parametrize("split", ["dev", "test"])
def test_real_wice_rankings_with_ties(split):
    """Rank each claim's evidence sentences by word overlap with the claim (many ties), graded by how
    many supporting sets hold the sentence. trec_eval gets the raw scores and breaks the ties itself
    (by docno, decreasing); rageval gets the ranking in that order."""
    rows = [json.loads(line) for line in (WICE / f"{split}.jsonl").read_text().splitlines()]
    scores, retrieved, relevant = [], [], []
    for row in rows:
        claim = set(row["claim"].lower().split())
        sc = {f"s{i:03d}": float(len(claim & set(s.lower().split()))) for i, s in enumerate(row["evidence"])}
        grades: dict[str, int] = {}
        for group in row["supporting_sentences"]:
            for i in group:
                grades[f"s{i:03d}"] = grades.get(f"s{i:03d}", 0) + 1
        scores.append(sc)
        retrieved.append(sorted(sc, key=lambda d: (-sc[d], [-ord(c) for c in d])))
        relevant.append(grades)
    measures = {"P.1", "P.5", "recall.10", "ndcg_cut.10", "ndcg", "map", "map_cut.20", "recip_rank", "Rprec",
                "success.3"}
    run = {str(q): s for q, s in enumerate(scores)}
    ref = pytrec_eval.RelevanceEvaluator({str(q): g for q, g in enumerate(relevant)}, measures).evaluate(run)
    ref = {int(q): v for q, v in ref.items()}
    for name, measure in [("precision@1", "P_1"), ("precision@5", "P_5"), ("recall@10", "recall_10"),
                          ("ndcg@10", "ndcg_cut_10"), ("ndcg", "ndcg"), ("map", "map"), ("map@20", "map_cut_20"),
                          ("mrr", "recip_rank"), ("r_precision", "Rprec"), ("hit_rate@3", "success_3")]:
        assert_same(values(get_scorer(name), retrieved, relevant), ref, measure, len(rows))


# --- parameters, keys, signatures --------------------------------------------------------------

def test_keys_and_signatures():
    assert get_scorer("ndcg@10").key == "ndcg@10"
    assert get_scorer("ndcg", k=10).key == "ndcg@10"
    assert get_scorer("map").key == "map" and get_scorer("mrr@5").key == "mrr@5"
    assert get_scorer("ndcg@10", gain="exponential").signature == \
        "ndcg@10|duplicates:error|gain:exponential|k:10|version:1"
    assert get_scorer("recall@3", relevance_level=2).signature == \
        "recall@3|duplicates:error|k:3|relevance_level:2|version:1"
    original = get_scorer("precision@5", relevance_level=np.int64(2))
    spec = original.spec()
    rebuilt = get_scorer(spec["base"], **spec["params"])
    assert (rebuilt.key, rebuilt.signature) == (original.key, original.signature)


@pytest.mark.parametrize("name,params,error,message", [
    ("ndcg", {"k": 0}, ValueError, "cutoff k must be a positive integer"),
    ("ndcg", {"k": "10"}, ValueError, "cutoff k must be a positive integer"),
    ("precision", {"k": True}, ValueError, "cutoff k must be a positive integer"),
    ("r_precision", {"k": 5}, TypeError, "r_precision takes no cutoff"),
    ("ndcg", {"relevance_level": 2}, TypeError, "applies no relevance level"),
    ("map", {"gain": "exponential"}, TypeError, "map takes no parameter 'gain'"),
    ("recall@5", {"relevance_level": 0}, ValueError, "relevance_level must be a positive number"),
    ("recall@5", {"relevance_level": "1"}, ValueError, "relevance_level must be a positive number"),
    ("recall@5", {"relevance_level": math.nan}, ValueError, "relevance_level must be a positive number"),
    ("ndcg", {"gain": "log"}, ValueError, "gain must be one of"),
    ("mrr", {"duplicates": "drop"}, ValueError, "duplicates must be one of"),
])
def test_bad_parameters(name, params, error, message):
    with pytest.raises(error, match=message):
        get_scorer(name, **params)


@pytest.mark.parametrize("retrieved,relevant,message", [
    (None, [{"a": 1}], "field 'retrieved_ids': expected one value per example (a list or array), got NoneType"),
    ([["a"]], None, "field 'relevant_ids': expected one value per example"),
    (["a b"], [{"a": 1}], "field 'retrieved_ids' at row 0: expected a list of ids (strings or integers), got str"),
    ([["a"], None], [{"a": 1}, {}], "field 'retrieved_ids' at row 1: missing value (None)"),
    ([["a"], ["b", 3.5]], [{}, {}], "field 'retrieved_ids' at row 1: expected a list of ids (strings or integers), "
                                    "item 1 is float"),
    ([["a"], ["b", None]], [{}, {}], "field 'retrieved_ids' at row 1: expected a list of ids (strings or integers), "
                                     "item 1 is a missing value (None)"),
    ([["a"], ["b"]], [{"a": 1}, 7], "field 'relevant_ids' at row 1: expected a list of ids or a dict of id -> grade"),
    ([["a"], ["b"]], [{"a": 1}, {"b": "2"}], "field 'relevant_ids' at row 1: expected a dict of id -> finite number"),
    ([["a"], ["b"]], [{"a": 1}, {"b": True}], "field 'relevant_ids' at row 1: expected a dict of id -> finite number"),
    ([["a"], ["b"]], [{"a": math.nan}, {}], "field 'relevant_ids' at row 0: expected a dict of id -> finite number"),
    ([["a"], ["b"]], [{"a": 1}, {3.5: 1}], "field 'relevant_ids' at row 1: expected a dict of id -> finite number"),
    ([["a"], ["b"]], [{"a": 1}], "retrieved_ids has 2 rows and relevant_ids 1"),
])
def test_bad_input_names_field_and_row(retrieved, relevant, message):
    with pytest.raises((FieldError, ValueError), match=message.replace("(", r"\(").replace(")", r"\)")):
        get_scorer("ndcg@10").stats({"retrieved_ids": retrieved, "relevant_ids": relevant})


def test_judging_is_shared_within_a_batch():
    plain = {"retrieved_ids": [["a", "b"], ["c"]], "relevant_ids": [{"b": 1}, {"c": 2}]}
    batch = Batch(plain)
    first = judged(batch)
    assert judged(batch) is first  # one judging for all the scorers of a batch
    assert get_scorer("precision@1").score_batch(batch).tolist() == [0.0, 1.0]
    assert judged(plain) is not judged(plain)  # a plain mapping shares nothing
    assert judged(batch, duplicates="first") is not first
    plain["relevant_ids"][0]["a"] = 3
    assert get_scorer("precision@1").score_batch(plain).tolist() == [1.0, 1.0]


def test_functional_core_on_its_own():
    j = F.judge([["a", "b", "c"], []], [{"c": 2, "a": 0, "z": 1}, {"q": 1}])
    assert F.num_relevant(j).tolist() == [2.0, 1.0]
    assert F.precision(j, 2).tolist() == [0.0, 0.0] and F.precision(j, 3).tolist() == [1 / 3, 0.0]
    assert F.reciprocal_rank(j).tolist() == [1 / 3, 0.0]
    assert F.hit_rate(j, 2).tolist() == [0.0, 0.0] and F.hit_rate(j).tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="read-only"):
        j.grades[0, 0] = 1.0


def test_rankings_all_empty_score_zero():
    batch = {"retrieved_ids": [[], []], "relevant_ids": [{"a": 1}, {}]}
    names = ("precision@3", "recall@3", "hit_rate", "ndcg@3", "ndcg", "map", "map@2", "mrr", "mrr@1", "r_precision")
    for scorer in [*map(get_scorer, names), retrieval_scorer("precision", None)]:
        assert np.asarray(scorer.stats(batch)).tolist() == [[0.0], [0.0]]


def test_no_queries_gives_no_values():
    j = F.judge([], [])
    for metric in (F.precision, F.recall, F.hit_rate, F.reciprocal_rank, F.average_precision, F.ndcg):
        assert metric(j).shape == (0,) and metric(j, 3).shape == (0,)
    assert F.r_precision(j).shape == (0,)


# --- end to end ------------------------------------------------------------------------------

def test_through_evaluate_matches_trec_eval():
    import rageval

    retrieved, relevant = make_queries(seed=13, n=700)
    # the user's columns: gold ids as a plain list (grade 1) on some rows, graded dicts on others
    gold = [[d for d, g in q.items() if g == 1] if i % 3 == 0 else q for i, q in enumerate(relevant)]
    canonical = [dict.fromkeys(g, 1) if isinstance(g, list) else g for g in gold]
    data = [{"qid": f"q{i}", "docs": r, "gold": g} for i, (r, g) in enumerate(zip(retrieved, gold))]
    names = ["ndcg@10", "map", "mrr@3", "recall@20", "precision@5", "hit_rate@1", "r_precision", "map@5"]
    res = rageval.evaluate(data, scorers=names, columns={"id": "qid", "retrieved_ids": "docs", "relevant_ids": "gold"},
                           batch_size=128, progress=False)
    table = res.to_pandas()
    assert table["id"].tolist() == [row["qid"] for row in data]
    ref = trec(retrieved, canonical, ["ndcg_cut.10", "map", "recall.20", "P.5", "success.1", "Rprec", "map_cut.5"])
    ref_mrr3 = trec(retrieved, canonical, ["recip_rank"], truncate=3)
    for name, measure, r in [("ndcg@10", "ndcg_cut_10", ref), ("map", "map", ref), ("recall@20", "recall_20", ref),
                             ("precision@5", "P_5", ref), ("hit_rate@1", "success_1", ref),
                             ("r_precision", "Rprec", ref), ("map@5", "map_cut_5", ref),
                             ("mrr@3", "recip_rank", ref_mrr3)]:
        got = table[name].to_numpy()
        assert_same(got, r, measure, len(data))
        assert res.aggregate[name] == pytest.approx(got.mean(), rel=1e-12)


def test_a_ranking_with_duplicates_fails_alone_under_evaluate():
    import rageval

    data = [{"retrieved_ids": ["a", "b"], "relevant_ids": ["a"]},
            {"retrieved_ids": ["a", "b", "a"], "relevant_ids": ["b"]},
            {"retrieved_ids": ["c"], "relevant_ids": ["c"]}]
    table = rageval.evaluate(data, scorers=["mrr"], progress=False).to_pandas()
    assert table["mrr"].tolist()[::2] == [1.0, 1.0] and math.isnan(table["mrr"][1])
    assert "ranked twice" in table["mrr.error"][1]
    fixed = rageval.evaluate(data, scorers=[("mrr", {"duplicates": "first"})], progress=False).to_pandas()
    assert fixed["mrr"].tolist() == [1.0, 0.5, 1.0]


def test_docstring_examples():
    import doctest

    from rageval.scorers.retrieval import ranking

    for module in (F, ranking):
        assert doctest.testmod(module).failed == 0
