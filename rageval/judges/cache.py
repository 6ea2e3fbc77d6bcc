"""On-disk cache of judge calls: one sqlite file (WAL mode) mapping a hashed key to a JSON value.

Safe under concurrent threads (one connection per thread) and across processes (sqlite locking,
WAL, a generous busy timeout). Keys are built by `cache_key` from everything that can change a
judge's answer; the judges decide what that is (see `rageval.judges.base.Judge._cached`).
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

FILENAME = "judges.sqlite3"
_CHUNK = 500  # stays under sqlite's host-parameter limit


def default_cache_dir() -> Path:
    """``$RAGEVAL_CACHE`` when set, else ``~/.cache/rageval/judges``."""
    env = os.environ.get("RAGEVAL_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "rageval" / "judges"


def cache_key(*parts: Any) -> str:
    """A sha256 hex digest of ``parts`` serialised as canonical JSON (sorted keys, no spaces)."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class JudgeCache:
    """A key -> JSON value store in ``directory/judges.sqlite3``.

    Writes commit immediately, so a process killed mid-run keeps every value stored before the
    kill. Use `open_cache` to share one instance per directory within a process.
    """

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory).expanduser()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / FILENAME
        self._local = threading.local()
        with self._connection() as con:
            con.execute("CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
                        "created REAL NOT NULL)")

    def _connection(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None or getattr(self._local, "pid", None) != os.getpid():  # never reuse across fork
            con = sqlite3.connect(self.path, timeout=60.0, isolation_level=None, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            self._local.con, self._local.pid = con, os.getpid()
        return con

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The stored values of those ``keys`` that are present."""
        keys = list(dict.fromkeys(keys))
        out: dict[str, Any] = {}
        con = self._connection()
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for key, value in con.execute(f"SELECT key, value FROM calls WHERE key IN ({marks})", chunk):
                out[key] = json.loads(value)
        return out

    def get(self, key: str, default: Any = None) -> Any:
        return self.get_many([key]).get(key, default)

    def put_many(self, items: Mapping[str, Any]) -> None:
        """Store ``items`` in one transaction (committed before returning)."""
        if not items:
            return
        now = time.time()
        rows = [(k, json.dumps(v, ensure_ascii=False, separators=(",", ":")), now) for k, v in items.items()]
        con = self._connection()
        with con:  # BEGIN ... COMMIT
            con.executemany("INSERT OR REPLACE INTO calls (key, value, created) VALUES (?, ?, ?)", rows)

    def put(self, key: str, value: Any) -> None:
        self.put_many({key: value})

    def __len__(self) -> int:
        return self._connection().execute("SELECT COUNT(*) FROM calls").fetchone()[0]

    def clear(self) -> None:
        """Remove every stored value."""
        with self._connection() as con:
            con.execute("DELETE FROM calls")


_OPEN: dict[str, JudgeCache] = {}
_OPEN_LOCK = threading.Lock()


def open_cache(directory: str | os.PathLike) -> JudgeCache:
    """The process-wide `JudgeCache` for ``directory`` (created on first use)."""
    key = os.path.abspath(os.path.expanduser(os.fspath(directory)))
    with _OPEN_LOCK:
        if key not in _OPEN:
            _OPEN[key] = JudgeCache(key)
        return _OPEN[key]
