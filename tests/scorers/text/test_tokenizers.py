"""rageval's native tokenizers give exactly sacrebleu's tokens (13a, intl, zh, char, none, Tercom)."""
from __future__ import annotations

import itertools
import pickle
import random

import pytest
from sacrebleu.metrics.bleu import _get_tokenizer
from sacrebleu.tokenizers.tokenizer_ter import TercomTokenizer
from support.sacrebleu_inputs import EDGE_CASES, generated_text, require_tokenizer, wice_sentences

from rageval.scorers.text.tokenizers import TOKENIZERS, TokenizerTercom, get_tokenizer


def _lines(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return EDGE_CASES + [generated_text(rng, 30) for _ in range(n)]


@pytest.mark.parametrize("name", sorted(TOKENIZERS))
def test_bleu_tokenizers_match_sacrebleu_on_generated_text(name):
    require_tokenizer(name)
    ours, theirs = get_tokenizer(name), _get_tokenizer(name)()
    for line in _lines(1, 3000):
        assert ours.tokens(line) == theirs(line).split(), (name, line)
        assert ours(line) == " ".join(theirs(line).split())


@pytest.mark.parametrize("name", sorted(TOKENIZERS))
def test_bleu_tokenizers_match_sacrebleu_on_real_sentences(name):
    require_tokenizer(name)
    ours, theirs = get_tokenizer(name), _get_tokenizer(name)()
    for line in wice_sentences()[:4000]:
        assert ours.tokens(line) == theirs(line).split(), (name, line)


def test_zh_matches_sacrebleu_on_every_code_point():
    # sacrebleu compares a character with string bounds, two of which are two characters long
    # (see tokenizers._ZH_BOUNDS); every character must be split off exactly as there
    ours, theirs = get_tokenizer("zh"), _get_tokenizer("zh")()
    for cp in itertools.chain(range(0x10000), range(0x10000, 0x110000, 97)):
        line = f"a{chr(cp)}b"
        assert ours.tokens(line) == theirs(line).split(), hex(cp)


@pytest.mark.parametrize("flags", list(itertools.product([False, True], repeat=4)))
def test_tercom_matches_sacrebleu(flags):
    ours, theirs = TokenizerTercom(*flags), TercomTokenizer(*flags)
    for line in _lines(2, 600) + wice_sentences()[:400]:
        assert ours.tokens(line) == theirs(line).split(), (flags, line)


def test_tokens_are_cached_per_instance_and_survive_pickling():
    tok = get_tokenizer("13a")
    assert tok.tokens("a, b") is tok.tokens("a, b")
    assert get_tokenizer("13a") is not tok  # a fresh cache per scorer, as sacrebleu
    for t in [tok, TokenizerTercom(normalized=True, case_sensitive=True)]:
        copy = pickle.loads(pickle.dumps(t))
        assert copy.tokens("It's 3.5, (ok)") == t.tokens("It's 3.5, (ok)") and copy._cache is not t._cache


@pytest.mark.parametrize("name,message", [("spm", "SentencePiece"), ("flores200", "SentencePiece"),
                                          ("13b", "unknown tokenize")])
def test_unavailable_tokenizers_fail_clearly(name, message):
    with pytest.raises(ValueError, match=message):
        get_tokenizer(name)


@pytest.mark.parametrize("name", ["ja-mecab", "ko-mecab"])
def test_mecab_signature_and_pickling(name):
    require_tokenizer(name)
    ours, theirs = get_tokenizer(name), _get_tokenizer(name)()
    assert ours.signature == theirs.signature()
    copy = pickle.loads(pickle.dumps(ours))
    assert copy.tokens("日本語のテキストです。한국어 문장입니다.") == ours.tokens("日本語のテキストです。한국어 문장입니다.")
