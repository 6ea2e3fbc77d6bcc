import os
import sys

# one intra-op thread per test process (before torch is imported): the suite runs as `-n 2` workers
# on 2 cores, and two workers each with torch's thread pool stall each other (a merge-test case of
# ms_ssim_loss took 7-18 s instead of 1 s); set OMP_NUM_THREADS to override
os.environ.setdefault("OMP_NUM_THREADS", "1")

# test helpers (reference implementations, fixtures, toy scorers) are the `support` package here
sys.path.insert(0, os.path.dirname(__file__))


import pytest  # noqa: E402


@pytest.fixture(scope="module")
def torch_one_thread():
    """Tiny models run faster on one thread than two, and are immune to a busy shared machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
