"""The sqlite judge cache: round trips, chunked look-ups, keys, and writes from many threads and
from several processes at once."""
from __future__ import annotations

import multiprocessing
import threading

import pytest

from rageval.judges.cache import JudgeCache, cache_key, default_cache_dir, open_cache


def test_round_trip_and_chunked_lookup(tmp_path):
    cache = JudgeCache(tmp_path)
    values = {cache_key("k", i): {"text": f"v{i}", "n": i, "f": i / 3, "u": "ü東"} for i in range(1234)}
    cache.put_many(values)
    assert len(cache) == 1234
    got = cache.get_many(list(values) + ["absent"])
    assert got == values
    cache.put(cache_key("k", 0), [1, 2])
    assert cache.get(cache_key("k", 0)) == [1, 2] and cache.get("absent", "d") == "d"
    assert JudgeCache(tmp_path).get(cache_key("k", 5)) == values[cache_key("k", 5)]  # persisted
    cache.clear()
    assert len(cache) == 0


def test_cache_key_is_canonical():
    assert cache_key("s", {"a": 1, "b": [1, "x"]}) == cache_key("s", {"b": [1, "x"], "a": 1})
    assert cache_key("s", {"a": 1}) != cache_key("s", {"a": 1.5}) != cache_key("t", {"a": 1})
    assert cache_key("s", ["a", "b"]) != cache_key("s", ["ab"])
    assert len(cache_key("x")) == 64


def test_default_dir_and_shared_instances(tmp_path, monkeypatch):
    monkeypatch.setenv("RAGEVAL_CACHE", str(tmp_path / "env"))
    assert default_cache_dir() == tmp_path / "env"
    monkeypatch.delenv("RAGEVAL_CACHE")
    assert default_cache_dir().parts[-3:] == (".cache", "rageval", "judges")
    assert open_cache(tmp_path) is open_cache(str(tmp_path))


def test_many_threads(tmp_path):
    cache = open_cache(tmp_path)
    errors = []

    def work(t: int) -> None:
        try:
            for i in range(100):
                cache.put(f"{t}-{i}", i)
                assert cache.get(f"{t}-{i}") == i
        except Exception as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(cache) == 800


def _writer(args: tuple[str, int]) -> int:
    directory, worker = args
    cache = JudgeCache(directory)
    for i in range(150):
        cache.put(f"{worker}-{i}", {"w": worker, "i": i})
    return worker


@pytest.mark.parametrize("method", ["fork"])  # separate processes, separate connections; spawn adds only import time
def test_several_processes(tmp_path, method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"start method {method} is not available on this platform")
    open_cache(tmp_path).put("parent", 1)  # an open connection in the parent must not leak into a fork
    with multiprocessing.get_context(method).Pool(4) as pool:
        assert sorted(pool.map(_writer, [(str(tmp_path), w) for w in range(4)])) == [0, 1, 2, 3]
    cache = JudgeCache(tmp_path)
    assert len(cache) == 601 and cache.get("3-149") == {"w": 3, "i": 149}
