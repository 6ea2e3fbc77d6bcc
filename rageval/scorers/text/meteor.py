"""`meteor`: identical to nltk's ``nltk.translate.meteor_score.meteor_score``.

The answer and each reference are tokenised (``tokenize``), lowercased, and aligned in three
stages as nltk does: exact matches, then Porter-stem matches (nltk's ``PorterStemmer``), then
WordNet synonym matches (a hypothesis word matches a reference word that is a single-word lemma
of one of its synsets; as in nltk, this stage sees the Porter stems of the words still unmatched,
so ``car`` matches ``auto`` but not ``automobile``, whose stem is ``automobil``). With ``m``
matches, a hypothesis of ``t`` words and a reference of ``r``:
``P = m/t``, ``R = m/r``, ``Fmean = P·R / (alpha·P + (1-alpha)·R)``, and with ``ch`` chunks
(runs of matches adjacent in both texts) ``score = (1 - gamma·(ch/m)**beta) · Fmean``; 0 when
there is no match. With several references, the maximum (as nltk). Values on 0-1, mean over
examples. WordNet comes from `rageval.scorers.text.wordnet`.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import nltk
from nltk.corpus.reader import WordNetCorpusReader

from rageval.core.scorer import Batch, MeanScorer
from rageval.scorers.text.inputs import hypotheses_and_references
from rageval.scorers.text.wordnet import LemmaNames, load_wordnet, wordnet_version
from rageval.textutils.stemming import porter_stem

_CACHE_LIMIT = 1_000_000


def _whitespace(text: str) -> list[str]:
    return text.split()


def _nltk_words(text: str) -> list[str]:
    return nltk.word_tokenize(text, preserve_line=True)


#: tokenize value -> tokenizer. nltk's function takes pre-tokenised input; "whitespace" is
#: ``str.split``; "nltk" is ``nltk.word_tokenize(text, preserve_line=True)`` (the Treebank-style
#: word tokenizer over the whole text, no sentence splitting, so no Punkt data needed).
TOKENIZERS: dict[str, Callable[[str], list[str]]] = {"whitespace": _whitespace, "nltk": _nltk_words}


class Matcher:
    """nltk's three-stage METEOR alignment with per-word caches of stems and synonym sets.

    Stems and WordNet synonyms are pure functions of the word, so caching them changes nothing
    but the time; the alignment itself follows nltk 3.10's ``_enum_align_words`` step by step:
    each stage walks the hypothesis from its last word to its first and matches a word to the
    highest still-unmatched reference position holding an equal word (stage 1), an equal stem
    (stage 2) or a synonym (stage 3).
    """

    def __init__(self, stemmer: Any = None, wordnet: Any = None) -> None:
        self.wordnet = load_wordnet() if wordnet is None else wordnet
        self.stemmer = stemmer
        # nltk's default PorterStemmer() as rageval.textutils.porter computes it (the same stems)
        self._stem = porter_stem if stemmer is None else stemmer.stem
        # nltk's reader: the lemma names read straight from its data files (same names, no Synset
        # objects); any other WordNet through its synsets()
        self._lemma_names = LemmaNames(self.wordnet) if isinstance(self.wordnet, WordNetCorpusReader) else None
        self._stems: dict[str, str] = {}
        self._synonyms: dict[str, frozenset[str]] = {}

    def stem(self, word: str) -> str:
        out = self._stems.get(word)
        if out is None:
            if len(self._stems) >= _CACHE_LIMIT:
                self._stems.clear()
            out = self._stems[word] = self._stem(word)
        return out

    def synonyms(self, word: str) -> frozenset[str]:
        """The word and the single-word lemma names of all its synsets (nltk's stage 3 set)."""
        out = self._synonyms.get(word)
        if out is None:
            if self._lemma_names is not None:
                names = set(self._lemma_names(word))
            else:
                names = {lemma.name() for synset in self.wordnet.synsets(word) for lemma in synset.lemmas()}
            out = frozenset(n for n in names if "_" not in n) | {word}
            if len(self._synonyms) >= _CACHE_LIMIT:
                self._synonyms.clear()
            self._synonyms[word] = out
        return out

    def align(self, hyp: Sequence[str], ref: Sequence[str]) -> list[tuple[int, int]]:
        """The (hypothesis index, reference index) matches, sorted by hypothesis index.

        As in nltk, the words left after the stem stage are the stems, so the synonym stage
        looks up the synsets of stems.
        """
        hyp_left = list(enumerate(hyp))
        ref_left = list(enumerate(ref))
        matches: list[tuple[int, int]] = []
        hyp_left, ref_left = _match_equal(hyp_left, ref_left, matches)
        if hyp_left and ref_left:
            stem = self.stem
            hyp_left = [(i, stem(w)) for i, w in hyp_left]
            ref_left = [(j, stem(w)) for j, w in ref_left]
            hyp_left, ref_left = _match_equal(hyp_left, ref_left, matches)
        if hyp_left and ref_left:
            positions = _positions(ref_left)
            for i in range(len(hyp_left) - 1, -1, -1):
                # the highest unmatched reference position holding a synonym (positions are
                # distinct, so the highest is one word's whatever the order of the set)
                best_j, best_word = -1, None
                for syn in self.synonyms(hyp_left[i][1]).intersection(positions):
                    pos = positions[syn]
                    if pos and pos[-1] > best_j:
                        best_j, best_word = pos[-1], syn
                if best_word is not None:
                    positions[best_word].pop()
                    matches.append((hyp_left[i][0], ref_left[best_j][0]))
        matches.sort()
        return matches


Enum = list[tuple[int, str]]


def _positions(enum: Enum) -> dict[str, list[int]]:
    positions: dict[str, list[int]] = defaultdict(list)
    for j, (_, w) in enumerate(enum):
        positions[w].append(j)
    return positions


def _match_equal(hyp: Enum, ref: Enum, matches: list[tuple[int, int]]) -> tuple[Enum, Enum]:
    """nltk's ``_match_enums``: from the last hypothesis word to the first, match each to the
    highest unmatched reference position with an equal word; returns what is left of each."""
    positions = _positions(ref)
    used_h, used_r = set(), set()
    for i in range(len(hyp) - 1, -1, -1):
        pos = positions.get(hyp[i][1])
        if pos:
            j = pos.pop()
            used_h.add(i)
            used_r.add(j)
            matches.append((hyp[i][0], ref[j][0]))
    if not used_h:
        return hyp, ref
    return ([p for i, p in enumerate(hyp) if i not in used_h],
            [p for j, p in enumerate(ref) if j not in used_r])


def count_chunks(matches: Sequence[tuple[int, int]]) -> int:
    """The fewest runs of matches adjacent in both texts (nltk's ``_count_chunks``; 1 when empty)."""
    chunks = 1
    for (h0, r0), (h1, r1) in zip(matches, matches[1:]):
        if not (h1 == h0 + 1 and r1 == r0 + 1):
            chunks += 1
    return chunks


def single_meteor(matcher: Matcher, ref: Sequence[str], hyp: Sequence[str],
                  alpha: float = 0.9, beta: float = 3.0, gamma: float = 0.5) -> float:
    """nltk's ``single_meteor_score`` on lowercased token lists, same float expressions."""
    translation_length, reference_length = len(hyp), len(ref)
    matches = matcher.align(hyp, ref)
    matches_count = len(matches)
    try:
        precision = float(matches_count) / translation_length
        recall = float(matches_count) / reference_length
        fmean = (precision * recall) / (alpha * precision + (1 - alpha) * recall)
        chunk_count = float(count_chunks(matches))
        frag_frac = chunk_count / matches_count
    except ZeroDivisionError:
        return 0.0
    penalty = gamma * frag_frac**beta
    return (1 - penalty) * fmean


class METEOR(MeanScorer):
    """METEOR as ``nltk.translate.meteor_score.meteor_score(refs, hyp, preprocess, stemmer, wordnet,
    alpha, beta, gamma)`` with ``hyp = tokenize(answer)`` and ``refs = [tokenize(r) for r in
    references]``; the defaults are nltk's (``alpha=0.9, beta=3.0, gamma=0.5``, ``preprocess=str.lower``,
    ``stemmer=PorterStemmer()``, ``wordnet`` = WordNet 3.0) and ``tokenize="whitespace"`` (``str.split``).
    As in nltk, ``preprocess`` is any function applied to each word, ``stemmer`` any object with a
    ``stem(word)`` method and ``wordnet`` any object with a ``synsets(word)`` method whose synsets
    have ``lemmas()`` with ``name()`` (nltk's WordNet corpus reader, or another language's); their
    names enter the signature.

    >>> m = METEOR()
    >>> round(m.reduce(m.stats({"answer": ["the cat sat"], "references": [["the cat sat"]]}))["meteor"], 4)
    0.9815
    """

    name = "meteor"
    bounds = (0.0, 1.0)
    fields = ("answer", "references")

    def __init__(self, alpha: float = 0.9, beta: float = 3.0, gamma: float = 0.5,
                 tokenize: str = "whitespace", preprocess: Callable[[str], str] | None = None,
                 stemmer: Any = None, wordnet: Any = None) -> None:
        if preprocess is not None and not callable(preprocess):
            raise TypeError(f"preprocess must be a function of a word (as nltk's), got {preprocess!r:.60}")
        if stemmer is not None and not callable(getattr(stemmer, "stem", None)):
            raise TypeError(f"stemmer must have a stem(word) method (as nltk's stemmers), got {stemmer!r:.60}")
        if wordnet is not None and not callable(getattr(wordnet, "synsets", None)):
            raise TypeError(f"wordnet must have a synsets(word) method (as nltk's WordNet), got {wordnet!r:.60}")
        if tokenize not in TOKENIZERS:
            raise ValueError(f"tokenize must be one of {sorted(TOKENIZERS)}, got {tokenize!r}")
        for key, value in (("alpha", alpha), ("beta", beta), ("gamma", gamma)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{key} must be a number, got {value!r}")
        super().__init__(alpha=alpha, beta=beta, gamma=gamma, tokenize=tokenize)
        for key, value in (("preprocess", preprocess), ("stemmer", stemmer), ("wordnet", wordnet)):
            if value is not None:
                self.params[key] = _describe(value)
        self._tokenize = TOKENIZERS[tokenize]
        self._preprocess = str.lower if preprocess is None else preprocess
        self._custom = (stemmer, wordnet)
        self._matcher: Matcher | None = None

    @property
    def matcher(self) -> Matcher:
        if self._matcher is None:  # loading WordNet takes seconds: only when scoring
            self._matcher = _shared_matcher() if self._custom == (None, None) else Matcher(*self._custom)
        return self._matcher

    def words(self, text: str) -> list[str]:
        """Tokenised and preprocessed (lowercased by default), as nltk's ``_generate_enums``."""
        if self._preprocess is str.lower:
            return [w.lower() for w in self._tokenize(text)]
        return [self._preprocess(w) for w in self._tokenize(text)]

    def score_batch(self, batch: Batch) -> list[float]:
        answers, references = hypotheses_and_references(batch)
        a, b, g = self.params["alpha"], self.params["beta"], self.params["gamma"]
        out = []
        for answer, refs in zip(answers, references):
            hyp = self.words(answer)
            out.append(max(single_meteor(self.matcher, self.words(r), hyp, a, b, g) for r in refs))
        return out

    def signature_items(self) -> dict[str, Any]:
        items = super().signature_items()
        items["nltk"] = nltk.__version__
        if "wordnet" not in self.params:
            items["wordnet"] = wordnet_version()
        return items


def _describe(value: Any) -> str:
    """A function's or object's name for the signature: ``module.qualname``."""
    kind = value if callable(value) and hasattr(value, "__qualname__") else type(value)
    module = getattr(kind, "__module__", None) or getattr(getattr(kind, "__objclass__", None), "__module__", "builtins")
    return f"{module}.{getattr(kind, '__qualname__', repr(kind))}"


_MATCHER: list[Matcher] = []


def clear_caches() -> None:
    """Forget cached stems and synonym sets (benchmarks time a cold start with it)."""
    _MATCHER.clear()
    porter_stem.cache_clear()


def _shared_matcher() -> Matcher:
    """One matcher per process, so every METEOR scorer shares the stem and synonym caches."""
    if not _MATCHER:
        _MATCHER.append(Matcher())
    return _MATCHER[0]
