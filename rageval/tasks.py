"""Task files: YAML that says where the data is, how its columns map, and which scorers to run.

A task file is data: it is read with ``yaml.safe_load`` and checked key by key; nothing in it is
ever executed. Keys::

    name: demo                      # defaults to the file name
    description: ...
    data:                           # exactly one of path / hub
      path: rageval:demo/x.jsonl    # a file (relative to the task file) or a packaged file
      hub: {name: org/set, revision: <commit sha>, config: null}   # a Hugging Face dataset, pinned
      split: test                   # for a DatasetDict / hub dataset
    columns: {answer: generated}    # canonical field -> column
    scorers:                        # names, or {name: ..., params: {...}}
      - bleu
      - {name: rougeL, params: {use_stemmer: true}}
    judge: {kind: openai, model: ..., base_url: ...}   # for scorers that take a judge
    batch_size: 1000                 # optional; default 1000 (65,536 when every field is a number)
"""
from __future__ import annotations

import glob
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import yaml

from rageval.core.errors import ConfigError, RagevalError
from rageval.core.registry import get_scorer, scorer_class
from rageval.core.scorer import Scorer

_TOP = {"name", "description", "data", "columns", "scorers", "judge", "batch_size"}
_DATA = {"path", "hub", "split"}
_HUB = {"name", "revision", "config"}
_SCORER = {"name", "params", "key"}


@dataclass
class Task:
    name: str
    data: dict[str, Any]
    scorers: list[dict[str, Any]]
    columns: dict[str, str] = field(default_factory=dict)
    judge: Any = None
    description: str = ""
    batch_size: int | None = None
    source: str = ""  # the file it came from

    def build_scorers(self) -> list[Scorer]:
        """Scorer objects; the task's judge goes to every scorer that takes one and names none."""
        out = []
        for i, entry in enumerate(self.scorers):
            params = dict(entry.get("params") or {})
            if self.judge is not None and "judge" not in params and scorer_class(entry["name"]).takes_judge:
                params["judge"] = self.judge
            scorer = self._scorer(i, entry["name"], params)
            if entry.get("key"):
                scorer.key = entry["key"]
            out.append(scorer)
        return out

    def _scorer(self, i: int, name: str, params: dict) -> Scorer:
        """``get_scorer(name, **params)``; a bad parameter is a one-line ConfigError naming its key."""
        try:
            return get_scorer(name, **params)
        except RagevalError:
            raise
        except (TypeError, ValueError) as e:
            problem = " ".join(str(e).split())
        key = next((k for k in params if k in problem), None)
        for k in params if key is None else ():  # the key whose removal changes the error is the bad one
            try:
                get_scorer(name, **{p: v for p, v in params.items() if p != k})
            except Exception as e:  # noqa: BLE001 (only compared)
                if " ".join(str(e).split()) == problem:
                    continue
            key = k
            break
        where = f"{self.source or 'task'}: scorers[{i}] ({name})"
        raise ConfigError(f"{where}: {'' if key is None else f'parameter {key!r}: '}{problem}") from None

    def load_data(self, limit: int | None = None) -> Any:
        """The data the task names: a path, or a pinned hub dataset (downloaded only here, on request)."""
        if "path" in self.data:
            path = self.resolve_path(self.data["path"])
            if self.source and not self.data["path"].startswith("rageval:") and os.path.commonpath(
                    [os.path.realpath(path), os.path.realpath(os.path.dirname(os.path.abspath(self.source)))]
            ) != os.path.realpath(os.path.dirname(os.path.abspath(self.source))):
                warnings.warn(f"{self.source}: data.path {self.data['path']!r} is outside the task file's folder: "
                              f"reading {os.path.abspath(path)} (the run's manifest names it as its origin)",
                              UserWarning, stacklevel=2)
            return path
        hub = self.data["hub"]
        import datasets

        return datasets.load_dataset(hub["name"], hub.get("config"), revision=hub["revision"],
                                     split=self.data.get("split"))

    def resolve_path(self, path: str) -> str:
        if path.startswith("rageval:"):
            return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "rageval",
                                path.split(":", 1)[1])
        if not os.path.isabs(path) and self.source:
            candidate = os.path.join(os.path.dirname(self.source), path)
            if os.path.exists(candidate):
                return candidate
        return path


def _check_keys(where: str, mapping: Any, allowed: set[str]) -> dict:
    if not isinstance(mapping, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(mapping).__name__}")
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    return mapping


def _check_str(where: str, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {type(value).__name__} ({value!r:.40})")


def parse_task(spec: Any, source: str = "") -> Task:
    """A `Task` from an already-parsed mapping; every key is checked."""
    where = source or "task"
    spec = _check_keys(where, spec, _TOP)
    if "data" not in spec or "scorers" not in spec:
        raise ConfigError(f"{where}: needs the keys 'data' and 'scorers'")
    data = _check_keys(f"{where}: data", spec["data"], _DATA)
    if ("path" in data) == ("hub" in data):
        raise ConfigError(f"{where}: data needs exactly one of 'path' or 'hub'")
    if "hub" in data:
        hub = _check_keys(f"{where}: data.hub", data["hub"], _HUB)
        if not hub.get("name") or not hub.get("revision"):
            raise ConfigError(f"{where}: data.hub needs 'name' and a pinned 'revision'")
        for key in _HUB:
            _check_str(f"{where}: data.hub.{key}", hub.get(key))
    _check_str(f"{where}: data.path", data.get("path"))
    _check_str(f"{where}: data.split", data.get("split"))
    judge = spec.get("judge")
    if judge is not None and not isinstance(judge, (str, dict)):
        raise ConfigError(f"{where}: judge: expected a judge kind name or a mapping "
                          f"({{kind: openai, model: ...}}), got {type(judge).__name__} ({judge!r:.40})")
    scorers = spec["scorers"]
    if not isinstance(scorers, list) or not scorers:
        raise ConfigError(f"{where}: scorers must be a non-empty list")
    entries = []
    for i, s in enumerate(scorers):
        entry = {"name": s} if isinstance(s, str) else _check_keys(f"{where}: scorers[{i}]", s, _SCORER)
        if not isinstance(entry.get("name"), str):
            raise ConfigError(f"{where}: scorers[{i}] needs a 'name'")
        if not isinstance(entry.get("params") or {}, dict):
            raise ConfigError(f"{where}: scorers[{i}].params must be a mapping")
        scorer_class(entry["name"].partition("@")[0])  # unknown names fail now, with suggestions
        entries.append(entry)
    columns = spec.get("columns") or {}
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise ConfigError(f"{where}: columns must map canonical fields to column names")
    batch_size = spec.get("batch_size")
    if batch_size is not None and (not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1):
        raise ConfigError(f"{where}: batch_size must be a positive integer")
    name = spec.get("name") or os.path.splitext(os.path.basename(source))[0] or "task"
    return Task(name=str(name), data=data, scorers=entries, columns=columns, judge=spec.get("judge"),
                description=str(spec.get("description", "")), batch_size=batch_size, source=source)


def load_task(path: str | os.PathLike) -> Task:
    """Read and check a task file (never executes anything from it)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ConfigError(f"no such task file: {path}")
    with open(path, encoding="utf-8") as fh:
        try:
            spec = yaml.safe_load(fh)
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML ({e})") from None
    return parse_task(spec, source=path)


def list_tasks(directory: str = "tasks") -> list[str]:
    """Task files in ``directory``."""
    return sorted(glob.glob(os.path.join(directory, "*.yaml")) + glob.glob(os.path.join(directory, "*.yml")))


def run_task(task: Task | str, output: str | None = None, limit: int | None = None, progress: bool | None = None,
             backend: str = "local"):
    """Evaluate a task (``backend``: as `rageval.evaluate`'s, ``"local"`` or ``"ray"``); returns `Results`."""
    from rageval.run.evaluate import evaluate

    task = load_task(task) if isinstance(task, (str, os.PathLike)) else task
    scorers = task.build_scorers()  # a bad parameter fails before any data is read or downloaded
    return evaluate(task.load_data(limit), scorers, columns=task.columns, output=output,
                    split=task.data.get("split") if "path" in task.data else None, limit=limit,
                    batch_size=task.batch_size, progress=progress, task=task.name, backend=backend)
