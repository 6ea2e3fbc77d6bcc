"""split_sentences: rules on constructed cases, and agreement with ClapNQ's own sentence segmentation
of its passages (../shared/data) well above a naive split on terminal punctuation."""
from __future__ import annotations

import json
import re

import pytest
from support import SHARED

from rageval.textutils.sentences import split_sentences

CLAPNQ = SHARED / "data" / "clapnq" / "dev"


@pytest.mark.parametrize("text, expected", [
    ("", []), ("   \n\t ", []), ("One sentence", ["One sentence"]), ("...", ["..."]),
    ("Is it? Yes! Fine.", ["Is it?", "Yes!", "Fine."]),
    ("Dr. Smith met Mrs. Jones. They talked.", ["Dr. Smith met Mrs. Jones.", "They talked."]),
    ("J. K. Rowling wrote it. It sold.", ["J. K. Rowling wrote it.", "It sold."]),
    ("The U.S. Army won. Then peace.", ["The U.S. Army won.", "Then peace."]),
    ("Pi is 3.14 exactly. Next.", ["Pi is 3.14 exactly.", "Next."]),
    ("He paid $1,000.50 today. Good.", ["He paid $1,000.50 today.", "Good."]),
    ('She said "Go." Then left.', ['She said "Go."', "Then left."]),
    ("Wait... what? ok", ["Wait... what? ok"]),
    ("see e.g. the list. Fine", ["see e.g. the list.", "Fine"]),
    ("東京は大きい。京都は古い。", ["東京は大きい。", "京都は古い。"]),
    ("Ünïcode works. Ça va!", ["Ünïcode works.", "Ça va!"]),
    ("Items:\n- one\n- two", ["Items:", "- one", "- two"]),
    ("1. first\n2. second", ["1. first", "2. second"]),
    ("a line that\nwraps here. Next one.", ["a line that wraps here.", "Next one."]),
    ("Para one\n\nPara two", ["Para one", "Para two"]),
    ("Windows\r\nline ends.\r\n\r\nNew.", ["Windows line ends.", "New."]),
    ("He said `` stop . '' Then went .", ["He said `` stop . ''", "Then went ."]),
    ("Where Art Thou ? . It was", ["Where Art Thou ? .", "It was"]),
    ("&amp; entities stay. As is.", ["&amp; entities stay.", "As is."]),
])
def test_rules(text, expected):
    assert split_sentences(text) == expected


def test_pieces_cover_the_text():
    text = "A b. C d? E f! G h.\n\nI j. K l"
    assert " ".join(split_sentences(text)).split() == text.split()


def _naive(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def test_agrees_with_clapnq_segmentation():
    if not CLAPNQ.is_dir():
        pytest.skip(f"human-labelled data not present at {CLAPNQ} (only in the project checkout, not a fresh clone)")
    passages = [p for f in sorted(CLAPNQ.glob("*.jsonl")) for line in open(f) for p in json.loads(line)["passages"]]
    assert len(passages) == 600

    def agreement(split):
        exact = sum(split(p["text"]) == [s.strip() for s in p["sentences"] if s.strip()] for p in passages)
        return exact / len(passages)

    ours, naive = agreement(split_sentences), agreement(_naive)
    # ClapNQ's segmentation has its own errors (line-wrap splits, "A.D." boundaries), so identity is not
    # reachable; abbreviations, initials and tokenised closing quotes must still beat the naive rule clearly.
    assert ours >= 0.72 and ours - naive >= 0.15, (ours, naive)


# The splitter as it was before it was made linear (quadratic: the word before each period was searched
# for from the start of the block), kept as the reference the linear one must reproduce exactly.
_OLD_BOUNDARY = re.compile(r"""([.!?…]+['"”’)\]]*(?:\s+(?:''|”|\)|[.!?])(?=\s|$))*)(\s+|$)"""
                           r"""|([。！？]+['"”’」』)\]]*)\s*""")


def _old_ends_sentence(block, m):
    from rageval.textutils.sentences import ABBREVIATIONS
    following = block[m.end():m.end() + 1]
    if following and following.islower():
        return False
    if not m.group(1).startswith(".") or m.group(1).startswith(".."):
        return True
    word = re.compile(r"(\S+)$").search(block, 0, m.start(1))
    if word is None:
        return True
    token = word.group(1).lstrip("\"'“‘([").lower()
    if token in ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
        return False
    return re.fullmatch(r"(?:[a-z]\.)+[a-z]", token) is None


def _old_split_block(block):
    sentences, start = [], 0
    for m in _OLD_BOUNDARY.finditer(block):
        if m.group(3) is None and not _old_ends_sentence(block, m):
            continue
        piece = block[start:m.end(1) if m.group(1) else m.end(3)].strip()
        if piece:
            sentences.append(piece)
        start = m.end()
    tail = block[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _old_split(text):
    from rageval.textutils.sentences import _blocks
    return [s for block in _blocks(text) for s in _old_split_block(block)]


_PIECES = ["The", "cat", "sat", "Dr", "mr", "U.S", "p.m", "e.g", "J", "k", "x", "3.14", "東京", "Ça", "ok",
           ".", "..", "...", "…", "!", "?", "?!", "。", "！", "''", "”", '"', "'", ")", "]", "(", "“", "」",
           " ", " ", " ", "  ", "\t", "\n", "\n\n", "\r\n", "- ", "1. ", "\u2028", "\u00a0", ":", ";", "a", "B"]


def test_linear_splitter_reproduces_the_old_one():
    import random

    from rageval.textutils import sentences
    rng = random.Random(11)
    texts = ["".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 40))) for _ in range(6000)]
    texts += ["".join(rng.choice(".!? x\n'”") for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    for text in texts:
        assert split_sentences(text) == _old_split(text), repr(text)
        # blocks never hold a line break; the block splitter alone must agree on them too
        assert sentences._split_block(text) == _old_split_block(text), repr(text)


def test_hundred_thousand_sentences_in_linear_time():
    # 100k sentences: the quadratic splitter took 18.6 s for 8,000 (x3.6 per doubling), so well over
    # half an hour here; the linear one takes about a second. No timing assertion: a regression hangs.
    text = "The cat sat on the mat. Dr. Smith left. " * 50_000
    out = split_sentences(text)
    assert len(out) == 100_000 and out[:2] == ["The cat sat on the mat.", "Dr. Smith left."]
    assert len(split_sentences("." * 200_000 + "x")) == 1  # a run of marks without a space: no rescan
