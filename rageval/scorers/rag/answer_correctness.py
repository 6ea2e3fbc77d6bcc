"""Answer correctness: agreement of the answer with the reference answer(s)."""
from __future__ import annotations

from typing import Any, ClassVar

from rageval.core.scorer import Batch
from rageval.scorers.rag.base import (
    EMPTY_ANSWER,
    NO_REFERENCE,
    JudgedScorer,
    blank,
    flagged,
    group,
    judged,
    zero_by_rule,
)


class AnswerCorrectness(JudgedScorer):
    """answer_correctness = maxᵣ agreement(answer, reference_r, question) over the references.

    ``agreement`` is the judge's probability that the answer agrees with (states what) the reference
    answer (says) for the question; several references are alternatives (a gold answer and its
    aliases), so the best-matching one counts, as in SQuAD's max over gold answers. Departure from
    RAGAS ``AnswerCorrectness`` (F1 over claims classified TP/FP/FN, blended 0.75/0.25 with
    embedding similarity): one judgement per reference, which rewards a correct answer that adds
    correct detail instead of penalising it as a false positive claim; for the claim-level view use
    `Faithfulness` with the reference as context. Blank references are ignored.

    Per example: ``values`` (agreement with each non-blank reference), ``verdicts``, ``best``
    (index among those references), ``flag``. An empty answer (blank: no letter or digit) is a wrong
    answer: score 0 with ``rule: "empty_answer"`` (one 0.0 value per reference, ``best`` 0), not left
    out. Undefined, flagged and left out of the mean: no non-blank reference (``no_reference``).
    The question is optional.
    """

    name: ClassVar[str] = "answer_correctness"
    version: ClassVar[str] = "2"  # 2: an empty answer scores 0 (version 1 flagged it and left it out)
    fields: ClassVar[tuple[str, ...]] = ("answer", "references")
    optional_fields: ClassVar[tuple[str, ...]] = ("question",)

    def __init__(self, judge: Any = None, threshold: float = 0.5) -> None:
        super().__init__(judge=judge, threshold=threshold)

    def stats(self, batch: Batch) -> list[dict[str, Any]]:
        answers, references = self.column(batch, "answer"), self.column(batch, "references")
        questions = self.column(batch, "question") if "question" in batch else None
        out: list[Any] = [None] * len(answers)
        owners, ans, refs, qs = [], [], [], []
        for i, (a, rs) in enumerate(zip(answers, references)):
            rs = [r for r in rs if not blank(r)]
            if not rs:
                out[i] = flagged(NO_REFERENCE)
            elif blank(a):
                out[i] = {**zero_by_rule(EMPTY_ANSWER, len(rs)), "best": 0}
            else:
                owners += [i] * len(rs)
                ans += [a] * len(rs)
                refs += rs
                if questions is not None:
                    qs += [questions[i]] * len(rs)
        values = self.judge.agreement(ans, refs, qs if questions is not None else None) if owners else []
        for i, vs in group(owners, [float(v) for v in values]).items():
            best = max(range(len(vs)), key=vs.__getitem__)
            out[i] = judged(vs[best], values=vs, verdicts=self.verdicts(vs), best=best)
        return out
