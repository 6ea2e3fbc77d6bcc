"""`bertscore`: BERTScore (Zhang et al., 2020) identical to bert-score's `BERTScorer` to 1e-5,
computed without bert-score: deduplicated sentences in length-bucketed batches (almost no
padding), only the layers needed, vectorised greedy matching. Values are the mean over examples
of per-example P, R and F1.
"""
from __future__ import annotations

import functools
import hashlib
import os
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rageval.core.fields import check_references, check_str
from rageval.core.scorer import Batch, MeanScorer
from rageval.models import DEFAULT_EMBEDDING_MODEL, default_device, resolve_model
from rageval.scorers.text.bertscore_core import (
    CHUNK_EXAMPLES,
    DEFAULT_LAYERS,
    DTYPES,
    embed_unique,
    encode_texts,
    greedy_match,
    idf_counts,
    idf_weights,
    load_bertscore_model,
    read_baseline,
    shipped_baseline,
    uniform_weights,
)
from rageval.scorers.text.inputs import hypotheses_and_references


class BERTScore(MeanScorer):
    """BERTScore F1, with ``.precision``, ``.recall`` and ``.f1`` parts; identical to
    ``bert_score.BERTScorer(model_type, num_layers, idf, ...).score(answers, references)``.

    Per example: the answer's greedy-matching P, R and F1 against each reference (see
    `greedy_match`), then the maximum of each over the references separately (bert-score), then
    optionally rescaled ``(x - b) / (1 - b)`` with bert-score's baseline ``b`` for the model and
    layer. The aggregate is the mean over examples. An empty answer or reference (after
    stripping) scores a raw 0 with a warning, bert-score's documented rule (bert-score 0.3.13
    itself crashes on one under transformers 5). Maxima run over real tokens only; bert-score's
    padded batches can clip a negative best match at 0, which real models never show (cosines
    of contextual embeddings are positive) but tiny random models do.

    Parameters (bert-score's names and meanings):

    * ``model_type``: a hub name or a local directory (default: all-MiniLM-L6-v2, offline);
    * ``num_layers``: the layer whose hidden states are matched; default bert-score's tuned layer
      for the model, and `DEFAULT_LAYERS` (5) for the default model;
    * ``idf``: weight tokens by ``log((N + 1) / (df + 1))`` with document frequencies over all N
      references of the data (bert-score's ``score(..., idf=True)``). The first-pass state is
      ``(document frequencies, N)``: built per batch (`scan`), summed across batches and shards
      (`merge_states`), its digest in the signature; score shards with one state
      (`rageval.first_pass` over all of them) to merge them;
    * ``rescale_with_baseline`` with ``lang`` (bert-score's shipped files, read from an installed
      bert-score) or ``baseline_path`` (any file in that format);
    * ``use_fast_tokenizer`` (default False, as bert-score), ``batch_size``, ``device``,
      ``allow_download`` (hub names other than the default model);
    * ``dtype``: ``"float32"`` (default: bert-score's numbers), or ``"bfloat16"``, an opt-in fast
      mode (the model runs in bfloat16, the embeddings are matched in float32) whose values differ
      from float32: on 300 distinct WiCE pairs with the default model the corpus F1 moved by 8e-5
      and per-example F1 by at most a few 1e-3; `benchmarks/bench_bertscore.py` prints both and the
      speed. The mode enters the signature.

    >>> s = BERTScore()
    >>> round(s.reduce(s.stats({"answer": ["a cat"], "references": [["a cat"]]}))["bertscore"], 6)
    1.0
    """

    name = "bertscore"
    fields = ("answer", "references")
    parts = ("precision", "recall", "f1")
    bounds = (-float("inf"), 1.0)  # cosines; rescaled with a baseline they fall below -1

    def __init__(self, model_type: str = DEFAULT_EMBEDDING_MODEL, num_layers: int | None = None, idf: bool = False,
                 rescale_with_baseline: bool = False, lang: str | None = None, baseline_path: str | None = None,
                 use_fast_tokenizer: bool = False, batch_size: int = 64, device: str | None = None,
                 allow_download: bool = False, dtype: str = "float32") -> None:
        model_type = os.fspath(model_type)
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
        if num_layers is None:
            if model_type in (DEFAULT_EMBEDDING_MODEL, "all-MiniLM-L6-v2"):
                num_layers = DEFAULT_LAYERS
            elif model_type in MODEL2LAYERS:
                num_layers = MODEL2LAYERS[model_type]
            else:
                raise ValueError(f"bertscore has no default layer for {model_type!r}: pass num_layers")
        if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 0:
            raise ValueError(f"num_layers must be a non-negative integer, got {num_layers!r}")
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        for flag, value in (("idf", idf), ("rescale_with_baseline", rescale_with_baseline),
                            ("use_fast_tokenizer", use_fast_tokenizer)):
            if not isinstance(value, bool):
                raise TypeError(f"{flag} must be True or False, got {value!r}")
        if rescale_with_baseline and baseline_path is None and lang is None:
            raise ValueError("rescale_with_baseline needs lang (for bert-score's shipped baselines) or baseline_path")
        super().__init__(model_type=model_type, num_layers=num_layers, idf=idf,
                         rescale_with_baseline=rescale_with_baseline, lang=lang, baseline_path=baseline_path,
                         use_fast_tokenizer=use_fast_tokenizer, batch_size=batch_size, device=device,
                         allow_download=allow_download, **({} if dtype == "float32" else {"dtype": dtype}))
        self._baseline: np.ndarray | None = None
        if rescale_with_baseline:  # fail now, not after the model ran
            self._baseline = read_baseline(self.baseline_file, num_layers)

    # --- model and state ----------------------------------------------------------------
    @functools.cached_property
    def path(self) -> str:
        return resolve_model(self.params["model_type"], allow_download=self.params["allow_download"])

    @property
    def device(self) -> str:
        return self.params["device"] or default_device()

    @property
    def model(self) -> tuple[Any, Any]:
        """``(tokenizer, model)``, loaded on first use."""
        return load_bertscore_model(self.path, self.params["num_layers"], self.device,
                                    self.params["use_fast_tokenizer"], "t5" in self.params["model_type"],
                                    self.params.get("dtype", "float32"))

    @property
    def tokenizer(self) -> Any:
        return self.model[0]

    @functools.cached_property
    def baseline_file(self) -> Path:
        if self.params["baseline_path"] is not None:
            return Path(self.params["baseline_path"])
        return shipped_baseline(self.params["lang"], self.params["model_type"])

    # --- first pass: idf document frequencies -------------------------------------------
    @property
    def needs_first_pass(self) -> bool:
        return self.params["idf"]

    def scan(self, batch: Batch) -> tuple[Counter, int]:
        """Document frequencies over the batch's references (each reference one document), and
        their number: bert-score's ``get_idf_dict(refs)`` inputs."""
        refs = check_references("references", "references", batch["references"], 0)
        return idf_counts(self.tokenizer, (r for row in refs for r in row))

    def merge_states(self, a: tuple[Counter, int], b: tuple[Counter, int]) -> tuple[Counter, int]:
        return a[0] + b[0], a[1] + b[1]

    def digest_state(self, state: tuple[Counter, int]) -> str:
        """A short hash of the number of documents and every token's document frequency."""
        counts, n = state
        h = hashlib.sha256(f"{n}|".encode())
        for token, c in sorted(counts.items()):
            h.update(f"{token}:{c},".encode())
        return h.hexdigest()[:16]

    def set_idf_sentences(self, sentences: Sequence[str]) -> None:
        """Use idf weights from ``sentences`` (bert-score's ``BERTScorer(idf_sents=...)``)."""
        if not self.params["idf"]:
            raise ValueError("idf sentences given to a bertscore scorer built with idf=False")
        self.set_state(idf_counts(self.tokenizer, check_str("idf_sents", "idf_sents", list(sentences))))

    # --- scoring ------------------------------------------------------------------------
    def score_batch(self, batch: Batch) -> np.ndarray:
        """Rows ``[F1, P, R, F1]`` (the primary value, then the parts), one per example."""
        answers, references = hypotheses_and_references(batch)
        if self.params["idf"] and self.state is None:
            raise RuntimeError("bertscore with idf=True needs its idf weights first: rageval.first_pass(scorer, data) "
                               "over the whole data (evaluate does it)")
        out = np.empty((len(answers), 4), dtype=np.float64)
        for lo in range(0, len(answers), CHUNK_EXAMPLES):
            prf = self._score_chunk(answers[lo:lo + CHUNK_EXAMPLES], references[lo:lo + CHUNK_EXAMPLES], lo)
            out[lo:lo + len(prf)] = prf[:, [2, 0, 1, 2]]
        return out

    def _score_chunk(self, answers: list[str], references: list[list[str]], offset: int) -> np.ndarray:
        import torch

        tokenizer, model = self.model
        texts: dict[str, int] = {}
        hyp = np.array([texts.setdefault(a.strip(), len(texts)) for a in answers], dtype=np.int64)
        ref = np.array([texts.setdefault(r.strip(), len(texts)) for refs in references for r in refs], dtype=np.int64)
        owner = np.repeat(np.arange(len(answers)), [len(r) for r in references])
        hyp = hyp[owner]
        unique = list(texts)
        ids = encode_texts(tokenizer, unique)
        lengths = np.array([len(x) for x in ids], dtype=np.int64)
        self._warn_empty(lengths, hyp, ref, owner, offset)

        weight_of = idf_weights(*self.state) if self.params["idf"] else uniform_weights(tokenizer)
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        emb, start = embed_unique(model, ids, self.params["batch_size"], self.device, pad_id)
        flat = [t for x in ids for t in x]
        weights = torch.tensor([weight_of(t) for t in flat] + [0.0], dtype=torch.float32, device=emb.device)
        pair_prf = greedy_match(emb, start, weights, lengths, hyp, ref)
        del emb

        # every example has >= 1 reference and its pairs are contiguous; max propagates NaN
        # as torch.max does in bert-score
        best = np.maximum.reduceat(pair_prf, np.searchsorted(owner, np.arange(len(answers))), axis=0)
        if self._baseline is not None:
            best = (best - self._baseline) / (1 - self._baseline)
        undefined = np.flatnonzero(np.isnan(best).any(axis=1))
        if len(undefined):
            warnings.warn(f"bertscore: P or R undefined (NaN, as bert-score) in {len(undefined)} example(s), first "
                          f"at row {offset + int(undefined[0])}: all idf weights of the answer or reference are 0 "
                          f"(each of its tokens occurs in every reference)", stacklevel=4)
        return best.astype(np.float64)

    def _warn_empty(self, lengths: np.ndarray, hyp: np.ndarray, ref: np.ndarray, owner: np.ndarray,
                    offset: int) -> None:
        for side, index in (("answer", hyp), ("reference", ref)):
            rows = np.unique(owner[np.isin(lengths[index], (0, 2))])
            if len(rows):
                warnings.warn(f"bertscore: empty {side} (only special tokens) in {len(rows)} example(s), first at "
                              f"row {offset + int(rows[0])}; its raw P and R are 0 (bert-score's rule)", stacklevel=4)

    # --- signature ----------------------------------------------------------------------
    def signature_items(self) -> dict[str, Any]:
        """Model (name and file fingerprint), layer, idf (with a hash of its document
        frequencies), baseline (with a hash of the file), tokenizer choice, versions; batch size
        and device are left out (they change values by ~1e-7 at most)."""
        import transformers

        p = self.params
        items: dict[str, Any] = {"model": p["model_type"], "num_layers": p["num_layers"], "idf": p["idf"]}
        if self.model_hash is not None:
            items["model_hash"] = self.model_hash
        items["rescale_with_baseline"] = p["rescale_with_baseline"]
        if p["rescale_with_baseline"]:
            items["baseline"] = (f"{p['lang']}/{p['model_type']}" if p["baseline_path"] is None else "custom")
            items["baseline_hash"] = hashlib.sha256(self.baseline_file.read_bytes()).hexdigest()[:16]
        items["fast_tokenizer"] = p["use_fast_tokenizer"]
        if "dtype" in p:  # a fast mode: its values differ from bert-score's (see DTYPES)
            items["dtype"] = p["dtype"]
        items["transformers"] = transformers.__version__
        return items

    @functools.cached_property
    def model_hash(self) -> str | None:
        """A fingerprint of the model's files (None for a hub name left to download)."""
        from rageval.models import model_fingerprint

        path = self.path
        return model_fingerprint(path) if os.path.isdir(path) else None


#: bert-score 0.3.13's tuned layer per model (``bert_score.utils.model2layers``), so that a model
#: named as bert-score names it gets the same default layer without bert-score installed.
MODEL2LAYERS: dict[str, int] = {
    "bert-base-uncased": 9, "bert-large-uncased": 18, "bert-base-cased-finetuned-mrpc": 9,
    "bert-base-multilingual-cased": 9, "bert-base-chinese": 8, "roberta-base": 10, "roberta-large": 17,
    "roberta-large-mnli": 19, "roberta-base-openai-detector": 7, "roberta-large-openai-detector": 15,
    "xlnet-base-cased": 5, "xlnet-large-cased": 7, "xlm-mlm-en-2048": 6, "xlm-mlm-100-1280": 10,
    "allenai/scibert_scivocab_uncased": 8, "allenai/scibert_scivocab_cased": 9,
    "nfliu/scibert_basevocab_uncased": 9, "distilroberta-base": 5, "distilbert-base-uncased": 5,
    "distilbert-base-uncased-distilled-squad": 4, "distilbert-base-multilingual-cased": 5,
    "albert-base-v1": 10, "albert-large-v1": 17, "albert-xlarge-v1": 16, "albert-xxlarge-v1": 8,
    "albert-base-v2": 9, "albert-large-v2": 14, "albert-xlarge-v2": 13, "albert-xxlarge-v2": 8,
    "xlm-roberta-base": 9, "xlm-roberta-large": 17, "google/electra-small-generator": 9,
    "google/electra-small-discriminator": 11, "google/electra-base-generator": 10,
    "google/electra-base-discriminator": 9, "google/electra-large-generator": 18,
    "google/electra-large-discriminator": 14, "google/bert_uncased_L-2_H-128_A-2": 1,
    "google/bert_uncased_L-2_H-256_A-4": 1, "google/bert_uncased_L-2_H-512_A-8": 1,
    "google/bert_uncased_L-2_H-768_A-12": 2, "google/bert_uncased_L-4_H-128_A-2": 3,
    "google/bert_uncased_L-4_H-256_A-4": 3, "google/bert_uncased_L-4_H-512_A-8": 3,
    "google/bert_uncased_L-4_H-768_A-12": 3, "google/bert_uncased_L-6_H-128_A-2": 5,
    "google/bert_uncased_L-6_H-256_A-4": 5, "google/bert_uncased_L-6_H-512_A-8": 5,
    "google/bert_uncased_L-6_H-768_A-12": 5, "google/bert_uncased_L-8_H-128_A-2": 7,
    "google/bert_uncased_L-8_H-256_A-4": 7, "google/bert_uncased_L-8_H-512_A-8": 6,
    "google/bert_uncased_L-8_H-768_A-12": 7, "google/bert_uncased_L-10_H-128_A-2": 8,
    "google/bert_uncased_L-10_H-256_A-4": 8, "google/bert_uncased_L-10_H-512_A-8": 9,
    "google/bert_uncased_L-10_H-768_A-12": 8, "google/bert_uncased_L-12_H-128_A-2": 10,
    "google/bert_uncased_L-12_H-256_A-4": 11, "google/bert_uncased_L-12_H-512_A-8": 10,
    "google/bert_uncased_L-12_H-768_A-12": 9, "amazon/bort": 0, "facebook/bart-base": 6,
    "facebook/bart-large": 10, "facebook/bart-large-cnn": 10, "facebook/bart-large-mnli": 11,
    "facebook/bart-large-xsum": 9, "t5-small": 6, "t5-base": 11, "t5-large": 23, "vinai/bertweet-base": 9,
    "microsoft/deberta-base": 9, "microsoft/deberta-base-mnli": 9, "microsoft/deberta-large": 16,
    "microsoft/deberta-large-mnli": 18, "microsoft/deberta-xlarge": 18, "microsoft/deberta-xlarge-mnli": 40,
    "YituTech/conv-bert-base": 10, "YituTech/conv-bert-small": 10, "YituTech/conv-bert-medium-small": 9,
    "microsoft/mpnet-base": 8, "squeezebert/squeezebert-uncased": 9, "squeezebert/squeezebert-mnli": 9,
    "squeezebert/squeezebert-mnli-headless": 9, "tuner007/pegasus_paraphrase": 15, "google/pegasus-large": 8,
    "google/pegasus-xsum": 11, "sshleifer/tiny-mbart": 2, "facebook/mbart-large-cc25": 12,
    "facebook/mbart-large-50": 12, "facebook/mbart-large-en-ro": 12, "facebook/mbart-large-50-many-to-many-mmt": 12,
    "facebook/mbart-large-50-one-to-many-mmt": 12, "allenai/led-base-16384": 6,
    "facebook/blenderbot_small-90M": 7, "facebook/blenderbot-400M-distill": 2,
    "microsoft/prophetnet-large-uncased": 4, "microsoft/prophetnet-large-uncased-cnndm": 7,
    "SpanBERT/spanbert-base-cased": 8, "SpanBERT/spanbert-large-cased": 17,
    "microsoft/xprophetnet-large-wiki100-cased": 7, "ProsusAI/finbert": 10, "Vamsi/T5_Paraphrase_Paws": 12,
    "ramsrigouthamg/t5_paraphraser": 11, "microsoft/deberta-v2-xlarge": 10, "microsoft/deberta-v2-xlarge-mnli": 17,
    "microsoft/deberta-v2-xxlarge": 21, "microsoft/deberta-v2-xxlarge-mnli": 22, "allenai/longformer-base-4096": 7,
    "allenai/longformer-large-4096": 14, "allenai/longformer-large-4096-finetuned-triviaqa": 14,
    "zhiheng-huang/bert-base-uncased-embedding-relative-key": 4,
    "zhiheng-huang/bert-base-uncased-embedding-relative-key-query": 7,
    "zhiheng-huang/bert-large-uncased-whole-word-masking-embedding-relative-key-query": 19,
    "google/mt5-small": 8, "google/mt5-base": 11, "google/mt5-large": 19, "google/mt5-xl": 24,
    "google/bigbird-roberta-base": 10, "google/bigbird-roberta-large": 14, "google/bigbird-base-trivia-itc": 8,
    "princeton-nlp/unsup-simcse-bert-base-uncased": 10, "princeton-nlp/unsup-simcse-bert-large-uncased": 18,
    "princeton-nlp/unsup-simcse-roberta-base": 8, "princeton-nlp/unsup-simcse-roberta-large": 13,
    "princeton-nlp/sup-simcse-bert-base-uncased": 10, "princeton-nlp/sup-simcse-bert-large-uncased": 18,
    "princeton-nlp/sup-simcse-roberta-base": 10, "princeton-nlp/sup-simcse-roberta-large": 16,
    "dbmdz/bert-base-turkish-cased": 10, "dbmdz/distilbert-base-turkish-cased": 4, "google/byt5-small": 1,
    "google/byt5-base": 17, "google/byt5-large": 30, "microsoft/deberta-v3-xsmall": 10,
    "microsoft/deberta-v3-small": 4, "microsoft/deberta-v3-base": 9, "microsoft/mdeberta-v3-base": 10,
    "microsoft/deberta-v3-large": 12, "khalidalt/DeBERTa-v3-large-mnli": 18,
}
