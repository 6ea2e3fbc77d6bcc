"""Fault injection on run directories (issue 11): a finished run on a read-only mount loads without
writing; a run that fills its disk fails with a clear error, keeps the parts it wrote, and resumes
once space is freed. Both need mounts (root with CAP_SYS_ADMIN): skipped with the reason otherwise."""
from __future__ import annotations

import contextlib
import errno
import os
import subprocess

import pytest

import rageval
from rageval.core.errors import ConfigError

SCORERS = ["exact_match", "bleu", "rougeL"]


def _rows(n):
    return [{"id": f"q{i}", "answer": f"the answer {i} is {i % 7}", "references": [f"the answer {i} is {i % 5}"]}
            for i in range(n)]


def _mount(*args: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to mount (a read-only bind mount / a small tmpfs); chmod does not bind root")
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"mount is not permitted here: {done.stderr.strip()}")


@contextlib.contextmanager
def read_only_view(path, at):
    """``path`` seen read-only at ``at`` (a read-only bind mount)."""
    os.makedirs(at)
    _mount("--bind", str(path), str(at))
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(at)], check=True, capture_output=True)
        yield at
    finally:
        subprocess.run(["umount", "--lazy", str(at)], check=True)  # (a failed write may hold a file open)


@contextlib.contextmanager
def small_disk(at, size):
    os.makedirs(at)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(at))
    try:
        yield at
    finally:
        subprocess.run(["umount", "--lazy", str(at)], check=True)  # (a failed write may hold a file open)


def _snapshot(path):
    return {os.path.join(d, f): os.stat(os.path.join(d, f)).st_mtime_ns for d, _, fs in os.walk(path) for f in fs}


def test_a_finished_run_on_a_read_only_mount_loads_without_writing(tmp_path):
    run = tmp_path / "run"
    res = rageval.evaluate(_rows(60), SCORERS, output=str(run), batch_size=25, progress=False)
    before = _snapshot(run)
    with read_only_view(run, tmp_path / "ro") as ro:
        with pytest.raises(OSError):
            open(os.path.join(ro, "probe"), "w")  # the mount is read-only indeed
        loaded = rageval.load_results(ro)
        assert loaded.aggregate == res.aggregate and loaded.manifest["status"] == "complete"
        assert loaded.confidence_intervals(n=50).keys() == res.confidence_intervals(n=50).keys()
        from rageval.leaderboard.cli import main as leaderboard

        assert leaderboard([str(ro), "--resamples", "50", "--trials", "50"]) in (0, None)
        with pytest.raises(ConfigError, match="not writable.*load_results"):  # resuming it must write: said so
            rageval.evaluate(_rows(60), SCORERS, output=str(ro), batch_size=25, progress=False)
    assert _snapshot(run) == before


def test_a_full_disk_fails_clearly_keeps_its_parts_and_resumes(tmp_path):
    rows = _rows(3000)
    with small_disk(tmp_path / "disk", "1m") as disk:
        run = os.path.join(disk, "run")
        filler = os.path.join(disk, "filler")
        with open(filler, "wb") as fh:  # leave room for a few parts only
            fh.write(b"\0" * (1024 * 1024 - 160 * 1024))
        with pytest.raises(OSError) as info:
            rageval.evaluate(rows, SCORERS, output=run, batch_size=100, progress=False)
        assert info.value.errno == errno.ENOSPC
        text = str(info.value)
        assert run in text and "kept" in text and "same output=" in text, text
        kept = sorted(os.listdir(os.path.join(run, "examples")))
        assert kept and all(n.endswith(".parquet") for n in kept)  # no half-written part is left
        os.remove(filler)  # space freed: the same command resumes
        res = rageval.evaluate(rows, SCORERS, output=run, batch_size=100, progress=False)
        assert set(kept) <= set(os.listdir(os.path.join(run, "examples")))  # the parts written were kept
        loaded = rageval.load_results(run)
        assert loaded.manifest["status"] == "complete" and sorted(loaded.ids) == sorted(r["id"] for r in rows)
    assert res.aggregate == rageval.evaluate(rows, SCORERS, progress=False).aggregate
