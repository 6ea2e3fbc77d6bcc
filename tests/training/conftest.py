"""A toy copy task and a tiny random GPT-2 for it, built locally (config + save_pretrained, nothing
downloaded): the prompt is ``<s> a c =`` and the right completion repeats the letters, ``a c``."""
from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

LETTERS = list("abcd")
SPECIALS = ["<pad>", "<s>", "</s>", "="]
LENGTH = 2  # letters per source


def build_tiny_copy_lm(path, seed: int = 0):
    """A 2-layer, 32-dim GPT-2 with a word-level tokenizer over the letters (saved in ``path``)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(SPECIALS + LETTERS)}
    word_level = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<pad>"))
    word_level.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=word_level, bos_token="<s>", eos_token="</s>",
                                        pad_token="<pad>", model_max_length=32)
    torch.manual_seed(seed)
    config = GPT2Config(vocab_size=len(vocab), n_positions=32, n_embd=32, n_layer=2, n_head=2,
                        bos_token_id=vocab["<s>"], eos_token_id=vocab["</s>"], pad_token_id=vocab["<pad>"])
    GPT2LMHeadModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def sources(rng: random.Random, n: int) -> list[str]:
    return [" ".join(rng.choice(LETTERS) for _ in range(LENGTH)) for _ in range(n)]


def prompt_of(source: str) -> str:
    return f"<s> {source} ="


@pytest.fixture(scope="session")
def tiny_copy_lm(tmp_path_factory):
    return str(build_tiny_copy_lm(tmp_path_factory.mktemp("tiny-copy-gpt2")))


@pytest.fixture(scope="session")
def copy_task():
    return SimpleNamespace(letters=LETTERS, length=LENGTH, sources=sources, prompt_of=prompt_of,
                           build=build_tiny_copy_lm)
