"""Helpers shared by the tests: reference implementations, fixtures, toy scorers, a local
OpenAI-compatible server, and the paths of the repository and of the shared data."""
from pathlib import Path

#: the repository root, and the shared data beside the checkout
REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
TESTS = REPO / "tests"
