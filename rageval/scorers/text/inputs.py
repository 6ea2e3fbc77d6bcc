"""Input checks shared by the text scorers that compare an `answer` with its `references`."""
from __future__ import annotations

import numpy as np

from rageval.core.errors import FieldError
from rageval.core.scorer import Batch


def hypotheses_and_references(batch: Batch) -> tuple[list[str], list[list[str]]]:
    """The batch's ``answer`` strings and each example's references (``None`` dropped).

    Raises `FieldError` naming the field and the row (within the batch) for a missing answer, a
    reference that is not a string, or an example without references.
    """
    hyps, refs = batch["answer"], batch["references"]
    if len(hyps) != len(refs):
        raise ValueError(f"the batch has {len(hyps)} answers and {len(refs)} reference lists")
    out_refs = []
    for row, (hyp, rs) in enumerate(zip(hyps, refs)):
        if not isinstance(hyp, str):
            raise FieldError("answer", "answer", row, f"expected a string, got {type(hyp).__name__}")
        if isinstance(rs, str):
            rs = [rs]
        elif isinstance(rs, np.ndarray):  # lists read back from Parquet or pandas
            rs = rs.tolist()
        if not isinstance(rs, (list, tuple)):
            raise FieldError("references", "references", row,
                             f"expected a list of strings, got {type(rs).__name__}")
        rs = [r for r in rs if r is not None]
        for r in rs:
            if not isinstance(r, str):
                raise FieldError("references", "references", row,
                                 f"expected a list of strings, got an item of type {type(r).__name__}")
        if not rs:
            raise FieldError("references", "references", row, "no reference (at least one is needed)")
        out_refs.append(rs)
    return list(hyps), out_refs
