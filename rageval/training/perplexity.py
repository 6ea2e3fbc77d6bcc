"""`perplexity`: corpus perplexity from per-token log-probabilities (field ``token_logprobs``).

Each example holds the natural-log probabilities log p(y_t | y_<t, x) of its tokens (what a causal
LM's ``log_softmax`` gathers at the targets, or ``output_scores`` / vLLM's ``logprobs``). The
statistics are ``[Σ_t -log p_t, n_tokens]`` per example, so any subset's value is exact:

    perplexity = exp(Σ_examples Σ_t -log p_t / Σ_examples n_tokens)

(token-weighted, as ``torchmetrics.text.Perplexity`` and Hugging Face's evaluation of a corpus:
not the mean of per-example perplexities). Per-example scores are exp(mean NLL of the example).
Lower is better; bounds [1, ∞). Its training counterpart is `rageval.training.sequence_nll`
(perplexity = exp of its token mean).

>>> s = Perplexity()
>>> round(s.reduce(s.stats({"token_logprobs": [[-1.0, -1.0], [-2.0]]}))["perplexity"], 6)
3.793668
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from rageval.core.errors import FieldError
from rageval.core.scorer import Batch, SummedScorer
from rageval.core.statistics import Rows, Statistics


def token_nll_sums(column: Sequence[Any], field: str = "token_logprobs") -> np.ndarray:
    """``[Σ -log p, n]`` per example of a column of log-probability lists (lists, arrays or tensors);
    `FieldError` for an example that is empty, not numeric, or holds a value that is not finite or above 0."""
    if isinstance(column, (str, bytes)) or not hasattr(column, "__len__"):
        raise FieldError(field, field, None, f"expected one list of log-probabilities per example, "
                                             f"got {type(column).__name__}")
    out = np.empty((len(column), 2))
    for row, value in enumerate(column):
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        if value is None or isinstance(value, (str, bytes)) or np.ndim(value) != 1:
            raise FieldError(field, field, row, f"expected a list of token log-probabilities, got "
                                                f"{type(value).__name__} ({value!r:.60})")
        try:
            logp = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise FieldError(field, field, row, f"expected numbers, got {value!r:.60}") from None
        if np.asarray(value).dtype.kind not in "fiu":
            raise FieldError(field, field, row, f"expected numbers, got {value!r:.60}")
        if not len(logp):
            raise FieldError(field, field, row, "no tokens (perplexity needs at least one)")
        if not np.isfinite(logp).all() or (logp > 0).any():
            bad = logp[~np.isfinite(logp) | (logp > 0)][0]
            raise FieldError(field, field, row, f"a log-probability must be finite and ≤ 0, got {bad}")
        out[row] = (-math.fsum(logp), len(logp))
    return out


class Perplexity(SummedScorer):
    """exp(Σ NLL / Σ tokens) over the examples' ``token_logprobs`` (natural log)."""

    name = "perplexity"
    fields = ("token_logprobs",)
    higher_is_better = False
    bounds = (1.0, math.inf)

    def stats(self, batch: Batch) -> Rows:
        return Rows(token_nll_sums(batch["token_logprobs"]))

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            value = np.exp(sums[:, 0] / np.where(counts > 0, sums[:, 1], math.nan))
        return {self.key: value}

    def example_scores(self, stats: Statistics) -> dict[str, np.ndarray]:
        rows = np.asarray(stats, dtype=np.float64).reshape(len(stats), -1)
        with np.errstate(over="ignore"):
            return {self.key: np.exp(rows[:, 0] / rows[:, 1])}
