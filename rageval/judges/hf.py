"""The hf judge: a local generative model through transformers (AutoModelForCausalLM), prompted
with its own chat template and decoded greedily, each conversation's reply cached on disk."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from rageval.core.errors import ConfigError
from rageval.judges.base import DEFAULT_CACHE
from rageval.judges.generative import GenerativeJudge, Messages
from rageval.judges.local import LocalModel
from rageval.models import load_transformer


class HFJudge(LocalModel, GenerativeJudge):
    """A generative judge running a local chat model.

    Each conversation is rendered with the tokenizer's chat template
    (``apply_chat_template(..., add_generation_prompt=True)``; a template that refuses a system
    message gets it prepended to the first user message instead), and decoded greedily
    (``do_sample=False``: deterministic, hence cacheable) for at most ``max_tokens`` new tokens.
    Prompts are left-padded into batches of ``batch_size``, sorted by length.

    Parameters: ``model`` (local path or hub name; see `rageval.judges.local.LocalModel`),
    ``revision``, ``max_tokens`` (512),
    ``batch_size`` (8), ``chat_template`` (a Jinja template replacing the tokenizer's, e.g. for a
    base model without one), ``device``, ``allow_download``, and ``prompts``, ``reasks``,
    ``price``, ``cache_dir`` (see `GenerativeJudge`). Token counts are exact (the tokenizer's).
    The device and dtype stay out of the signature: greedy decoding may differ across them in
    rare near-ties, so clear the cache when comparing hardware.
    """

    kind = "hf"

    def __init__(self, model: str, max_tokens: int = 512, batch_size: int = 8, chat_template: str | None = None,
                 device: str | None = None, revision: str | None = None, allow_download: bool = False,
                 prompts: Mapping[str, Any] | None = None, reasks: int = 1, price: Any = None,
                 cache_dir: Any = DEFAULT_CACHE, dtype: str = "float32") -> None:
        super().__init__(prompts=prompts, reasks=reasks, price=price, cache_dir=cache_dir)
        self.dtype = dtype
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise ConfigError(f"hf judge: max_tokens must be a positive int, not {max_tokens!r}")
        self._set_model(model, revision, allow_download)
        self.max_tokens, self.batch_size, self.chat_template, self.device = (
            max_tokens, batch_size, chat_template, device)

    def signature_items(self) -> dict[str, Any]:
        items = {**super().signature_items(), **self.model_items(), "decoding": "greedy", "max_tokens": self.max_tokens,
                 "dtype": self.dtype}
        if self.chat_template:
            items["chat_template"] = hashlib.sha256(self.chat_template.encode()).hexdigest()[:12]
        return items

    def _load(self) -> tuple[Any, Any]:
        return load_transformer(self.path, self.device, kind="causal-lm", dtype=self.dtype)

    def render(self, messages: Messages) -> str:
        """The prompt string the model sees for ``messages`` (chat template, generation prompt added)."""
        tokenizer, _ = self._load()
        template = self.chat_template or getattr(tokenizer, "chat_template", None)
        if not template:
            raise ConfigError(f"hf judge: the tokenizer of {self.model_name} has no chat template; "
                              f"pass chat_template=<jinja template>")
        try:
            return tokenizer.apply_chat_template(messages, chat_template=template, tokenize=False,
                                                 add_generation_prompt=True)
        except Exception as e:  # templates that refuse a system message raise from Jinja
            if messages and messages[0]["role"] == "system" and "system" in str(e).lower():
                content = messages[0]["content"] + "\n\n" + messages[1]["content"]
                merged = [{"role": messages[1]["role"], "content": content}, *messages[2:]]
                return tokenizer.apply_chat_template(merged, chat_template=template, tokenize=False,
                                                     add_generation_prompt=True)
            raise

    def _chat(self, conversations: list[Messages], index: list[int]) -> Iterable[tuple[int, Any]]:
        import torch

        if not index:
            return
        tokenizer, model = self._load()
        prompts = {i: tokenizer(self.render(conversations[i]), add_special_tokens=False)["input_ids"] for i in index}
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        eos = _eos_ids(tokenizer, model)
        order = sorted(index, key=lambda i: len(prompts[i]))
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            width = max(len(prompts[i]) for i in batch)
            ids = torch.tensor([[pad] * (width - len(prompts[i])) + prompts[i] for i in batch], device=model.device)
            mask = torch.tensor([[0] * (width - len(prompts[i])) + [1] * len(prompts[i]) for i in batch],
                                device=model.device)
            with torch.inference_mode():
                out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=self.max_tokens,
                                     do_sample=False, pad_token_id=pad, eos_token_id=sorted(eos) or None)
            for i, row in zip(batch, out[:, width:].tolist()):
                stop = next((k for k, t in enumerate(row) if t in eos), None)
                new = row if stop is None else row[:stop + 1]
                yield i, {"text": tokenizer.decode(new, skip_special_tokens=True).strip(),
                          "prompt_tokens": len(prompts[i]), "completion_tokens": len(new),
                          "finish_reason": "length" if stop is None else "stop", "estimated": False}


def _eos_ids(tokenizer: Any, model: Any) -> set[int]:
    ids = getattr(model.generation_config, "eos_token_id", None)
    ids = set(ids) if isinstance(ids, (list, tuple)) else ({ids} if ids is not None else set())
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    return ids
