"""RAG scorers: definitions checked against direct computations from the judge primitives (lexical
judge) and the RAGAS formulas, id modes against pytrec_eval, the nothing-to-judge flags, bad input,
and a run through `rageval.evaluate`."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

import rageval
from rageval.core.errors import FieldError
from rageval.judges import get_judge
from rageval.judges.lexical import recall
from rageval.metaeval.data import data_dir
from rageval.scorers.rag.context_precision import ranked_precision
from rageval.textutils.sentences import split_sentences

RAG = ["faithfulness", "context_relevance", "context_precision", "context_recall", "answer_relevance",
       "answer_correctness"]

SENTENCES = [
    "Paris is the capital of France.", "The Seine flows through Paris.", "Berlin is the capital of Germany.",
    "The Rhine is a long river.", "Mount Everest is 8,849 metres high.", "Café au lait &amp; croissants!",
    "Tokyo hosted the 2020 Olympics in 2021.", "Water boils at 100 °C at sea level.",
    "Marie Curie won two Nobel prizes.", "The Amazon is in South America.",
]


def _real_sentences() -> list[str]:
    """WiCE evidence sentences when the shared data is present, else the sentences above."""
    path = data_dir() / "wice" / "oracle_chunks" / "claim" / "dev.jsonl"
    if not path.exists():
        return SENTENCES
    out = []
    with open(path, encoding="utf-8") as f:
        for line in list(f)[:60]:
            out.extend(json.loads(line)["evidence"][:4])
    return [s for s in out if s.strip()] + SENTENCES


def _examples(seed: int, n: int = 12) -> dict[str, list]:
    rng = np.random.default_rng(seed)
    pool = _real_sentences()
    pick = lambda k: [pool[i] for i in rng.choice(len(pool), size=k)]  # noqa: E731
    batch: dict[str, list] = {f: [] for f in ("question", "contexts", "answer", "reference", "references")}
    for _ in range(n):
        contexts = pick(int(rng.integers(1, 5)))
        # answers mix sentences from the contexts (supported) and elsewhere (mostly unsupported)
        own = [contexts[int(rng.integers(len(contexts)))] for _ in range(int(rng.integers(1, 3)))]
        answer = " ".join(own + pick(int(rng.integers(0, 2))))
        batch["question"].append(pick(1)[0].rstrip(".") + "?")
        batch["contexts"].append(contexts)
        batch["answer"].append(answer)
        batch["reference"].append(" ".join(pick(int(rng.integers(1, 3)))))
        batch["references"].append(pick(int(rng.integers(1, 3))))
    return batch


@pytest.fixture(scope="module")
def lexical():
    return get_judge("lexical")


@pytest.mark.parametrize("seed", range(8))
def test_faithfulness_and_recall_are_mean_claim_support(seed, lexical):
    batch = _examples(seed)
    for name, text_field in (("faithfulness", "answer"), ("context_recall", "reference")):
        s = rageval.get_scorer(name, judge=lexical)
        stats = s.stats(batch)
        for i, entry in enumerate(stats):
            claims = split_sentences(batch[text_field][i])
            premise = "\n\n".join(batch["contexts"][i])
            expected = [recall(c, premise) for c in claims]
            assert entry["flag"] is None and entry["claims"] == claims
            assert entry["values"] == pytest.approx(expected)
            assert entry["score"] == pytest.approx(np.mean(expected))
            assert entry["verdicts"] == [v >= 0.5 for v in expected]
            for ok, where in zip(entry["verdicts"], entry["support"]):
                assert (where is not None) == ok  # a supported claim shares words with some context
        json.dumps(stats)  # per-example detail is JSON-able
        assert s.reduce(stats)[name] == pytest.approx(np.mean([e["score"] for e in stats]))


def ragas_average_precision(verdicts: list[int]) -> float:
    """RAGAS ContextPrecision._calculate_average_precision (ragas 0.2), transcribed."""
    denominator = sum(verdicts) + 1e-10
    numerator = sum((sum(verdicts[: i + 1]) / (i + 1)) * verdicts[i] for i in range(len(verdicts)))
    return numerator / denominator


@pytest.mark.parametrize("seed", range(200))
def test_ranked_precision_matches_ragas_on_binary_verdicts(seed):
    rng = np.random.default_rng(seed)
    v = rng.integers(0, 2, int(rng.integers(1, 12))).tolist()
    assert ranked_precision(v) == pytest.approx(ragas_average_precision(v), abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_context_precision_judge_mode(seed, lexical):
    batch = _examples(seed)
    s = rageval.get_scorer("context_precision", judge=lexical)
    for i, entry in enumerate(s.stats(batch)):
        claims = split_sentences(batch["reference"][i])
        v = [max(recall(c, ctx) for c in claims) for ctx in batch["contexts"][i]]
        assert entry["values"] == pytest.approx(v)
        assert entry["score"] == pytest.approx(ranked_precision(v))
        if set(v) <= {0.0, 1.0}:
            assert entry["score"] == pytest.approx(ragas_average_precision([int(x) for x in v]), abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_relevance_and_correctness(seed, lexical):
    batch = _examples(seed)
    rel = rageval.get_scorer("context_relevance", judge=lexical).stats(batch)
    ans = rageval.get_scorer("answer_relevance", judge=lexical).stats(batch)
    cor = rageval.get_scorer("answer_correctness", judge=lexical).stats(batch)
    for i in range(len(batch["answer"])):
        q, a = batch["question"][i], batch["answer"][i]
        v = [recall(q, c) for c in batch["contexts"][i]]
        assert rel[i]["values"] == pytest.approx(v) and rel[i]["score"] == pytest.approx(np.mean(v))
        assert ans[i]["score"] == pytest.approx(recall(q, a))
        agree = [recall(r, a) for r in batch["references"][i]]
        assert cor[i]["values"] == pytest.approx(agree) and cor[i]["score"] == pytest.approx(max(agree))


@pytest.mark.parametrize("seed", range(30))
def test_id_modes_match_pytrec_eval(seed):
    pytrec_eval = pytest.importorskip("pytrec_eval")
    rng = np.random.default_rng(seed)
    docs = [f"d{i}" for i in range(15)]
    retrieved, relevant = [], []
    for _ in range(10):
        retrieved.append([docs[i] for i in rng.permutation(15)[: int(rng.integers(1, 10))]])
        relevant.append({docs[i]: int(rng.integers(0, 3)) for i in rng.permutation(15)[: int(rng.integers(1, 6))]})
    batch = {"retrieved_ids": retrieved, "relevant_ids": relevant}
    rec = rageval.get_scorer("context_recall", mode="ids").stats(batch)
    prec = rageval.get_scorer("context_precision", mode="ids").stats(batch)
    for q, (ranking, qrels) in enumerate(zip(retrieved, relevant)):
        if not any(g >= 1 for g in qrels.values()):
            assert rec[q]["flag"] == prec[q]["flag"] == "no_relevant_ids"
            continue
        run = {"q": {d: float(len(ranking) - r) for r, d in enumerate(ranking)}}
        ev = pytrec_eval.RelevanceEvaluator({"q": qrels}, {"set_recall"}).evaluate(run)["q"]
        assert rec[q]["score"] == pytest.approx(ev["set_recall"])
        verdicts = [int(qrels.get(d, 0) >= 1) for d in ranking]
        assert prec[q]["score"] == pytest.approx(ragas_average_precision(verdicts), abs=1e-9)


NOTHING = {
    "faithfulness": [({"contexts": [["x is y."]], "answer": [""]}, "empty_answer"),
                     ({"contexts": [["x is y."]], "answer": [" \n\t"]}, "empty_answer"),
                     ({"contexts": [["x is y."]], "answer": ["?!..."]}, "empty_answer"),
                     ({"contexts": [[]], "answer": ["x is y."]}, "no_contexts"),
                     ({"contexts": [["", "  "]], "answer": ["x is y."]}, "no_contexts")],
    "context_recall": [({"contexts": [["x"]], "reference": [""]}, "no_reference"),
                       ({"contexts": [[]], "reference": ["x"]}, "no_contexts")],
    "context_precision": [({"contexts": [["x"]], "reference": ["..."]}, "no_reference"),
                          ({"contexts": [[]], "reference": ["x"]}, "no_contexts")],
    "context_relevance": [({"question": [""], "contexts": [["x"]]}, "empty_question"),
                          ({"question": ["q?"], "contexts": [[]]}, "no_contexts")],
    "answer_relevance": [({"question": [" "], "answer": ["a"]}, "empty_question"),
                         ({"question": [" "], "answer": [""]}, "empty_question")],
    "answer_correctness": [({"answer": ["a"], "references": [[]]}, "no_reference"),
                           ({"answer": [""], "references": [[" "]]}, "no_reference"),
                           ({"answer": ["a"], "references": [["", " "]]}, "no_reference")],
}


@pytest.mark.parametrize("name, batch, flag", [(n, b, f) for n, cases in NOTHING.items() for b, f in cases])
def test_nothing_to_judge_is_flagged_not_scored(name, batch, flag, lexical):
    s = rageval.get_scorer(name, judge=lexical)
    (entry,) = s.stats(batch)
    assert entry == {"score": None, "flag": flag}
    # with a judged example beside it: the mean covers the judged one, the flagged share is reported
    both = {k: v * 2 for k, v in batch.items()}
    stats = [entry, {"score": 0.25, "flag": None}]
    out = s.reduce(stats)
    assert out[name] == 0.25 and out[f"{name}.flagged"] == 0.5
    per = s.example_scores(stats)
    assert math.isnan(per[name][0]) and per[name][1] == 0.25 and per[f"{name}.flagged"].tolist() == [1.0, 0.0]
    assert math.isnan(s.reduce([entry])[name]) and s.reduce([entry])[f"{name}.flagged"] == 1.0
    assert len(s.stats(both)) == 2


SILENT = ["", " \n\t", "?!...", "\u3000"]  # blank answers: no letter or digit


@pytest.mark.parametrize("answer", SILENT)
def test_an_empty_answer_scores_zero_where_the_metric_is_defined(answer, lexical):
    """An empty answer is a wrong answer (answer_correctness) and an irrelevant one (answer_relevance):
    score 0, counted in the mean, so answering nothing never raises a system's score."""
    batch = {"question": ["Who wrote Hamlet?"] * 2, "answer": [answer, "Shakespeare wrote Hamlet."],
             "references": [["Shakespeare", "William Shakespeare"]] * 2}
    for name in ("answer_correctness", "answer_relevance"):
        s = rageval.get_scorer(name, judge=lexical)
        empty, full = s.stats(batch)
        assert empty["score"] == 0.0 and empty["flag"] is None and empty["rule"] == "empty_answer"
        assert empty["verdicts"] == [False] * len(empty["values"]) and set(empty["values"]) == {0.0}
        assert full["score"] > 0
        out = s.reduce([empty, full])
        assert out[name] == full["score"] / 2 and out[f"{name}.flagged"] == 0.0
        assert s.reduce([empty, full])[name] < s.reduce([full])[name]
    corr = rageval.get_scorer("answer_correctness", judge=lexical).stats(batch)[0]
    assert corr["values"] == [0.0, 0.0] and corr["best"] == 0
    # faithfulness of an empty answer stays undefined (no claims): flagged, left out
    faith = rageval.get_scorer("faithfulness", judge=lexical).stats({"answer": [answer], "contexts": [["x"]]})
    assert faith == [{"score": None, "flag": "empty_answer"}]


def test_no_claims_flag(lexical):
    class NoClaims(type(lexical)):
        def _claims(self, texts):
            return [[] for _ in texts]

    s = rageval.get_scorer("faithfulness", judge=NoClaims())
    assert s.stats({"contexts": [["x"]], "answer": ["x"]}) == [{"score": None, "flag": "no_claims"}]


@pytest.mark.parametrize("name", RAG)
def test_bad_input_names_field_and_row(name, lexical):
    s = rageval.get_scorer(name, judge=lexical)
    good = {"question": ["q?", "q?"], "contexts": [["c"], ["c"]], "answer": ["a", "a"], "reference": ["r", "r"],
            "references": [["r"], ["r"]]}
    field = s.fields[-1]
    bad = dict(good)
    bad[field] = [good[field][0], 42]
    with pytest.raises(FieldError, match=rf"field '{field}' at row 1"):
        s.stats(bad)
    missing = {k: v for k, v in good.items() if k != s.fields[0]}
    with pytest.raises(FieldError, match=s.fields[0]):
        s.stats(missing)


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="threshold"):
        rageval.get_scorer("faithfulness", threshold=1.5)
    with pytest.raises(ValueError, match="mode"):
        rageval.get_scorer("context_recall", mode="both")
    with pytest.raises(TypeError, match="judge"):
        rageval.get_scorer("faithfulness", judge=3)
    with pytest.raises(Exception, match="unknown judge kind"):
        _ = rageval.get_scorer("faithfulness", judge="lexcal").judge


def test_signature_holds_the_judge_and_spec_rebuilds(lexical):
    s = rageval.get_scorer("faithfulness", judge={"kind": "lexical"})
    assert "judge:{kind:lexical" in s.signature
    again = rageval.get_scorer(s.spec()["base"], **s.spec()["params"])
    assert again.signature == s.signature
    assert "judge" not in rageval.get_scorer("context_recall", mode="ids").signature
    assert rageval.get_scorer("context_recall", mode="ids").fields == ("retrieved_ids", "relevant_ids")


def test_judge_error_propagates():
    from rageval.judges import JudgeError

    class Failing(type(get_judge("lexical"))):
        def _support(self, premises, claims):
            return [JudgeError("boom") if "bad" in c else 1.0 for c in claims]

    s = rageval.get_scorer("faithfulness", judge=Failing())
    with pytest.raises(JudgeError, match="boom"):
        s.stats({"contexts": [["ok"], ["ok"]], "answer": ["fine.", "bad."]})


def test_evaluate_end_to_end(tmp_path):
    batch = _examples(3, n=6)
    rows = [{k: batch[k][i] for k in ("question", "contexts", "answer", "reference")} for i in range(6)]
    rows[2]["answer"] = ""
    res = rageval.evaluate(rows, scorers=[(n, {"judge": "lexical"}) for n in RAG if n != "answer_correctness"]
                           + [("answer_correctness", {"judge": "lexical"})], output=str(tmp_path / "run"))
    df = res.to_pandas()
    assert math.isnan(df["faithfulness"][2]) and df["faithfulness.flagged"][2] == 1.0
    assert res.aggregate["faithfulness"] == pytest.approx(np.nanmean(df["faithfulness"]))
    assert res.aggregate["faithfulness.flagged"] == pytest.approx(1 / 6)
    for n in RAG:
        assert 0.0 <= res.aggregate[n] <= 1.0
