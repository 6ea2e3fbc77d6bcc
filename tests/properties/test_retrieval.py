"""Properties of the retrieval family (trec_eval's measures) on hostile rankings and qrels: a
FieldError naming field and row, or pytrec_eval's value (mean over queries)."""
import pytest
from hypothesis import strategies as st
from support.properties import bounded_and_slow, check, rows_of

pytrec_eval = pytest.importorskip("pytrec_eval", reason="pytrec_eval is the reference")

DOCS = st.sampled_from([f"d{i}" for i in range(8)] + ["", "é", "\ud800"])
ROWS = rows_of({"retrieved_ids": st.lists(DOCS, max_size=8, unique=True),
                "relevant_ids": st.lists(DOCS, max_size=5, unique=True)}, max_rows=5)
MEASURES = {"ndcg_cut_5": "ndcg@5", "map": "map", "recall_5": "recall@5", "P_5": "precision@5",
            "recip_rank": "mrr"}


def trec_reference(rows):
    run = {str(q): {d: float(len(r["retrieved_ids"]) - i) for i, d in enumerate(r["retrieved_ids"])}
           for q, r in enumerate(rows)}
    qrels = {str(q): dict.fromkeys(r["relevant_ids"], 1) for q, r in enumerate(rows)}
    out = pytrec_eval.RelevanceEvaluator(qrels, set(MEASURES)).evaluate(run)
    # a query without qrels, which trec_eval drops, scores 0 here (the mean is over every query)
    return {ours: sum(out.get(str(q), {}).get(theirs, 0.0) for q in range(len(rows))) / len(rows)
            for theirs, ours in MEASURES.items()}


def retrieval_property(rows):
    check(rows, list(MEASURES.values()), trec_reference, rel=1e-12)


test_retrieval_family, test_retrieval_family_slow = bounded_and_slow(ROWS)(retrieval_property)
