"""Seeded random rankings with trec_eval's edge cases, and pytrec_eval run on them (the reference of
the retrieval scorers)."""
from __future__ import annotations

import numpy as np


def make_queries(seed: int, n: int) -> tuple[list[list[str]], list[dict[str, int]]]:
    """Random rankings and graded qrels; about one query in ten is an edge case: empty ranking,
    empty qrels, no relevant id, only negative grades, a ranking longer than every cutoff."""
    rng = np.random.default_rng(seed)
    pool = [f"doc-{i}" for i in range(150)]
    retrieved, relevant = [], []
    for _ in range(n):
        kind = rng.integers(0, 40)
        length = 0 if kind == 0 else int(rng.integers(101, 150)) if kind == 1 else int(rng.integers(1, 60))
        ranking = [pool[j] for j in rng.permutation(len(pool))[:length]]
        judged_ids = [pool[j] for j in rng.permutation(len(pool))[:int(rng.integers(1, 30))]]
        judged_ids += list(rng.choice(ranking, min(len(ranking), int(rng.integers(0, 8))), replace=False))
        grades = rng.integers(-1, 5, len(judged_ids))
        if kind == 2:
            grades = np.zeros_like(grades)
        elif kind == 3:
            grades = -np.ones_like(grades)
        qrels = {d: int(g) for d, g in zip(judged_ids, grades)}
        relevant.append({} if kind == 4 else qrels)
        retrieved.append(ranking)
    return retrieved, relevant


def trec(retrieved, relevant, measures, level=1, truncate=None) -> dict[int, dict[str, float]]:
    """pytrec_eval per query, fed descending scores so that its order is the given order."""
    import pytrec_eval  # the tests that call this skip first when it is missing

    run = {str(q): {d: float(len(r) - i) for i, d in enumerate(r[:truncate])} for q, r in enumerate(retrieved)}
    qrels = {str(q): d for q, d in enumerate(relevant)}
    out = pytrec_eval.RelevanceEvaluator(qrels, set(measures), relevance_level=level).evaluate(run)
    return {int(q): v for q, v in out.items()}
