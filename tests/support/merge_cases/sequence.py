"""Merge-test data for the sequence-level family: ``token_logprobs`` of varying lengths (1 to 40
tokens, log-probabilities from near 0 down to -12), given as lists and as numpy arrays."""
from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import numpy as np

from support.merge_cases import Case


def cases(name: str, cls: type, rng: random.Random, params: dict[str, Any],
          specs: Callable[..., Callable[[], list]]) -> list[Case] | None:
    if name != "perplexity":
        return None
    rows = []
    for i in range(120):
        logp = [math.log(rng.uniform(1e-5, 1.0)) for _ in range(rng.randint(1, 40))]
        rows.append({"id": f"{name}-{i:04d}", "token_logprobs": np.array(logp) if i % 2 else logp})
    return [Case("token_logprobs", specs(), rows)]
