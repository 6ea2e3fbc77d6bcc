"""`rouge1` ... `rouge9`, `rougeL`, `rougeLsum`: identical to Google's rouge-score (`rouge_score.rouge_scorer`).

Each example's value is the F-measure of the answer against its references, with the precision
and recall of that same reference as the ``.precision`` / ``.recall`` parts; with several
references the one with the highest F-measure is taken, the first on ties (rouge-score's
``RougeScorer.score_multi``). The aggregate is the mean over examples. Values on 0-1.
The arithmetic lives in `rageval.scorers.text.rouge_core`.

Every ROUGE scorer takes ``use_stemmer`` and, as rouge-score's ``RougeScorer``, a ``tokenizer``: any
object with a ``tokenize(text) -> list[str]`` method, used instead of rouge-score's default tokenizer
(``use_stemmer`` then does nothing, as in rouge-score). Its class name enters the signature; results
scored with one are reloaded with ``load_results(path, scorers=[...])`` given the same tokenizer.
"""
from __future__ import annotations

import functools
from abc import abstractmethod
from collections.abc import Callable
from typing import Any

import nltk
import numpy as np

from rageval.core.scorer import Batch, MeanScorer
from rageval.scorers.text import rouge_core
from rageval.scorers.text.inputs import hypotheses_and_references
from rageval.scorers.text.rouge_core import RougeTokenizer, Score
from rageval.textutils.ngrams import ngram_matches

#: Abbreviations the offline splitter does not end a sentence on (Punkt stores them lowercased,
#: without the final period).
OFFLINE_ABBREVIATIONS = (
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "ft", "gen", "gov", "sen", "rep",
    "rev", "capt", "col", "lt", "sgt", "vs", "etc", "e.g", "i.e", "cf", "al", "approx", "inc",
    "ltd", "co", "corp", "dept", "univ", "no", "nos", "vol", "pp", "fig", "ed", "eds", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "a.m", "p.m",
    "u.s", "u.k", "u.n", "d.c",
)


@functools.lru_cache(maxsize=2)
def shared_tokenizer(use_stemmer: bool) -> RougeTokenizer:
    """One tokenizer per setting, so the four ROUGE scorers share one stem cache."""
    return RougeTokenizer(use_stemmer)


def clear_caches() -> None:
    """Forget cached stems and tokens (benchmarks time a cold start with it)."""
    shared_tokenizer.cache_clear()
    rouge_core.porter_stem.cache_clear()


def _newline_sentences(text: str) -> list[str]:
    return text.split("\n")


@functools.lru_cache(maxsize=1)
def _offline_punkt() -> Any:
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    params = PunktParameters()
    params.abbrev_types = set(OFFLINE_ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


def _offline_sentences(text: str) -> list[str]:
    return _offline_punkt().tokenize(text)


def _nltk_sentences(text: str) -> list[str]:
    try:
        return nltk.sent_tokenize(text)
    except LookupError as exc:
        raise LookupError(
            "rougeLsum with split_summaries='nltk' needs nltk's English Punkt model: run "
            "python -c \"import nltk; nltk.download('punkt_tab')\" where the nltk data hub is "
            "reachable, or use split_summaries=True for the offline splitter") from exc


#: split_summaries value -> (signature name, splitter)
SPLITTERS: dict[Any, tuple[str, Callable[[str], list[str]]]] = {
    False: ("newline", _newline_sentences),
    True: ("punkt-offline", _offline_sentences),
    "punkt": ("punkt-offline", _offline_sentences),
    "nltk": ("nltk-sent_tokenize", _nltk_sentences),
}


class _Rouge(MeanScorer):
    """Shared plumbing: checks the batch, scores each answer against each reference, keeps the
    best by F-measure, and returns rows ``[fmeasure, precision, recall]``."""

    fields = ("answer", "references")
    parts = ("precision", "recall")
    bounds = (0.0, 1.0)

    def __init__(self, use_stemmer: bool = False, tokenizer: Any = None) -> None:
        if not isinstance(use_stemmer, bool):
            raise TypeError(f"use_stemmer must be True or False, got {use_stemmer!r}")
        if tokenizer is not None and not callable(getattr(tokenizer, "tokenize", None)):
            raise TypeError(f"tokenizer must have a tokenize(text) method (as rouge-score's), got {tokenizer!r:.60}")
        super().__init__(use_stemmer=use_stemmer)
        self.user_tokenizer = tokenizer
        if tokenizer is not None:
            self.params["tokenizer"] = f"{type(tokenizer).__module__}.{type(tokenizer).__qualname__}"
        self.tokenizer = tokenizer if tokenizer is not None else shared_tokenizer(use_stemmer)

    @abstractmethod
    def prepare_text(self, text: str) -> Any:
        """The per-text form that ``score_pair`` compares (tokens, n-grams or sentences)."""

    @abstractmethod
    def score_pair(self, target: Any, prediction: Any) -> Score:
        """rouge-score's Score (precision, recall, F-measure) of a prediction against one target."""

    def score_batch(self, batch: Batch) -> list[tuple[float, float, float]]:
        answers, references = hypotheses_and_references(batch)
        out = []
        for answer, refs in zip(answers, references):
            prediction = self.prepare_text(answer)
            p, r, f = rouge_core.best_by_fmeasure([self.score_pair(self.prepare_text(t), prediction)
                                                   for t in refs])
            out.append((f, p, r))
        return out

    def signature_items(self) -> dict[str, Any]:
        items = super().signature_items()
        if self.user_tokenizer is not None:
            items["tokenizer"] = self.params["tokenizer"]
            items.pop("use_stemmer")  # rouge-score ignores it with a tokenizer of the user's
            return items
        items["tokenizer"] = "rouge_score-default"
        if self.params["use_stemmer"]:
            items["stemmer"] = f"porter-nltk{nltk.__version__}"
        return items


class _RougeN(_Rouge):
    n: int = 1

    def prepare_text(self, text: str) -> Any:
        return rouge_core.ngrams(self.tokenizer.tokenize(text), self.n)

    def score_pair(self, target: Any, prediction: Any) -> Score:
        return rouge_core.ngram_score(target, prediction)

    def score_batch(self, batch: Batch) -> np.ndarray:
        """`score_pair` for every (answer, reference) pair at once: the clipped n-gram overlaps
        counted by `rageval.textutils.ngrams` over the batch's token ids, precision, recall and F
        with rouge-score's float expressions (in numpy, the same IEEE operations in the same
        order), then each answer's best reference by F, the first on ties."""
        answers, references = hypotheses_and_references(batch)
        tokenize, n = self.tokenizer.tokenize, self.n
        n_refs = np.fromiter(map(len, references), dtype=np.int64, count=len(answers))
        owner = np.repeat(np.arange(len(answers)), n_refs)
        answer_tokens = [tokenize(a) for a in answers]
        texts = [answer_tokens[i] for i in owner.tolist()] + [tokenize(r) for rs in references for r in rs]
        flat = [t for toks in texts for t in toks]
        index: dict[str, int] = {}  # each token's id: the position of its first occurrence
        ids = np.fromiter(map(index.setdefault, flat, range(len(flat))), dtype=np.int64, count=len(flat))
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        pairs = len(owner)
        overlap = ngram_matches(ids, lengths, pairs, np.arange(pairs), n)[:, n - 1].astype(np.float64)
        n_prediction = np.maximum(lengths[:pairs] - n + 1, 0)
        n_target = np.maximum(lengths[pairs:] - n + 1, 0)
        precision = overlap / np.maximum(n_prediction, 1)
        recall = overlap / np.maximum(n_target, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
        scores = np.column_stack([f, precision, recall])
        if pairs == len(answers):
            return scores
        starts = np.cumsum(n_refs) - n_refs
        return scores[[s + int(np.argmax(f[s:s + k])) for s, k in zip(starts.tolist(), n_refs.tolist())]]


class Rouge1(_RougeN):
    """ROUGE-1: unigram overlap F-measure, as ``RougeScorer(["rouge1"], use_stemmer=...)``.

    >>> s = Rouge1()
    >>> s.reduce(s.stats({"answer": ["the cat sat"], "references": [["the cat sat down"]]}))["rouge1"]
    0.8571428571428571
    """

    name = "rouge1"
    n = 1


class Rouge2(_RougeN):
    """ROUGE-2: bigram overlap F-measure, as ``RougeScorer(["rouge2"], use_stemmer=...)``."""

    name = "rouge2"
    n = 2


def _rouge_n(n: int) -> type[_RougeN]:
    doc = f"""ROUGE-{n}: {n}-gram overlap F-measure, as ``RougeScorer(["rouge{n}"], use_stemmer=...)``."""
    return type(f"Rouge{n}", (_RougeN,), {"__doc__": doc, "__module__": __name__, "name": f"rouge{n}", "n": n})


Rouge3, Rouge4, Rouge5, Rouge6, Rouge7, Rouge8, Rouge9 = map(_rouge_n, range(3, 10))


class RougeL(_Rouge):
    """ROUGE-L: longest-common-subsequence F-measure over the whole text, newlines ignored, as
    ``RougeScorer(["rougeL"], use_stemmer=...)``."""

    name = "rougeL"

    def prepare_text(self, text: str) -> Any:
        return self.tokenizer.tokenize(text)

    def score_pair(self, target: Any, prediction: Any) -> Score:
        return rouge_core.lcs_score(target, prediction)


class RougeLsum(_Rouge):
    """ROUGE-Lsum: summary-level LCS over sentences, as ``RougeScorer(["rougeLsum"], ...)``.

    ``split_summaries`` says where sentences end:

    * ``False`` (default, as rouge-score): at newlines only; put one sentence per line.
    * ``True`` or ``"punkt"``: nltk's Punkt algorithm with fixed parameters (no learned model,
      the abbreviations in `OFFLINE_ABBREVIATIONS`); works offline, needs no data file. It is
      not rouge-score's ``split_summaries=True``, which uses nltk's trained English model.
    * ``"nltk"``: ``nltk.sent_tokenize``, exactly rouge-score's ``split_summaries=True``; needs
      nltk's ``punkt_tab`` data installed.

    Empty sentences are dropped before tokenising, as rouge-score does.
    """

    name = "rougeLsum"

    def __init__(self, use_stemmer: bool = False, split_summaries: bool | str = False, tokenizer: Any = None) -> None:
        if not any(split_summaries is k or (isinstance(k, str) and split_summaries == k) for k in SPLITTERS):
            raise ValueError(f"split_summaries must be False, True, 'punkt' or 'nltk', got {split_summaries!r}")
        super().__init__(use_stemmer=use_stemmer, tokenizer=tokenizer)
        self.params["split_summaries"] = split_summaries
        self.splitter_name, self.splitter = SPLITTERS[split_summaries]

    def prepare_text(self, text: str) -> Any:
        tokenize = self.tokenizer.tokenize
        return [tokenize(s) for s in self.splitter(text) if s]

    def score_pair(self, target: Any, prediction: Any) -> Score:
        return rouge_core.summary_lcs_score(target, prediction)

    def signature_items(self) -> dict[str, Any]:
        items = super().signature_items()
        items["split_summaries"] = self.splitter_name
        if self.splitter_name != "newline":  # nltk's Punkt decides the sentences
            items["punkt"] = f"nltk{nltk.__version__}"
        return items
