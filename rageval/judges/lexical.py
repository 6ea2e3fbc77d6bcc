"""The lexical judge: word overlap, no model. A transparent baseline and a building block of the
offline default judge."""
from __future__ import annotations

import functools
import html
import re
import unicodedata
from typing import Any

from rageval.judges.base import DEFAULT_CACHE, Judge, JudgeError

_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """scikit-learn's English stop-word list (318 words), available offline."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def words(text: str) -> list[str]:
    """Lower-cased word tokens: HTML entities unescaped, NFKC-normalised, case-folded, ``\\w+`` runs."""
    return _WORD.findall(unicodedata.normalize("NFKC", html.unescape(text)).casefold())


def content_words(text: str) -> set[str]:
    """The distinct words of ``text`` minus stop words; all its words when only stop words remain."""
    ws = set(words(text))
    content = ws - stopwords()
    return content or ws


def recall(target: str, source: str) -> float | JudgeError:
    """|content_words(target) ∩ words(source)| / |content_words(target)|.

    The share of the target's distinct content words found in the source; a target without any
    word is an error (nothing to judge), never a silent 0 or 1.
    """
    needed = content_words(target)
    if not needed:
        return JudgeError(f"nothing to judge: {target!r} has no words")
    return len(needed & set(words(source))) / len(needed)


class LexicalJudge(Judge):
    """Word-overlap judge. Every primitive is the `recall` of one text's content words in another:

    * ``support(premise, claim)``: recall of the claim in the premise;
    * ``relevance(question, passage)``: recall of the question in the passage;
    * ``agreement(answer, reference)``: recall of the reference in the answer (the question is
      not used);
    * ``addresses(question, answer)``: recall of the question in the answer;
    * ``claims``: sentences (`rageval.textutils.sentences.split_sentences`).

    Not cached by default (recomputing is cheaper than a lookup); pass ``cache_dir`` to cache.
    """

    kind = "lexical"
    cache_by_default = False

    def __init__(self, cache_dir: Any = DEFAULT_CACHE) -> None:
        super().__init__(cache_dir=cache_dir)

    def _run(self, task: str, targets: list[str], sources: list[str]) -> list:
        if self.cache is None:
            return [recall(t, s) for t, s in zip(targets, sources)]
        pairs = list(zip(targets, sources))
        return self._cached(task, pairs, lambda idx: ((i, recall(*pairs[i])) for i in idx))

    def _support(self, premises: list[str], claims: list[str]) -> list:
        return self._run("support", claims, premises)

    def _relevance(self, questions: list[str], passages: list[str]) -> list:
        return self._run("relevance", questions, passages)

    def _agreement(self, answers: list[str], references: list[str], questions: list[str] | None) -> list:
        return self._run("agreement", references, answers)

    def _addresses(self, questions: list[str], answers: list[str]) -> list:
        return self._run("addresses", questions, answers)
