"""The embedding judge against sentence-transformers itself (the offline MiniLM model): cosine of
normalised embeddings, clipped at 0; per-text vectors cached on disk."""
from __future__ import annotations

import numpy as np
import pytest

from rageval.judges import get_judge
from rageval.models import DEFAULT_EMBEDDING_MODEL, load_sentence_transformer, resolve_model
from rageval.textutils.sentences import split_sentences

QUESTIONS = ["Where is the Eiffel Tower?", "Who wrote Hamlet?", "What is 2 + 2?", "Qu'est-ce que c'est ?"]
PASSAGES = ["The Eiffel Tower is in Paris. It was built in 1889.", "Hamlet is a tragedy by William Shakespeare.",
            "Bananas are yellow.", "Ünïcode — 東京 &amp; 42 %"]


def reference_cos(left: list[str], right: list[str]) -> np.ndarray:
    model = load_sentence_transformer(resolve_model(DEFAULT_EMBEDDING_MODEL), "cpu")
    from sentence_transformers import util

    return np.diag(util.cos_sim(model.encode(left), model.encode(right)).numpy())


@pytest.fixture(scope="module")
def judge(tmp_path_factory):
    return get_judge({"kind": "embedding", "cache_dir": tmp_path_factory.mktemp("emb"), "device": "cpu"})


def test_relevance_agreement_addresses_are_clipped_cosines(judge):
    expected = np.clip(reference_cos(QUESTIONS, PASSAGES), 0, 1)
    np.testing.assert_allclose(judge.relevance(QUESTIONS, PASSAGES), expected, atol=1e-5)
    np.testing.assert_allclose(judge.addresses(QUESTIONS, PASSAGES), expected, atol=1e-5)
    np.testing.assert_allclose(judge.agreement(PASSAGES, QUESTIONS), expected, atol=1e-5)
    assert all(0.0 <= v <= 1.0 for v in judge.relevance(QUESTIONS, PASSAGES[::-1]))


def test_support_is_the_best_sentence_or_whole_premise(judge):
    claim = "The tower was built in 1889."
    premise = PASSAGES[0]
    units = [premise, *split_sentences(premise)]
    expected = max(np.clip(reference_cos([claim] * len(units), units), 0, 1))
    assert judge.support([premise], [claim])[0] == pytest.approx(expected, abs=1e-5)
    assert judge.support([premise], [claim])[0] > judge.relevance([claim], [premise])[0]


def test_second_run_encodes_nothing(tmp_path):
    first = get_judge({"kind": "embedding", "cache_dir": tmp_path, "device": "cpu"})
    values = first.relevance(QUESTIONS, PASSAGES)
    assert first.usage()["calls"] == 8
    again = get_judge({"kind": "embedding", "cache_dir": tmp_path, "device": "cpu", "batch_size": 2})
    assert again.relevance(QUESTIONS, PASSAGES) == values
    assert again.usage()["calls"] == 0 and again.usage()["cached"] == 8
    prefixed = get_judge({"kind": "embedding", "cache_dir": tmp_path, "query_prefix": "query: "})
    prefixed.relevance(QUESTIONS[:1], PASSAGES[:1])
    assert prefixed.usage()["calls"] == 1  # the prefixed question is a new text; the passage is cached
    assert "query_prefix:query: " in prefixed.signature


def test_signature_names_model_and_files(judge):
    assert judge.signature.startswith("kind:embedding|version:1|model:sentence-transformers/all-MiniLM-L6-v2|model_hash:")
