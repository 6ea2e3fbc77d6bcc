"""Merging k shards equals the one-shot run, for every registered scorer.

For each name of `rageval.list_scorers()` the test generates data from the canonical fields the
scorer's class declares (text, RAG, retrieval, classification, regression), scores it once, then
splits it into k shards (k in 2..16, contiguous and random partitions, always with a one-example
shard), scores each shard, merges (flat, and as a merge of merges), and asserts that the merged
results equal the one-shot run: every aggregate key, the per-example scores by id, the coverage
counts and the bootstrap intervals. One shard of every partition goes through a run directory
(Parquet) and `rageval.load_results` before it is merged.

A scorer the test does not know how to feed fails the test (it never skips), so a newly registered
scorer cannot go untested. BERTScore with ``idf=True`` is tested both ways: shards scored with one
first-pass state (`rageval.first_pass`) merge to the one-shot value; shards that each computed
their own idf are refused by `rageval.merge`.
"""
from __future__ import annotations

import inspect
import math
import random
import re
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from support.merge_cases import Case, family_cases

import rageval
from rageval.core import registry
from rageval.core.errors import IncompatibleError
from rageval.core.scorer import Scorer

# --- what the registry says about a name --------------------------------------------------------

NAMES = rageval.list_scorers()


def scorer_class(name: str) -> type[Scorer]:
    """The class registered under ``name`` (``precision@k`` is the retrieval one)."""
    if hasattr(registry, "scorer_class"):
        return registry.scorer_class(name)
    return type(rageval.get_scorer(name.replace("@k", "@10")))


def family_of(name: str) -> str | None:
    """The registry's family of ``name`` where the registry names families, else None."""
    try:
        return registry.SCORERS.find(name)[0].family or None
    except Exception:  # noqa: BLE001 - the registry is being reorganised: fall back to the fields
        return None


def spellings(name: str) -> list[str]:
    """The names to score for one listed name: a required cutoff gets one (``precision@k`` ->
    ``precision@5``, ``precision@1``), an optional one is scored both bare and with a cutoff
    (``ndcg``, ``ndcg@10``), a name without one as it is (``precision``: classification)."""
    if name.endswith("@k"):
        return [name[:-2] + "@5", name[:-2] + "@1"]
    try:
        entry = registry.SCORERS.find(name)[0]
        optional = entry.takes_cutoff
    except Exception:  # noqa: BLE001 - the registry is being reorganised: ask the scorers themselves
        try:
            optional = type(rageval.get_scorer(f"{name}@10")) is scorer_class(name)
        except Exception:  # noqa: BLE001 - takes no cutoff
            optional = False
    return [name, f"{name}@10"] if optional else [name]


#: values for constructor parameters that have no default
REQUIRED_PARAMS = {"beta": 0.5}


def init_params(cls: type) -> set[str]:
    return set(inspect.signature(cls.__init__).parameters) - {"self"}


# --- generated data -------------------------------------------------------------------------------

WORDS = ("the a of in on is was cat dog sat mat big small paris france river city people year book "
         "who what where when capital").split()
ODD = ["Héllo", "naïve", "東京", "Ωmega", "EMOJI😀", "&amp;", "42", "3.14", "e-mail", "x\ny", "\u200b", "(paren)"]
EMPTYISH = ["", " ", "...", "!!!", "\n"]
LABELS = list("abcdefgh")
DOCS = [f"d{i}" for i in range(24)] + ["dé", "東1", "x y"]


def sentence(rng: random.Random, lo: int = 1, hi: int = 14) -> str:
    words = [rng.choice(ODD) if rng.random() < 0.12 else rng.choice(WORDS) for _ in range(rng.randint(lo, hi))]
    return " ".join(words) + rng.choice(["", ".", " .", "?"])


def text(rng: random.Random, like: str | None = None) -> str:
    """A sentence; sometimes empty-ish; sometimes a copy or a perturbed copy of ``like``."""
    r = rng.random()
    if r < 0.07:
        return rng.choice(EMPTYISH)
    if like is not None and r < 0.2:
        return like
    if like is not None and r < 0.5:
        words = like.split()
        rng.shuffle(words)
        return " ".join(words[: max(1, len(words) - rng.randint(0, 2))] + [rng.choice(WORDS)])
    return sentence(rng)


def text_row(rng: random.Random, i: int, wanted: set[str], bad_rows: set[int]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    base = sentence(rng, 3, 14)
    if "question" in wanted:
        row["question"] = rng.choice(EMPTYISH) if rng.random() < 0.05 else sentence(rng, 2, 8).rstrip(".") + "?"
    if "contexts" in wanted:
        row["contexts"] = [text(rng, base) for _ in range(rng.randint(0, 4))]
    if "references" in wanted:
        refs = [text(rng, base) for _ in range(rng.randint(1, 3))]
        row["references"] = [] if i in bad_rows else (refs[0] if rng.random() < 0.15 else refs)
    if "reference" in wanted:
        row["reference"] = text(rng, base)
    if "answer" in wanted:
        row["answer"] = text(rng, base)
    return row


def retrieval_row(rng: random.Random, i: int, wanted: set[str], bad_rows: set[int]) -> dict[str, Any]:
    ranking = rng.sample(DOCS, rng.randint(0, 14)) if rng.random() > 0.04 else []
    if i in bad_rows and ranking:  # a duplicate id: trec_eval refuses it, so does the scorer (error row)
        ranking = ranking + [ranking[0]]
    pool = ranking + rng.sample(DOCS, 4)
    r = rng.random()
    if r < 0.12:  # no relevant id at all
        relevant: Any = [] if r < 0.06 else {}
    elif r < 0.55:
        relevant = sorted(set(rng.sample(pool, rng.randint(1, min(5, len(pool))))))
    else:
        graded = sorted(set(rng.sample(pool, rng.randint(1, min(6, len(pool))))))
        relevant = {d: rng.choice([0, 1, 1, 2, 3]) for d in graded}
    return {"retrieved_ids": ranking, "relevant_ids": relevant}


def rows_with_ids(name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": f"{name}-{i:04d}", **r} for i, r in enumerate(rows)]


def classification_rows(rng: random.Random, n: int, kind: str, weights: bool) -> list[dict[str, Any]]:
    """Labels whose set changes along the data: the first 55% of rows use a..h, the rest e..h only
    (so contiguous shards see different label subsets); ``kind``: "str" (a..h), "int" (0..7) or
    "binary" (0/1)."""
    out = []
    for i in range(n):
        if kind == "binary":
            t = rng.randint(0, 1) if i < n // 2 else rng.choice([0, 0, 0, 1])
            p = t if rng.random() < 0.6 else 1 - t
        else:
            pool = LABELS if i < int(0.55 * n) else LABELS[4:]
            t = rng.choice(pool)
            p = t if rng.random() < 0.55 else rng.choice(pool)
            if kind == "int":
                t, p = LABELS.index(t), LABELS.index(p)
        row: dict[str, Any] = {"y_true": t, "y_pred": p}
        if weights:
            row["sample_weight"] = rng.choice([0.5, 1.0, 2.0, rng.uniform(0.01, 5.0)])
        out.append(row)
    return out


def regression_rows(rng: random.Random, n: int, weights: bool) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        t = rng.gauss(0, 3) if i < n // 2 else rng.uniform(100, 1e4)
        row: dict[str, Any] = {"y_true": t, "y_pred": t + rng.gauss(0, 1 + abs(t) * 0.1)}
        if weights:
            row["sample_weight"] = rng.uniform(0.01, 5.0)
        out.append(row)
    return out


TEXT_FIELDS = {"answer", "references", "reference", "question", "contexts"}
RETRIEVAL_FIELDS = {"retrieved_ids", "relevant_ids"}
LABEL_FIELDS = {"y_true", "y_pred", "sample_weight"}


def is_classification(name: str, cls: type) -> bool | None:
    fam = family_of(name)
    if fam in ("classification", "regression"):
        return fam == "classification"
    from rageval.core.statistics import Coded

    if getattr(cls, "stats_kind", None) is Coded:
        return True
    module = cls.__module__
    if "regression" in module:
        return False
    if "classification" in module:
        return True
    return None


def cases_for(name: str, request: pytest.FixtureRequest) -> list[Case]:
    """The evaluations that exercise ``name``; `pytest.fail` when the test cannot feed it."""
    cls = scorer_class(name)
    rng = random.Random(zlib.crc32(name.encode()))
    fields, optional = set(cls.fields), set(getattr(cls, "optional_fields", ()))
    params = init_params(cls)
    base: dict[str, Any] = {}
    rtol, atol = 1e-12, 1e-14
    for p in inspect.signature(cls.__init__).parameters.values():
        if p.name != "self" and p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_OR_KEYWORD,
                                                                                    p.KEYWORD_ONLY):
            if p.name not in REQUIRED_PARAMS:
                pytest.fail(f"scorer {name!r} needs a parameter {p.name!r} this test does not know: "
                            f"add a value to REQUIRED_PARAMS in tests/test_merge_shards.py")
            base[p.name] = REQUIRED_PARAMS[p.name]
    if getattr(cls, "takes_judge", False) or "judge" in params:
        base["judge"] = "lexical"
    if params & {"model", "model_type"}:  # a model scorer: the tiny random BERT built here
        tiny = request.getfixturevalue("tiny_bert")
        base["model_type" if "model_type" in params else "model"] = tiny
        if "num_layers" in params:
            base["num_layers"] = 2
        if "batch_size" in params:
            base["batch_size"] = 16
        # float32 embeddings: an example's value may move in the last bits with what it is batched with
        rtol, atol = 1e-6, 1e-6
    names = spellings(name)

    def specs(extra: dict[str, Any] | None = None) -> Callable[[], list]:
        """Fresh scorer objects for every evaluate call, as separate processes would build them."""
        return lambda: [rageval.get_scorer(n, **{**base, **(extra or {})}) for n in names]

    own = family_cases(family_of(name), name, cls, rng, base, specs)
    if own is not None:  # the family feeds its own scorers (tests/support/merge_cases/<family>.py)
        return own
    unknown = (fields | optional) - TEXT_FIELDS - RETRIEVAL_FIELDS - LABEL_FIELDS
    if unknown:
        pytest.fail(f"scorer {name!r} declares fields {sorted(unknown)} this test cannot generate: "
                    f"teach tests/test_merge_shards.py (or tests/support/merge_cases/<family>.py) to feed it")
    cases: list[Case] = []
    if fields <= TEXT_FIELDS and fields:
        n = 60 if (base.get("judge") or rtol > 1e-12) else 90
        bad = {n // 3} if "references" in fields else set()
        wanted = fields | (optional & TEXT_FIELDS)
        rows = rows_with_ids(name, [text_row(rng, i, wanted, bad) for i in range(n)])
        cases.append(Case("text", specs(), rows, rtol, atol))
        if "mode" in params:  # the id-based variant of context precision / recall
            rows = rows_with_ids(name, [retrieval_row(rng, i, RETRIEVAL_FIELDS, set()) for i in range(120)])
            cases.append(Case("ids", specs({"mode": "ids"}), rows))
    elif fields == RETRIEVAL_FIELDS:
        n = 160
        rows = rows_with_ids(name, [retrieval_row(rng, i, fields, {7, 100}) for i in range(n)])
        cases.append(Case("retrieval", specs(), rows))
    elif fields == {"y_true", "y_pred"}:
        kind = is_classification(name, cls)
        if kind is None:
            pytest.fail(f"scorer {name!r} takes y_true/y_pred but is neither classification nor regression "
                        f"(family {family_of(name)!r}): teach tests/test_merge_shards.py to feed it")
        weights = "sample_weight" in optional
        if kind:
            averages = "average" in params
            if averages:  # default average="binary" on 0/1 labels; the others on a..h / 0..7
                rows = rows_with_ids(name, classification_rows(rng, 150, "binary", weights))
                cases.append(Case("binary", specs(), rows))
                for avg, kind_, w in (("macro", "str", False), ("weighted", "str", weights), ("micro", "int", weights),
                                      ("macro", "int", weights)):
                    rows = rows_with_ids(name, classification_rows(rng, 150, kind_, w))
                    cases.append(Case(f"{avg}-{kind_}{'-w' if w else ''}", specs({"average": avg}), rows))
                # labels given, one of them in no row, others absent from most shards
                rows = rows_with_ids(name, classification_rows(rng, 120, "str", False))
                cases.append(Case("macro-labels", specs({"average": "macro", "labels": ["h", "z", "a", "c"]}), rows))
                # binary on string labels: pos_label="b", a shard may hold only "a"
                rows = rows_with_ids(name, [{"y_true": "ab"[r["y_true"]], "y_pred": "ab"[r["y_pred"]]}
                                            for r in classification_rows(rng, 120, "binary", False)])
                cases.append(Case("binary-str", specs({"pos_label": "b"}), rows))
            else:
                cases.append(Case("str", specs(), rows_with_ids(name, classification_rows(rng, 150, "str", False))))
                if weights:
                    rows = rows_with_ids(name, classification_rows(rng, 150, "int", True))
                    cases.append(Case("int-w", specs(), rows))
        else:
            cases.append(Case("plain", specs(), rows_with_ids(name, regression_rows(rng, 150, False))))
            if weights:
                cases.append(Case("weighted", specs(), rows_with_ids(name, regression_rows(rng, 150, True))))
            # multi-output samples: each example holds 3 values
            rows = [{"y_true": [r["y_true"], -r["y_true"], 1.0], "y_pred": [r["y_pred"], 0.5, 1.5], **(
                {"sample_weight": r["sample_weight"]} if "sample_weight" in r else {})}
                for r in regression_rows(rng, 100, weights)]
            cases.append(Case("multioutput", specs(), rows_with_ids(name, rows)))
    else:
        pytest.fail(f"scorer {name!r} needs fields {sorted(fields)}, a combination tests/test_merge_shards.py "
                    f"does not generate: teach it to feed this scorer")
    return cases


# --- partitions ------------------------------------------------------------------------------------

def cut_points(rng: random.Random, n: int, k: int, single_at: int | None = None) -> list[int]:
    """k - 1 cut points splitting range(n) into k contiguous non-empty shards, one of which holds a
    single example (row ``single_at`` when given and k > 2: the empty-ish shard is then an error row)."""
    if not 2 <= k <= n:  # the loop below would never end
        raise ValueError(f"cannot cut {n} rows into {k} non-empty shards")
    at = rng.randrange(n) if single_at is None else single_at
    if k == 2 and 0 < at < n - 1:  # two shards: the single example is the first or the last row
        at = rng.choice([0, n - 1])
    cuts = {c for c in (at, at + 1) if 0 < c < n}
    while len(cuts) < k - 1:
        cuts.add(rng.randrange(1, n))
    return sorted(cuts)


def contiguous(rng: random.Random, rows: list, k: int, single_at: int | None = None) -> list[list]:
    cuts = cut_points(rng, len(rows), k, single_at)
    shards = [rows[a:b] for a, b in zip([0, *cuts], [*cuts, len(rows)])]
    assert len(shards) == k and min(map(len, shards)) == 1 and sum(map(len, shards)) == len(rows)
    return shards


def scattered(rng: random.Random, rows: list, k: int) -> list[list]:
    """k shards of randomly drawn rows (in random order within each), one of them a single row."""
    order = list(range(len(rows)))
    rng.shuffle(order)
    return [[rows[i] for i in shard] for shard in contiguous(rng, order, k)]


def draw_k(rng: random.Random, n: int) -> int:
    """The number of shards for ``n`` rows: the extremes 2 and 16 often, anything between otherwise;
    at most ``n`` (a case of few large examples, as the images of MS-SSIM, cannot make 16 shards)."""
    return min(rng.choice([2, 16, rng.randint(3, 15), rng.randint(3, 15)]), n)


# --- comparison ------------------------------------------------------------------------------------

def close(a: float, b: float, rtol: float, atol: float) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return math.isclose(a, b, rel_tol=rtol, abs_tol=atol)


def assert_same(got: rageval.Results, want: rageval.Results, case: Case, what: str, intervals: bool = True) -> None:
    where = f"{case.label}, {what}"
    assert sorted(got.aggregate) == sorted(want.aggregate), where
    bad = {k: (got.aggregate[k], want.aggregate[k]) for k in want.aggregate
           if not close(got.aggregate[k], want.aggregate[k], case.rtol, case.atol)}
    assert not bad, f"{where}: aggregate (merged, one-shot) differs: {bad}"
    assert got.aggregate.counts == want.aggregate.counts, f"{where}: counts"
    g = got.to_pandas().sort_values("id").reset_index(drop=True)
    w = want.to_pandas().sort_values("id").reset_index(drop=True)
    assert list(g.columns) == list(w.columns), where
    assert g["id"].tolist() == w["id"].tolist(), where
    for col in w.columns:
        if col == "id":
            continue
        if col.endswith(".error"):
            def msgs(c):  # the row an error names is the row in the data that evaluate was given
                return [re.sub(r"\brows? \d+", "row #", x) if isinstance(x, str) else None for x in c]
            assert msgs(g[col]) == msgs(w[col]), f"{where}: {col}"
            continue
        np.testing.assert_allclose(g[col].to_numpy(np.float64), w[col].to_numpy(np.float64),
                                   rtol=case.rtol, atol=case.atol, equal_nan=True, err_msg=f"{where}: {col}")
    if intervals:
        ci_got, ci_want = got.confidence_intervals(n=200, seed=1), want.confidence_intervals(n=200, seed=1)
        assert sorted(ci_got) == sorted(ci_want), where
        for k, w_ in ci_want.items():
            g_ = ci_got[k]
            assert g_.n_examples == w_.n_examples, f"{where}: interval of {k}"
            for attr in ("value", "low", "high", "mean"):
                assert close(getattr(g_, attr), getattr(w_, attr), case.rtol, case.atol), \
                    f"{where}: interval {k}.{attr}: merged {getattr(g_, attr)!r}, one-shot {getattr(w_, attr)!r}"


def spilled(rows: list, scorers: list, rng: random.Random) -> rageval.Results:
    """The rows scored in small batches whose parts reach a `Spill` out of order (as a Ray run's
    do), a few examples a file: the lazy `Results` a streamed run returns."""
    from rageval.data.adapters import load_source
    from rageval.results.results import Results
    from rageval.results.spill import Spill
    from rageval.run.evaluate import _fields, _local_parts

    source = load_source(rows)
    fields = _fields(scorers, source)
    for s in scorers:
        s.validate(rageval.core.scorer.Batch(source.canonical(fields)))
    parts = list(_local_parts(scorers, source, fields, rng.randint(1, 23), set(), scores=False))
    rng.shuffle(parts)
    spill = Spill([s.key for s in scorers])
    spill.rows_per_file = rng.randint(1, 40)
    for p in parts:
        spill.add(p)
    return Results(scorers, [], {"scorers": []}, spill=spill)


def assert_same_bits(got: rageval.Results, want: rageval.Results, where: str) -> None:
    """Equal aggregates, bit for bit (NaN where NaN)."""
    assert got.aggregate.counts == want.aggregate.counts, where
    for k, w in want.aggregate.items():
        g = got.aggregate[k]
        assert (math.isnan(g) and math.isnan(w)) or g == w, f"{where}: {k}: {g!r} != {w!r}"


def evaluate(rows: list, scorers: list, output: Any = None) -> rageval.Results:
    return rageval.evaluate(rows, scorers, output=None if output is None else str(output), progress=False)


def score_shards(case: Case, shards: list[list], tmp_path: Any, tag: str) -> list[rageval.Results]:
    """Each shard scored on its own. The one-example shard and the largest shard go through a run
    directory and `load_results` (Parquet); the largest is scored in three batches, so its run
    directory holds several parts."""
    results = []
    smallest = min(range(len(shards)), key=lambda i: len(shards[i]))
    largest = max(range(len(shards)), key=lambda i: len(shards[i]))
    for i, shard in enumerate(shards):
        if case.roundtrip and i in (smallest, largest):
            out = tmp_path / f"{case.label}-{tag}-{i}"
            rageval.evaluate(shard, case.make(), output=str(out), progress=False,
                             batch_size=len(shard) // 3 + 1 if i == largest else 1000)
            results.append(rageval.load_results(out))
        else:
            results.append(evaluate(shard, case.make()))
    return results


def tree_merge(results: list[rageval.Results]) -> rageval.Results:
    """Pairwise merges of merges, until one is left."""
    while len(results) > 1:
        results = [rageval.merge(results[i:i + 2]) if i + 1 < len(results) else results[i]
                   for i in range(0, len(results), 2)]
    return results[0]


def skip_if_wordnet_missing(res: rageval.Results) -> None:
    for key, r in res.by_scorer.items():
        if r.errors and len(r.errors) == len(res.ids):
            msg = next(iter(r.errors.values()))
            if "wordnet" in msg.lower():
                pytest.skip(f"{key} needs WordNet, which is missing here: {msg}")


#: bert-score's rule for an empty answer is a raw 0, with a warning each time a shard holds one; a
#: one-example shard with its own idf weighs every token 0 (NaN, with a warning)
pytestmark = [pytest.mark.filterwarnings("ignore:bertscore. empty:UserWarning"),
              pytest.mark.filterwarnings("ignore:bertscore. P or R undefined:UserWarning")]

# --- the tests -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> str:
    """A 3-layer random BERT (the construction of tests/test_bertscore.py's fixture), saved locally."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    path = tmp_path_factory.mktemp("tiny-bert-merge")
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = list("abcdefghijklmnopqrstuvwxyz0123456789.,;:!?'\"-()&")
    vocab = specials + WORDS + chars + ["##" + c for c in chars] + ["##s", "##ing", "##ed"]
    tokenizer = BertTokenizer(vocab={w: i for i, w in enumerate(dict.fromkeys(vocab))}, model_max_length=24)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=64)
    model = BertModel(config).eval()
    with torch.no_grad():  # positive cosines, as real models have
        model.encoder.layer[1].output.LayerNorm.bias.fill_(1.0)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


@pytest.fixture(autouse=True)
def _one_thread(request):
    """Tiny models on one thread (the shared fixture), only where a model is used."""
    name = request.node.callspec.params.get("name") if hasattr(request.node, "callspec") else None
    if name is not None and init_params(scorer_class(name)) & {"model", "model_type"}:
        request.getfixturevalue("torch_one_thread")
    yield


@pytest.mark.parametrize("name", NAMES)
def test_merged_shards_equal_one_shot(name, request, tmp_path):
    rng = random.Random(zlib.crc32(name.encode()) + 1)
    cases = cases_for(name, request)
    assert cases, f"no case for {name!r}"
    for case in cases:
        one_shot = evaluate(case.rows, case.make())
        skip_if_wordnet_missing(one_shot)
        for key, (ok, total) in one_shot.aggregate.counts.items():
            some = dict(list(one_shot.by_scorer[key].errors.items())[:2])
            assert total == len(case.rows) and ok >= 0.9 * total, \
                f"{case.label}: {key} scored only {ok}/{total} examples: {some}"
        for scorer in one_shot.scorers:  # the declared bounds hold for the corpus and every example
            low, high = scorer.bounds[0] - 1e-6, scorer.bounds[1] + 1e-6  # float32 cosines reach 1 + 1e-7
            values = one_shot.to_pandas()[scorer.key].dropna()
            assert low <= one_shot.aggregate[scorer.key] <= high or math.isnan(one_shot.aggregate[scorer.key]), \
                (case.label, scorer.key, scorer.bounds)
            assert ((values >= low) & (values <= high)).all(), (case.label, scorer.key, scorer.bounds)
        # the same rows through a spill to disk (a streamed run): the same bits, and the same per example
        on_disk = spilled(case.rows, case.make(), rng)
        if case.rtol == 1e-12:  # deterministic scorers
            assert_same_bits(on_disk, one_shot, f"{case.label}, spilled")
        assert_same(on_disk, one_shot, case, "spilled to disk")
        failed = sorted({x for r in one_shot.by_scorer.values() for x in r.errors})
        error_row = one_shot.ids.index(failed[0]) if failed else None

        # contiguous shards (the one-example shard is an error row where the data has one): merged
        # in the data's order, so the intervals resample the same rows
        k = draw_k(rng, len(case.rows))
        shards = contiguous(rng, case.rows, k, single_at=error_row)
        parts = score_shards(case, shards, tmp_path, "contiguous")
        merged = rageval.merge(parts)
        assert_same(merged, one_shot, case, f"{k} contiguous shards")
        assert_same(tree_merge(parts), one_shot, case, f"merge of merges of {k} contiguous shards")
        merged.save(tmp_path / f"{case.label}-merged")
        assert_same(rageval.load_results(tmp_path / f"{case.label}-merged"), one_shot, case,
                    f"{k} contiguous shards merged, saved and loaded")

        # random shards: the merged results hold the rows shard after shard, so the intervals are
        # compared with a one-shot run over the rows in that order
        k = draw_k(rng, len(case.rows))
        shards = scattered(rng, case.rows, k)
        parts = score_shards(case, shards, tmp_path, "random")
        merged = rageval.merge(parts)
        assert_same(merged, one_shot, case, f"{k} random shards", intervals=False)
        in_merged_order = evaluate([r for s in shards for r in s], case.make())
        assert merged.ids == in_merged_order.ids
        assert_same(merged, in_merged_order, case, f"{k} random shards (one-shot in the merged order)")
        j = rng.randint(1, k - 1)
        nested = rageval.merge([rageval.merge(parts[:j]), rageval.merge(parts[j:])])
        assert_same(nested, in_merged_order, case, f"merge of two merges of {k} random shards")


def test_every_listed_scorer_is_fed():
    """The parametrisation covers the registry as it is now (a scorer added later shows up in
    the parametrised test, which fails until this file can feed it)."""
    assert NAMES and set(NAMES) == set(rageval.list_scorers())


# --- classification against scikit-learn, labels differing across shards ---------------------------

@pytest.mark.parametrize("average", ["macro", "weighted"])
@pytest.mark.parametrize("metric", ["f1", "precision", "recall"])
@pytest.mark.parametrize("weights", [False, True], ids=["unweighted", "sample_weight"])
def test_merged_classification_equals_sklearn(metric, average, weights):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = random.Random(f"{metric}-{average}-{weights}")
    rows = rows_with_ids(metric, classification_rows(rng, 400, "str", weights))
    # shard 1: rows with labels a..h; shard 2 and 3: e..h only (as in the issue); shard 4: one row
    shards = [rows[:220], rows[220:330], rows[330:399], rows[399:]]
    assert {r["y_true"] for r in shards[1]} | {r["y_pred"] for r in shards[1]} <= set("efgh")
    spec = [(metric, {"average": average})]
    merged = rageval.merge([rageval.evaluate(s, spec, progress=False) for s in shards])
    fn = {"f1": sklearn_metrics.f1_score, "precision": sklearn_metrics.precision_score,
          "recall": sklearn_metrics.recall_score}[metric]
    kwargs = {"sample_weight": [r["sample_weight"] for r in rows]} if weights else {}
    want = fn([r["y_true"] for r in rows], [r["y_pred"] for r in rows], average=average, zero_division=0, **kwargs)
    assert math.isclose(merged.aggregate[metric], want, rel_tol=1e-12, abs_tol=1e-15), (merged.aggregate[metric], want)
    one_shot = rageval.evaluate(rows, spec, progress=False)
    assert math.isclose(one_shot.aggregate[metric], want, rel_tol=1e-12, abs_tol=1e-15)
    # the shards alone give other values (their label sets differ): merging is not averaging
    assert not math.isclose(np.mean([rageval.evaluate(s, spec, progress=False).aggregate[metric] for s in shards[:2]]),
                            want, rel_tol=1e-6)


# --- shards that cannot be merged -------------------------------------------------------------------

def _int_and_str_label_shards() -> list[rageval.Results]:
    ints = [{"id": f"i{j}", "y_true": j % 3, "y_pred": (j // 3) % 3} for j in range(12)]
    strs = [{"id": f"s{j}", "y_true": "ab"[j % 2], "y_pred": "a"} for j in range(5)]
    return [rageval.evaluate(d, ["accuracy", ("f1", {"average": "macro"})], progress=False) for d in (ints, strs)]


def test_shards_whose_labels_mix_strings_and_numbers_are_refused():
    """Each shard alone is valid; all rows together are not (scikit-learn refuses mixed label
    types, and so does evaluate), so merging them must be refused, never give a number."""
    parts = _int_and_str_label_shards()
    with pytest.raises(IncompatibleError, match="mix types"):
        rageval.merge(parts)


def test_refusal_of_mixed_label_types_names_the_scorer():
    parts = _int_and_str_label_shards()
    with pytest.raises(IncompatibleError, match="accuracy"):
        rageval.merge(parts)


# --- BERTScore idf: one state merges, per-shard states are refused ----------------------------------

def idf_rows(n: int = 70) -> list[dict[str, Any]]:
    rng = random.Random("bertscore-idf")
    rows = [text_row(rng, i, {"answer", "references"}, set()) for i in range(n)]
    for r in rows:  # every reference non-empty: the idf then counts every example
        refs = [r["references"]] if isinstance(r["references"], str) else r["references"]
        r["references"] = [x if x.strip(" .!\n") else "the cat" for x in refs]
    return rows_with_ids("idf", rows)


@pytest.mark.usefixtures("torch_one_thread")
@pytest.mark.parametrize("partition", ["contiguous", "random"])
def test_bertscore_idf_shards_scored_with_one_state_merge(tiny_bert, partition, tmp_path):
    rows = idf_rows()
    rng = random.Random(f"idf-{partition}")
    k = rng.randint(2, 16)
    shards = (contiguous if partition == "contiguous" else scattered)(rng, rows, k)
    spec = ("bertscore", {"model_type": tiny_bert, "num_layers": 2, "idf": True, "batch_size": 16})
    one_shot = rageval.evaluate(rows, [spec], progress=False)
    scorer, = rageval.first_pass([spec], *shards)
    assert scorer.state_pinned and scorer.state_digest == one_shot.scorer("bertscore").state_digest
    parts = [rageval.evaluate(s, [scorer], progress=False) for s in shards[:-1]]
    out = tmp_path / "last"
    rageval.evaluate(shards[-1], [scorer], output=str(out), progress=False)
    parts.append(rageval.load_results(out))  # a shard read back from its run directory merges too
    merged = rageval.merge(parts)
    case = Case("bertscore idf", lambda: [spec], rows, rtol=1e-6, atol=1e-6)
    in_order = one_shot if partition == "contiguous" else \
        rageval.evaluate([r for s in shards for r in s], [spec], progress=False)
    assert_same(merged, in_order, case, f"{k} {partition} shards, one first-pass state")
    assert_same(tree_merge(parts), one_shot, case, "merge of merges", intervals=False)


@pytest.mark.usefixtures("torch_one_thread")
def test_bertscore_idf_shards_with_their_own_idf_are_refused(tiny_bert):
    rows = idf_rows()
    shards = contiguous(random.Random("idf-own"), rows, 3)
    spec = ("bertscore", {"model_type": tiny_bert, "num_layers": 2, "idf": True, "batch_size": 16})
    parts = [rageval.evaluate(s, [spec], progress=False) for s in shards]
    digests = {p.scorer("bertscore").state_digest for p in parts}
    assert len(digests) == 3, "each shard's own idf should differ"
    with pytest.raises(IncompatibleError, match="bertscore"):
        rageval.merge(parts)
    with pytest.raises(IncompatibleError, match="first_pass|first-pass"):
        rageval.merge(parts[:2])
