"""Properties of the text family (BLEU, chrF, TER, ROUGE) on hostile data: a FieldError naming field
and row, or the value sacrebleu / rouge-score compute (see tests/support/properties.py)."""
import pytest
import sacrebleu
from hypothesis import strategies as st
from rouge_score import rouge_scorer
from support.properties import bounded_and_slow, check, rows_of, texts
from support.sacrebleu_inputs import streams

ROWS = rows_of({"answer": texts, "references": st.lists(texts, min_size=1, max_size=3)})


def _columns(rows):
    return [r["answer"] for r in rows], [r["references"] for r in rows]


def sacrebleu_reference(rows):
    hyps, refs = _columns(rows)
    return {"bleu": sacrebleu.BLEU().corpus_score(hyps, streams(refs)).score,
            "chrf": sacrebleu.CHRF().corpus_score(hyps, streams(refs)).score,
            "ter": sacrebleu.TER().corpus_score(hyps, streams(refs)).score}


def rouge_reference(rows):
    hyps, refs = _columns(rows)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"])
    scores = [scorer.score_multi(r, a) for a, r in zip(hyps, refs)]
    return {t: sum(s[t].fmeasure for s in scores) / len(scores) for t in ("rouge1", "rouge2", "rougeL")}


def sacrebleu_property(rows):
    check(rows, ["bleu", "chrf", "ter"], sacrebleu_reference)


def rouge_property(rows):
    check(rows, ["rouge1", "rouge2", "rougeL"], rouge_reference)


test_sacrebleu_family, test_sacrebleu_family_slow = bounded_and_slow(ROWS)(sacrebleu_property)
test_rouge_family, test_rouge_family_slow = bounded_and_slow(ROWS)(rouge_property)


@pytest.mark.parametrize("repeat", [2000, pytest.param(40000, marks=pytest.mark.slow)])
def test_a_huge_answer_scores_like_the_reference(repeat):
    rows = [{"id": "r0", "answer": "the cat sat on the mat . " * repeat, "references": ["the cat sat on a mat ."] * 2}]
    sacrebleu_property(rows)
    rouge_property(rows)
