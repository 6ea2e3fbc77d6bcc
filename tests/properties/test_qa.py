"""Properties of the qa family (SQuAD exact match and token F1) on hostile data: a FieldError naming
field and row, or the official SQuAD v2 script's value (tests/support/squad_v2_reference.py)."""
from hypothesis import strategies as st
from support.properties import bounded_and_slow, check, rows_of, texts
from support.squad_v2_reference import raw_scores

ROWS = rows_of({"answer": texts, "references": st.lists(texts, min_size=1, max_size=3)})


def squad_reference(rows):
    exact, f1 = raw_scores([r["answer"] for r in rows], [r["references"] for r in rows])
    return {"exact_match": sum(exact) / len(exact), "token_f1": sum(f1) / len(f1)}


def squad_property(rows):
    check(rows, ["exact_match", "token_f1"], squad_reference, rel=1e-12)


test_squad_family, test_squad_family_slow = bounded_and_slow(ROWS)(squad_property)
