"""Any scorer as a reward function with TRL's contract (GRPOTrainer, RLOOTrainer, OnlineDPO...).

TRL calls a reward function as ``f(prompts=..., completions=..., completion_ids=...,
trainer_state=..., **dataset_columns)`` (plus ``log_extra``/``log_metric`` callbacks) and wants one
float per completion back, ``None`` where it cannot score. `reward` builds that function from a
scorer: the completion is the scorer's ``answer``; dataset columns fill the other canonical fields
(``reference``/``references``, ``contexts``, ``question``...), renamed through ``columns=`` as in
`rageval.evaluate`; a scorer that needs a ``question`` and finds no such column gets the prompt.

Values are the scorer's per-example scores through its contract (``make_stats`` then
``example_scores``), computed as `rageval.evaluate` computes them (`rageval.run.evaluate.score_batch`,
which also isolates a failing example): ``bleu`` is sacrebleu's ``sentence_bleu``, ``chrf``
``sentence_chrf``, ``rougeL`` rouge-score's F-measure, and so on. Each value depends only on its own
example, so rewards are bit-identical for any batch size and order (for model scorers, up to the
kernels' determinism). The scorer object is built once: a model scorer loads its model on the first
call and keeps it.

>>> f = reward("exact_match")
>>> f(prompts=["Capital of France?"], completions=["Paris"], reference=["paris"])
[1.0]
"""
from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.core.registry import get_scorer
from rageval.core.scorer import Batch, Scorer
from rageval.core.statistics import Records
from rageval.run.evaluate import score_batch

__all__ = ["RewardFunction", "AsyncRewardFunction", "reward", "async_reward", "completion_text"]

logger = logging.getLogger(__name__)

#: keyword arguments TRL passes that are not dataset columns
_TRAINER_KWARGS = frozenset({"trainer_state", "log_extra", "log_metric", "environments", "completion_ids"})
#: TRL's epsilon in GRPO's (r - mean) / (std + eps)
GROUP_EPS = 1e-4


def completion_text(completion: Any, row: int = 0) -> str:
    """The text a completion holds: the string itself, or for a conversational completion (a list of
    message dicts, TRL's format) the ``content`` of its assistant messages, joined by newlines."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        completion = [completion]
    if isinstance(completion, (list, tuple)) and all(isinstance(m, Mapping) for m in completion):
        texts = []
        for m in completion:
            if m.get("role", "assistant") != "assistant":
                continue
            content = m.get("content")
            if isinstance(content, list):  # multimodal parts: keep the text ones
                content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
            if not isinstance(content, str):
                raise FieldError("answer", "completions", row, f"an assistant message without text content: {m!r:.80}")
            texts.append(content)
        if texts:
            return "\n".join(texts)
        raise FieldError("answer", "completions", row, "a conversational completion with no assistant message")
    raise FieldError("answer", "completions", row, f"expected a string or a list of message dicts, "
                                                   f"got {type(completion).__name__} ({completion!r:.60})")


class RewardFunction:
    """A scorer as a TRL reward function (see the module docstring); build one with `reward`."""

    def __init__(self, scorer: Any, columns: Mapping[str, str] | None = None, *, key: str | None = None,
                 scale: bool = False, group_normalize: int | None = None, **params: Any) -> None:
        self.scorer: Scorer = get_scorer(scorer, **params)
        self.key = key or self.scorer.key
        if self.key not in self.scorer.keys():
            raise ConfigError(f"scorer {self.scorer.key!r} has no value {self.key!r}: one of {self.scorer.keys()}")
        if self.scorer.needs_first_pass and self.scorer.state is None:
            raise ConfigError(f"scorer {self.scorer.key!r} needs a first pass over the data (e.g. idf weights): "
                              "build it once with rageval.first_pass(scorer, data) and pass that scorer")
        lo, hi = self.scorer.bounds
        if scale and not (math.isfinite(lo) and math.isfinite(hi)):
            raise ConfigError(f"scale=True maps the scorer's bounds to [0, 1], and {self.scorer.key!r} is "
                              f"unbounded ({lo}, {hi})")
        if group_normalize is not None and (isinstance(group_normalize, bool) or not isinstance(group_normalize, int)
                                            or group_normalize < 2):
            raise ConfigError(f"group_normalize is the number of completions per prompt (≥ 2), got {group_normalize!r}")
        self.columns = dict(columns or {})
        self.scale, self.group_normalize = scale, group_normalize
        self.__name__ = self.key  # TRL logs rewards under the function's __name__

    def __repr__(self) -> str:
        return f"<reward {self.scorer.signature}>"

    def batch(self, prompts: Sequence[Any] | None, completions: Sequence[Any], kwargs: Mapping[str, Any]) -> Batch:
        """The canonical batch the scorer sees: ``answer`` from the completions, the other fields from
        the dataset columns (through ``columns``), ``question`` from the prompts if no column holds it."""
        if completions is None or isinstance(completions, (str, bytes)):
            raise FieldError("answer", "completions", None, "expected one completion per example (a list)")
        completions = list(completions)
        n = len(completions)
        batch = Batch(id=[str(i) for i in range(n)], answer=[completion_text(c, i) for i, c in enumerate(completions)])
        for field in (*self.scorer.fields, *self.scorer.optional_fields):
            if field == "answer":
                continue
            candidates = [self.columns[field]] if field in self.columns else [field]
            if field == "references" and "references" not in self.columns:
                candidates.append(self.columns.get("reference", "reference"))
            column = next((c for c in candidates if c in kwargs), None)
            if column is not None:
                values = kwargs[column]
            elif field == "question" and prompts is not None:
                column, values = "prompts", [_prompt_text(p) for p in prompts]
            elif field in self.scorer.fields:
                raise FieldError(field, candidates[0], None, f"reward {self.key!r} needs it, and the trainer passed "
                                 f"no such column (dataset columns: {sorted(set(kwargs) - _TRAINER_KWARGS)}; map "
                                 f"one with columns={{{field!r}: ...}})")
            else:
                continue
            values = list(values) if not isinstance(values, np.ndarray) else values
            if len(values) != n:
                raise FieldError(field, column, None, f"{len(values)} values for {n} completions")
            batch[field] = values
        return batch

    def scores(self, prompts: Sequence[Any] | None, completions: Sequence[Any],
               kwargs: Mapping[str, Any]) -> np.ndarray:
        """Per-completion values (NaN where the scorer failed, with the reason logged), before
        scaling and group normalisation."""
        batch = self.batch(prompts, completions, kwargs)
        n = len(batch["answer"])
        if n == 0:
            return np.empty(0)
        part = score_batch([self.scorer], batch, list(range(n)))
        values = np.asarray(part.scores[self.key], dtype=np.float64)
        stats = part.stats[self.scorer.key]
        for row, error in enumerate(part.errors[self.scorer.key]):
            if error is None and math.isfinite(values[row]):
                continue
            if error is None:  # scored, with no value: the scorer found nothing to judge
                entry = stats[row] if isinstance(stats, Records) else None
                flag = entry.get("flag") if isinstance(entry, Mapping) else None
                error = f"the scorer gives no value ({flag or 'nothing to score'})"
            logger.warning("reward %s: completion %d not scored (None): %s", self.key, row, error)
        return values

    def finish(self, values: np.ndarray) -> list[float | None]:
        """Scale, group-normalise, and turn NaN into None."""
        values = np.where(np.isfinite(values), values, np.nan)
        if self.scale:
            lo, hi = self.scorer.bounds
            values = (values - lo) / (hi - lo)
        if self.group_normalize:
            values = group_normalized(values, self.group_normalize)
        return [None if math.isnan(v) else float(v) for v in values]

    def __call__(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] | None = None,
                 **kwargs: Any) -> list[float | None]:
        return self.finish(self.scores(prompts, completions, kwargs))


class AsyncRewardFunction(RewardFunction):
    """`RewardFunction` as a coroutine function (TRL awaits async reward functions together): the
    scoring runs in a worker thread, so a judge behind an HTTP endpoint does not block the loop and
    several async rewards overlap their requests."""

    async def __call__(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] | None = None,
                       **kwargs: Any) -> list[float | None]:
        values = await asyncio.to_thread(self.scores, prompts, completions, kwargs)
        return self.finish(values)


def group_normalized(values: np.ndarray, group_size: int) -> np.ndarray:
    """GRPO's advantage per group of ``group_size`` consecutive values: (r - mean) / (std + 1e-4), with
    the sample standard deviation (ddof = 1, torch's ``std``) over the group's finite values; NaN
    stays NaN, and a group with a single finite value gets 0."""
    if len(values) % group_size:
        raise ValueError(f"group_normalize={group_size}: {len(values)} completions are not whole groups")
    groups = values.reshape(-1, group_size)
    valid = np.isfinite(groups)
    count = valid.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(valid, groups, 0.0).sum(axis=1, keepdims=True) / count
        dev = np.where(valid, groups - mean, 0.0)
        std = np.sqrt((dev ** 2).sum(axis=1, keepdims=True) / (count - 1))
        out = np.where(count > 1, (groups - mean) / (std + GROUP_EPS), np.where(valid, 0.0, np.nan))
    return out.reshape(-1)


def _prompt_text(prompt: Any) -> str:
    """A prompt as text: the string, or a conversation's last user message."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, (list, tuple)):
        users = [m.get("content") for m in prompt if isinstance(m, Mapping) and m.get("role") == "user"]
        if users and isinstance(users[-1], str):
            return users[-1]
    return str(prompt)


def reward(scorer: Any, columns: Mapping[str, str] | None = None, *, key: str | None = None, scale: bool = False,
           group_normalize: int | None = None, **params: Any) -> RewardFunction:
    """A TRL reward function from ``scorer`` (a name with ``params``, or a `Scorer` object).

    ``columns`` maps canonical fields to dataset columns (``{"references": "gold"}``); ``key`` picks
    a part (``"bertscore.precision"``; default: the primary value); ``scale=True`` maps the scorer's
    bounds to [0, 1] (BLEU and chrF / 100); ``group_normalize=G`` returns GRPO's per-prompt advantage
    over each G consecutive completions, (r - mean) / (std + 1e-4). A completion the scorer cannot
    score gets ``None`` (the reason is logged), never NaN.

    >>> f = reward("chrf", scale=True)
    >>> f(prompts=["p"], completions=[[{"role": "assistant", "content": "hello"}]], reference=["hello"])
    [1.0]
    """
    return RewardFunction(scorer, columns, key=key, scale=scale, group_normalize=group_normalize, **params)


def async_reward(scorer: Any, columns: Mapping[str, str] | None = None, *, key: str | None = None,
                 scale: bool = False, group_normalize: int | None = None, **params: Any) -> AsyncRewardFunction:
    """`reward` as a coroutine function, for scorers whose judge sits behind an HTTP endpoint."""
    return AsyncRewardFunction(scorer, columns, key=key, scale=scale, group_normalize=group_normalize, **params)
