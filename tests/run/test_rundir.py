"""Run directories: written as the run goes, resumed after kill -9 without recomputing or losing
an example, and refused for a different configuration."""
import os
import signal
import subprocess
import sys
import tempfile
import time

import pandas as pd
import pytest
from support import TESTS
from support.slow_scorer import Slow

import rageval
import rageval.stats
from rageval.data.adapters import load_source
from rageval.results.store import EXAMPLES, read_intervals

HERE = os.path.join(TESTS, "support")
DATA = [{"id": f"q{i}", "answer": "x" * i} for i in range(200)]


def parts(run):
    folder = os.path.join(run, EXAMPLES)
    return [n for n in os.listdir(folder) if n.endswith(".parquet")] if os.path.isdir(folder) else []


def test_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path):
    run, log = str(tmp_path / "run"), str(tmp_path / "calls.log")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "slow_scorer.py"), log, run])
    deadline = time.time() + 60
    while len(parts(run)) < 5 and time.time() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(parts(run))
    assert 5 <= done_before < 40, "the run should have been killed midway"
    first = open(log).read().split()
    finished = set(pd.concat(pd.read_parquet(os.path.join(run, EXAMPLES, p)) for p in parts(run))["id"])

    res = rageval.evaluate(DATA, [Slow(log, delay=0.05)], output=run, batch_size=5, progress=False)
    calls = open(log).read().split()
    rescored = calls[len(first):]
    assert not finished & set(rescored), "finished examples were scored again"
    assert sorted(set(calls)) == sorted(r["id"] for r in DATA)

    clean = rageval.evaluate(DATA, [Slow(str(tmp_path / "clean.log"))], progress=False)
    assert res.ids == clean.ids
    assert res.aggregate == clean.aggregate
    pd.testing.assert_frame_equal(res.to_pandas(), clean.to_pandas())
    loaded_table = pd.read_parquet(os.path.join(run, EXAMPLES))
    assert len(loaded_table) == 200 and loaded_table["id"].is_unique

    # a third run has nothing left to do
    again = rageval.evaluate(DATA, [Slow(log, delay=0.05)], output=run, batch_size=5, progress=False)
    assert open(log).read().split() == calls and again.aggregate == clean.aggregate


def test_a_different_configuration_is_refused(tmp_path):
    run = str(tmp_path / "run")
    rows = [{"answer": "x y", "reference": "x y z"}, {"answer": "c", "reference": "c"}]
    rageval.evaluate(rows, ["token_f1"], output=run, progress=False)
    with pytest.raises(rageval.ConfigError, match="different configuration.*scorers"):
        rageval.evaluate(rows, ["exact_match"], output=run, progress=False)
    with pytest.raises(rageval.ConfigError, match="fingerprint"):
        rageval.evaluate(rows + [{"answer": "d", "reference": "d"}], ["token_f1"], output=run, progress=False)
    with pytest.raises(rageval.ConfigError, match="different configuration"):
        rageval.evaluate(rows, [("token_f1", {})], output=run, columns={"answer": "reference"}, progress=False)
    assert rageval.load_results(run).aggregate["token_f1"] == pytest.approx((0.8 + 1) / 2)


def test_manifest_records_what_the_numbers_depend_on(tmp_path):
    run = str(tmp_path / "run")
    rageval.evaluate([{"answer": "a", "reference": "a"}], ["exact_match"], output=run, progress=False)
    m = rageval.load_results(run).manifest
    assert m["status"] == "complete" and m["scorers"][0]["signature"].startswith("exact_match|")
    assert {"python", "numpy", "rageval"} <= set(m["versions"])
    assert m["fingerprint"].startswith("v2:") and len(m["fingerprint"]) == 19 and len(m["config_hash"]) == 16 and m["aggregate"] == {"exact_match": 1.0}
    saved = read_intervals(run)  # intervals are saved with every run
    assert saved["exact_match"].low == saved["exact_match"].high == 1.0


def test_the_fingerprint_is_taken_for_run_directories_only():
    """The dataset fingerprint guards a run directory's resume and costs a pass over every text
    cell: evaluate without output= leaves it None (the rest of the manifest is the same)."""
    data = [{"answer": "a", "reference": "a"}, {"answer": "b", "reference": "c"}]
    memory = rageval.evaluate(data, ["exact_match"], progress=False)
    assert memory.manifest["fingerprint"] is None and len(memory.manifest["config_hash"]) == 16
    with tempfile.TemporaryDirectory() as d:
        on_disk = rageval.evaluate(data, ["exact_match"], output=d, progress=False)
        assert on_disk.manifest["fingerprint"] == load_source(data).fingerprint(on_disk.manifest["fields"])
        assert on_disk.manifest["fingerprint"].startswith("v2:")
    assert dict(memory.aggregate) == dict(on_disk.aggregate)


def _rows(n):
    return [{"id": f"q{i}", "answer": f"a {i}", "reference": f"a {i % 3}"} for i in range(n)]


def test_a_truncated_part_is_named_set_aside_and_its_examples_scored_again(tmp_path):
    run = tmp_path / "run"
    whole = rageval.evaluate(_rows(60), ["token_f1"], output=run, batch_size=20, progress=False)
    parts = sorted((run / "examples").glob("*.parquet"))
    parts[1].write_bytes(parts[1].read_bytes()[:-40])  # cut its footer off
    with pytest.raises(rageval.RagevalError, match=r"part-000001\.parquet is corrupt or truncated"):
        rageval.load_results(run)
    with pytest.warns(UserWarning, match=r"part-000001\.parquet is corrupt.*scored again"):
        again = rageval.evaluate(_rows(60), ["token_f1"], output=run, batch_size=20, progress=False)
    assert again.aggregate == whole.aggregate and sorted(again.ids) == sorted(whole.ids)
    assert (run / "examples" / "part-000001.parquet.corrupt").exists()  # nothing is deleted
    assert rageval.load_results(run).aggregate == whole.aggregate


def test_a_flipped_byte_in_a_part_is_detected_by_its_checksum(tmp_path):
    run = tmp_path / "run"
    rageval.evaluate(_rows(30), ["token_f1"], output=run, progress=False)
    part = next((run / "examples").glob("*.parquet"))
    data = bytearray(part.read_bytes())
    data[len(data) // 3] ^= 0xFF
    part.write_bytes(bytes(data))
    with pytest.raises(rageval.RagevalError, match="corrupt or truncated"):
        rageval.load_results(run)


def test_leftover_temporary_parts_are_removed_on_resume_and_the_lock_comes_first(tmp_path):
    run = tmp_path / "run"
    rageval.evaluate(_rows(10), ["token_f1"], output=run, progress=False)
    leftover = run / "examples" / "part-000007.parquet.tmp-4242"
    leftover.write_bytes(b"half a part")
    rageval.evaluate(_rows(10), ["token_f1"], output=run, progress=False)
    assert not leftover.exists()


def test_an_interrupted_call_in_this_thread_does_not_lock_the_directory(tmp_path, monkeypatch):
    from rageval.run import rundir

    run, rows = str(tmp_path / "run"), _rows(30)
    write, calls = rundir.RunDir.write, []

    def interrupted(self, part):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        write(self, part)

    monkeypatch.setattr(rundir.RunDir, "write", interrupted)
    with pytest.raises(KeyboardInterrupt) as kept:  # kept: a notebook holds the traceback (and the open run)
        rageval.evaluate(rows, ["token_f1"], output=run, batch_size=10, progress=False)
    monkeypatch.undo()
    res = rageval.evaluate(rows, ["token_f1"], output=run, batch_size=10, progress=False)
    assert kept.value is not None and sorted(res.ids) == sorted(r["id"] for r in rows)
    assert res.aggregate == rageval.evaluate(rows, ["token_f1"], progress=False).aggregate


def test_another_thread_writing_the_directory_is_refused(tmp_path):
    import threading

    from rageval.run.rundir import RunDir

    run = str(tmp_path / "run")
    rageval.evaluate(_rows(5), ["token_f1"], output=run, progress=False)
    holder = RunDir(run, {})
    try:
        errors = []
        thread = threading.Thread(target=lambda: errors.append(
            pytest.raises(rageval.ConfigError, RunDir, run, {})))
        thread.start()
        thread.join()
        assert errors and "in use by another rageval process or thread" in str(errors[0].value)
    finally:
        holder.close()
