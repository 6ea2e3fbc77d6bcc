"""The common frame of the sacrebleu-identical scorers (`bleu`, `chrf`, `ter`): input checks, the
references convention, per-segment statistics summed over any subset, and signatures.

References convention. Each example has its own list of references, possibly of different
lengths. sacrebleu's corpus API takes reference *streams* of equal length and drops ``None``
entries per segment; an example's list here is the segment's references after that dropping,
so rageval on ``[["a", "b"], ["c"]]`` equals sacrebleu on the streams ``[["a", "c"], ["b", None]]``.
An empty string is a reference (an empty one), as in sacrebleu; ``None`` items are dropped; an
example needs at least one reference (sacrebleu fails without one).
"""
from __future__ import annotations

import math
from abc import abstractmethod
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from rageval.core.scorer import Batch, SummedScorer, column_sums
from rageval.scorers.text.inputs import hypotheses_and_references

#: the sacrebleu release whose numbers these scorers reproduce (tests compare against it)
SACREBLEU_VERSION = "2.6.0"


def clipped_matches(hyp: Sequence[Hashable], refs: list[Sequence[Hashable]]) -> int:
    """sum over distinct hypothesis n-grams g of min(count_hyp(g), max_r count_r(g)) (sacrebleu's
    clipped counts with several references)."""
    distinct = set(hyp)
    if len(distinct) == len(hyp):  # every hypothesis count is 1: count those in some reference
        if len(refs) == 1:
            return len(distinct.intersection(refs[0]))
        return len(set().union(*[distinct.intersection(r) for r in refs]))
    hyp_counts = Counter(hyp)
    ref_counts = Counter(refs[0])
    for ref in refs[1:]:
        for g, c in Counter(ref).items():
            if c > ref_counts[g]:
                ref_counts[g] = c
    common = hyp_counts.keys() & ref_counts.keys()
    return sum(map(min, map(hyp_counts.__getitem__, common), map(ref_counts.__getitem__, common)))


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


class SacrebleuScorer(SummedScorer):
    """A corpus metric computed, as sacrebleu computes it, from per-segment statistics summed.

    Subclasses define ``width`` (statistics per example), ``segment_stats`` (one example) and
    ``score`` (rows of summed statistics -> values, keyed like ``keys()``); ``sentence`` selects
    the per-example variant where it differs (BLEU's effective order). ``reduce_sums`` (the
    `SummedScorer` hook) and ``reduce`` follow from ``score``.
    """

    fields = ("answer", "references")
    width: int
    by_column = True  # `reduce` sums the stored columns (`column_sums`) of a fixed width

    @abstractmethod
    def segment_stats(self, hyp: str, refs: list[str]) -> list[float]:
        """sacrebleu's statistics for one hypothesis against its references."""

    @abstractmethod
    def score(self, totals: np.ndarray, sentence: bool = False) -> dict[str, np.ndarray]:
        """The metric for each row of ``totals`` (statistics summed over segments), keyed like
        ``keys()``: sacrebleu's ``_compute_score_from_stats``, vectorised over rows."""

    @abstractmethod
    def sacrebleu_signature(self, nrefs: int | str = 1) -> str:
        """sacrebleu's own signature string for these parameters (``nrefs``: references per
        segment, ``"var"`` when it varies)."""

    def stats(self, batch: Batch) -> np.ndarray:
        hyps, refs = hypotheses_and_references(batch)
        return self.batch_stats(hyps, refs)

    def batch_stats(self, hyps: list[str], refs: list[list[str]]) -> np.ndarray:
        """``segment_stats`` of every example, rows of an array (subclasses vectorise it)."""
        seg = self.segment_stats
        rows = [seg(h, r) for h, r in zip(hyps, refs)]
        return np.array(rows, dtype=np.float64).reshape(len(rows), self.width)

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        """sacrebleu's corpus score for each row of summed statistics; NaN where no example was
        summed (bootstrap and randomisation tests reduce all their resamples in one call)."""
        sums = np.asarray(sums, dtype=np.float64).reshape(-1, self.width)
        some = np.asarray(counts) > 0
        return {k: np.where(some, v, math.nan) for k, v in self.score(sums).items()}

    def reduce(self, stats: np.ndarray) -> dict[str, float]:
        stats = np.asarray(stats, dtype=np.float64).reshape(-1, self.width)
        return self.reduce_totals(column_sums(stats), len(stats))

    def example_scores(self, stats: np.ndarray) -> dict[str, np.ndarray]:
        """sacrebleu's ``sentence_score`` for each example."""
        return self.score(np.asarray(stats, dtype=np.float64).reshape(-1, self.width), sentence=True)

    def signature_items(self) -> dict[str, Any]:
        return {**dict(sorted(self.params.items())), "sacrebleu": SACREBLEU_VERSION}
