"""The default judge's fitted weights: one logistic model per primitive over its features.

Fitted by ``python -m rageval.metaeval.fit`` (which prints this literal), on the dev splits of the
human-labelled meta-evaluation sets only; the test splits were never read:

* ``support``: WiCE dev oracle-chunk rows and Q² dev rows (premise = the row's contexts joined,
  claim = the whole answer), each labelled with its unit's human label;
* ``relevance``: ClapNQ dev (question, passage);
* ``agreement``: EVOUNA NQ and TQ dev (answer, each gold alternative), a row's features the maximum
  over its alternatives.

Each set has the same total weight and within a set both classes do; the model is scikit-learn's
L2-regularised logistic regression with C=1, coefficients rounded to 4 decimals. These are the
weights of judge version 3; `rageval/metaeval/RESULTS.md` gives their dev and held-out test AUROCs.
The judge's signature holds a digest of them, so a refit changes every signature it enters.
"""
from __future__ import annotations

#: primitive -> (feature names, coefficients, intercept); the judge's value is
#: σ(intercept + Σᵢ coefficientᵢ · featureᵢ), the features in the order named
WEIGHTS: dict[str, tuple[tuple[str, ...], tuple[float, ...], float]] = {
    "support": (("coverage", "numbers", "names", "similarity", "order"),
                (2.9243, 1.604, 0.5747, 1.0315, 1.0777), -5.0485),
    "relevance": (("bm25", "similarity", "window_similarity"), (2.1879, 3.7629, 2.9279), -4.1919),
    "agreement": (("contains", "compact_contains", "recall", "precision"), (0.2981, 2.6731, 3.1216, 2.1357), -3.0757),
}
