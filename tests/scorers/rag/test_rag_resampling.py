"""Judge-based scorers resample through `sum_rows`/`reduce_sums`: the same values as `reduce`."""
import numpy as np
import pytest

from rageval.core.registry import get_scorer
from rageval.stats.resampling import Replicator, bootstrap_indices, summed_reducer


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("name", ["faithfulness", "context_relevance", "answer_correctness"])
def test_vectorised_resamples_equal_reduce(name, seed):
    rng = np.random.default_rng(seed)
    scorer = get_scorer(name, judge="lexical")
    n = int(rng.integers(1, 40))
    stats = [{"score": None, "flag": "no_claims"} if rng.random() < 0.3 else {"score": float(rng.random()), "flag": None}
             for _ in range(n)]
    assert summed_reducer(scorer) is not None
    fast = Replicator(scorer, stats).bootstrap(50, seed)
    for i, idx in enumerate(next(bootstrap_indices(n, 50, seed))):
        expected = scorer.reduce(scorer.stats_kind.coerce(stats).take(idx))
        for key, value in expected.items():
            assert fast[key][i] == pytest.approx(value, rel=1e-12, nan_ok=True)
