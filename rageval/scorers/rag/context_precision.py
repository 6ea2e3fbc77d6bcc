"""Context precision: ranking-aware precision of the retrieved contexts that are useful for the
reference answer, Σₖ (precision@k · vₖ) / Σₖ vₖ (RAGAS)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from rageval.core.scorer import Batch
from rageval.scorers.rag.base import (
    NO_CLAIMS,
    NO_CONTEXTS,
    NO_REFERENCE,
    NO_RELEVANT,
    ModalScorer,
    blank,
    flagged,
    judged,
)
from rageval.scorers.retrieval import functional


def ranked_precision(v: Sequence[float]) -> float:
    """Σₖ (precision@k · vₖ) / Σₖ vₖ with precision@k = (Σ_{i≤k} vᵢ) / k; 0 when Σₖ vₖ = 0.

    RAGAS ``_calculate_average_precision`` (which divides by Σ vₖ + 1e-10, hence 0 for no useful
    context). With binary vₖ it is the average precision over the useful contexts retrieved.
    """
    v = np.asarray(v, dtype=np.float64)
    total = v.sum()
    if total <= 0:
        return 0.0
    precision_at = np.cumsum(v) / np.arange(1, len(v) + 1)
    return float((precision_at * v).sum() / total)


class ContextPrecision(ModalScorer):
    """context_precision = Σₖ (precision@k · vₖ) / Σₖ vₖ over the retrieved contexts in rank order.

    ``mode="judge"`` (default; fields ``contexts``, ``reference``): vₖ = maxⱼ support(contextₖ,
    claimⱼ) over the reference's claims — context k is useful when it supports at least one claim of
    the reference. The ranking formula is RAGAS's ``LLMContextPrecisionWithReference``; its
    per-context verdict ("was this context useful in arriving at the reference?", one LLM call per
    context) is replaced by claim-level entailment, RAGChecker's definition of a relevant chunk
    (a chunk that entails at least one ground-truth claim). Graded vₖ enter the formula as they
    are; binary verdicts give RAGAS's value exactly.

    ``mode="ids"`` (fields ``retrieved_ids``, ``relevant_ids``): vₖ = 1 when the k-th retrieved id
    has relevance grade >= 1 (judged by the retrieval family's trec_eval-exact core), else 0.

    Σₖ vₖ = 0 (nothing useful retrieved) scores 0, as in RAGAS. Nothing to judge: an empty reference
    (``no_reference``), no non-blank context / no retrieved id (``no_contexts``), no claim
    (``no_claims``), no relevant id (``no_relevant_ids``). Per example: ``values`` (vₖ),
    ``verdicts`` (vₖ >= threshold), and in judge mode ``claims`` and ``support`` (for each useful
    context, the index of the claim it supports best; None otherwise).
    """

    name: ClassVar[str] = "context_precision"
    fields: ClassVar[tuple[str, ...]] = ("contexts", "reference")

    def stats(self, batch: Batch) -> list[dict[str, Any]]:
        if self.mode == "ids":
            return self._ids(self.column(batch, "retrieved_ids"), self.column(batch, "relevant_ids"))
        references, contexts = self.column(batch, "reference"), self.column(batch, "contexts")
        out: list[Any] = [None] * len(references)
        todo = []
        for i, (ref, ctxs) in enumerate(zip(references, contexts)):
            if blank(ref):
                out[i] = flagged(NO_REFERENCE)
            elif not ctxs:
                out[i] = flagged(NO_CONTEXTS)
            else:
                todo.append(i)
        claims = dict(zip(todo, self.judge.claims([references[i] for i in todo]) if todo else []))
        cells, premises, hyps = [], [], []  # one judge call per (example, context, claim)
        for i in todo:
            cs = [c for c in claims[i] if not blank(c)]
            claims[i] = cs
            if not cs:
                out[i] = flagged(NO_CLAIMS)
                continue
            for k, ctx in enumerate(contexts[i]):
                for j, c in enumerate(cs):
                    cells.append((i, k, j))
                    premises.append(ctx)
                    hyps.append(c)
        values = self.judge.support(premises, hyps) if cells else []
        grid: dict[int, np.ndarray] = {i: np.zeros((len(contexts[i]), len(claims[i])))
                                       for i in todo if out[i] is None}
        for (i, k, j), v in zip(cells, values):
            grid[i][k, j] = v
        for i, g in grid.items():
            v = g.max(axis=1)
            verdicts = self.verdicts(v)
            best = [int(j) if ok else None for j, ok in zip(g.argmax(axis=1), verdicts)]
            out[i] = judged(ranked_precision(v), claims=claims[i], values=v.tolist(), verdicts=verdicts, support=best)
        return out

    def _ids(self, retrieved: list[list[str]], relevant: list[dict[str, float]]) -> list[dict[str, Any]]:
        grades = functional.judge(retrieved, relevant, duplicates="first").grades
        out = []
        for q, (ranking, qrels) in enumerate(zip(retrieved, relevant)):
            v = [float(g >= 1) for g in grades[:len(dict.fromkeys(ranking)), q]]  # NaN >= 1 is False
            if not ranking:
                out.append(flagged(NO_CONTEXTS))
            elif not any(g >= 1 for g in qrels.values()):
                out.append(flagged(NO_RELEVANT))
            else:
                out.append(judged(ranked_precision(v), values=v, verdicts=[bool(x) for x in v]))
        return out
