"""Run directories: a manifest plus Parquet parts written as the run goes, resumable after a kill.

The manifest records the scorer signatures, package versions, the dataset fingerprint and a
config hash over everything that changes the numbers. Re-running the same configuration on the
directory skips the examples already in its parts; a different configuration is refused.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import functools
import hashlib
import json
import os
import platform
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from rageval.core.errors import ConfigError
from rageval.core.scorer import Scorer
from rageval.data.adapters import Source
from rageval.judges.base import JudgeUnavailable
from rageval.results.store import (
    EXAMPLES,
    MANIFEST,
    CorruptPartError,
    Part,
    next_part_index,
    part_files,
    read_json,
    read_part,
    write_json,
    write_part,
    write_part_as,
)

PACKAGES = ("rageval", "numpy", "pandas", "pyarrow", "torch", "transformers", "sentence-transformers", "datasets",
            "nltk", "rouge-score", "scikit-learn", "sacrebleu", "bert-score")

#: suffix of a part being replaced by its rows that are kept (see `RunDir.parts`)
RETRY = ".retry"

#: name of a part a Ray worker writes: its first row, apart from the driver's numbered ``part-NNNNNN``
#: (`next_part_index` does not read it); a task Ray retries writes the same name again, not a duplicate
WORKER_PART = "part-r{:012d}.parquet"

#: manifest keys that must match for a run directory to be resumed
CONFIG_KEYS = ("scorers", "fingerprint", "columns", "fields")


@functools.lru_cache(maxsize=1)
def _versions() -> tuple[tuple[str, str], ...]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return tuple(out.items())


def package_versions() -> dict[str, str]:
    """The versions of Python and of the packages that change numbers (looked up once)."""
    return dict(_versions())


def build_manifest(scorers: list[Scorer], source: Source, fields: list[str], columns: Mapping[str, str] | None,
                   task: str | None = None, backend: Mapping[str, Any] | None = None,
                   fingerprint: bool = True) -> dict[str, Any]:
    """Everything that identifies a run; ``config_hash`` covers the parts that change its numbers
    (not ``backend``: where it ran, ``{"name": "local"}`` or Ray's version and cluster size, so a
    run started locally resumes on Ray and back). ``fingerprint=False``: the dataset fingerprint,
    which guards a run directory's resume and costs a pass over every text cell, is left None
    (`evaluate` without ``output=``; a streamed source's, a hash of its origin, costs nothing and
    is always taken)."""
    manifest: dict[str, Any] = {
        "format": 1,
        "task": task,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "scorers": [{"key": s.key, "signature": s.signature, "spec": s.spec(),
                     "higher_is_better": s.higher_is_better, "stats": s.stats_kind.prefix, "keys": s.keys(),
                     **({"state": s.state_digest} if s.needs_first_pass else {})} for s in scorers],
        "fields": fields,
        "columns": dict(columns or {}),
        "fingerprint": source.fingerprint(fields) if fingerprint or source.streamed else None,
        "origin": source.origin,
        "n_examples": None if source.streamed else len(source),
        "versions": package_versions(),
        "backend": dict(backend or {"name": "local"}),
    }
    manifest["config_hash"] = config_hash(manifest)
    return manifest


def config_hash(manifest: Mapping[str, Any]) -> str:
    config = {k: manifest[k] for k in CONFIG_KEYS}
    config["scorers"] = [s["signature"] for s in config["scorers"]]
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


#: the run directories open in this process, by real path (to release one an interrupted call left open)
_OPEN: weakref.WeakValueDictionary[str, RunDir] = weakref.WeakValueDictionary()


class RunDir:
    """A run directory being written; holds an exclusive lock while open."""

    def __init__(self, path: str, manifest: dict[str, Any]) -> None:
        self.path, self.manifest = path, manifest
        try:
            self._lock = open(os.path.join(path, ".lock"), "w")
        except OSError as e:
            raise ConfigError(f"{path} is not writable ({e.strerror}): to read a finished run, use "
                              "rageval.load_results; to score, pass another output directory") from None
        key = os.path.realpath(path)
        stale = _OPEN.get(key)
        if stale is not None and stale._thread == threading.get_ident():
            stale.close()  # left open by an interrupted call in this thread (a notebook keeps its traceback)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise ConfigError(f"{path} is in use by another rageval process or thread") from None
        self._thread = threading.get_ident()
        _OPEN[key] = self
        self._next = next_part_index(path)

    @classmethod
    def open(cls, path: str | os.PathLike, manifest: dict[str, Any],
             legacy_fingerprint: Callable[[], str] | None = None) -> RunDir:
        """Create ``path``, or resume it when its manifest has the same configuration. The lock is
        taken before anything is written; leftovers of a write killed midway are removed.
        ``legacy_fingerprint`` computes the data's version-1 fingerprint, compared instead when the
        directory was written before ``v2:`` fingerprints (its manifest then keeps that form)."""
        path = os.fspath(path)
        os.makedirs(path, exist_ok=True)
        run = cls(path, manifest)
        try:
            existing = os.path.join(path, MANIFEST)
            if os.path.exists(existing):
                old = read_json(existing)
                if (legacy_fingerprint is not None and old.get("config_hash") != manifest["config_hash"]
                        and not str(old.get("fingerprint", "")).startswith(("v2:", "stream:"))):
                    manifest["fingerprint"] = legacy_fingerprint()
                    manifest["config_hash"] = config_hash(manifest)
                if old.get("config_hash") != manifest["config_hash"]:
                    raise ConfigError(f"{path} holds a run with a different configuration "
                                      f"({_differences(old, manifest)}); use another output directory")
                manifest["created"] = old.get("created", manifest["created"])
            run._remove_leftovers()
            write_json(existing, {**manifest, "status": "running"})
        except BaseException:
            run.close()
            raise
        return run

    def parts(self) -> Iterator[Part]:
        """The finished parts; a damaged one is set aside (renamed ``*.corrupt``, with a warning
        naming it) and its examples are scored again. Examples a judge could not score for a
        transient reason (`JudgeUnavailable`: endpoint down, deadline, 5xx after retries) are taken
        out of their part, so that they are scored again; the rest of the part is kept."""
        keys = [s["key"] for s in self.manifest["scorers"]]
        for path in part_files(self.path):
            try:
                part = read_part(path, keys)
            except CorruptPartError as e:
                os.replace(path, path + ".corrupt")
                warnings.warn(f"{e}; its examples are scored again (the file is kept as {path}.corrupt)",
                              UserWarning, stacklevel=3)
                continue
            keep = [i for i in range(len(part.ids)) if not any(_transient(e[i]) for e in part.errors.values())]
            if len(keep) < len(part.ids):
                part = self._rescore(path, part, keep)
            if part.ids:
                yield part

    def _rescore(self, path: str, part: Part, keep: list[int]) -> Part:
        """Replace the part at ``path`` by its rows ``keep``. Crash-safe: the old file is first
        renamed to ``*.retry`` (not a part; removed on the next open), so a kill at any moment
        leaves each example in at most one part, and those in none are scored again."""
        os.replace(path, path + RETRY)
        part = Part(rows=[part.rows[i] for i in keep], ids=[part.ids[i] for i in keep],
                    stats={k: v.take(keep) for k, v in part.stats.items()},
                    errors={k: [v[i] for i in keep] for k, v in part.errors.items()},
                    scores={k: v[keep] for k, v in part.scores.items()})
        if keep:
            self.write(part)
        os.remove(path + RETRY)
        return part

    def close(self) -> None:
        self._lock.close()

    def write(self, part: Part) -> None:
        try:
            write_part(self.path, self._next, part)
        except OSError as e:  # a full disk, an I/O error: what was written is kept, and resumable
            self._remove_leftovers()
            self.close()  # the run stops here: release the directory for the rerun
            raise type(e)(e.errno, f"{self.path}: could not write part {self._next} ({e.strerror or e}); the "
                                   f"parts written so far are kept: fix the cause and rerun with the same output= "
                                   f"to resume") from e
        self._next += 1

    def _remove_leftovers(self) -> None:
        folder = os.path.join(self.path, EXAMPLES)
        for name in os.listdir(folder) if os.path.isdir(folder) else []:
            if ".tmp-" in name or name.endswith(RETRY):  # a write or a rescore killed midway
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(folder, name))

    def finish(self, results: Any) -> None:
        from rageval.results.results import write_summary

        try:
            write_summary(self.path, results)
        except OSError as e:
            raise type(e)(e.errno, f"{self.path}: could not write the summary ({e.strerror or e}); every part is "
                                   f"written: fix the cause and rerun with the same output= to finish") from e
        finally:
            self.close()


def write_worker_part(directory: str, part: Part) -> str:
    """Write ``part`` into the run directory ``directory`` from a Ray worker, as `write_part` does
    (a temporary name, fsync, rename: a killed worker leaves a complete part or none), named
    `WORKER_PART` after its first row; returns its path."""
    return write_part_as(directory, WORKER_PART.format(part.rows[0]), part)


def unavailable_note(results: Any, scorers: list[Scorer], output: str | None, option: str = "output=") -> str | None:
    """One paragraph on the examples a judge left unscored for a transient reason (which judge,
    how many, how many failed fast with its circuit breaker open, how to resume with ``option``);
    None if none."""
    by_judge: dict[str, list] = {}
    for s in scorers:
        if not s.takes_judge:
            continue
        failed = [e for e in results.by_scorer[s.key].errors.values() if _transient(e)]
        if failed:
            counts = by_judge.setdefault(s.judge.name, [set(), 0, 0])
            counts[0].add(s.key)
            counts[1] += len(failed)
            counts[2] += sum("endpoint down" in e for e in failed)
    if not by_judge:
        return None
    lines = [f"{name} was unavailable: {n} example scores of {', '.join(sorted(keys))} failed"
             + (f" ({fast} failed fast: circuit breaker open, endpoint down)" if fast else "")
             for name, (keys, n, fast) in by_judge.items()]
    how = (f"rerun with the same {option}{output} to resume: only these examples are scored again" if output
           else f"rerun once the endpoint is up (with {option}DIR a rerun scores only these examples again)")
    return "; ".join(lines) + "; " + how


def _transient(error: str | None) -> bool:
    return error is not None and error.startswith(JudgeUnavailable.__name__ + ":")


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    diffs = []
    old_sigs = [s["signature"] for s in old.get("scorers", [])]
    new_sigs = [s["signature"] for s in new["scorers"]]
    if old_sigs != new_sigs:
        diffs.append(f"scorers {old_sigs} vs {new_sigs}")
    for key in ("fingerprint", "columns", "fields"):
        if old.get(key) != new.get(key):
            diffs.append(f"{key} {old.get(key)!r} vs {new.get(key)!r}")
    return "; ".join(diffs) or "config hash differs"
