"""Bootstrap confidence intervals: identical to sacrebleu's ``corpus_score(n_bootstrap=...)`` on
BLEU and chrF, the vectorised path equal to the generic reduce-per-resample path, and ``ci.json``."""
from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
import sacrebleu
from sacrebleu.significance import estimate_ci
from support import SHARED
from support.slow_scorer import Judged, JudgedWithHooks

import rageval
from rageval.core.scorer import MeanScorer, Scorer
from rageval.core.statistics import Records
from rageval.results.store import CI_FILE, read_intervals, write_intervals
from rageval.stats import resampling
from rageval.stats.bootstrap import confidence_intervals, percentile_bounds
from rageval.stats.resampling import Replicator, summed_reducer

SHARED_DATA = os.path.join(SHARED, "data")
VOCAB = "the a cat dog sat on mat ran fast slow , . ! 1 2 3 é ü 東京 &amp; <b>".split()


def corpus(seed: int, n: int) -> tuple[list[str], list[str]]:
    """Random hypotheses and single references over a small vocabulary (many partial matches)."""
    rng = np.random.default_rng(seed)

    def sent() -> str:
        return " ".join(rng.choice(VOCAB, size=rng.integers(0, 12)))
    refs = [sent() for _ in range(n)]
    hyps = [r if rng.random() < 0.2 else sent() for r in refs]
    return hyps, refs


def evouna(n: int = 300) -> tuple[list[str], list[str]]:
    path = os.path.join(SHARED_DATA, "evouna", "NQ.json")
    if not os.path.exists(path):
        pytest.skip(f"real data folder absent ({path}); CI has it")
    rows = [r for r in json.load(open(path, encoding="utf-8")) if not r.get("improper")][:n]
    return [r["answer_gpt35"] for r in rows], [r["golden_answer"].split("/")[0] for r in rows]


def bleu_interval(hyps, refs, n_bootstrap, **params):
    res = rageval.evaluate([{"id": str(i), "answer": h, "references": [r]} for i, (h, r) in enumerate(zip(hyps, refs))],
                           scorers=[("bleu", params)] if params else ["bleu"])
    return res, confidence_intervals(res, n=n_bootstrap)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("n_bootstrap", [40, 1000])
def test_bleu_interval_equals_sacrebleu(seed, n_bootstrap):
    hyps, refs = corpus(seed, 20 + 15 * seed)
    res, ci = bleu_interval(hyps, refs, n_bootstrap)
    ref = sacrebleu.BLEU().corpus_score(hyps, [refs], n_bootstrap=n_bootstrap)
    assert ci["bleu"].value == pytest.approx(ref.score, abs=1e-9)
    # sacrebleu computes resampled scores in float32 arithmetic; rageval in float64
    assert ci["bleu"].mean == pytest.approx(ref._mean, rel=1e-5, abs=1e-6)
    assert ci["bleu"].half_width == pytest.approx(ref._ci, rel=1e-5, abs=1e-6)
    assert ci["bleu"].low <= ci["bleu"].high


def test_bleu_interval_equals_sacrebleu_on_real_answers():
    hyps, refs = evouna()
    _, ci = bleu_interval(hyps, refs, 1000)
    ref = sacrebleu.BLEU().corpus_score(hyps, [refs], n_bootstrap=1000)
    assert (ci["bleu"].mean, ci["bleu"].half_width) == pytest.approx((ref._mean, ref._ci), rel=1e-5)


@pytest.mark.parametrize("params", [{"tokenize": "intl"}, {"smooth_method": "floor"}, {"lowercase": True},
                                    {"effective_order": True}])
def test_bleu_interval_with_parameters(params):
    hyps, refs = corpus(99, 60)
    _, ci = bleu_interval(hyps, refs, 500, **params)
    ref = sacrebleu.BLEU(**params).corpus_score(hyps, [refs], n_bootstrap=500)
    assert (ci["bleu"].mean, ci["bleu"].half_width) == pytest.approx((ref._mean, ref._ci), rel=1e-5, abs=1e-6)


def test_chrf_interval_equals_sacrebleu():
    hyps, refs = corpus(5, 80)
    res = rageval.evaluate([{"id": str(i), "answer": h, "references": [r]} for i, (h, r) in enumerate(zip(hyps, refs))],
                           scorers=["chrf"])
    ci = confidence_intervals(res, n=1000)
    ref = sacrebleu.CHRF().corpus_score(hyps, [refs], n_bootstrap=1000)
    assert (ci["chrf"].mean, ci["chrf"].half_width) == pytest.approx((ref._mean, ref._ci), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("n", [1, 2, 39, 40, 41, 80, 999, 1000, 1001, 4000])
def test_percentile_rule_is_sacrebleus(n):
    values = np.random.default_rng(n).normal(size=n)
    low, high, mean = percentile_bounds(values, 0.05)
    ref_mean, ref_half = estimate_ci(values)
    assert mean == pytest.approx(ref_mean) and (high - low) / 2 == pytest.approx(ref_half)
    assert low == np.sort(values)[n // 40] and high == np.sort(values)[n - n // 40 - 1]


def test_percentile_rule_other_alpha_and_nan():
    v = np.arange(100.0)
    assert percentile_bounds(v, 0.1)[:2] == (5.0, 94.0)
    assert percentile_bounds(np.r_[v, np.nan], 0.1)[:2] == (5.0, 94.0)
    assert all(math.isnan(x) for x in percentile_bounds(np.full(3, np.nan)))
    with pytest.raises(ValueError, match="alpha"):
        percentile_bounds(v, 1.5)


# --- the generic path: any scorer through reduce, and the vectorised path equal to it --------
class RatioOfSums(Scorer):
    """A corpus-type scorer: sum(tp) / sum(tp + fp), which is not a mean of per-example values."""

    name = "ratio"
    parts = ("tp",)

    def stats(self, batch):
        return np.array([[t, f] for t, f in zip(batch["tp"], batch["fp"])], dtype=np.float64)

    def reduce(self, stats):
        s = np.asarray(stats).sum(axis=0)
        return {"ratio": s[0] / s.sum() if s.sum() else math.nan, "ratio.tp": float(s[0])}


class Median(Scorer):
    """Variable statistics (a list per example), reduced by a median over all items."""

    name = "median"
    stats_kind = Records

    def stats(self, batch):
        return [list(map(float, x)) for x in batch["items"]]

    def reduce(self, stats):
        items = [v for s in stats for v in s]
        return {"median": float(np.median(items)) if items else math.nan}


class GenericMean(MeanScorer):
    """A MeanScorer whose reduce is overridden, so it takes the generic path."""

    name = "generic_mean"

    def score_batch(self, batch):
        return batch["x"]

    def reduce(self, stats):
        return MeanScorer.reduce(self, stats)


class FastMean(GenericMean):
    name = "fast_mean"
    reduce = MeanScorer.reduce
    reduce_sums = MeanScorer.reduce_sums  # declared beside reduce: the pair goes together


def reference_interval(scorer, stats, n, seed=12345):
    """sacrebleu's procedure written out: its index draw, reduce per resample, estimate_ci."""
    idx = np.random.default_rng(seed).choice(len(stats), size=(n, len(stats)), replace=True)
    values = np.array([scorer.reduce(scorer.stats_kind.coerce(stats).take(row))[scorer.key] for row in idx])
    return estimate_ci(values)


@pytest.mark.parametrize("seed", range(8))
def test_generic_path_corpus_scorer(seed):
    rng = np.random.default_rng(seed)
    s = RatioOfSums()
    stats = s.stats({"tp": rng.integers(0, 5, 50), "fp": rng.integers(0, 5, 50)})
    assert summed_reducer(s) is None
    low, high, mean = percentile_bounds(Replicator(s, stats).bootstrap(300)["ratio"])
    assert (mean, (high - low) / 2) == pytest.approx(reference_interval(s, stats, 300))


@pytest.mark.parametrize("seed", range(8))
def test_generic_path_variable_stats(seed):
    rng = np.random.default_rng(seed)
    s = Median()
    stats = s.stats({"items": [rng.normal(size=rng.integers(1, 5)) for _ in range(30)]})
    low, high, mean = percentile_bounds(Replicator(s, stats).bootstrap(200)["median"])
    assert (mean, (high - low) / 2) == pytest.approx(reference_interval(s, stats, 200))


@pytest.mark.parametrize("seed", range(20))
def test_vectorised_mean_equals_generic(seed):
    rng = np.random.default_rng(seed)
    x = rng.random(int(rng.integers(1, 200)))
    fast, slow = FastMean(), GenericMean()
    assert summed_reducer(fast) is not None and summed_reducer(slow) is None
    stats = fast.stats({"x": x})
    a, b = Replicator(fast, stats).bootstrap(100, seed), Replicator(slow, stats).bootstrap(100, seed)
    np.testing.assert_allclose(a["fast_mean"], b["generic_mean"], rtol=1e-12)


def test_chunked_draws_equal_sacrebleus_single_draw(monkeypatch):
    monkeypatch.setattr(resampling, "CHUNK_ENTRIES", 50 * 7)  # 7 resamples a chunk
    chunks = list(resampling.bootstrap_indices(50, 300, seed=11))
    assert len(chunks) > 1
    one = np.random.default_rng(11).choice(50, size=(300, 50), replace=True)
    np.testing.assert_array_equal(np.concatenate(chunks), one)


class Picky(MeanScorer):
    """Fails on the examples whose answer is "boom" (evaluate records an error for each)."""

    name = "picky"
    fields = ("answer",)

    def score_batch(self, batch):
        if "boom" in batch["answer"]:
            raise ValueError("boom")
        return [len(a) for a in batch["answer"]]


def test_failed_examples_are_left_out():
    data = [{"id": str(i), "answer": "boom" if i % 4 == 0 else "x" * (i % 7)} for i in range(40)]
    res = rageval.evaluate(data, scorers=[Picky()])
    r = res.by_scorer["picky"]
    assert len(r.ids) == 30 and len(r.errors) == 10
    ci = confidence_intervals(res, n=200)["picky"]
    assert ci.n_examples == 30
    assert (ci.mean, ci.half_width) == pytest.approx(reference_interval(r.scorer, r.stats, 200))


def test_every_aggregate_key_and_ci_json(tmp_path):
    hyps, refs = corpus(3, 50)
    data = [{"id": str(i), "answer": h, "references": [r]} for i, (h, r) in enumerate(zip(hyps, refs))]
    res = rageval.evaluate(data, scorers=["bleu", "exact_match", "token_f1"], output=str(tmp_path / "run"))
    ci = write_intervals(res, tmp_path / "run", n=200, seed=7)
    assert set(ci) == set(res.aggregate)
    for k, iv in ci.items():
        assert iv.value == res.aggregate[k] and iv.n_resamples == 200
    assert read_intervals(tmp_path / "run") == ci
    record = json.load(open(tmp_path / "run" / CI_FILE))
    assert record["seed"] == 7 and record["config_hash"] == res.manifest["config_hash"]
    # a reloaded run gives the same intervals
    assert confidence_intervals(rageval.load_results(tmp_path / "run"), n=200, seed=7) == ci


def test_mean_interval_matches_reference_procedure():
    res = rageval.evaluate([{"id": str(i), "answer": a, "references": ["b c"]}
                            for i, a in enumerate(["b", "b c", "c", "x", "b c d"] * 8)], scorers=["token_f1"])
    ci = confidence_intervals(res, n=500, seed=3)["token_f1"]
    r = res.by_scorer["token_f1"]
    mean, half = reference_interval(r.scorer, r.stats, 500, seed=3)
    assert (ci.mean, ci.half_width) == pytest.approx((mean, half))


def test_bad_arguments():
    res = rageval.evaluate([{"id": "1", "answer": "a", "references": ["a"]}], scorers=["exact_match"])
    with pytest.raises(ValueError, match="positive"):
        confidence_intervals(res, n=0)


@pytest.mark.parametrize("seed", range(6))
def test_shared_axis_with_failures_vectorised_equals_generic(seed):
    """A resample of the shared example axis keeps the drawn examples the scorer succeeded on."""
    rng = np.random.default_rng(seed)
    n = 40
    positions = np.arange(n)
    failed = rng.random(n) < 0.3
    positions[failed] = -1
    positions[~failed] = np.arange((~failed).sum())
    stats = FastMean().stats({"x": rng.random((~failed).sum())})
    fast = Replicator(FastMean(), stats, positions).bootstrap(200, seed)["fast_mean"]
    slow = Replicator(GenericMean(), stats, positions).bootstrap(200, seed)["generic_mean"]
    np.testing.assert_allclose(fast, slow, rtol=1e-12)
    idx = np.random.default_rng(seed).choice(n, size=(200, n), replace=True)
    expected = [stats[positions[row][positions[row] >= 0], 0].mean() for row in idx]
    np.testing.assert_allclose(fast, expected, rtol=1e-12)


class HookedRatio(RatioOfSums):
    """The proposed ``reduce_sums`` hook: the metric of many example sets from their column sums."""

    calls = 0

    def reduce_sums(self, sums, counts):
        HookedRatio.calls += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            return {"ratio": sums[:, 0] / sums.sum(axis=1), "ratio.tp": sums[:, 0]}


class HookedButReduceOverridden(HookedRatio):
    def reduce(self, stats):
        return {k: v + 1 for k, v in RatioOfSums.reduce(self, stats).items()}


def test_reduce_sums_hook_is_used_only_with_its_reduce():
    rng = np.random.default_rng(0)
    stats = RatioOfSums().stats({"tp": rng.integers(0, 5, 50), "fp": rng.integers(0, 5, 50)})
    assert summed_reducer(HookedRatio()) is not None and summed_reducer(HookedButReduceOverridden()) is None
    fast = Replicator(HookedRatio(), stats).bootstrap(300)["ratio"]
    assert HookedRatio.calls == 1  # one vectorised call for all resamples
    np.testing.assert_allclose(fast, Replicator(RatioOfSums(), stats).bootstrap(300)["ratio"], rtol=1e-12)
    np.testing.assert_allclose(Replicator(HookedButReduceOverridden(), stats).bootstrap(300)["ratio"], fast + 1)


def test_sacrebleu_scorers_take_the_vectorised_path():
    for name in ("bleu", "chrf", "ter"):
        assert summed_reducer(rageval.get_scorer(name)) is not None, name
    assert summed_reducer(rageval.get_scorer("token_f1")) is not None


@pytest.mark.parametrize("seed", range(5))
def test_variable_stats_with_sum_hooks_equal_generic(seed):
    rng = np.random.default_rng(seed)
    values = np.where(rng.random(60) < 0.2, -1.0, rng.random(60))
    stats = Judged().stats({"s": values})
    assert summed_reducer(Judged()) is None and summed_reducer(JudgedWithHooks()) is not None
    fast = Replicator(JudgedWithHooks(), stats).bootstrap(200, seed)
    slow = Replicator(Judged(), stats).bootstrap(200, seed)
    for k in ("judged", "judged.flagged"):
        np.testing.assert_allclose(fast[k], slow[k], rtol=1e-12)


@pytest.mark.parametrize("chunk", [None, 3000])
def test_shared_draws_equal_each_scorers_own_bootstrap(monkeypatch, chunk):
    """confidence_intervals draws the resamples once for every summed scorer on the same axis;
    each scorer's replicates equal its own bootstrap exactly, also across several chunks, beside
    scorers on other axes (one failed example) and order-based ones (their own draws)."""
    from rageval.stats.resampling import bootstrap_many

    if chunk:
        monkeypatch.setattr(resampling, "CHUNK_ENTRIES", chunk)

    class FailsOnThird(MeanScorer):
        name = "fails_on_third"
        fields = ("answer",)

        def score_batch(self, batch):
            if "third" in batch["answer"]:
                raise ValueError("no")
            return [len(a) % 3 for a in batch["answer"]]

    rng = np.random.default_rng(5)
    words = np.array(VOCAB)
    rows = [{"answer": "third" if i == 2 else " ".join(rng.choice(words, rng.integers(1, 9))),
             "reference": " ".join(rng.choice(words, rng.integers(1, 9))),
             "y_true": i % 2, "y_score": float(rng.random())} for i in range(150)]
    res = rageval.evaluate(rows, ["bleu", "token_f1", "exact_match", "roc_auc", FailsOnThird()], progress=False)
    reps = [Replicator(r.scorer, r.stats) for r in res.by_scorer.values()]
    assert sum(r.summed for r in reps) == 4 and len({r.n for r in reps}) == 2
    shared = bootstrap_many(reps, 200, seed=7)
    for r, got in zip(reps, shared):
        want = r.bootstrap(200, seed=7)
        assert set(got) == set(want) and all(np.array_equal(got[k], want[k], equal_nan=True) for k in want)
    intervals = res.confidence_intervals(n=200, seed=7)
    assert list(intervals) == [k for s in res.scorers for k in s.keys()]
