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
