"""rageval's native tokenizers give exactly sacrebleu's tokens (13a, intl, zh, char, none, Tercom)."""
from __future__ import annotations

import itertools
import pickle
import random
import re

import pytest
from sacrebleu.metrics.bleu import _get_tokenizer
from sacrebleu.tokenizers.tokenizer_ter import TercomTokenizer
from support.sacrebleu_inputs import EDGE_CASES, generated_text, require_tokenizer, wice_sentences

from rageval.scorers.text.tokenizers import TOKENIZERS, TokenizerTercom, _regexp_tokens, get_tokenizer


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


@pytest.mark.parametrize("name", sorted(TOKENIZERS))
def test_batch_tokens_equal_each_line_tokenized(name):
    # 13a tokenizes a batch in one pass over the lines joined by a private-use separator; the
    # others line by line: each line's tokens must be sacrebleu's, separators in the text included
    require_tokenizer(name)
    theirs = _get_tokenizer(name)()
    rng = random.Random(7)
    pool = ["a", "1", ".", ",", "-", " ", "\n", "&amp;", "<skipped>", "-\n", "\ue000", "\ue001", "\ue002",
            "\uf8ff", "Σ", "中", "😀", "..."]
    batches = [[generated_text(rng, 12) for _ in range(rng.randint(0, 8))] for _ in range(150)]
    batches += [["".join(rng.choice(pool) for _ in range(rng.randint(0, 9))) for _ in range(rng.randint(1, 6))]
                for _ in range(1500)]
    batches += [EDGE_CASES, wice_sentences()[:2000], ["\ue000\ue001\ue002\uf8ff", "x.y"]]
    for lines in batches:
        tokens, lengths = get_tokenizer(name).tokens_batch(lines)
        expected = [theirs(line).split() for line in lines]
        assert lengths == [len(t) for t in expected], lines
        assert tokens == [t for ts in expected for t in ts], lines


def _period_comma_rules(line: str) -> list[str]:
    # sacrebleu's TokenizerRegexp rules as it writes them (re with templates)
    line = re.sub(r"([^0-9])([\.,])", r"\1 \2 ", line)
    line = re.sub(r"([\.,])([^0-9])", r" \1 \2", line)
    return re.sub(r"([0-9])(-)", r"\1 \2 ", line).split()


@pytest.mark.parametrize("length", range(7))
def test_period_comma_rewrite_equals_the_two_rules_exhaustively(length):
    # the lookaround form of the period/comma rules, and its handling of runs, on every string
    for chars in itertools.product("a1.,- ", repeat=length):
        line = "".join(chars)
        assert _regexp_tokens(line) == _period_comma_rules(line), line


@pytest.mark.slow
def test_period_comma_rewrite_equals_the_two_rules_exhaustively_to_8():
    for chars in itertools.product("a1.,- ", repeat=8):
        line = "".join(chars)
        assert _regexp_tokens(line) == _period_comma_rules(line), line
