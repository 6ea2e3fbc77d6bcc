"""Context relevance: how relevant each retrieved context is to the question, and their mean."""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from rageval.core.scorer import Batch
from rageval.scorers.rag.base import EMPTY_QUESTION, NO_CONTEXTS, JudgedScorer, blank, flagged, group, judged


class ContextRelevance(JudgedScorer):
    """context_relevance = (1/K) Σₖ relevance(question, contextₖ) over the K retrieved contexts.

    ``relevance`` is the judge's probability that the context is relevant to (helps answer) the
    question, one judgement per context. With binary verdicts this is the precision of the
    retrieved set (the share of relevant contexts), like RAGChecker's context precision and the
    chunk-level variant of RAGAS ``context_relevance``; departure: RAGAS's current
    ``ContextRelevance`` rates all contexts together on a 0/1/2 scale (twice, averaged), we judge
    each context so that the per-context values can be inspected and the score does not depend on
    how contexts are concatenated. A blank context scores 0 (it is irrelevant).

    Per example: ``values`` (relevance of each context), ``verdicts`` (value >= threshold),
    ``flag``. Nothing to judge: an empty question (``empty_question``), no context
    (``no_contexts``).
    """

    name: ClassVar[str] = "context_relevance"
    fields: ClassVar[tuple[str, ...]] = ("question", "contexts")

    def __init__(self, judge: Any = None, threshold: float = 0.5) -> None:
        super().__init__(judge=judge, threshold=threshold)

    def stats(self, batch: Batch) -> list[dict[str, Any]]:
        questions, contexts = self.column(batch, "question"), self.column(batch, "contexts")
        out: list[Any] = [None] * len(questions)
        owners, qs, ps = [], [], []
        for i, (q, ctxs) in enumerate(zip(questions, contexts)):
            if blank(q):
                out[i] = flagged(EMPTY_QUESTION)
            elif not ctxs:
                out[i] = flagged(NO_CONTEXTS)
            else:
                owners += [i] * len(ctxs)
                qs += [q] * len(ctxs)
                ps += ctxs
        values = self.judge.relevance(qs, ps) if qs else []
        for i, vs in group(owners, [float(v) for v in values]).items():
            out[i] = judged(float(np.mean(vs)), values=vs, verdicts=self.verdicts(vs))
        return out
