"""`semantic_similarity` against sentence-transformers' own embeddings and `util.cos_sim`: a tiny
random sentence-transformers model built here, and the real all-MiniLM-L6-v2."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch
from sentence_transformers import SentenceTransformer, util

try:  # sentence-transformers >= 6
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
except ImportError:  # pragma: no cover - older releases
    from sentence_transformers.models import Pooling, Transformer

from support import SHARED

import rageval
from rageval.core.errors import FieldError
from rageval.core.registry import get_scorer
from rageval.models import DEFAULT_EMBEDDING_MODEL, resolve_model

WICE = SHARED / "data" / "wice" / "entailment_retrieval" / "claim"
WORDS = "the a of in on cat dog sat mat big small paris france river city people year book who what".split()
ODD = ["", " ", "\n", "Héllo wörld", "東京 タワー", "&amp; &lt;b&gt;", "3.14 1,000", "!!! ...", "\u200b",
       "line one\nline two", "word " * 400]


pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def tiny_st(tmp_path_factory) -> str:
    """A 2-layer random BERT with mean pooling, saved as a sentence-transformers model."""
    from transformers import BertConfig, BertModel, BertTokenizer

    base = tmp_path_factory.mktemp("tiny-bert")
    chars = list("abcdefghijklmnopqrstuvwxyz0123456789.,!?&;")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS + chars + ["##" + c for c in chars]
    BertTokenizer(vocab={w: i for i, w in enumerate(dict.fromkeys(vocab))}, model_max_length=32).save_pretrained(base)
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(dict.fromkeys(vocab)), hidden_size=32, num_hidden_layers=2,
                         num_attention_heads=4, intermediate_size=64, max_position_embeddings=64)).save_pretrained(base)
    out = tmp_path_factory.mktemp("tiny-st")
    word = Transformer(str(base), max_seq_length=32)
    dim = word.get_embedding_dimension() if hasattr(word, "get_embedding_dimension") else word.get_word_embedding_dimension()
    SentenceTransformer(modules=[word, Pooling(dim, "mean")]).save(str(out))
    return str(out)


def generated(seed: int, n: int) -> tuple[list[str], list[list[str]]]:
    rng = random.Random(seed)

    def text() -> str:
        if rng.random() < 0.15:
            return rng.choice(ODD)
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 40)))

    answers = [text() for _ in range(n)]
    refs = [[answers[i] if rng.random() < 0.1 else text() for _ in range(rng.randint(1, 4))] for i in range(n)]
    return answers, refs


def reference(path: str, answers: list[str], refs: list[list[str]]) -> np.ndarray:
    """sentence-transformers: encode each side, ``util.cos_sim``, best reference per answer."""
    model = SentenceTransformer(path, device="cpu")
    a = model.encode(answers, convert_to_tensor=True)
    out = []
    for i, group in enumerate(refs):
        out.append(float(util.cos_sim(a[i:i + 1], model.encode(group, convert_to_tensor=True)).max()))
    return np.array(out)


def ours(path: str, answers, refs, **params) -> np.ndarray:
    scorer = get_scorer("semantic_similarity", model=path, **params)
    return scorer.example_scores(scorer.stats({"answer": answers, "references": refs}))["semantic_similarity"]


@pytest.mark.parametrize("seed", range(3))
def test_tiny_model_identical_to_sentence_transformers(tiny_st, seed):
    answers, refs = generated(seed, 150)
    np.testing.assert_allclose(ours(tiny_st, answers, refs, batch_size=7), reference(tiny_st, answers, refs),
                               atol=1e-6, rtol=0)


def test_minilm_identical_to_sentence_transformers():
    answers, refs = generated(9, 20)
    if WICE.is_dir():
        rows = [json.loads(line) for line in (WICE / "dev.jsonl").open()][:10]
        answers += [r["claim"] for r in rows]
        refs += [[s for s in r["evidence"] if s.strip()][:3] for r in rows]
    path = resolve_model(DEFAULT_EMBEDDING_MODEL)
    np.testing.assert_allclose(ours(DEFAULT_EMBEDDING_MODEL, answers, refs), reference(path, answers, refs),
                               atol=1e-6, rtol=0)


def test_through_evaluate_and_signature(tiny_st):
    answers, refs = generated(4, 30)
    rows = [{"answer": a, "references": r} for a, r in zip(answers, refs)]
    res = rageval.evaluate(rows, [("semantic_similarity", {"model": tiny_st})], batch_size=8, progress=False)
    want = reference(tiny_st, answers, refs)
    np.testing.assert_allclose(res.to_pandas()["semantic_similarity"].to_numpy(), want, atol=1e-6, rtol=0)
    assert res.aggregate["semantic_similarity"] == pytest.approx(want.mean(), abs=1e-6)
    sig = get_scorer("semantic_similarity", model=tiny_st).signature
    assert "model_hash:" in sig and "sentence_transformers:" in sig and "batch_size" not in sig


def test_bad_input_errors(tiny_st):
    scorer = get_scorer("semantic_similarity", model=tiny_st)
    with pytest.raises(FieldError, match="'references' at row 1: no reference"):
        scorer.stats({"answer": ["a", "b"], "references": [["a"], []]})
    with pytest.raises(FieldError, match="'answer' at row 0"):
        scorer.stats({"answer": [3], "references": [["a"]]})
    with pytest.raises(ValueError, match="batch_size"):
        get_scorer("semantic_similarity", batch_size=0)
    with pytest.raises(FileNotFoundError, match="allow_download"):
        get_scorer("semantic_similarity", model="no-such-org/no-such-model").stats({"answer": ["a"], "references": [["a"]]})
    assert scorer.stats({"answer": [], "references": []}).shape == (0, 1)
