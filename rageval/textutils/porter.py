"""nltk's Porter stemmer (``nltk.stem.porter.PorterStemmer``, its default NLTK_EXTENSIONS mode),
rewritten for speed with the same result on every string.

nltk builds each step's rule list, with bound-method conditions, on every call, and tests the
rules one by one with ``str.endswith``. Here each step is straight-line code or a fixed table
tested first with one ``str.endswith(tuple)``; the measure m (the number of vowel-consonant
transitions) of a stem without ``y`` is counted with one regular expression. Everything else
follows nltk statement by statement, quirks included (``len`` of the word before lowercasing, the
``*d`` rule of step 1b also firing on a literal ``*d`` ending). tests/textutils/test_porter.py
compares it with nltk on every WordNet lemma name and on generated strings.

>>> stem("running"), stem("Generalizations"), stem("skies")
('run', 'gener', 'sky')
"""
from __future__ import annotations

import re

__all__ = ["stem"]

_VOWELS = frozenset("aeiou")
# nltk's irregular forms (NLTK_EXTENSIONS): form -> stem
_POOL = {form: key for key, forms in {
    "sky": ["sky", "skies"], "die": ["dying"], "lie": ["lying"], "tie": ["tying"], "news": ["news"],
    "inning": ["innings", "inning"], "outing": ["outings", "outing"], "canning": ["cannings", "canning"],
    "howe": ["howe"], "proceed": ["proceed"], "exceed": ["exceed"], "succeed": ["succeed"],
}.items() for form in forms}
_VC = re.compile(r"[aeiou][^aeiou]").findall
_VOWEL = re.compile(r"[aeiou]").search


def _is_consonant(word: str, i: int) -> bool:
    if word[i] in _VOWELS:
        return False
    if word[i] == "y":
        negate = False
        while i > 0 and word[i] == "y":
            negate = not negate
            i -= 1
        return (word[i] not in _VOWELS) != negate
    return True


def _consonant_flags(word: str) -> list[bool]:
    flags: list[bool] = []
    for i, ch in enumerate(word):
        if ch in _VOWELS:
            flags.append(False)
        elif ch == "y":
            flags.append(True if i == 0 else not flags[i - 1])
        else:
            flags.append(True)
    return flags


def _measure(stem: str) -> int:
    """nltk's ``_measure``: occurrences of "vc" in the stem's consonant/vowel string."""
    if "y" not in stem:  # every non-vowel is a consonant: count vowel-then-non-vowel pairs
        return len(_VC(stem))
    return "".join("c" if c else "v" for c in _consonant_flags(stem)).count("vc")


def _contains_vowel(stem: str) -> bool:
    if "y" not in stem:
        return _VOWEL(stem) is not None
    return not all(_consonant_flags(stem))


def _ends_double_consonant(word: str) -> bool:
    return len(word) >= 2 and word[-1] == word[-2] and _is_consonant(word, len(word) - 1)


def _ends_cvc(word: str) -> bool:
    return (len(word) >= 3 and _is_consonant(word, len(word) - 3) and not _is_consonant(word, len(word) - 2)
            and _is_consonant(word, len(word) - 1) and word[-1] not in ("w", "x", "y")) or (
        len(word) == 2 and not _is_consonant(word, 0) and _is_consonant(word, 1))


def _step1a(word: str) -> str:
    if word.endswith("ies") and len(word) == 4:
        return word[:-3] + "ie"
    if word.endswith("sses"):
        return word[:-4] + "ss"
    if word.endswith("ies"):
        return word[:-3] + "i"
    if word.endswith("ss"):
        return word
    if word.endswith("s"):
        return word[:-1]
    return word


def _step1b(word: str) -> str:
    if word.endswith("ied"):
        return word[:-3] + ("ie" if len(word) == 4 else "i")
    if word.endswith("eed"):
        stem = word[:-3]
        return stem + "ee" if _measure(stem) > 0 else word
    if word.endswith("ed"):
        stem = word[:-2]
    elif word.endswith("ing"):
        stem = word[:-3]
    else:
        return word
    if not _contains_vowel(stem):
        return word
    if stem.endswith("at"):
        return stem[:-2] + "ate"
    if stem.endswith("bl"):
        return stem[:-2] + "ble"
    if stem.endswith("iz"):
        return stem[:-2] + "ize"
    if _ends_double_consonant(stem) or stem.endswith("*d"):  # nltk's "*d" rule, literal "*d" included
        return stem[:-2] + stem[-1] if stem[-1] not in ("l", "s", "z") else stem
    if _measure(stem) == 1 and _ends_cvc(stem):
        return stem + "e"
    return stem


def _step1c(word: str) -> str:
    if word.endswith("y"):
        stem = word[:-1]
        return stem + "i" if len(stem) > 1 and _is_consonant(stem, len(stem) - 1) else word
    return word


# (suffix, replacement) in nltk's order; the first suffix the word ends with decides
_STEP2 = (("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
          ("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"), ("ization", "ize"),
          ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"),
          ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"), ("fulli", "ful"),
          ("logi", "log"))
_STEP3 = (("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""),
          ("ness", ""))
_STEP4 = ("al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou", "ism",
          "ate", "iti", "ous", "ive", "ize")
_STEP2_ENDS = tuple(s for s, _ in _STEP2)
_STEP3_ENDS = tuple(s for s, _ in _STEP3)


def _step2(word: str) -> str:
    if word.endswith("alli") and _measure(word[:-4]) > 0:
        return _step2(word[:-4] + "al")
    if not word.endswith(_STEP2_ENDS):
        return word
    for suffix, replacement in _STEP2:
        if word.endswith(suffix):
            stem = word[:-len(suffix)]
            # nltk's "logi" rule measures the word less "gi", not the stem
            return stem + replacement if _measure(word[:-3] if suffix == "logi" else stem) > 0 else word
    return word


def _step3(word: str) -> str:
    if not word.endswith(_STEP3_ENDS):
        return word
    for suffix, replacement in _STEP3:
        if word.endswith(suffix):
            stem = word[:-len(suffix)]
            return stem + replacement if _measure(stem) > 0 else word
    return word


def _step4(word: str) -> str:
    if not word.endswith(_STEP4):
        return word
    for suffix in _STEP4:
        if word.endswith(suffix):
            stem = word[:-len(suffix)]
            if suffix == "ion":
                return stem if _measure(stem) > 1 and stem[-1] in ("s", "t") else word
            return stem if _measure(stem) > 1 else word
    return word


def _step5a(word: str) -> str:
    if word.endswith("e"):
        stem = word[:-1]
        m = _measure(stem)
        if m > 1 or (m == 1 and not _ends_cvc(stem)):
            return stem
    return word


def _step5b(word: str) -> str:
    if word.endswith("ll"):
        return word[:-2] + "l" if _measure(word[:-1]) > 1 else word
    return word


def stem(word: str) -> str:
    """``PorterStemmer().stem(word)`` (lowercasing first), exactly."""
    out = word.lower()
    if out in _POOL:
        return _POOL[out]
    if len(word) <= 2:
        return out
    return _step5b(_step5a(_step4(_step3(_step2(_step1c(_step1b(_step1a(out))))))))
