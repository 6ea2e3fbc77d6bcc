"""Properties of the rag family with the lexical judge on hostile data: a FieldError naming field
and row, or per-example judge errors recorded, and finite values in [0, 1] (no reference exists)."""
import math

from hypothesis import strategies as st
from support.properties import bounded_and_slow, check, rows_of, texts

import rageval

ROWS = rows_of({"question": texts, "answer": texts, "contexts": st.lists(texts, min_size=1, max_size=3),
                "references": st.lists(texts, min_size=1, max_size=2)}, max_rows=4)
NAMES = ("faithfulness", "context_relevance", "context_precision", "context_recall", "answer_relevance",
         "answer_correctness")


def rag_property(rows):
    res = check(rows, [rageval.get_scorer(n, judge="lexical") for n in NAMES])
    if res is not None:
        for key, value in res.aggregate.items():
            assert math.isnan(value) or 0.0 <= value <= 1.0, (key, value)


test_rag_family, test_rag_family_slow = bounded_and_slow(ROWS)(rag_property)
