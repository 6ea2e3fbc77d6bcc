"""Data for the merge test (tests/test_merge_shards.py), family by family.

A family whose scorers need fields the merge test does not generate (detection boxes, images,
losses' tensors...) feeds them from a module here named after the registry family
(``detection.py`` for family ``"detection"``), defining

    def cases(name, cls, rng, params, specs) -> list[Case] | None

``name`` is the listed scorer name, ``cls`` its class, ``rng`` a `random.Random` seeded from the
name, ``params`` the constructor parameters the merge test already chose (a judge, a tiny model),
and ``specs(extra=None)`` returns a factory of fresh scorer objects with ``extra`` parameters.
Return the cases to shard (at least one; rows carry an ``id``), or None to let the merge test's
own generators handle the name. Nothing here is a test: the merge test runs every case.
"""
from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Case:
    """One evaluation to shard: scorers (specs or objects), generated rows, a tolerance."""

    label: str
    make: Callable[[], list]  # fresh scorer specs/objects for each evaluate call
    rows: list[dict[str, Any]]
    rtol: float = 1e-12
    atol: float = 1e-14
    roundtrip: bool = True  # score two shards through a run directory and load_results


def family_cases(family: str | None, name: str, cls: type, rng: random.Random, params: dict[str, Any],
                 specs: Callable[..., Callable[[], list]]) -> list[Case] | None:
    """The cases of ``family``'s module here for ``name``, or None (no module, or it declines)."""
    if not family:
        return None
    try:
        module = importlib.import_module(f"{__name__}.{family}")
    except ModuleNotFoundError as e:
        if e.name != f"{__name__}.{family}":
            raise
        return None
    return module.cases(name, cls, rng, params, specs)
