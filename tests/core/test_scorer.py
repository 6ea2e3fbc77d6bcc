"""The scorer base classes' shared arithmetic on edge shapes."""
from __future__ import annotations

import numpy as np
import pytest

import rageval
from rageval.core.scorer import MeanScorer, WeightedMeanScorer
from rageval.core.statistics import Rows


@pytest.mark.parametrize("name, params, batch", [
    ("exact_match", {}, {"answer": ["a", "b"], "references": [["a"], ["c"]]}),
    ("top_k_accuracy", {"k": 1}, {"y_true": [0, 1], "y_score": [[0.9, 0.1], [0.8, 0.2]]}),
])
def test_mean_scorers_on_no_rows(name, params, batch):
    """example_scores and sum_rows of zero rows (a shard or resample with no example) are empty,
    keyed like reduce, whatever the stored width; one-row statistics keep their values."""
    s = rageval.get_scorer(name, **params)
    assert isinstance(s, MeanScorer)
    stats = s.make_stats(rageval.core.scorer.Batch(batch))
    for none in (stats.take([]), Rows(np.empty((0, 0))), Rows.missing(0)):
        per = s.example_scores(none)
        assert list(per) == s.keys() and all(v.shape == (0,) for v in per.values())
        assert s.sum_rows(none).shape[0] == 0
    per = s.example_scores(stats)
    assert per[s.key].tolist() == [1.0, 0.0]
    if isinstance(s, WeightedMeanScorer):
        assert s.sum_rows(stats).tolist() == [[1.0, 1.0], [0.0, 1.0]]
