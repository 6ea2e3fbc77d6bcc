"""Paired tests: p-values identical to sacrebleu's ``PairedTest`` on BLEU, the level and power of
approximate randomisation on synthetic systems, and refusal of runs that cannot be compared."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from sacrebleu.metrics import BLEU as SacreBLEU
from sacrebleu.significance import PairedTest
from support import SHARED

import rageval
from rageval.core.scorer import MeanScorer
from rageval.stats import IncomparableError, compare, compare_systems
from rageval.stats.correction import holm
from rageval.stats.significance import approximate_randomization, monte_carlo_p_value, paired_bootstrap

SHARED_DATA = os.path.join(SHARED, "data")
VOCAB = "the a cat dog sat on mat ran fast slow , . ! 1 2 3 é 東京".split()


def sentences(rng, n):
    return [" ".join(rng.choice(VOCAB, size=rng.integers(1, 12))) for _ in range(n)]


def sacrebleu_p(test, base, system, refs, seed, monkeypatch, n_samples=0):
    monkeypatch.setenv("SACREBLEU_SEED", str(seed))
    _, scores = PairedTest([("base", base), ("sys", system)], {"BLEU": SacreBLEU()}, [refs],
                           test_type=test, n_samples=n_samples)()
    return scores["BLEU"][1].p_value


def bleu_stats(hyps, refs):
    s = rageval.get_scorer("bleu")
    return s, s.stats({"answer": hyps, "references": [[r] for r in refs]})


@pytest.mark.parametrize("seed", range(1, 9))
@pytest.mark.parametrize("test", ["bs", "ar"])
def test_bleu_p_values_equal_sacrebleu(test, seed, monkeypatch):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 120))
    refs = sentences(rng, n)
    base = [r if rng.random() < 0.3 else s for r, s in zip(refs, sentences(rng, n))]
    system = [r if rng.random() < 0.3 + 0.03 * seed else s for r, s in zip(refs, sentences(rng, n))]
    scorer, a = bleu_stats(base, refs)
    _, b = bleu_stats(system, refs)
    count = 1000 if test == "bs" else 2000
    ours = (paired_bootstrap if test == "bs" else approximate_randomization)(scorer, a, b, count, seed)["bleu"]
    assert ours.p_value == sacrebleu_p(test, base, system, refs, seed, monkeypatch, count)
    assert ours.value_b - ours.value_a == pytest.approx(
        SacreBLEU().corpus_score(system, [refs]).score - SacreBLEU().corpus_score(base, [refs]).score)


@pytest.mark.parametrize("system", ["answer_gpt4", "answer_fid"])
def test_bleu_p_values_equal_sacrebleu_on_real_systems(system, monkeypatch):
    path = os.path.join(SHARED_DATA, "evouna", "NQ.json")
    if not os.path.exists(path):
        pytest.skip(f"real data folder absent ({path}); CI has it")
    rows = [r for r in json.load(open(path, encoding="utf-8")) if not r.get("improper")][:400]
    refs = [r["golden_answer"].split("/")[0] for r in rows]
    base, other = [r["answer_gpt35"] for r in rows], [r[system] for r in rows]
    scorer, a = bleu_stats(base, refs)
    _, b = bleu_stats(other, refs)
    for test, fn in (("bs", paired_bootstrap), ("ar", approximate_randomization)):
        assert fn(scorer, a, b, 1000, 12345)["bleu"].p_value == sacrebleu_p(test, base, other, refs, 12345,
                                                                             monkeypatch, 1000)


@pytest.mark.parametrize("test", ["bs", "ar"])
def test_a_system_against_itself_is_not_different(test, monkeypatch):
    rng = np.random.default_rng(0)
    refs = sentences(rng, 50)
    hyps = sentences(rng, 50)
    scorer, a = bleu_stats(hyps, refs)
    fn = paired_bootstrap if test == "bs" else approximate_randomization
    assert fn(scorer, a, a.copy(), 1000)["bleu"].p_value == 1.0
    # sacrebleu counts only strictly larger statistics, and so calls a system different from itself
    assert sacrebleu_p(test, hyps, list(hyps), refs, 12345, monkeypatch, 1000) == pytest.approx(1 / 1001)


def test_monte_carlo_p_value_convention():
    assert monte_carlo_p_value(np.zeros(9), 0.0) == 1.0
    assert monte_carlo_p_value(np.array([0.1, 0.2, 0.3]), 0.25) == 2 / 4
    assert monte_carlo_p_value(np.array([0.1, 0.2, 0.3 - 1e-15]), 0.3) == 2 / 4  # float-noise tie counts
    assert monte_carlo_p_value(np.array([0.1, np.nan]), 0.2) == 1 / 2  # NaN statistics are left out


class Values(MeanScorer):
    """Per-example values given directly (synthetic systems)."""

    name = "value"

    def score_batch(self, batch):
        return batch["value"]


class SlowValues(Values):
    """The same metric through the generic reduce-per-resample path."""

    def reduce(self, stats):
        return MeanScorer.reduce(self, stats)


def synthetic_pair(seed: int, n: int, effect: float):
    """Two systems' per-example scores on the same examples: a shared difficulty per example
    plus independent noise, system B shifted by ``effect``."""
    rng = np.random.default_rng(seed)
    difficulty = rng.random(n)
    a = np.clip(difficulty + rng.normal(0, 0.25, n), 0, 1)
    b = np.clip(difficulty + effect + rng.normal(0, 0.25, n), 0, 1)
    return a[:, None], b[:, None]


def test_approximate_randomization_holds_its_level():
    """Identical systems (same distribution) are called different at about the nominal rate."""
    trials, alpha = 600, 0.05
    p = np.array([approximate_randomization(Values(), *synthetic_pair(seed, 80, 0.0), 500, seed)["value"].p_value
                  for seed in range(trials)])
    rate = np.mean(p < alpha)
    # binomial(600, 0.05): sd 0.009; the bounds are about 3 sd
    assert 0.02 <= rate <= 0.08, rate
    assert np.mean(p < 0.2) == pytest.approx(0.2, abs=0.05)


@pytest.mark.parametrize("test", [paired_bootstrap, approximate_randomization])
def test_a_clearly_better_system_is_called_different(test):
    p = [test(Values(), *synthetic_pair(seed, 100, 0.3), 500, seed)["value"].p_value for seed in range(100)]
    assert max(p) < 0.05


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("test", [paired_bootstrap, approximate_randomization])
def test_vectorised_equals_generic(test, seed):
    a, b = synthetic_pair(seed, 60, 0.05)
    fast, slow = test(Values(), a, b, 300, seed)["value"], test(SlowValues(), a, b, 300, seed)["value"]
    assert fast.p_value == slow.p_value


# --- runs -------------------------------------------------------------------------------------
def records(answers, ids=None):
    refs = ["paris", "blue whale", "1969", "oxygen", "tokyo"]
    return [{"id": ids[i] if ids else f"q{i}", "answer": a, "references": [refs[i % 5]]} for i, a in enumerate(answers)]


def run(answers, scorers=("exact_match", "token_f1"), ids=None):
    return rageval.evaluate(records(answers, ids), scorers=list(scorers))


GOOD = ["paris", "blue whale", "1969", "oxygen", "tokyo"] * 12
BAD = ["rome", "shark", "1969", "nitrogen", "tokyo"] * 12


def test_compare_runs():
    out = compare(run(BAD), run(GOOD), names=("bad", "good"))
    assert [c.metric for c in out] == ["exact_match", "token_f1"]
    for c in out:
        assert (c.a, c.b, c.method, c.n_examples) == ("bad", "good", "ar", 60)
        assert c.value_b > c.value_a and c.p_value < 0.01 and c.p_adjusted is None


def test_compare_matches_examples_by_id():
    good = run(GOOD)
    reordered = rageval.evaluate(records(GOOD)[::-1], scorers=["exact_match", "token_f1"])
    for c in compare(good, reordered, method="bs"):
        assert c.value_a == c.value_b and c.p_value == 1.0


def test_mismatched_examples_are_refused():
    with pytest.raises(IncomparableError, match=r"examples differ .*'q59'"):
        compare(run(GOOD), run(GOOD[:59]))
    with pytest.raises(IncomparableError, match="examples differ"):
        compare(run(GOOD), run(GOOD, ids=[f"x{i}" for i in range(60)]))


def test_mismatched_signatures_are_refused():
    a = run(GOOD, scorers=["bleu"])
    b = run(GOOD, scorers=[("bleu", {"tokenize": "intl"})])
    with pytest.raises(IncomparableError, match=r"signatures differ.*tok(enize)?:13a"):
        compare(a, b)


def test_compare_systems_baseline_and_pairs_with_holm():
    systems = {"bad": run(BAD), "good": run(GOOD), "mixed": run(GOOD[:30] + BAD[30:])}
    vs_base = compare_systems(systems, baseline="bad")
    assert {(c.a, c.b) for c in vs_base} == {("bad", "good"), ("bad", "mixed")}
    pairs = compare_systems(systems, correction="holm")
    assert {(c.a, c.b) for c in pairs} == {("bad", "good"), ("bad", "mixed"), ("good", "mixed")}
    for metric in ("exact_match", "token_f1"):
        family = [c for c in pairs if c.metric == metric]
        np.testing.assert_allclose([c.p_adjusted for c in family], holm([c.p_value for c in family]))
        assert all(c.significant == (c.p_adjusted < 0.05) for c in family)
    good_vs_bad = next(c for c in pairs if (c.a, c.b) == ("bad", "good") and c.metric == "exact_match")
    assert good_vs_bad.winner == "good"
    bh = compare_systems(systems, correction="bh", method="bs")
    assert all(c.correction == "bh" and c.method == "bs" for c in bh)
    with pytest.raises(ValueError, match="baseline 'nope'"):
        compare_systems(systems, baseline="nope")
    with pytest.raises(ValueError, match="unknown correction"):
        compare_systems(systems, correction="bonferonni")


def test_lower_is_better_winner():
    from rageval.stats.significance import Comparison
    c = Comparison(30.0, 20.0, 0.001, "ar", 100, 10, a="a", b="b", metric="ter", higher_is_better=False,
                   significant=True)
    assert c.winner == "b" and c.to_dict()["delta"] == -10.0


@pytest.mark.parametrize("test", [paired_bootstrap, approximate_randomization])
def test_variable_stats_hooks_equal_generic_in_paired_tests(test):
    from support.slow_scorer import Judged, JudgedWithHooks

    rng = np.random.default_rng(1)
    a = Judged().stats({"s": np.where(rng.random(50) < 0.2, -1.0, rng.random(50))})
    b = Judged().stats({"s": np.where(rng.random(50) < 0.1, -1.0, rng.random(50) + 0.1)})
    fast, slow = test(JudgedWithHooks(), a, b, 300, 3), test(Judged(), a, b, 300, 3)
    for k in ("judged", "judged.flagged"):
        assert fast[k].p_value == slow[k].p_value
