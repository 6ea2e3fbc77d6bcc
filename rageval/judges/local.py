"""Models of the judges that run locally (embedding, nli, hf): a hub name or path resolved offline,
or downloaded at a pinned revision when the user allows it, and fingerprinted for the signature."""
from __future__ import annotations

import functools
import os
from typing import Any

from rageval.models import model_fingerprint, resolve_model


class LocalModel:
    """Mixin: ``model_name``, ``revision``, ``allow_download`` -> ``path`` and ``fingerprint``.

    Offline by default (`rageval.models.resolve_model`): a local directory, the shipped MiniLM, or
    a model already in the Hugging Face cache. With ``allow_download=True`` a hub name is fetched
    (``huggingface_hub.snapshot_download`` at ``revision``). Either way the signature holds the
    name, the revision when given, and a hash of the files actually loaded (`model_fingerprint`).
    """

    model_name: str
    revision: str | None = None
    allow_download: bool = False

    def _set_model(self, model: Any, revision: str | None, allow_download: bool) -> None:
        self.model_name, self.revision, self.allow_download = str(model), revision, bool(allow_download)

    @functools.cached_property
    def path(self) -> str:
        """A local directory holding the model's files."""
        path = resolve_model(self.model_name, allow_download=self.allow_download)
        if os.path.isdir(path):
            return path
        from huggingface_hub import snapshot_download  # only reached with allow_download=True

        return snapshot_download(path, revision=self.revision)

    @functools.cached_property
    def fingerprint(self) -> str:
        return model_fingerprint(self.path)

    def model_items(self) -> dict[str, Any]:
        """The signature items naming the model: name, revision (when given) and file hash."""
        items: dict[str, Any] = {"model": self.model_name}
        if self.revision:
            items["revision"] = self.revision
        items["model_hash"] = self.fingerprint
        return items
