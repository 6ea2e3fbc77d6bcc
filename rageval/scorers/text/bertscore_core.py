"""BERTScore's functional core: model loading with truncated layers, tokenisation as bert-score
does it, idf weights, length-bucketed embedding of deduplicated sentences, vectorised greedy
matching and bert-score's rescaling baselines. `rageval.scorers.text.bertscore` is the scorer.
"""
from __future__ import annotations

import copy
import functools
import importlib.util
import math
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rageval.models import quiet_loading

#: Layer used for the offline default model, all-MiniLM-L6-v2 (6 layers, hidden size 384,
#: uncased). bert-score tunes no layer for it; it picks layer 5 for every other 6-layer uncased
#: BERT it tunes (distilbert-base-uncased and google/bert_uncased_L-6_H-{128,256,512,768}), the
#: layer with the best WMT16 correlation one below the top, so we use 5 too.
DEFAULT_LAYERS = 5

#: Examples scored together in one pass of `stats` (sentences deduplicated within it); bounds
#: the hidden states held at once to those of this many examples' sentences.
CHUNK_EXAMPLES = 1024

#: the model's number formats: bert-score's exact float32, and an opt-in fast one whose deviation from
#: float32 `benchmarks/bench_bertscore.py` measures and prints. (Dynamic int8 quantisation was tried:
#: its corpus F1 moved by 1.4e-2 on 300 distinct pairs, and torch deprecates its quantised tensors.)
DTYPES = ("float32", "bfloat16")

#: Model batches may hold this many (padded) tokens per real token: equal lengths where they
#: are common, a few neighbouring lengths batched together where they are rare, since each
#: forward pass has a fixed cost (large on a busy machine, where threads wait for each other).
PAD_TOLERANCE = 1.1

#: Entries of the padded similarity tensor per greedy-matching batch (256 KB): small batches of
#: pairs sorted by length waste little on padding.
_MATCH_BUDGET = 64 * 1024


@functools.lru_cache(maxsize=4)
def load_bertscore_model(path: str, num_layers: int, device: str, use_fast_tokenizer: bool = False,
                         t5: bool = False, dtype: str = "float32") -> tuple[Any, Any]:
    """``(tokenizer, model)`` as bert-score's ``get_tokenizer`` / ``get_model`` build them (cached).

    The model is ``AutoModel`` (``T5EncoderModel`` when ``t5``: a name containing "t5"), its encoder when it has a
    decoder, cut to its first ``num_layers`` layers so that its output is that layer's hidden
    state and the layers above are never run. Weights are shared with no other cached model.
    ``dtype``: ``"float32"`` (bert-score's) or ``"bfloat16"`` (weights and activations in bfloat16;
    the embeddings are compared in float32); see `DTYPES`.
    """
    import transformers

    quiet_loading()

    local = os.path.isdir(path)
    tokenizer = transformers.AutoTokenizer.from_pretrained(path, use_fast=use_fast_tokenizer, local_files_only=local)
    cls = transformers.T5EncoderModel if t5 else transformers.AutoModel
    model = cls.from_pretrained(path, local_files_only=local).eval()
    if hasattr(model, "decoder") and hasattr(model, "encoder"):
        model = model.encoder
    truncate_layers(model, num_layers)
    if getattr(model, "pooler", None) is not None:
        model.pooler = None  # its output is never read
    model = model.to(device)
    if dtype == "bfloat16":
        import torch

        model = model.to(torch.bfloat16)
    return tokenizer, model


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
