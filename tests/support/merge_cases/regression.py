"""Merge-test data for the regression scorers whose reference refuses the built-in generator's data:
msle/rmsle (values <= -1), the deviances (y < 0 or y <= 0, y_pred <= 0) and max_error/the deviances
(no multi-output). They get positive single-output rows (with zeros in y_true where the deviance
allows them, and one out-of-domain row: an error for that example); the others return None."""
from __future__ import annotations

from support.merge_cases import Case

POSITIVE = {"msle": 0.0, "rmsle": 0.0, "poisson_deviance": 0.2, "gamma_deviance": 0.0, "tweedie_deviance": 0.0,
            "max_error": 0.0}


def rows(rng, n, zeros, weights, bad):
    out = []
    for i in range(n):
        t = 0.0 if rng.random() < zeros else rng.choice([rng.uniform(0.01, 5), rng.uniform(100, 1e4)])
        row = {"id": f"r{i}", "y_true": t, "y_pred": t * rng.lognormvariate(0, 0.3) + 0.01}
        if weights:
            row["sample_weight"] = rng.uniform(0.01, 5.0)
        out.append(row)
    if bad:
        out[n // 2]["y_true"] = -2.0  # out of every listed scorer's domain but max_error's
    return out


def cases(name, cls, rng, params, specs):
    if name not in POSITIVE:
        return None
    weighted = "sample_weight" in cls.optional_fields
    out = [Case("positive", specs(), rows(rng, 150, POSITIVE[name], False, name != "max_error"))]
    if weighted:
        out.append(Case("positive-w", specs(), rows(rng, 150, POSITIVE[name], True, True)))
    if name == "tweedie_deviance":
        out.append(Case("power-1.5", specs({"power": 1.5}), rows(rng, 120, 0.2, True, True)))
    return out
