"""Faithfulness: the share of an answer's claims that the retrieved contexts support."""
from __future__ import annotations

from typing import Any, ClassVar

from rageval.core.scorer import Batch
from rageval.scorers.rag.base import EMPTY_ANSWER, JudgedScorer, claim_support


class Faithfulness(JudgedScorer):
    """faithfulness = (1/|C|) Σ_{c ∈ C} support(contexts, c), C = the answer's claims.

    Claims come from ``judge.claims(answer)``: an LLM decomposition for generative judges (as
    RAGAS's statement extraction), the answer's sentences otherwise. ``support`` is the judge's
    probability that the claim is entailed by all the example's contexts joined into one premise
    (RAGAS and RAGChecker judge claims against the retrieved context as a whole). With a judge that
    answers 0 or 1 this is exactly RAGAS ``faithfulness`` (supported claims / claims) and
    RAGChecker's ``faithfulness``; with a graded judge it is the expected share of supported claims
    (departure: RAGAS thresholds nothing because its verdicts are already binary). The question is
    not used (RAGAS passes it to the statement-extraction prompt only).

    Per example (statistics): ``claims``, ``values`` (support of each), ``verdicts``
    (value >= ``threshold``), ``support`` (index of the context a supported claim most likely rests
    on, for display), ``flag``. Nothing to judge (see `rageval.scorers.rag.base`): an empty answer
    (``empty_answer``), no non-blank context (``no_contexts``), no claim (``no_claims``).

    >>> s = Faithfulness(judge="lexical")
    >>> s.stats({"contexts": [["Paris is the capital of France."]], "answer": ["Paris is the capital."]})[0]["score"]
    1.0
    """

    name: ClassVar[str] = "faithfulness"
    fields: ClassVar[tuple[str, ...]] = ("contexts", "answer")

    def __init__(self, judge: Any = None, threshold: float = 0.5) -> None:
        super().__init__(judge=judge, threshold=threshold)

    def stats(self, batch: Batch) -> list[dict[str, Any]]:
        return claim_support(self, self.column(batch, "answer"), self.column(batch, "contexts"), EMPTY_ANSWER)
