"""Input checks shared by the text scorers that compare an `answer` with its `references`: the
canonical field checkers of `rageval.core.fields`, plus "at least one reference"."""
from __future__ import annotations

from rageval.core.errors import FieldError
from rageval.core.fields import check_references, check_str
from rageval.core.scorer import Batch


def hypotheses_and_references(batch: Batch) -> tuple[list[str], list[list[str]]]:
    """The batch's ``answer`` strings and each example's references (a bare string is one).

    Raises `FieldError` naming the field and the row (within the batch) for an answer that is
    not a string, a reference that is not a string, or an example without references.
    """
    answers = check_str("answer", "answer", batch["answer"])
    references = check_references("references", "references", batch["references"])
    if len(answers) != len(references):
        raise ValueError(f"the batch has {len(answers)} answers and {len(references)} reference lists")
    for row, refs in enumerate(references):
        if not refs:
            raise FieldError("references", "references", row, "no reference (at least one is needed)")
    return answers, references
