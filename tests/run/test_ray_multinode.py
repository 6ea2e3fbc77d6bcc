"""backend="ray" on a real multi-node cluster started on this machine (`ray.cluster_utils.Cluster`): a
head node without CPUs, where the driver connects, and two worker nodes of one CPU each, every node its
own raylet and object store, so tasks, their outputs and the parts they write live on other nodes than
the driver. Results equal the local run; a node lost mid-run is resumed from the parts written, no
example scored twice or missing."""
import os
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
import ray
import ray.cloudpickle
import ray.data
from ray._common.utils import reset_ray_address
from ray.cluster_utils import Cluster
from support import TESTS
from support.slow_scorer import Slow

import rageval
from rageval.core.scorer import MeanScorer
from rageval.results.store import part_files

ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import a test module

TEXT = ["bleu", "chrf", "rougeL", "token_f1", "exact_match"]
RETRIEVAL = ["ndcg@10", "map", "recall@5", "mrr"]
CLASSIC = ["accuracy", ("f1", {"average": "macro"}), "mse"]


def rows(n, seed=0):
    rng = np.random.default_rng(seed)
    words = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "ünïcode", "日本"]
    return [{"id": f"q{i}", "answer": " ".join(rng.choice(words, rng.integers(0, 9))),
             "reference": " ".join(rng.choice(words, rng.integers(1, 9))),
             "retrieved_ids": [f"d{j}" for j in rng.permutation(12)[:rng.integers(0, 11)]],
             "relevant_ids": {f"d{j}": int(rng.integers(1, 3)) for j in rng.permutation(12)[:rng.integers(1, 4)]},
             "y_true": int(rng.integers(0, 3)), "y_pred": int(rng.integers(0, 3))} for i in range(n)]


def assert_same(res, ref, drop=()):
    assert res.ids == ref.ids
    assert {k: v for k, v in res.aggregate.items() if k not in drop} == dict(ref.aggregate)
    pd.testing.assert_frame_equal(res.to_pandas().drop(columns=list(drop)), ref.to_pandas())
    pd.testing.assert_frame_equal(res.errors, ref.errors)


def run_table(path, drop=""):
    table = pd.concat([pd.read_parquet(f) for f in part_files(str(path))]).sort_values("_row").reset_index(drop=True)
    return table.drop(columns=[c for c in table if drop and drop in c])


@pytest.fixture(scope="module")
def cluster():
    """Head (0 CPUs: the driver's node) + 2 worker nodes × 1 CPU, for the module."""
    if ray.is_initialized():
        ray.shutdown()
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    reset_ray_address()  # a plain ray.init() in another test process must not join this cluster
    for _ in range(2):
        c.add_node(num_cpus=1)
    path = os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    ray.init(address=c.address, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": path}})
    ctx = ray.data.DataContext.get_current()
    progress, ctx.enable_progress_bars = ctx.enable_progress_bars, False
    yield c
    ctx.enable_progress_bars = progress
    ray.shutdown()
    c.shutdown()


@pytest.fixture
def two_workers(cluster):
    """The cluster with two live worker nodes again (a test may have removed one)."""
    while len(cluster.worker_nodes) < 2:
        cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    return cluster


def test_two_nodes_give_the_local_results(two_workers, tmp_path):
    data = rows(300)
    scorers = TEXT + RETRIEVAL + CLASSIC
    where = str(tmp_path / "nodes.log")
    ref = rageval.evaluate(data, scorers, batch_size=20, output=str(tmp_path / "local"), progress=False)
    res = rageval.evaluate(data, scorers + [Where(where)], batch_size=20, output=str(tmp_path / "ray"),
                           progress=False, backend="ray")
    assert_same(res, ref, drop=("where",))
    workers = {n.node_id for n in two_workers.worker_nodes}
    assert set(open(where).read().split()) == workers  # both worker nodes scored, the head none
    assert res.manifest["backend"]["nodes"] == 3 and res.manifest["backend"]["cpus"] == 2
    pd.testing.assert_frame_equal(run_table(tmp_path / "ray", drop="where"), run_table(tmp_path / "local"))
    flat = [{k: v for k, v in r.items() if k != "relevant_ids"} for r in data]  # Arrow makes graded dicts structs
    ref = rageval.evaluate(flat, TEXT + CLASSIC, batch_size=20, progress=False)
    assert_same(rageval.evaluate(ray.data.from_items(flat, override_num_blocks=9), TEXT + CLASSIC, batch_size=20,
                                 progress=False), ref)


def remove_when_flagged(cluster, flag, removed):
    """Test thread: once a task has written its node's id to ``flag``, remove that node (kill its
    raylet, object store and workers, as a machine lost)."""
    deadline = time.time() + 120
    while not os.path.exists(flag) and time.time() < deadline:
        time.sleep(0.02)
    if not os.path.exists(flag):
        return
    node_id = open(flag).read().strip()
    node = next(n for n in cluster.worker_nodes if n.node_id == node_id)
    cluster.remove_node(node, allow_graceful=False)
    removed.append(node_id)


def lose_a_node(cluster, data, log, flag, run, **options):
    """Score ``data`` with a `NodeLoser` on victim q75 while a thread removes the node its batch runs on."""
    removed = []
    thread = threading.Thread(target=remove_when_flagged, args=(cluster, flag, removed), daemon=True)
    thread.start()
    try:
        return rageval.evaluate(data, [NodeLoser(log, flag, "q75")], output=run, batch_size=10, progress=False,
                                backend="ray", **options)
    finally:
        thread.join(timeout=150)
        assert removed, "no node was removed"
        wait_until_dead(removed[0])


def wait_until_dead(node_id: str, timeout: float = 90) -> None:
    """Wait until Ray's control store counts the removed node dead: until then (health checks, up to
    ~15 s on a busy machine) a rerun's tasks or actors may still be placed on it, and die with it."""
    deadline = time.time() + timeout
    while any(n["NodeID"] == node_id and n["Alive"] for n in ray.nodes()):
        assert time.time() < deadline, f"node {node_id} still counted alive after {timeout} s"
        time.sleep(0.2)


@pytest.mark.parametrize("kind", ["driver", pytest.param("ray_dataset", marks=pytest.mark.slow)])
def test_a_lost_node_is_resumed_without_rescoring(kind, two_workers, tmp_path):
    """Retries off (``max_retries=0``): losing a node stops the run; the rerun on the nodes left (and a
    new one) scores only the examples without a part. Slow for a Ray dataset: one more cluster run (~25 s)."""
    log, flag, run = str(tmp_path / "calls.log"), str(tmp_path / "lost"), str(tmp_path / "run")
    rows_ = [{"id": f"q{i}", "answer": "x" * i} for i in range(120)]
    data = rows_ if kind == "driver" else ray.data.from_items(rows_, override_num_blocks=12)
    with pytest.raises(Exception):  # noqa: B017 - Ray reports the lost task in its own exception types
        lose_a_node(two_workers, data, log, flag, run, ray_options={"max_retries": 0})
    finished = set(run_table(run)["id"])
    assert finished and "q75" not in finished
    first = open(log).read().split()
    two_workers.add_node(num_cpus=1)  # a replacement node joins
    data = rows_ if kind == "driver" else ray.data.from_items(rows_, override_num_blocks=12)
    res = rageval.evaluate(data, [NodeLoser(log, flag, "q75")], output=run, batch_size=10, progress=False,
                           backend="ray", ray_options={"max_retries": 0})
    rescored = open(log).read().split()[len(first):]
    assert not finished & set(rescored), "finished examples were scored again"
    assert sorted(finished | set(rescored)) == sorted(r["id"] for r in rows_)
    table = run_table(run)
    assert len(table) == 120 and table["id"].is_unique
    assert_same(res, rageval.evaluate(rows_, [Slow(str(tmp_path / "clean.log"))], progress=False))


@pytest.mark.slow  # a cluster run with a node lost and Ray's reruns (~20 s)
def test_a_lost_nodes_tasks_are_rerun_by_ray_on_the_nodes_left(two_workers, tmp_path):
    """Ray's own retries (the default): the lost node's tasks run again on the node left, the run
    finishes with every example in exactly one part, and a rerun scores nothing."""
    log, flag, run = str(tmp_path / "calls.log"), str(tmp_path / "lost"), str(tmp_path / "run")
    rows_ = [{"id": f"q{i}", "answer": "x" * i} for i in range(120)]
    res = lose_a_node(two_workers, rows_, log, flag, run)
    assert open(log).read().split().count("q75") == 2  # the lost attempt and its rerun
    table = run_table(run)
    assert len(table) == 120 and table["id"].is_unique
    clean = rageval.evaluate(rows_, [Slow(str(tmp_path / "clean.log"))], progress=False)
    assert_same(res, clean)
    before = len(open(log).read().split())
    assert_same(rageval.evaluate(rows_, [NodeLoser(log, flag, "q75")], output=run, progress=False, backend="ray"),
                clean)
    assert len(open(log).read().split()) == before  # nothing scored again


class Where(MeanScorer):
    """Scores 0 and logs the id of the Ray node each batch ran on."""

    name = "where"
    fields = ("answer",)

    def __init__(self, log):
        super().__init__(log=log)

    def score_batch(self, batch):
        with open(self.params["log"], "a") as fh:
            fh.write(ray.get_runtime_context().get_node_id() + "\n")
        return np.zeros(len(batch["answer"]))


class NodeLoser(Slow):
    """`Slow` that, on the batch holding ``victim`` (once: a flag file), writes its node's id to the
    flag and waits there for the test to remove the node."""

    name = "slow"

    def __init__(self, log, flag, victim):
        super().__init__(log)
        self.flag, self.victim = flag, victim

    def score_batch(self, batch):
        values = super().score_batch(batch)
        if self.victim in batch["id"] and not os.path.exists(self.flag):
            with open(self.flag + ".tmp", "w") as fh:
                fh.write(ray.get_runtime_context().get_node_id())
            os.replace(self.flag + ".tmp", self.flag)
            time.sleep(120)  # the node is removed meanwhile
        return values
