"""Rows for the losses family (`rageval.scorers.losses`): per loss, generated examples in the
fields its scorer declares, and parameter settings; used by the merge test and by the scorer
tests (tests/scorers/losses/), which compare against torch.nn.functional on the same rows.

Losses registered in family "losses" by other modules (boxes, dense) feed the merge test from a
module ``losses_<part>.py`` beside this one, defining the same ``cases`` function."""
from __future__ import annotations

import importlib
import pkgutil
import random
from collections.abc import Callable
from typing import Any

import numpy as np

from support import merge_cases
from support.merge_cases import Case

C = 4  # classes


def _logits(g: np.random.Generator, shape: tuple[int, ...] = (C,)) -> np.ndarray:
    return g.normal(0, 2, shape)


def _regression(g: np.random.Generator, shape: tuple[int, ...]) -> dict[str, Any]:
    return {"y_pred": g.normal(0, 2, shape), "y_true": g.normal(0, 2, shape)}


def _classes(g: np.random.Generator) -> dict[str, Any]:
    return {"y_pred": _logits(g), "y_true": int(g.integers(0, C))}


def _pair(g: np.random.Generator, labels: tuple[int, int]) -> dict[str, Any]:
    return {"embedding1": g.normal(size=5), "embedding2": g.normal(size=5), "y_true": int(g.choice(labels))}


def _ctc(g: np.random.Generator) -> dict[str, Any]:
    steps = int(g.integers(6, 10))
    logits = g.normal(size=(steps, C))
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return {"y_pred": log_probs, "y_true": g.integers(1, C, int(g.integers(0, 4))).tolist()}


def _log_probs(g: np.random.Generator) -> np.ndarray:
    x = _logits(g)
    return x - np.log(np.exp(x).sum())


def _probs(g: np.random.Generator) -> np.ndarray:
    x = np.exp(_logits(g))
    return x / x.sum()


#: loss name -> (one generated example, parameter settings to score it with)
EXAMPLES: dict[str, tuple[Callable[[np.random.Generator], dict[str, Any]], list[dict[str, Any]]]] = {
    "mse_loss": (lambda g: _regression(g, (int(g.integers(1, 5)),)), [{}]),  # ragged: one call per example
    "l1_loss": (lambda g: _regression(g, ()), [{}]),
    "huber_loss": (lambda g: _regression(g, (2,)), [{}, {"delta": 0.5}]),
    "smooth_l1_loss": (lambda g: _regression(g, (2,)), [{}, {"beta": 0.3}, {"beta": 0.0}]),
    "log_cosh_loss": (lambda g: _regression(g, (3,)), [{}]),
    "quantile_loss": (lambda g: _regression(g, ()), [{}, {"quantile": 0.9}]),
    "poisson_nll_loss": (lambda g: {"y_pred": g.normal(size=3), "y_true": g.poisson(2.0, 3).astype(float)},
                         [{}, {"full": True}]),
    "gaussian_nll_loss": (lambda g: {**_regression(g, (2,)), "var": g.uniform(0.1, 3, 2)}, [{}, {"full": True}]),
    "cross_entropy": (lambda g: {"y_pred": _logits(g), "y_true": int(g.choice([0, 1, 2, 3, -100]))},
                      [{}, {"weight": [1.0, 2.0, 0.5, 3.0], "label_smoothing": 0.1}]),
    "nll_loss": (lambda g: {"y_pred": _log_probs(g), "y_true": int(g.integers(0, C))},
                 [{}, {"weight": [0.5, 1.0, 2.0, 4.0], "ignore_index": 2}]),
    "binary_cross_entropy": (lambda g: {"y_pred": g.uniform(0.01, 0.99, 3), "y_true": g.integers(0, 2, 3).astype(float)},
                             [{}]),
    "bce_with_logits": (lambda g: {"y_pred": _logits(g, (3,)), "y_true": g.integers(0, 2, 3).astype(float)},
                        [{}, {"pos_weight": [1.0, 3.0, 0.5]}]),
    "kl_div": (lambda g: {"y_pred": _log_probs(g), "y_true": _probs(g)}, [{}]),
    "focal_loss": (lambda g: {"y_pred": _logits(g, (3,)), "y_true": g.integers(0, 2, 3).astype(float)},
                   [{}, {"alpha": None, "gamma": 1.0}]),
    "poly1_loss": (_classes, [{}, {"epsilon": 2.0}]),
    "multi_margin_loss": (_classes, [{}, {"p": 2, "margin": 0.5}]),
    "hinge_embedding_loss": (lambda g: {"y_pred": g.uniform(0, 3, 3), "y_true": g.choice([-1.0, 1.0], 3)}, [{}]),
    "cosine_embedding_loss": (lambda g: _pair(g, (1, -1)), [{}, {"margin": 0.2}]),
    "contrastive_loss": (lambda g: _pair(g, (1, 0)), [{}, {"margin": 2.0}]),
    "triplet_margin_loss": (lambda g: {k: g.normal(size=5) for k in ("anchor", "positive", "negative")},
                            [{}, {"swap": True}]),
    "arcface_loss": (lambda g: {"y_pred": g.uniform(-0.95, 0.95, C), "y_true": int(g.integers(0, C))},
                     [{}, {"scale": 16.0, "margin": 0.3}]),
    "cosface_loss": (lambda g: {"y_pred": g.uniform(-0.95, 0.95, C), "y_true": int(g.integers(0, C))}, [{}]),
    "ctc_loss": (_ctc, [{}]),
}


def rows(name: str, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` generated examples for the loss ``name``, with ids."""
    g = np.random.default_rng(seed)
    make = EXAMPLES[name][0]
    return [{"id": f"{name}-{i:04d}", **make(g)} for i in range(n)]


def cases(name: str, cls: type, rng: random.Random, params: dict[str, Any],
          specs: Callable[..., Callable[[], list]]) -> list[Case] | None:
    if name not in EXAMPLES:  # the box and dense losses: their own modules losses_<part>.py here
        for module in pkgutil.iter_modules(merge_cases.__path__, f"{merge_cases.__name__}.losses_"):
            own = importlib.import_module(module.name).cases(name, cls, rng, params, specs)
            if own is not None:
                return own
        return None
    out = []
    for j, extra in enumerate(EXAMPLES[name][1]):
        data = rows(name, 120, rng.randrange(2**32))
        out.append(Case(f"{name}-{j}", specs(extra), data, rtol=1e-12, atol=1e-14))
    return out
