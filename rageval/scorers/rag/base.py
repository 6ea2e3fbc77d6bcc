"""Shared machinery of the judge-backed RAG scorers: the judge parameter, input checks, the
"nothing to judge" convention, per-example detail, and the mean over judged examples.

Two rules for inputs with nothing to judge, stated per scorer in its docstring:

- **Scored 0 by rule** where the metric is defined and silence is wrong: an empty answer (or
  whitespace or punctuation only) to a question is an incorrect answer for `AnswerCorrectness` and
  an irrelevant one for `AnswerRelevance`. Its statistics entry is a judged one with score 0.0 and
  ``"rule": "empty_answer"`` in the detail, so a system that answers nothing on hard questions does
  not score higher than one that tries.
- **Flagged, left out** only where the metric is undefined: the faithfulness of an answer with no
  claims, a context judged against no reference, no contexts, no question. The entry is
  ``{"score": None, "flag": "<reason>", ...}``; the scorer's value is the mean over *judged*
  examples, the example's score is NaN, and the share flagged is the part ``flagged``
  (``faithfulness.flagged``); the command line and the leaderboard show the covered share beside
  the value. Never a silent 0, 1 or NaN. A judge failure (`rageval.judges.JudgeError`) propagates from
``stats``; the evaluate runner then records it for the failing example (judge calls are cached,
so the examples that succeeded are not recomputed).
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from rageval.core.errors import FieldError
from rageval.core.fields import FIELDS
from rageval.core.scorer import Batch, Scorer
from rageval.core.statistics import Records, Statistics
from rageval.judges import Judge, get_judge

_WORD = re.compile(r"[^\W_]")

#: flag reasons (the value of ``"flag"`` in an example's statistics)
EMPTY_ANSWER = "empty_answer"
NO_CLAIMS = "no_claims"
NO_CONTEXTS = "no_contexts"
EMPTY_QUESTION = "empty_question"
NO_REFERENCE = "no_reference"
NO_RELEVANT = "no_relevant_ids"


def blank(text: str) -> bool:
    """True for a text with nothing to judge: empty, whitespace or punctuation only (no letter or
    digit)."""
    return _WORD.search(text) is None


def flagged(reason: str, **detail: Any) -> dict[str, Any]:
    """The statistics entry of an example with nothing to judge."""
    return {"score": None, "flag": reason, **detail}


def zero_by_rule(rule: str, n: int = 1) -> dict[str, Any]:
    """The statistics entry of an example scored 0 by ``rule`` (e.g. an empty answer): ``n`` values
    of 0.0, each a negative verdict."""
    return {"score": 0.0, "flag": None, "values": [0.0] * n, "verdicts": [False] * n, "rule": rule}


def judged(score: float, **detail: Any) -> dict[str, Any]:
    """The statistics entry of a judged example (``score`` in [0, 1])."""
    if not math.isfinite(score):  # a judge never returns NaN; this guards the scorers' arithmetic
        raise ValueError(f"non-finite score {score!r}")
    return {"score": float(score), "flag": None, **detail}


class JudgedScorer(Scorer):
    """A mean-over-examples scorer whose statistics are one JSON-able dict per example.

    Parameters common to all: ``judge`` (None or ``"default"``: the offline default judge; a kind
    name such as ``"lexical"``; a dict ``{"kind": ..., **params}``; or a `Judge`) and ``threshold``
    (a judged value ``>= threshold`` is reported as verdict ``True`` in the detail; it does not
    change the score). The judge's signature enters the scorer's signature.
    """

    stats_kind: ClassVar[type[Statistics]] = Records
    takes_judge: ClassVar[bool] = True
    bounds: ClassVar[tuple[float, float]] = (0.0, 1.0)
    parts: ClassVar[tuple[str, ...]] = ("flagged",)

    def __init__(self, judge: Any = None, threshold: float = 0.5, **params: Any) -> None:
        if isinstance(judge, Judge):
            spec: Any = {"kind": judge.kind}
        elif judge is None or isinstance(judge, (str, Mapping)):
            spec = judge if judge is not None else "default"
        else:
            raise TypeError(f"judge must be None, a kind name, a dict or a Judge, not {type(judge).__name__}")
        if not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1], got {threshold!r}")
        super().__init__(judge=spec, threshold=float(threshold), **params)
        self._judge_arg = judge
        self._judge: Judge | None = judge if isinstance(judge, Judge) else None
        self.threshold = float(threshold)

    @property
    def judge(self) -> Judge:
        """The judge, built on first use from the ``judge`` parameter."""
        if self._judge is None:
            self._judge = get_judge(self._judge_arg)
        return self._judge

    def signature_items(self) -> dict[str, Any]:
        items = {k: v for k, v in self.params.items() if k != "judge"}
        return {"judge": "{" + self.judge.signature + "}", **dict(sorted(items.items()))}

    # --- inputs ---------------------------------------------------------------------------
    def column(self, batch: Batch, field: str) -> list:
        """``batch[field]`` checked and canonicalised by the field's checker (errors name the row)."""
        if field not in batch:
            raise FieldError(field, field, None, f"scorer {self.key!r} needs it and the batch has no such column")
        return FIELDS[field](field, field, batch[field], 0)

    @staticmethod
    def size(batch: Batch) -> int:
        return len(next(iter(batch.values()))) if batch else 0

    def verdicts(self, values: Sequence[float]) -> list[bool]:
        return [bool(v >= self.threshold) for v in values]

    # --- reduction ------------------------------------------------------------------------
    def reduce(self, stats: Sequence[Mapping[str, Any]]) -> dict[str, float]:
        """Mean score over the judged examples (NaN when none is judged), and the share flagged."""
        scores = [s["score"] for s in stats if s["flag"] is None]
        mean = float(np.mean(scores)) if scores else math.nan
        share = (len(stats) - len(scores)) / len(stats) if len(stats) else math.nan
        return {self.key: mean, f"{self.key}.flagged": float(share)}

    def sum_rows(self, stats: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Rows ``[score if judged else 0, judged, flagged]``: their column sums give `reduce`, so
        bootstrap resamples are reduced with one matrix product (`reduce_sums`)."""
        judged = np.array([s["flag"] is None for s in stats], dtype=np.float64)
        score = np.array([s["score"] if s["flag"] is None else 0.0 for s in stats], dtype=np.float64)
        return np.stack([score, judged, 1.0 - judged], axis=1).reshape(len(stats), 3)

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        """`reduce` from column sums of `sum_rows`, for many resamples at once."""
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(sums[:, 1] > 0, sums[:, 0] / sums[:, 1], math.nan)
            share = np.where(counts > 0, sums[:, 2] / counts, math.nan)
        return {self.key: mean, f"{self.key}.flagged": share}

    def example_scores(self, stats: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
        score = np.array([math.nan if s["flag"] is not None else s["score"] for s in stats], dtype=np.float64)
        flags = np.array([0.0 if s["flag"] is None else 1.0 for s in stats], dtype=np.float64)
        return {self.key: score, f"{self.key}.flagged": flags}


class ModalScorer(JudgedScorer):
    """A judged scorer with an id-based variant: ``mode="judge"`` (default; the class's ``fields``)
    or ``mode="ids"`` (fields ``retrieved_ids``, ``relevant_ids``; no judge involved, so the judge
    is left out of the signature)."""

    MODES: ClassVar[tuple[str, ...]] = ("judge", "ids")

    def __init__(self, judge: Any = None, threshold: float = 0.5, mode: str = "judge") -> None:
        if mode not in self.MODES:
            raise ValueError(f"{self.name}: mode must be one of {self.MODES}, got {mode!r}")
        super().__init__(judge=judge, threshold=threshold, **({"mode": mode} if mode != "judge" else {}))
        self.mode = mode
        if mode == "ids":
            self.fields = ("retrieved_ids", "relevant_ids")

    def signature_items(self) -> dict[str, Any]:
        return {"mode": "ids"} if self.mode == "ids" else super().signature_items()


def group(owners: Sequence[int], values: Sequence[Any]) -> dict[int, list[Any]]:
    """The values of each owner (example index), in order: the inverse of fanning a batch out into
    one judge call per (example, item)."""
    out: dict[int, list[Any]] = {}
    for i, v in zip(owners, values):
        out.setdefault(i, []).append(v)
    return out


def attribute(claim: str, contexts: Sequence[str]) -> int | None:
    """The index of the context sharing the largest share of the claim's content words (first on
    ties; None when none shares any). For display only: shows a person where a claim's support
    most likely lies; it never changes a score."""
    from rageval.judges.lexical import recall

    best, where = 0.0, None
    for k, ctx in enumerate(contexts):
        r = recall(claim, ctx)
        if isinstance(r, float) and r > best:
            best, where = r, k
    return where


def claim_support(scorer: JudgedScorer, texts: Sequence[str], contexts: Sequence[Sequence[str]],
                  empty_flag: str) -> list[dict[str, Any]]:
    """Per example: split ``texts[i]`` into claims (``judge.claims``) and judge each claim's support
    by the example's contexts joined into one premise (``judge.support``, blank contexts dropped,
    joined by blank lines). Score = mean support over the claims. Detail: ``claims``, ``values``
    (support of each claim), ``verdicts`` (value >= threshold) and ``support`` (for each supported
    claim, the index of its most likely context, by `attribute`; None otherwise).

    Flags: ``empty_flag`` for a blank text, ``no_contexts`` when every context is blank (or there
    is none), ``no_claims`` when the judge finds no claim in the text.
    """
    out: list[Any] = [None] * len(texts)
    todo = []
    for i, (text, ctxs) in enumerate(zip(texts, contexts)):
        if blank(text):
            out[i] = flagged(empty_flag)
        elif not any(not blank(c) for c in ctxs):
            out[i] = flagged(NO_CONTEXTS)
        else:
            todo.append(i)
    claims = scorer.judge.claims([texts[i] for i in todo]) if todo else []
    owners, premises, pairs = [], [], []
    for i, cs in zip(todo, claims):
        cs = [c for c in cs if not blank(c)]
        if not cs:
            out[i] = flagged(NO_CLAIMS)
            continue
        premise = "\n\n".join(c for c in contexts[i] if not blank(c))
        for c in cs:
            owners.append(i)
            premises.append(premise)
            pairs.append(c)
    values = scorer.judge.support(premises, pairs) if pairs else []
    for i, items in group(owners, list(zip(pairs, map(float, values)))).items():
        cs, vs = [c for c, _ in items], [v for _, v in items]
        verdicts = scorer.verdicts(vs)
        where = [attribute(c, contexts[i]) if ok else None for c, ok in zip(cs, verdicts)]
        out[i] = judged(float(np.mean(vs)), claims=cs, values=vs, verdicts=verdicts, support=where)
    return out
