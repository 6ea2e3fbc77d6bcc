"""`bertscore` against bert-score's `BERTScorer`: tiny random BERT and RoBERTa models built here
(the real loading code, truncation, idf, baselines, several references, edge cases), and the real
all-MiniLM-L6-v2 on real WiCE sentences."""
from __future__ import annotations

import json
import random
import warnings

import numpy as np
import pytest
import torch
from support import SHARED

import rageval
from rageval.core.errors import FieldError
from rageval.core.registry import get_scorer
from rageval.models import DEFAULT_EMBEDDING_MODEL, resolve_model
from rageval.scorers.text import bertscore as bs
from rageval.scorers.text import bertscore_core as bsc

bert_score = pytest.importorskip("bert_score", reason="bert-score is the reference implementation (dev extra)")

WICE = SHARED / "data" / "wice" / "entailment_retrieval" / "claim"
WORDS = ("the a an is was of in on to and or not cat dog sat mat big small old new paris france river city "
         "people year book who what where when how many").split()
NOISE = ["Héllo", "naïve", "東京", "Ωmega", "!!!", "...", "&amp;", "&lt;b&gt;", "42", "3.14", "1,000", "e-mail",
         "x\ny", "tab\there", "zzqx", "EMOJI😀", "\u200b", "---", "(paren)", "'quote'", "\"dq\""]
MAX_TOKENS = 24  # the tiny tokenizers' model_max_length, so long texts get truncated


def sentence(rng: random.Random, max_words: int = 30) -> str:
    words = [rng.choice(NOISE) if rng.random() < 0.2 else rng.choice(WORDS) for _ in range(rng.randint(1, max_words))]
    return " " * rng.randint(0, 1) + " ".join(words) + rng.choice(["", ".", " ", "\n"])


def corpus(seed: int, n: int, max_refs: int = 3) -> tuple[list[str], list[list[str]]]:
    """Candidates and 1..max_refs references, with exact and near duplicates, all non-empty."""
    rng = random.Random(seed)
    pool = [sentence(rng) for _ in range(n)]
    cands, refs = [], []
    for _ in range(n):
        cand = rng.choice(pool) if rng.random() < 0.2 else sentence(rng)
        group = [rng.choice(pool) if rng.random() < 0.3 else sentence(rng) for _ in range(rng.randint(1, max_refs))]
        if rng.random() < 0.1:
            group[0] = cand  # identical pair
        if rng.random() < 0.05:
            group[-1] = "  " + cand.strip() + "  "  # same text up to outer whitespace
        cands.append(cand)
        refs.append(group)
    return cands, refs


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _anisotropic(model, layer: int) -> None:
    """Shift the matched layer's LayerNorm bias so all token cosines are >= 0 (as in real models):
    bert-score then never lets its padding's similarity 0 into a max, at any batch size."""
    with torch.no_grad():
        model.encoder.layer[layer - 1].output.LayerNorm.bias.fill_(1.0)


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> str:
    from transformers import BertConfig, BertModel, BertTokenizer

    path = tmp_path_factory.mktemp("tiny-bert")
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = list("abcdefghijklmnopqrstuvwxyz0123456789.,;:!?'\"-()&")
    vocab = specials + WORDS + chars + ["##" + c for c in chars] + ["##s", "##ing", "##ed"]
    tokenizer = BertTokenizer(vocab={w: i for i, w in enumerate(dict.fromkeys(vocab))}, model_max_length=MAX_TOKENS)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=64)
    model = BertModel(config).eval()
    _anisotropic(model, 2)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


@pytest.fixture(scope="module")
def tiny_roberta(tmp_path_factory) -> str:
    """A RoBERTa with a byte-level BPE tokenizer: bert-score encodes with add_prefix_space=True."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaConfig, RobertaModel, RobertaTokenizer

    path = tmp_path_factory.mktemp("tiny-roberta")
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator([" ".join(WORDS + NOISE)] * 4, vocab_size=400,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bpe.save_model(str(path))
    tokenizer = RobertaTokenizer(vocab=str(path / "vocab.json"), merges=str(path / "merges.txt"),
                                 model_max_length=MAX_TOKENS)
    torch.manual_seed(1)
    config = RobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                           intermediate_size=64, max_position_embeddings=MAX_TOKENS + 2, pad_token_id=1,
                           bos_token_id=0, eos_token_id=2)
    model = RobertaModel(config).eval()
    _anisotropic(model, 2)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


def reference(model: str, layers: int, cands, refs, idf: bool = False, batch_size: int = 64, **kw) -> np.ndarray:
    """bert-score's (P, R, F) as an (n, 3) array; idf from all references, as ``bert_score.score``."""
    flat = [r for group in refs for r in group]
    scorer = bert_score.BERTScorer(model_type=model, num_layers=layers, idf=idf, nthreads=0,
                                   idf_sents=flat if idf else None, device="cpu", **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f = scorer.score(cands, refs, batch_size=batch_size)
    return torch.stack([p, r, f], dim=1).numpy().astype(np.float64)


def ours(scorer, cands, refs) -> np.ndarray:
    batch = {"answer": cands, "references": refs}
    if scorer.needs_first_pass:
        scorer.prepare(lambda: iter([batch]))
    stats = scorer.stats(batch)
    scores = scorer.example_scores(stats)
    assert np.array_equal(scores["bertscore"], scores["bertscore.f1"])
    return np.stack([scores["bertscore.precision"], scores["bertscore.recall"], scores["bertscore.f1"]], axis=1)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("idf", [False, True])
def test_tiny_bert_identical_to_bert_score(tiny_bert, seed, idf):
    cands, refs = corpus(seed, 150)
    got = ours(bs.BERTScore(model_type=tiny_bert, num_layers=2, idf=idf, batch_size=16), cands, refs)
    np.testing.assert_allclose(got, reference(tiny_bert, 2, cands, refs, idf=idf), atol=1e-5, rtol=0)


@pytest.mark.parametrize("layers", [0, 1, 3])
def test_other_layers_identical_to_unpadded_bert_score(tiny_bert, layers):
    """Layers 0, 1 and 3 have negative token cosines, so bert-score runs unpadded (batch size 1):
    padded, it would let its padding's similarity 0 into some maxima (see `greedy_match`)."""
    cands, refs = corpus(20 + layers, 25)
    want = reference(tiny_bert, layers, cands, refs, idf=layers == 1, batch_size=1)
    got = ours(bs.BERTScore(model_type=tiny_bert, num_layers=layers, idf=layers == 1), cands, refs)
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


@pytest.mark.parametrize("idf", [False, True])
def test_tiny_roberta_identical_to_bert_score(tiny_roberta, idf):
    cands, refs = corpus(10, 80)
    want = reference(tiny_roberta, 2, cands, refs, idf=idf)
    got = ours(bs.BERTScore(model_type=tiny_roberta, num_layers=2, idf=idf), cands, refs)
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


def test_long_inputs_are_truncated_as_bert_score(tiny_bert):
    rng = random.Random(3)
    cands = [" ".join(rng.choice(WORDS) for _ in range(k)) for k in (22, 23, 24, 60, 300)]
    refs = [[" ".join(rng.choice(WORDS) for _ in range(k))] for k in (300, 24, 23, 22, 5)]
    tokenizer = bs.BERTScore(model_type=tiny_bert, num_layers=2).tokenizer
    assert max(len(x) for x in bs.encode_texts(tokenizer, cands)) == MAX_TOKENS
    got = ours(bs.BERTScore(model_type=tiny_bert, num_layers=2), cands, refs)
    np.testing.assert_allclose(got, reference(tiny_bert, 2, cands, refs), atol=1e-5, rtol=0)


def test_token_ids_are_bert_scores(tiny_bert, tiny_roberta):
    from bert_score.utils import sent_encode

    cands, refs = corpus(5, 60)
    texts = cands + [r for g in refs for r in g]
    for path in (tiny_bert, tiny_roberta):
        tokenizer = bs.BERTScore(model_type=path, num_layers=1).tokenizer
        assert bs.encode_texts(tokenizer, texts) == [sent_encode(tokenizer, t) for t in texts]


@pytest.mark.parametrize("empty", ["", " ", "\n\t ", "\u200b"])
def test_empty_texts_score_raw_zero_with_a_warning(tiny_bert, empty):
    cands, refs = corpus(7, 12)
    scorer = bs.BERTScore(model_type=tiny_bert, num_layers=2)
    with pytest.warns(UserWarning, match="empty answer"), pytest.warns(UserWarning, match="empty reference"):
        got = ours(scorer, cands + [empty, empty], refs + [["the cat"], [empty]])
    with pytest.warns(UserWarning, match="empty reference"):
        got_ref = ours(scorer, cands + ["the cat"], refs + [[empty]])
    assert (got[-2:] == 0).all() and (got_ref[-1] == 0).all()
    # an empty reference among others loses the max; the rest of the batch is unaffected
    with pytest.warns(UserWarning):
        mixed = ours(scorer, ["the cat sat"], [["", "the cat sat"]])
    np.testing.assert_allclose(mixed, [[1.0, 1.0, 1.0]], atol=1e-6)
    np.testing.assert_allclose(got[:-2], reference(tiny_bert, 2, cands, refs), atol=1e-5, rtol=0)
    if empty.strip():  # not empty to str.strip, so bert-score does not crash on it: compare all
        want = reference(tiny_bert, 2, cands + [empty, empty], refs + [["the cat"], [empty]])
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


def test_rescale_with_baseline(tiny_bert, tmp_path):
    cands, refs = corpus(8, 50)
    baseline = tmp_path / "baseline.tsv"
    baseline.write_text("LAYER,P,R,F\n" + "".join(f"{i},{0.1 * i + 0.05},{0.1 * i + 0.07},{0.1 * i + 0.06}\n"
                                                  for i in range(4)))
    want = reference(tiny_bert, 2, cands, refs, rescale_with_baseline=True, lang="en", baseline_path=str(baseline))
    scorer = bs.BERTScore(model_type=tiny_bert, num_layers=2, rescale_with_baseline=True, baseline_path=str(baseline))
    np.testing.assert_allclose(ours(scorer, cands, refs), want, atol=1e-5, rtol=0)
    with pytest.warns(UserWarning):  # empty: raw 0, then rescaled
        empty = ours(scorer, [""], [["the cat"]])
    b = np.array([0.25, 0.27, 0.26])
    np.testing.assert_allclose(empty[0], (0 - b) / (1 - b), atol=1e-6)


def test_shipped_baselines_are_bert_scores():
    path = bs.shipped_baseline("en", "roberta-large")
    import pandas as pd

    want = pd.read_csv(path).iloc[17].to_numpy()[1:].astype(np.float32)  # BERTScorer.baseline_vals
    np.testing.assert_array_equal(bs.read_baseline(path, 17), want)
    with pytest.raises(FileNotFoundError, match="no baseline for model"):
        bs.BERTScore(rescale_with_baseline=True, lang="en")
    with pytest.raises(ValueError, match="needs lang"):
        bs.BERTScore(rescale_with_baseline=True)


def test_batch_and_chunk_invariance(tiny_bert, monkeypatch):
    cands, refs = corpus(9, 90)
    whole = ours(bs.BERTScore(model_type=tiny_bert, num_layers=2, batch_size=64), cands, refs)
    tiny_batches = ours(bs.BERTScore(model_type=tiny_bert, num_layers=2, batch_size=1), cands, refs)
    monkeypatch.setattr(bsc, "PAD_TOLERANCE", 1.0)  # one length per model batch, no mask
    unpadded = ours(bs.BERTScore(model_type=tiny_bert, num_layers=2), cands, refs)
    monkeypatch.setattr(bsc, "PAD_TOLERANCE", 100.0)  # any lengths together, masked
    padded = ours(bs.BERTScore(model_type=tiny_bert, num_layers=2), cands, refs)
    monkeypatch.setattr(bs, "CHUNK_EXAMPLES", 7)
    monkeypatch.setattr(bsc, "_MATCH_BUDGET", 50)
    chunked = ours(bs.BERTScore(model_type=tiny_bert, num_layers=2, batch_size=3), cands, refs)
    for other in (tiny_batches, unpadded, padded, chunked):
        np.testing.assert_allclose(other, whole, atol=2e-6, rtol=0)


def test_several_references_take_each_maximum(tiny_bert):
    cands, refs = corpus(11, 30, max_refs=5)
    scorer = bs.BERTScore(model_type=tiny_bert, num_layers=2)
    got = ours(scorer, cands, refs)
    singles = [ours(scorer, [c] * len(g), [[r] for r in g]) for c, g in zip(cands, refs)]
    np.testing.assert_allclose(got, [s.max(axis=0) for s in singles], atol=1e-6)
    assert len({len(g) for g in refs}) > 2


def test_idf_state_enters_the_signature(tiny_bert):
    a = bs.BERTScore(model_type=tiny_bert, num_layers=2, idf=True)
    b = bs.BERTScore(model_type=tiny_bert, num_layers=2, idf=True)
    assert "state:unprepared" in a.signature and a.needs_first_pass
    a.prepare(lambda: iter([{"answer": ["x"], "references": [["the cat", "a dog"]]}]))
    b.prepare(lambda: iter([{"answer": ["x"], "references": [["the cat"]]}, {"answer": ["y"], "references": [["a dog"]]}]))
    assert a.signature == b.signature  # same documents, batched differently
    b.prepare(lambda: iter([{"answer": ["x"], "references": [["the cat", "the cat"]]}]))
    assert a.signature != b.signature
    plain = bs.BERTScore(model_type=tiny_bert, num_layers=2).signature
    for item in ("num_layers:2", "idf:no", "model_hash:", "transformers:"):
        assert item in plain
    assert bs.BERTScore(model_type=tiny_bert, num_layers=1).signature != plain


def test_idf_shards_merge_to_the_one_shot_run_with_one_state_and_are_refused_otherwise(tiny_bert):
    cands, refs = corpus(3, 60)
    rows = [{"id": str(i), "answer": c, "references": r} for i, (c, r) in enumerate(zip(cands, refs))]
    spec = ("bertscore", {"model_type": tiny_bert, "num_layers": 2, "idf": True})
    whole = rageval.evaluate(rows, [spec], progress=False)
    shards = [rows[:17], rows[17:40], rows[40:]]
    # the state scanned shard by shard and merged is the state of one pass over everything
    scorer, = rageval.first_pass([spec], *shards)
    assert scorer.signature == whole.scorers[0].signature and scorer.state_pinned
    merged = rageval.merge([rageval.evaluate(x, [scorer], progress=False) for x in shards])
    # float32 embeddings: an example's value moves in its last bits (~1e-9 here) with the padding of
    # the batch it is embedded in, which differs between the shards and the one-shot run
    for k, v in whole.aggregate.items():
        assert merged.aggregate[k] == pytest.approx(v, abs=1e-7), k
    np.testing.assert_allclose(merged.to_pandas()["bertscore"], whole.to_pandas()["bertscore"], atol=1e-7)
    # each shard with its own idf: refused, naming the scorer and the remedy
    apart = [rageval.evaluate(x, [spec], progress=False) for x in shards]
    with pytest.raises(rageval.IncompatibleError, match=r"'bertscore'.*first-pass states.*rageval.first_pass"):
        rageval.merge(apart)
    own, = rageval.first_pass([spec], shards[0])  # same examples, idf from one shard only
    with pytest.raises(rageval.IncompatibleError, match="first-pass states"):
        rageval.stats.compare(whole, rageval.evaluate(rows, [own], progress=False))


def test_all_zero_idf_weights_give_bert_scores_nan(tiny_bert):
    """Every token of these references occurs in every reference: idf 0 everywhere, P and R 0 / 0."""
    cands, refs = ["the cat sat", "a dog", "the cat"], [["the cat sat"], ["the cat sat"], ["the cat sat"]]
    with pytest.warns(UserWarning, match="undefined"):
        got = ours(bs.BERTScore(model_type=tiny_bert, num_layers=2, idf=True), cands, refs)
    want = reference(tiny_bert, 2, cands, refs, idf=True)
    assert np.isnan(want).any()
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0, equal_nan=True)


def test_idf_through_evaluate_matches_bert_score(tiny_bert):
    cands, refs = corpus(12, 40)
    rows = [{"answer": c, "references": r} for c, r in zip(cands, refs)]
    res = rageval.evaluate(rows, [("bertscore", {"model_type": tiny_bert, "num_layers": 2, "idf": True})],
                           batch_size=9, progress=False)
    want = reference(tiny_bert, 2, cands, refs, idf=True)
    table = res.to_pandas()
    got = table[["bertscore.precision", "bertscore.recall", "bertscore.f1"]].to_numpy()
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    assert res.aggregate["bertscore"] == pytest.approx(want[:, 2].mean(), abs=1e-6)
    assert res.aggregate["bertscore.f1"] == res.aggregate["bertscore"]


def test_bad_input_errors(tiny_bert):
    scorer = bs.BERTScore(model_type=tiny_bert, num_layers=2)
    with pytest.raises(FieldError, match="'references' at row 1: no reference"):
        scorer.stats({"answer": ["a", "b"], "references": [["a"], []]})
    with pytest.raises(FieldError, match="'answer' at row 0"):
        scorer.stats({"answer": [None], "references": [["a"]]})
    with pytest.raises(FieldError, match="'references' at row 0"):
        scorer.stats({"answer": ["a"], "references": [[3]]})
    with pytest.raises(ValueError, match="between 0 and 3"):
        bs.BERTScore(model_type=tiny_bert, num_layers=4).stats({"answer": ["a"], "references": [["a"]]})
    with pytest.raises(ValueError, match="pass num_layers"):
        bs.BERTScore(model_type=tiny_bert)
    with pytest.raises(ValueError, match="non-negative"):
        bs.BERTScore(num_layers=-1)
    with pytest.raises(RuntimeError, match="first_pass"):
        bs.BERTScore(model_type=tiny_bert, num_layers=2, idf=True).stats({"answer": ["a"], "references": [["a"]]})
    with pytest.raises(FileNotFoundError, match="allow_download"):
        bs.BERTScore(model_type="no-such-org/no-such-model", num_layers=2).stats({"answer": ["a"], "references": [["a"]]})
    assert scorer.stats({"answer": [], "references": []}).shape == (0, 4)


def test_default_model_and_layer():
    scorer = get_scorer("bertscore")
    assert scorer.params["num_layers"] == bs.DEFAULT_LAYERS == 5
    assert scorer.path == resolve_model(DEFAULT_EMBEDDING_MODEL)
    assert bs.MODEL2LAYERS == {k: v for k, v in bert_score.utils.model2layers.items()}
    assert get_scorer("bertscore", model_type="roberta-large").params["num_layers"] == 17


@pytest.mark.skipif(not WICE.is_dir(), reason=f"the project's shared WiCE data ({WICE}) is absent")
def test_minilm_on_real_sentences_identical_to_bert_score():
    rows = [json.loads(line) for line in (WICE / "dev.jsonl").open()][:12]
    rng = random.Random(0)
    cands, refs = [], []
    for row in rows:
        ev = [s for s in row["evidence"] if s.strip()]
        for _ in range(4):
            cands.append(rng.choice([row["claim"]] + ev))
            refs.append(rng.sample(ev, rng.randint(1, 3)))
    path = resolve_model(DEFAULT_EMBEDDING_MODEL)
    for idf in (False, True):
        want = reference(path, bs.DEFAULT_LAYERS, cands, refs, idf=idf)
        got = ours(bs.BERTScore(idf=idf), cands, refs)
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


def test_bfloat16_mode_is_close_to_float32_and_says_so_in_its_signature(tiny_bert):
    """The opt-in fast mode: the model in bfloat16 (8 bits of mantissa), matching in float32; on
    the tiny random model its scores stay within a few 1e-3 of bert-score's float32 ones."""
    cands, refs = corpus(1, 150)
    fast = bs.BERTScore(model_type=tiny_bert, num_layers=2, batch_size=16, dtype="bfloat16")
    got, want = ours(fast, cands, refs), reference(tiny_bert, 2, cands, refs)
    assert np.abs(got - want).max() < 3e-2 and abs(got[:, 2].mean() - want[:, 2].mean()) < 5e-3
    assert not np.array_equal(got, want)  # it is another number format, not float32
    assert "dtype:bfloat16" in fast.signature
    assert "dtype" not in bs.BERTScore(model_type=tiny_bert, num_layers=2).signature  # float32 unchanged
    with pytest.raises(ValueError, match="dtype must be one of"):
        bs.BERTScore(model_type=tiny_bert, num_layers=2, dtype="int8")
