import os
import sys

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
