"""`bertscore`: BERTScore (Zhang et al., 2020) identical to bert-score's `BERTScorer` to 1e-5,
computed without bert-score: deduplicated sentences in length-bucketed batches (almost no
padding), only the layers needed, vectorised greedy matching. Values are the mean over examples
of per-example P, R and F1.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import importlib.util
import math
import os
import warnings
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from rageval.core.errors import FieldError
from rageval.core.scorer import Batch, MeanScorer
from rageval.data.fields import check_references, check_str
from rageval.models import DEFAULT_EMBEDDING_MODEL, default_device, resolve_model

#: Layer used for the offline default model, all-MiniLM-L6-v2 (6 layers, hidden size 384,
#: uncased). bert-score tunes no layer for it; it picks layer 5 for every other 6-layer uncased
#: BERT it tunes (distilbert-base-uncased and google/bert_uncased_L-6_H-{128,256,512,768}), the
#: layer with the best WMT16 correlation one below the top, so we use 5 too.
DEFAULT_LAYERS = 5

#: Examples scored together in one pass of `stats` (sentences deduplicated within it); bounds
#: the hidden states held at once to those of this many examples' sentences.
CHUNK_EXAMPLES = 1024

#: Model batches may hold this many (padded) tokens per real token: equal lengths where they
#: are common, a few neighbouring lengths batched together where they are rare, since each
#: forward pass has a fixed cost (large on a busy machine, where threads wait for each other).
PAD_TOLERANCE = 1.1

#: Entries of the padded similarity tensor per greedy-matching batch (256 KB): small batches of
#: pairs sorted by length waste little on padding.
_MATCH_BUDGET = 64 * 1024


@functools.lru_cache(maxsize=4)
def load_bertscore_model(path: str, num_layers: int, device: str, use_fast_tokenizer: bool = False,
                         t5: bool = False) -> tuple[Any, Any]:
    """``(tokenizer, model)`` as bert-score's ``get_tokenizer`` / ``get_model`` build them (cached).

    The model is ``AutoModel`` (``T5EncoderModel`` when ``t5``: a name containing "t5"), its encoder when it has a
    decoder, cut to its first ``num_layers`` layers so that its output is that layer's hidden
    state and the layers above are never run. Weights are shared with no other cached model.
    """
    import transformers

    local = os.path.isdir(path)
    tokenizer = transformers.AutoTokenizer.from_pretrained(path, use_fast=use_fast_tokenizer, local_files_only=local)
    cls = transformers.T5EncoderModel if t5 else transformers.AutoModel
    model = cls.from_pretrained(path, local_files_only=local).eval()
    if hasattr(model, "decoder") and hasattr(model, "encoder"):
        model = model.encoder
    truncate_layers(model, num_layers)
    if getattr(model, "pooler", None) is not None:
        model.pooler = None  # its output is never read
    return tokenizer, model.to(device)


def truncate_layers(model: Any, num_layers: int) -> None:
    """Keep the first ``num_layers`` layers of ``model`` in place, by bert-score's rules per family."""
    import torch

    def cut(owner: Any, attr: str) -> None:
        layers = getattr(owner, attr)
        if not 0 <= num_layers <= len(layers):
            raise ValueError(f"num_layers must be between 0 and {len(layers)} for this model, got {num_layers}")
        setattr(owner, attr, torch.nn.ModuleList(list(layers)[:num_layers]))

    if hasattr(model, "n_layers"):  # xlm
        if not 0 <= num_layers <= model.n_layers:
            raise ValueError(f"num_layers must be between 0 and {model.n_layers} for this model, got {num_layers}")
        model.n_layers = num_layers
    elif hasattr(model, "layer"):  # xlnet
        cut(model, "layer")
    elif hasattr(model, "encoder"):
        encoder = model.encoder
        if hasattr(encoder, "albert_layer_groups"):
            if not 0 <= num_layers <= encoder.config.num_hidden_layers:
                raise ValueError(f"num_layers must be between 0 and {encoder.config.num_hidden_layers} "
                                 f"for this model, got {num_layers}")
            encoder.config = copy.copy(encoder.config)
            encoder.config.num_hidden_layers = num_layers
        elif hasattr(encoder, "block"):  # t5
            cut(encoder, "block")
        else:  # bert, roberta, electra, deberta, ...
            cut(encoder, "layer")
    elif hasattr(model, "transformer"):  # distilbert
        cut(model.transformer, "layer")
    elif hasattr(model, "layers"):  # bart encoder
        cut(model, "layers")
    else:
        raise ValueError(f"bertscore cannot cut the layers of a {type(model).__name__}")


def encode_texts(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each text exactly as bert-score's ``sent_encode``: the text stripped, special
    tokens added, truncated to ``tokenizer.model_max_length``; GPT-2 and RoBERTa tokenizers get
    ``add_prefix_space=True``. An empty text gives the special tokens alone (bert-score calls
    ``build_inputs_with_special_tokens([])``, which transformers 5 removed)."""
    from transformers import GPT2Tokenizer, RobertaTokenizer

    if not texts:
        return []
    kwargs: dict[str, Any] = {"add_special_tokens": True}
    max_length = tokenizer.model_max_length
    if max_length is not None and max_length < 1 << 31:  # "no limit" is stored as 1e30
        kwargs.update(max_length=max_length, truncation=True)
    if isinstance(tokenizer, (GPT2Tokenizer, RobertaTokenizer)):
        kwargs["add_prefix_space"] = True
    return list(tokenizer([t.strip() for t in texts], **kwargs)["input_ids"])


def idf_counts(tokenizer: Any, sentences: Iterable[str]) -> tuple[Counter, int]:
    """Document frequency of each token id over ``sentences`` (each counted once per sentence),
    and the number of sentences: the inputs of bert-score's ``get_idf_dict``."""
    counts: Counter = Counter()
    n = 0
    block: list[str] = []
    for s in sentences:
        block.append(s)
        if len(block) == 4096:
            n += _count_block(tokenizer, block, counts)
            block = []
    n += _count_block(tokenizer, block, counts)
    return counts, n


def _count_block(tokenizer: Any, block: list[str], counts: Counter) -> int:
    for ids in encode_texts(tokenizer, block):
        counts.update(set(ids))
    return len(block)


def idf_weights(counts: Counter, n: int) -> Callable[[int], float]:
    """bert-score's idf: ``log((n + 1) / (df + 1))``, and ``log(n + 1)`` for unseen tokens."""
    unseen = math.log(n + 1)
    table = {t: math.log((n + 1) / (c + 1)) for t, c in counts.items()}
    return lambda t: table.get(t, unseen)


def uniform_weights(tokenizer: Any) -> Callable[[int], float]:
    """bert-score without idf: weight 1 for every token, 0 for the [SEP] and [CLS] ids."""
    zero = {tokenizer.sep_token_id, tokenizer.cls_token_id}
    return lambda t: 0.0 if t in zero else 1.0


def embed_unique(model: Any, ids: Sequence[Sequence[int]], batch_size: int, device: str,
                 pad_id: int = 0) -> tuple[Any, Any]:
    """Unit-normalised hidden states of every token of every sentence, packed: ``(emb, start)``
    with ``emb[start[k]:start[k] + len(ids[k])]`` the rows of sentence ``k``.

    Sentences run longest first in batches of at most ``batch_size`` sentences whose padding adds
    at most `PAD_TOLERANCE` - 1 of their real tokens (most batches hold one length and need no
    mask); only the real tokens' states are kept. bert-score pads batches sorted by word count
    (about twice the real tokens on real text); states agree to float precision either way.
    """
    import torch

    lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    start = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(lengths, out=start[1:])
    emb = None
    order = np.argsort(-lengths, kind="stable")
    with torch.inference_mode():
        i = 0
        while i < len(order) and lengths[order[i]] > 0:
            longest = int(lengths[order[i]])
            j, real = i + 1, longest
            while (j < len(order) and j - i < batch_size and lengths[order[j]] > 0
                   and longest * (j + 1 - i) <= PAD_TOLERANCE * (real + lengths[order[j]])):
                real += int(lengths[order[j]])
                j += 1
            members = order[i:j]
            i = j
            lens = lengths[members]
            mask = np.arange(longest)[None, :] < lens[:, None]
            x = np.full((len(members), longest), pad_id, dtype=np.int64)
            x[mask] = np.fromiter((t for k in members for t in ids[k]), dtype=np.int64, count=int(lens.sum()))
            mask_t = torch.as_tensor(mask, device=device)
            hidden = model(torch.as_tensor(x, device=device), attention_mask=mask_t.long())[0]
            hidden = hidden[mask_t].float()
            hidden = hidden / hidden.norm(dim=-1, keepdim=True)
            if emb is None:
                emb = torch.zeros(int(start[-1]) + 1, hidden.shape[-1], dtype=torch.float32, device=device)
            rows = (start[members][:, None] + np.arange(longest)[None, :])[mask]
            emb[torch.as_tensor(rows, device=device)] = hidden
    if emb is None:  # every sentence empty
        emb = torch.zeros(int(start[-1]) + 1, 1, dtype=torch.float32, device=device)
    return emb, start  # the last row, all zeros, is where padding indices point


def greedy_match(emb: Any, start: np.ndarray, weights: Any, lengths: np.ndarray,
                 hyp: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """P, R, F1 of each (hypothesis, reference) sentence pair, as bert-score's ``greedy_cos_idf``.

    P = sum_i w_i max_j cos(h_i, r_j) / sum_i w_i over the hypothesis tokens i (w its idf weights),
    R the same with the roles swapped, F1 = 2PR / (P + R); every token, [CLS] and [SEP] included,
    takes part in the max. A side with exactly two tokens (only the special tokens: an empty text)
    (or none) gets P = R = 0, and an undefined F1 (0 / 0) is 0; bert-score's rules. Maxima run over real
    tokens only (bert-score also lets its padding's similarity 0 into the max when a pair shares a
    batch with a longer sentence, which only matters if all of a token's similarities are < 0).
    Returns a float32 array of shape ``(len(hyp), 3)``.
    """
    import torch

    out = np.zeros((len(hyp), 3), dtype=np.float32)
    if not len(hyp):
        return out
    device = emb.device
    pad = emb.shape[0] - 1
    hl, rl = lengths[hyp], lengths[ref]
    order = np.lexsort((rl, hl))
    i = 0
    with torch.inference_mode():
        while i < len(order):
            # grow the matching batch while the padded similarity tensor stays within budget
            j, widest = i + 1, rl[order[i]]
            while j < len(order) and (j + 1 - i) * hl[order[j]] * max(widest, rl[order[j]]) <= _MATCH_BUDGET:
                widest = max(widest, rl[order[j]])
                j += 1
            sel = order[i:j]
            i = j
            h_idx, h_mask = _gather(start[hyp[sel]], hl[sel], pad)
            r_idx, r_mask = _gather(start[ref[sel]], rl[sel], pad)
            h_idx, h_mask, r_idx, r_mask = (torch.as_tensor(a, device=device) for a in (h_idx, h_mask, r_idx, r_mask))
            sim = torch.bmm(emb[h_idx], emb[r_idx].transpose(1, 2))
            sim.masked_fill_(~(h_mask[:, :, None] & r_mask[:, None, :]), -math.inf)
            word_p = sim.max(dim=2).values.masked_fill_(~h_mask, 0.0)
            word_r = sim.max(dim=1).values.masked_fill_(~r_mask, 0.0)
            h_w, r_w = weights[h_idx], weights[r_idx]
            p = (word_p * (h_w / h_w.sum(dim=1, keepdim=True))).sum(dim=1)
            r = (word_r * (r_w / r_w.sum(dim=1, keepdim=True))).sum(dim=1)
            f = 2 * p * r / (p + r)
            empty = torch.as_tensor(np.isin(hl[sel], (0, 2)) | np.isin(rl[sel], (0, 2)), device=device)
            p = p.masked_fill(empty, 0.0)
            r = r.masked_fill(empty, 0.0)
            f = f.masked_fill(torch.isnan(f), 0.0)
            out[sel] = torch.stack((p, r, f), dim=1).cpu().numpy()
    return out


def _gather(starts: np.ndarray, lengths: np.ndarray, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(n, max_len)`` of each sentence's tokens in the packed matrix, padded with ``pad``."""
    width = max(int(lengths.max()), 1)
    cols = np.arange(width)[None, :]
    mask = cols < lengths[:, None]
    return np.where(mask, starts[:, None] + cols, pad), mask


def read_baseline(path: str | os.PathLike, num_layers: int) -> np.ndarray:
    """The (P, R, F) baseline of layer ``num_layers`` from a bert-score baseline file
    (CSV with header ``LAYER,P,R,F``, one row per layer; bert-score reads data row ``num_layers``)."""
    import csv

    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    data = [r for r in rows[1:] if r]
    if not 0 <= num_layers < len(data):
        raise ValueError(f"baseline file {path} has no row for layer {num_layers} ({len(data)} layers)")
    return np.asarray([float(v) for v in data[num_layers][1:4]], dtype=np.float32)


def shipped_baseline(lang: str, model_type: str) -> Path:
    """Where bert-score's package keeps the baseline of ``model_type`` for ``lang``, read without
    importing bert-score; a clear error when bert-score is not installed or has no such file."""
    spec = importlib.util.find_spec("bert_score")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("rescale_with_baseline reads bert-score's shipped baseline files: "
                                "pip install bert-score, or pass baseline_path=<file>")
    path = Path(list(spec.submodule_search_locations)[0]) / "rescale_baseline" / lang / f"{model_type}.tsv"
    if not path.is_file():
        raise FileNotFoundError(f"bert-score ships no baseline for model {model_type!r} in language {lang!r} "
                                f"({path}); pass baseline_path=<file> (a CSV with header LAYER,P,R,F)")
    return path


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
      references of the data (bert-score's ``score(..., idf=True)``); computed by `prepare`;
    * ``rescale_with_baseline`` with ``lang`` (bert-score's shipped files, read from an installed
      bert-score) or ``baseline_path`` (any file in that format);
    * ``use_fast_tokenizer`` (default False, as bert-score), ``batch_size``, ``device``,
      ``allow_download`` (hub names other than the default model).

    >>> s = BERTScore()
    >>> round(s.reduce(s.stats({"answer": ["a cat"], "references": [["a cat"]]}))["bertscore"], 6)
    1.0
    """

    name = "bertscore"
    fields = ("answer", "references")
    parts = ("precision", "recall", "f1")
    needs_prepare = False  # set per instance: True with idf

    def __init__(self, model_type: str = DEFAULT_EMBEDDING_MODEL, num_layers: int | None = None, idf: bool = False,
                 rescale_with_baseline: bool = False, lang: str | None = None, baseline_path: str | None = None,
                 use_fast_tokenizer: bool = False, batch_size: int = 64, device: str | None = None,
                 allow_download: bool = False) -> None:
        model_type = os.fspath(model_type)
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
                         allow_download=allow_download)
        self.needs_prepare = idf
        self._idf: tuple[Counter, int] | None = None
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
                                    self.params["use_fast_tokenizer"], "t5" in self.params["model_type"])

    @property
    def tokenizer(self) -> Any:
        return self.model[0]

    @functools.cached_property
    def baseline_file(self) -> Path:
        if self.params["baseline_path"] is not None:
            return Path(self.params["baseline_path"])
        return shipped_baseline(self.params["lang"], self.params["model_type"])

    def prepare(self, batches: Callable[[], Iterable[Batch]]) -> None:
        """With ``idf``: document frequencies over every reference of every example (all
        references of all examples, each one a document), as bert-score's ``get_idf_dict(refs)``."""
        if not self.params["idf"]:
            return

        def references() -> Iterable[str]:
            offset = 0
            for batch in batches():
                refs = check_references("references", "references", batch["references"], offset)
                offset += len(refs)
                for row in refs:
                    yield from row

        self._idf = idf_counts(self.tokenizer, references())

    def set_idf_sentences(self, sentences: Sequence[str]) -> None:
        """Use idf weights from ``sentences`` (bert-score's ``BERTScorer(idf_sents=...)``)."""
        if not self.params["idf"]:
            raise ValueError("idf sentences given to a bertscore scorer built with idf=False")
        self._idf = idf_counts(self.tokenizer, check_str("idf_sents", "idf_sents", list(sentences)))

    # --- scoring ------------------------------------------------------------------------
    def score_batch(self, batch: Batch) -> np.ndarray:
        """Rows ``[F1, P, R, F1]`` (the primary value, then the parts), one per example."""
        answers = check_str("answer", "answer", batch["answer"])
        references = check_references("references", "references", batch["references"])
        if len(answers) != len(references):
            raise ValueError(f"bertscore: {len(answers)} answers but {len(references)} reference lists")
        for row, refs in enumerate(references):
            if not refs:
                raise FieldError("references", "references", row, "no reference to score against")
        if self.params["idf"] and self._idf is None:
            raise RuntimeError("bertscore with idf=True needs its idf weights first: call "
                               "scorer.prepare(lambda: iter([batch, ...])) over the whole data (evaluate does)")
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

        weight_of = idf_weights(*self._idf) if self.params["idf"] else uniform_weights(tokenizer)
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
        if p["idf"]:
            items["idf_hash"] = self.idf_hash() if self._idf is not None else "unprepared"
        items["rescale_with_baseline"] = p["rescale_with_baseline"]
        if p["rescale_with_baseline"]:
            items["baseline"] = (f"{p['lang']}/{p['model_type']}" if p["baseline_path"] is None else "custom")
            items["baseline_hash"] = hashlib.sha256(self.baseline_file.read_bytes()).hexdigest()[:16]
        items["fast_tokenizer"] = p["use_fast_tokenizer"]
        items["transformers"] = transformers.__version__
        return items

    @functools.cached_property
    def model_hash(self) -> str | None:
        """A fingerprint of the model's files (None for a hub name left to download)."""
        from rageval.models import model_fingerprint

        path = self.path
        return model_fingerprint(path) if os.path.isdir(path) else None

    def idf_hash(self) -> str:
        """A short hash of the idf state: the number of documents and every token's frequency."""
        counts, n = self._idf
        h = hashlib.sha256(f"{n}|".encode())
        for token, c in sorted(counts.items()):
            h.update(f"{token}:{c},".encode())
        return h.hexdigest()[:16]


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
