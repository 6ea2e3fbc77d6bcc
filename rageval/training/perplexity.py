"""`perplexity`: corpus perplexity from per-token log-probabilities (field ``token_logprobs``).

Each example holds the natural-log probabilities log p(y_t | y_<t, x) of its tokens (what a causal
LM's ``log_softmax`` gathers at the targets, or ``output_scores`` / vLLM's ``logprobs``). The
statistics are ``[Σ_t -log p_t, n_tokens]`` per example, so any subset's value is exact:

    perplexity = exp(Σ_examples Σ_t -log p_t / Σ_examples n_tokens)

(token-weighted, as ``torchmetrics.text.Perplexity`` and Hugging Face's evaluation of a corpus:
not the mean of per-example perplexities). Per-example scores are exp(mean NLL of the example).
Lower is better; bounds [1, ∞). Its training counterpart is `rageval.training.sequence_nll`
(perplexity = exp of its token mean).

With ``model_id`` (a local causal LM directory, or a hub name when it is cached), the scorer takes the
``answer`` text instead and computes its token log-probabilities itself, as Hugging Face evaluate's
``perplexity`` metric does (``model_id``, ``add_start_token``: the BOS token is prepended so the first
token is scored too; ``max_length`` truncates): each text is run alone, without padding, so its value
never depends on what it is batched with. The model loads once per scorer.

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
    """exp(Σ NLL / Σ tokens) over the examples' ``token_logprobs`` (natural log), or over the
    ``answer`` texts under the causal LM ``model_id``."""

    name = "perplexity"
    fields = ("token_logprobs",)
    higher_is_better = False
    bounds = (1.0, math.inf)

    def __init__(self, model_id: str | None = None, add_start_token: bool = True, max_length: int | None = None,
                 device: str | None = None) -> None:
        if model_id is None:
            super().__init__()
        else:
            super().__init__(model_id=str(model_id), add_start_token=bool(add_start_token), max_length=max_length)
            self.fields = ("answer",)
        self.device = device or "cpu"
        self._lm: tuple[Any, Any] | None = None

    def signature_items(self) -> dict[str, Any]:
        items = super().signature_items()
        if "model_id" in self.params:
            import transformers

            items["transformers"] = transformers.__version__
        return items

    def language_model(self) -> tuple[Any, Any]:
        """``(tokenizer, model)`` of ``model_id``, loaded on first use and kept."""
        if self._lm is None:
            import os

            import transformers

            path = self.params["model_id"]
            local = os.path.isdir(path)
            tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=local)
            model = transformers.AutoModelForCausalLM.from_pretrained(path, local_files_only=local)
            self._lm = tokenizer, model.to(self.device).eval()
        return self._lm

    def text_logprobs(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Each text's token log-probabilities under the model (float64 of the model's log-softmax)."""
        import torch

        from rageval.core.fields import check_str

        texts = check_str("answer", "answer", texts)
        tokenizer, model = self.language_model()
        out = []
        for row, text in enumerate(texts):
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            if self.params["add_start_token"]:
                if tokenizer.bos_token_id is None:
                    raise FieldError("answer", "answer", row, "add_start_token=True needs a tokenizer with a BOS token")
                ids = [tokenizer.bos_token_id] + ids
            if self.params["max_length"]:
                ids = ids[:self.params["max_length"]]
            if len(ids) < 2:
                raise FieldError("answer", "answer", row, "no token to score (the text is empty)")
            with torch.no_grad():
                logits = model(torch.tensor([ids], device=self.device)).logits[0, :-1]
            logp = logits.log_softmax(-1).gather(-1, torch.tensor(ids[1:], device=self.device)[:, None])[:, 0]
            out.append(logp.double().cpu().numpy())
        return out

    def stats(self, batch: Batch) -> Rows:
        if "model_id" in self.params:
            return Rows(token_nll_sums(self.text_logprobs(batch["answer"]), "answer"))
        return Rows(token_nll_sums(batch["token_logprobs"]))

    def reduce_sums(self, sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            value = np.exp(sums[:, 0] / np.where(counts > 0, sums[:, 1], math.nan))
        return {self.key: value}

    def example_scores(self, stats: Statistics) -> dict[str, np.ndarray]:
        rows = np.asarray(stats, dtype=np.float64).reshape(len(stats), -1)
        with np.errstate(over="ignore"):
            return {self.key: np.exp(rows[:, 0] / rows[:, 1])}
