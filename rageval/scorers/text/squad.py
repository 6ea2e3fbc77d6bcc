"""`exact_match` and `token_f1`: the official SQuAD v2.0 evaluation script's definitions.

Answers and references are normalised as the script does (lowercase, punctuation removed, the
articles a/an/the removed, whitespace collapsed). Exact match is 1 when the normalised strings
are equal; token F1 is the harmonic mean of token precision and recall over the bag of
normalised tokens. The empty-answer rule: when either side has no tokens, F1 is 1 if both are
empty and 0 otherwise. With several references, the maximum over references is taken, after
dropping references that normalise to nothing (an example left with none is scored against
"", the script's unanswerable case). Values on 0-1 (the script reports 0-100).
"""
from __future__ import annotations

import re
import string
from collections import Counter

from rageval.core.fields import check_references, check_str
from rageval.core.scorer import Batch, MeanScorer

_DROP_PUNCT = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def normalize_answer(s: str) -> str:
    """Lower text and remove punctuation, articles and extra whitespace (SQuAD v2.0 script)."""
    return " ".join(_ARTICLES.sub(" ", s.lower().translate(_DROP_PUNCT)).split())


def _exact(pred: list[str], gold: list[str]) -> float:
    return float(pred == gold)


def _f1(pred: list[str], gold: list[str]) -> float:
    if not pred or not gold:
        return float(pred == gold)
    common = sum((Counter(pred) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def exact_match(answer: str, reference: str) -> float:
    """1.0 when the normalised strings are equal, else 0.0."""
    return _exact(normalize_answer(answer).split(), normalize_answer(reference).split())


def token_f1(answer: str, reference: str) -> float:
    """F1 over the bags of normalised tokens; 1.0 when both are empty, 0.0 when one is."""
    return _f1(normalize_answer(answer).split(), normalize_answer(reference).split())


class _Squad(MeanScorer):
    fields = ("answer", "references")
    bounds = (0.0, 1.0)
    compare = staticmethod(_exact)

    def score_batch(self, batch: Batch) -> list[float]:
        answers = check_str("answer", "answer", batch["answer"])
        references = check_references("references", "references", batch["references"])
        out = []
        for answer, refs in zip(answers, references):
            pred = normalize_answer(answer).split()
            # as the script: gold answers that normalise to nothing are dropped, and an example
            # with no gold answer left is scored against "" (unanswerable)
            golds = [g for g in (normalize_answer(r).split() for r in refs) if g] or [[]]
            out.append(max(self.compare(pred, g) for g in golds))
        return out


class ExactMatch(_Squad):
    """Exact match after SQuAD normalisation, maximum over references, on 0-1.

    >>> ExactMatch().reduce(ExactMatch().stats({"answer": ["The cat!"], "references": [["cat"]]}))
    {'exact_match': 1.0}
    """

    name = "exact_match"
    compare = staticmethod(_exact)


class TokenF1(_Squad):
    """Token-level F1 after SQuAD normalisation, maximum over references, on 0-1."""

    name = "token_f1"
    compare = staticmethod(_f1)
