"""The Porter stemmer shared by judges and scorers: nltk's `PorterStemmer` in its default
NLTK_EXTENSIONS mode (no data download), one instance per process, stems cached. nltk is imported
on the first call (importing it takes seconds)."""
from __future__ import annotations

import functools
from typing import Any


@functools.lru_cache(maxsize=1)
def _stemmer() -> Any:
    from nltk.stem.porter import PorterStemmer

    return PorterStemmer()


@functools.lru_cache(maxsize=200_000)
def porter_stem(word: str) -> str:
    """Porter stem of ``word`` (lower-cased first, as nltk does), cached: the stemmer is a pure
    function of its input and the costliest step of lexical matching.

    >>> porter_stem("running"), porter_stem("Cats")
    ('run', 'cat')
    """
    return _stemmer().stem(word)
