"""Answer relevance: how directly the answer addresses the question."""
from __future__ import annotations

from typing import Any, ClassVar

from rageval.core.scorer import Batch
from rageval.scorers.rag.base import EMPTY_ANSWER, EMPTY_QUESTION, JudgedScorer, blank, flagged, judged, zero_by_rule


class AnswerRelevance(JudgedScorer):
    """answer_relevance = addresses(question, answer): the judge's probability that the answer
    directly addresses the question.

    Departure from RAGAS ``ResponseRelevancy`` (generate questions from the answer, average their
    embedding cosine with the question, zero for a noncommittal answer): one direct judgement per
    example, which every judge kind can give (an LLM judge is asked whether the answer addresses
    the question; the embedding judges compare question and answer). Correctness is not judged here
    (see `AnswerCorrectness`).

    Per example: ``values`` ([the judgement]), ``verdicts``, ``flag``. An empty answer (blank: no
    letter or digit) to a question addresses nothing: score 0 with ``rule: "empty_answer"``, not
    left out. Undefined, flagged and left out of the mean: an empty question (``empty_question``).
    """

    name: ClassVar[str] = "answer_relevance"
    version: ClassVar[str] = "2"  # 2: an empty answer scores 0 (version 1 flagged it and left it out)
    fields: ClassVar[tuple[str, ...]] = ("question", "answer")

    def __init__(self, judge: Any = None, threshold: float = 0.5) -> None:
        super().__init__(judge=judge, threshold=threshold)

    def stats(self, batch: Batch) -> list[dict[str, Any]]:
        questions, answers = self.column(batch, "question"), self.column(batch, "answer")
        out: list[Any] = [None] * len(questions)
        todo = []
        for i, (q, a) in enumerate(zip(questions, answers)):
            if blank(q):
                out[i] = flagged(EMPTY_QUESTION)
            elif blank(a):
                out[i] = zero_by_rule(EMPTY_ANSWER)
            else:
                todo.append(i)
        values = self.judge.addresses([questions[i] for i in todo], [answers[i] for i in todo]) if todo else []
        for i, v in zip(todo, values):
            out[i] = judged(float(v), values=[float(v)], verdicts=self.verdicts([v]))
        return out
