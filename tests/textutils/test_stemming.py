"""porter_stem: nltk's PorterStemmer (NLTK_EXTENSIONS mode), cached."""
from __future__ import annotations

from nltk.stem.porter import PorterStemmer

from rageval.textutils.stemming import porter_stem

WORDS = "running Cats cats generously university organizational agreed happiness flies ß Ünïcödé 42nd a".split()


def test_porter_stem_is_nltks_stemmer():
    reference = PorterStemmer()
    assert [porter_stem(w) for w in WORDS] == [reference.stem(w) for w in WORDS]
    assert porter_stem("running") == "run" and porter_stem("Cats") == "cat"
