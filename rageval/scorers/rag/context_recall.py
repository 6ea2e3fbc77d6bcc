"""Context recall: the share of the reference answer's claims that the retrieved contexts support
(or, with ``mode="ids"``, the share of the relevant ids that were retrieved)."""
from __future__ import annotations

from typing import Any, ClassVar

from rageval.core.scorer import Batch
from rageval.scorers.rag.base import NO_CONTEXTS, NO_REFERENCE, NO_RELEVANT, ModalScorer, claim_support, flagged, judged
from rageval.scorers.retrieval import functional


class ContextRecall(ModalScorer):
    """context_recall = (1/|C|) Σ_{c ∈ C} support(contexts, c), C = the reference's claims.

    ``mode="judge"`` (default; fields ``contexts``, ``reference``): as RAGAS
    ``LLMContextRecall`` (each reference statement classified as attributable to the retrieved
    context, joined) and RAGChecker's claim recall; claims and support as in `Faithfulness` (LLM
    claims for generative judges, sentences otherwise; graded support is averaged, binary support
    gives RAGAS's value exactly).

    ``mode="ids"`` (fields ``retrieved_ids``, ``relevant_ids``): |retrieved ∩ relevant| / |relevant|,
    RAGAS ``IDBasedContextRecall``; computed by the retrieval family's trec_eval-exact core
    (`rageval.scorers.retrieval.functional.recall` over the whole ranking; relevant = grade >= 1).

    Nothing to judge: an empty reference (``no_reference``), no non-blank context or no retrieved id
    (``no_contexts``), no claim (``no_claims``), no relevant id (``no_relevant_ids``). Per-example
    detail as in `Faithfulness` (judge mode) or ``retrieved``/``relevant`` counts (ids mode).
    """

    name: ClassVar[str] = "context_recall"
    fields: ClassVar[tuple[str, ...]] = ("contexts", "reference")

    def stats(self, batch: Batch) -> list[dict[str, Any]]:
        if self.mode == "ids":
            return ids_recall(self.column(batch, "retrieved_ids"), self.column(batch, "relevant_ids"))
        return claim_support(self, self.column(batch, "reference"), self.column(batch, "contexts"), NO_REFERENCE)


def ids_recall(retrieved: list[list[str]], relevant: list[dict[str, float]]) -> list[dict[str, Any]]:
    """Per example: recall of the relevant ids (grade >= 1) over the whole retrieved list."""
    values = functional.recall(functional.judge(retrieved, relevant, duplicates="first"))
    out = []
    for ranking, qrels, v in zip(retrieved, relevant, values):
        n_rel = sum(1 for g in qrels.values() if g >= 1)
        if not ranking:
            out.append(flagged(NO_CONTEXTS))
        elif n_rel == 0:
            out.append(flagged(NO_RELEVANT))
        else:
            out.append(judged(float(v), retrieved=len(ranking), relevant=n_rel))
    return out
