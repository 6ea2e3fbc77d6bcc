"""The lexical judge: content-word recall, its normalisation, and the no-silent-value convention."""
from __future__ import annotations

import random

import pytest

from rageval.judges import JudgeError, get_judge
from rageval.judges.lexical import content_words, recall, stopwords, words


def test_words_normalisation():
    assert words("The CAT&amp;dog, ﬁne!") == ["the", "cat", "dog", "fine"]
    assert words("Straße 1,000.5") == ["strasse", "1", "000", "5"]
    assert words("  ...  ") == []
    assert content_words("the cat is on the mat") == {"cat", "mat"}
    assert content_words("it is what it is") == {"it", "is", "what"}  # only stop words: keep them


@pytest.mark.parametrize("target, source, expected", [
    ("Paris is the capital", "The capital of France is Paris.", 1.0),
    ("Paris is the capital of Germany", "The capital of France is Paris.", 2 / 3),
    ("Berlin", "Paris", 0.0),
    ("cats cats cats", "a cat", 0.0),
    ("It is", "is it?", 1.0),
    ("Café", "CAFÉ au lait", 1.0),
])
def test_recall_examples(target, source, expected):
    assert recall(target, source) == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(20))
def test_recall_is_the_share_of_target_content_words_found(seed):
    rng = random.Random(seed)
    vocab = ["paris", "berlin", "capital", "river", "the", "is", "of", "big", "old", "a", "ü", "42"]
    target = " ".join(rng.choices(vocab, k=rng.randint(1, 8)))
    source = " ".join(rng.choices(vocab, k=rng.randint(0, 8)))
    needed = set(target.split()) - stopwords() or set(target.split())
    assert recall(target, source) == pytest.approx(len(needed & set(source.split())) / len(needed))


def test_primitives_map_to_recall():
    judge = get_judge("lexical")
    assert judge.support(["Paris is big and old"], ["Paris is old"]) == [recall("Paris is old", "Paris is big and old")]
    assert judge.relevance(["capital of France?"], ["Paris"]) == [recall("capital of France?", "Paris")]
    assert judge.agreement(["It is Paris, France"], ["Paris"], ["q"]) == [1.0]
    assert judge.addresses(["Where is Paris?"], ["Paris is in France"]) == [recall("Where is Paris?", "Paris is in France")]
    assert judge.claims(["One two. Three four."]) == [["One two.", "Three four."]]
    assert judge.cache is None and judge.signature == "kind:lexical|version:1"


def test_nothing_to_judge_is_an_error_never_a_value():
    judge = get_judge("lexical")
    out = judge.support(["text", "", "x"], ["?!", "claim", "  "], errors="return")
    assert isinstance(out[0], JudgeError) and "has no words" in str(out[0]) and out[0].index == 0
    assert out[1] == 0.0  # an empty premise supports nothing
    assert isinstance(out[2], JudgeError) and "empty claim" in str(out[2])
    with pytest.raises(JudgeError, match="item 0"):
        judge.support(["text"], ["..."])
    assert judge.usage()["errors"] == 3


def test_cached_when_asked(tmp_path):
    judge = get_judge("lexical", cache_dir=tmp_path)
    assert judge.support(["a b"], ["a"]) == [1.0]
    again = get_judge("lexical", cache_dir=tmp_path)
    assert again.support(["a b"], ["a"]) == [1.0] and again.usage()["cached"] == 1
