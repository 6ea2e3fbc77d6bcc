"""The multi-core path of the elementwise regression losses (`rageval.scorers.classic.parallel`:
numpy blocks on threads, for the Tweedie deviances with a scalar libm kernel) writes the same
statistics, bit for bit, as one thread, and every loss finds bad input in its losses (no separate
finiteness pass) as the checked read would: same field, same row, same message, on data above the
size where the threads start."""
from __future__ import annotations

import numpy as np
import pytest

import rageval
from rageval.core.errors import FieldError
from rageval.core.scorer import Batch
from rageval.scorers.classic import parallel

N = parallel.MIN_ELEMENTS + 12_345  # above the threshold, not a multiple of a block
#: the threaded losses (every other loss runs on one thread: nothing to compare)
CASES = [("poisson_deviance", {}), ("tweedie_deviance", {"power": 1.5}), ("tweedie_deviance", {"power": -0.5}),
         ("tweedie_deviance", {"power": 3.0})]


def data(name: str, weighted: bool) -> dict:
    rng = np.random.default_rng(7)
    t = rng.gamma(2.0, 3.0, N) + 0.01
    p = t * rng.lognormal(0, 0.4, N)
    if name in ("huber", "smape", "log_cosh", "mse"):  # signs, exact zeros, residuals around delta
        t, p = t * rng.choice([-1.0, 1.0], N), p * rng.choice([-1.0, 1.0], N)
        t[:100], p[50:150] = 0.0, 0.0
        p[200:300] = t[200:300] + rng.uniform(-1, 1, 100)
    batch = {"y_true": t, "y_pred": p}
    if weighted:
        batch["sample_weight"] = rng.uniform(0.0, 3.0, N)
    return batch


def one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_ELEMENTS", 1 << 62)


def test_the_chunks_cover_the_rows_in_order():
    assert parallel.run_chunks(lambda lo, hi: (lo, hi), 10, 4) == [(0, 10)]
    chunks = parallel.run_chunks(lambda lo, hi: (lo, hi), N, 1 << 15)
    assert chunks[0][0] == 0 and chunks[-1][1] == N and all(a[1] == b[0] for a, b in zip(chunks, chunks[1:]))
    assert len(chunks) == min(parallel.cores(), -(-N // (1 << 15)))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name,params", CASES)
def test_same_statistics_bit_for_bit(name, params, weighted, monkeypatch):
    batch = data(name, weighted)
    s = rageval.get_scorer(name, **params)
    assert s.threaded
    fast = np.asarray(s.make_stats(Batch(batch)))
    one_thread(monkeypatch)
    slow = np.asarray(s.make_stats(Batch(batch)))
    np.testing.assert_array_equal(fast, slow)
    assert s.reduce(s.make_stats(Batch(batch))) == s.reduce(rageval.core.statistics.Rows(fast))


@pytest.mark.parametrize("name", ["huber", "smape", "poisson_deviance"])
def test_bad_input_found_in_the_losses_names_its_field_and_row(name, monkeypatch):
    def error(batch):
        with pytest.raises(FieldError) as e:
            rageval.get_scorer(name).make_stats(Batch(batch))
        return e.value.field, e.value.row, str(e.value)

    cases = []
    for field, row, value in (("y_pred", N - 3, np.nan), ("y_true", 5, np.inf), ("y_pred", 77_777, -np.inf)):
        batch = data(name, True)
        batch[field] = batch[field].copy()
        batch[field][row] = value
        cases.append((batch, field, row))
    both = data(name, False)  # y_true's error comes first, as when each column is checked on reading
    both["y_true"], both["y_pred"] = both["y_true"].copy(), both["y_pred"].copy()
    both["y_true"][90_000], both["y_pred"][3] = np.nan, np.nan
    cases.append((both, "y_true", 90_000))
    got = [error(batch) for batch, _, _ in cases]
    assert [g[:2] for g in got] == [(field, row) for _, field, row in cases]
    one_thread(monkeypatch)
    assert [error(batch) for batch, _, _ in cases] == got


@pytest.mark.parametrize("ties", [False, True])
def test_rank_correlations_rank_both_columns_on_threads_with_scipys_values(ties, monkeypatch):
    """spearman and kendall rank y_true and y_pred on two threads (`parallel.run_all`) above the
    threshold: scipy's values, and the same bits as one thread; the calls come back in order."""
    import scipy.stats

    assert parallel.run_all([lambda: 1, lambda: 2, lambda: 3], N) == [1, 2, 3]
    rng = np.random.default_rng(3)
    t = rng.normal(size=N)
    p = t + rng.normal(size=N)
    if ties:
        t, p = np.round(t, 1), np.round(p, 1)
    batch = Batch({"y_true": t, "y_pred": p})
    want = {"spearman": scipy.stats.spearmanr(t, p).statistic, "kendall": scipy.stats.kendalltau(t, p).statistic}
    threaded = {k: rageval.get_scorer(k).reduce(rageval.get_scorer(k).make_stats(batch))[k] for k in want}
    one_thread(monkeypatch)
    single = {k: rageval.get_scorer(k).reduce(rageval.get_scorer(k).make_stats(batch))[k] for k in want}
    assert threaded == single
    for k in want:
        assert threaded[k] == pytest.approx(want[k], rel=1e-12, abs=1e-15)
