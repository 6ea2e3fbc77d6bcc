"""Meta-evaluation: how well a judge, through the RAG scorers, agrees with human labels
(WiCE and Q² for faithfulness, ClapNQ for context relevance, EVOUNA for answer correctness).
The command line, ``rageval meta-eval``, is `rageval.metaeval.cli`."""
from __future__ import annotations

from rageval.metaeval.data import LOADERS, LabelledSet, load
from rageval.metaeval.evaluate import GOALS, TaskResult, meta_evaluate, to_markdown

__all__ = ["GOALS", "LOADERS", "LabelledSet", "TaskResult", "load", "meta_evaluate", "to_markdown"]
