"""The registry: names, cutoffs, did-you-mean, and third-party scorers through entry points."""
import sys

import pytest

import rageval
from rageval.core.registry import BUILTIN, get_scorer, resolve


def test_builtin_names_resolve_to_their_classes():
    for name in rageval.list_scorers():
        cls = type(get_scorer(name, k=5)) if name in {"precision", "recall", "hit_rate", "ndcg"} else type(get_scorer(name))
        assert cls.name == name


def test_unknown_names_suggest_the_closest():
    with pytest.raises(rageval.UnknownScorerError, match="did you mean 'rougeL'"):
        get_scorer("rougel")
    with pytest.raises(rageval.UnknownScorerError, match="unknown scorer 'zzz' \\(rageval"):
        get_scorer("zzz")
    with pytest.raises(rageval.UnknownScorerError, match="bad cutoff"):
        get_scorer("ndcg@x")
    with pytest.raises(TypeError, match="a scorer is a name"):
        resolve([3])


def test_pairs_dicts_and_objects():
    s = get_scorer("token_f1")
    out = resolve(["exact_match", ("f1", {"average": "macro"}), {"name": "mse"}, s])
    assert [x.key for x in out] == ["exact_match", "f1", "mse", "token_f1"] and out[3] is s
    assert out[1].params["average"] == "macro"


def test_entry_point_plugin(tmp_path, monkeypatch):
    pkg = tmp_path / "myplugin"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from rageval import MeanScorer\n"
        "class Length(MeanScorer):\n"
        "    name = 'answer_length'\n"
        "    fields = ('answer',)\n"
        "    def score_batch(self, batch):\n"
        "        return [len(a) for a in batch['answer']]\n")
    dist = tmp_path / "myplugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: myplugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[rageval.scorers]\nanswer_length = myplugin:Length\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "answer_length" in rageval.list_scorers()
    res = rageval.evaluate([{"answer": "abc"}, {"answer": ""}], ["answer_length"], progress=False)
    assert res.aggregate["answer_length"] == 1.5
    assert "answer_length" not in BUILTIN and "myplugin" in sys.modules
