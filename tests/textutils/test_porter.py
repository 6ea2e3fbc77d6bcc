"""`rageval.textutils.porter.stem` equals nltk's ``PorterStemmer().stem`` (NLTK_EXTENSIONS mode) on
WordNet's lemma names and on generated strings built around every rule's suffix."""
from __future__ import annotations

import random

import pytest
from nltk.stem.porter import PorterStemmer

from rageval.scorers.text.wordnet import load_wordnet
from rageval.textutils.porter import stem

SUFFIXES = ["ational", "tional", "enci", "anci", "izer", "bli", "alli", "entli", "eli", "ousli", "ization", "ation",
            "ator", "alism", "iveness", "fulness", "ousness", "aliti", "iviti", "biliti", "fulli", "logi", "icate",
            "ative", "alize", "iciti", "ical", "ful", "ness", "al", "ance", "ence", "er", "ic", "able", "ible", "ant",
            "ement", "ment", "ent", "ion", "sion", "tion", "ou", "ism", "ate", "iti", "ous", "ive", "ize", "ies",
            "sses", "ss", "ied", "eed", "ed", "ing", "*d", "ll", "e", "y", "yy", "at", "bl", "iz", ""]


def _generated(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    out = ["", "a", "Y", "yy", "ies", "dying", "Skies", "İİ", "ΣΑΣ", "x*ding", "a*d", "yyyying", "a\nb"]
    for _ in range(n):
        if rng.random() < 0.5:
            out.append("".join(rng.choice("aeiouybcdlsztgnmrwx*'-1İΣ") for _ in range(rng.randint(0, 12))))
        else:
            out.append("".join(rng.choice("bcdyaeiousltzwx") for _ in range(rng.randint(0, 5)))
                       + rng.choice(SUFFIXES) + rng.choice(["", "s", "ed", "ing", "ly", "es"]))
    return out


def _check(words) -> None:
    nltk_stem = PorterStemmer().stem
    for word in words:
        assert stem(word) == nltk_stem(word), word


def test_equals_nltk_on_generated_words():
    _check(_generated(0, 30_000))


def test_equals_nltk_on_a_sample_of_wordnet_lemmas():
    _check(sorted(load_wordnet().all_lemma_names())[::10])


@pytest.mark.slow
def test_equals_nltk_on_every_wordnet_lemma_and_many_generated_words():
    _check(load_wordnet().all_lemma_names())
    _check(_generated(1, 400_000))
