"""`semantic_similarity`: cosine similarity of sentence-transformers embeddings of the answer and
its references (the best reference), as ``sentence_transformers.util.cos_sim`` computes it."""
from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

from rageval.core.scorer import Batch, MeanScorer
from rageval.models import DEFAULT_EMBEDDING_MODEL, load_sentence_transformer, resolve_model
from rageval.scorers.text.inputs import hypotheses_and_references


class SemanticSimilarity(MeanScorer):
    """Per example ``max_j cos(e(answer), e(reference_j))`` with ``e`` the sentence-transformers
    embedding (the model's own pooling and normalisation); the aggregate is the mean. Values in
    [-1, 1]. Texts go to the model as they are (an empty text is embedded like any other).

    Parameters: ``model`` (hub name or local path, resolved offline by
    `rageval.models.resolve_model`; default all-MiniLM-L6-v2), ``batch_size``, ``device``,
    ``allow_download``. Identical texts are embedded once.

    >>> s = SemanticSimilarity()
    >>> round(s.reduce(s.stats({"answer": ["a cat"], "references": [["a cat", "a dog"]]}))["semantic_similarity"], 5)
    1.0
    """

    name = "semantic_similarity"
    bounds = (-1.0, 1.0)
    fields = ("answer", "references")

    def __init__(self, model: str = DEFAULT_EMBEDDING_MODEL, batch_size: int = 64, device: str | None = None,
                 allow_download: bool = False) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        super().__init__(model=str(model), batch_size=batch_size, device=device, allow_download=allow_download)

    @functools.cached_property
    def path(self) -> str:
        return resolve_model(self.params["model"], allow_download=self.params["allow_download"])

    @functools.cached_property
    def model_hash(self) -> str | None:
        """A fingerprint of the model's files (None for a hub name left to download)."""
        from rageval.models import model_fingerprint

        return model_fingerprint(self.path) if os.path.isdir(self.path) else None

    def score_batch(self, batch: Batch) -> np.ndarray:
        import torch

        answers, references = hypotheses_and_references(batch)
        if not answers:
            return np.zeros(0)
        texts: dict[str, int] = {}
        hyp = [texts.setdefault(a, len(texts)) for a in answers]
        ref = [texts.setdefault(r, len(texts)) for refs in references for r in refs]
        owner = np.repeat(np.arange(len(answers)), [len(r) for r in references])
        model = load_sentence_transformer(self.path, self.params["device"])
        emb = model.encode(list(texts), batch_size=self.params["batch_size"], convert_to_tensor=True,
                           show_progress_bar=False)
        emb = torch.nn.functional.normalize(emb.float(), p=2, dim=1)  # as util.cos_sim
        cos = (emb[torch.as_tensor(hyp)[owner]] * emb[torch.as_tensor(ref)]).sum(dim=1).cpu().numpy()
        return np.maximum.reduceat(cos.astype(np.float64), np.searchsorted(owner, np.arange(len(answers))))

    def signature_items(self) -> dict[str, Any]:
        """Model name and a fingerprint of its files, sentence-transformers version; batch size and
        device are left out (they change values by ~1e-7 at most)."""
        import sentence_transformers

        items: dict[str, Any] = {"model": self.params["model"]}
        if self.model_hash is not None:
            items["model_hash"] = self.model_hash
        items["sentence_transformers"] = sentence_transformers.__version__
        return items
