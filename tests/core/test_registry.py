"""The registry: names, families, cutoffs, did-you-mean, lazy listing, and third-party entries
through entry points; the same type behind the judges and the leaderboard formats."""
import inspect
import sys

import pytest

import rageval
from rageval.cli import main
from rageval.core.registry import SCORERS, Registry, get_scorer, list_scorers, resolve, scorer_class

#: the families this project registers (a new one is added here on purpose, not by accident)
FAMILIES = {"text", "qa", "rag", "retrieval", "classification", "regression", "losses", "detection", "segmentation",
            "image", "depth", "generative", "verification", "sequence", "panoptic", "dense_losses"}


def test_builtin_names_resolve_to_their_classes():
    required = {"fbeta": {"beta": 2.0},  # scikit-learn's fbeta_score has no default beta either
                "panoptic_quality": {"things": [1], "stuff": [2]},  # panopticapi reads them from its categories
                "fid": {"reference": [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]},  # the real features compared with
                "kid": {"reference": [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]},
                "precision_recall_manifold": {"reference": [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [1.0, 1.0]]}}
    for entry in SCORERS.entries():
        params = {"k": 5} if entry.spelling.endswith("@k") else required.get(entry.spelling, {})
        if "num_classes" in inspect.signature(entry.load().__init__).parameters:  # segmentation: no default
            params["num_classes"] = 3
        scorer = get_scorer(entry.spelling, **params)
        assert type(scorer).name == entry.name and entry.family in FAMILIES
    assert list_scorers() == sorted(SCORERS.names())


def test_families():
    assert set(SCORERS.families()) <= FAMILIES and {"text", "qa", "rag", "retrieval"} <= set(SCORERS.families())
    assert list_scorers(family="qa") == ["exact_match", "token_f1"]
    retrieval = list_scorers(family="retrieval")
    assert {"precision@k", "recall@k", "ndcg", "map", "mrr", "hit_rate", "r_precision", "set_P", "set_recall",
            "bpref", "relative_P@k", "unjudged@k"} <= set(retrieval)
    assert not {"precision", "recall", "f1"} & set(retrieval)  # the bare names are the classification ones
    assert sorted(n for f in SCORERS.families() for n in list_scorers(family=f)) == list_scorers()
    assert list_scorers(family="nonesuch") == []


def test_bare_precision_and_recall_are_the_classification_ones():
    from rageval.scorers.retrieval.ranking import Precision, Recall

    at10 = get_scorer("precision@10")
    assert type(at10) is Precision and at10.k == 10 and at10.key == "precision@10"
    assert type(get_scorer("recall@3")) is Recall and scorer_class("recall@3") is Recall
    # a k parameter is the cutoff, as @k is: what a saved spec (base "precision", k=5) rebuilds
    assert get_scorer("precision", k=5).key == "precision@5" and get_scorer("ndcg", k=10).key == "ndcg@10"
    assert get_scorer("precision@k", k=7).key == "precision@7"
    for name in ("precision", "recall"):
        entry = next(e for e in SCORERS._all() if e.spelling == name)
        assert entry.family == "classification"
        assert entry.target == f"rageval.scorers.classic.precision_recall:{name.capitalize()}"
        if entry.available():  # the classification classes land separately
            assert scorer_class(name).name == name and scorer_class(name).__module__.endswith("precision_recall")
            assert name in list_scorers(family="classification")
        else:  # listed nowhere, and asking for it says where the retrieval one went
            assert name not in list_scorers()
            with pytest.raises(rageval.UnknownScorerError, match=rf"not available.*did you mean '{name}@k' \(retrieval\)"):
                get_scorer(name)


def test_unknown_names_suggest_the_closest():
    with pytest.raises(rageval.UnknownScorerError, match="did you mean 'rougeL'"):
        get_scorer("rougel")
    with pytest.raises(rageval.UnknownScorerError, match="unknown scorer 'zzz' \\(rageval"):
        get_scorer("zzz")
    with pytest.raises(rageval.UnknownScorerError, match="did you mean .*'precision@k' \\(retrieval\\)"):
        get_scorer("precison")
    with pytest.raises(rageval.UnknownScorerError, match="did you mean 'precision@10' \\(retrieval\\)"):
        get_scorer("precison@10")
    with pytest.raises(rageval.UnknownScorerError, match="bad cutoff in 'ndcg@x': write it as ndcg@10"):
        get_scorer("ndcg@x")
    with pytest.raises(rageval.UnknownScorerError, match="bad cutoff"):
        get_scorer("ndcg@0")
    with pytest.raises(rageval.UnknownScorerError, match="'bleu' takes no cutoff: write 'bleu'"):
        get_scorer("bleu@4")
    with pytest.raises(rageval.UnknownScorerError, match="'recall@k' needs a cutoff: write recall@10"):
        get_scorer("recall@k")
    with pytest.raises(rageval.ConfigError, match="give the cutoff once"):
        get_scorer("ndcg@10", k=5)
    with pytest.raises(TypeError, match="r_precision takes no cutoff"):
        get_scorer("r_precision", k=5)  # no entry takes a cutoff: k goes to the class, which refuses it
    with pytest.raises(TypeError, match="a scorer is a name"):
        resolve([3])


def test_pairs_dicts_and_objects():
    s = get_scorer("token_f1")
    out = resolve(["exact_match", ("f1", {"average": "macro"}), {"name": "mse"}, s, "recall@3"])
    assert [x.key for x in out] == ["exact_match", "f1", "mse", "token_f1", "recall@3"] and out[3] is s
    assert out[1].params["average"] == "macro"


@pytest.fixture
def toy_module(tmp_path, monkeypatch):
    (tmp_path / "toy_targets.py").write_text(
        "import os\n"
        "class Ranked:\n    pass\n"
        "class Plain:\n    pass\n"
        "if os.sep:\n    LATER = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "toy_targets"
    sys.modules.pop("toy_targets", None)


def test_registry_spellings_families_and_lazy_listing(toy_module):
    reg = Registry("thing")
    reg.register("plain", f"{toy_module}:Plain", family="a")
    reg.register("ranked@k", f"{toy_module}:Ranked", family="b")
    reg.register("both[@k]", f"{toy_module}:Ranked", family="b")
    reg.register("ranked", f"{toy_module}:Plain", family="a")  # the bare name is free for another entry
    reg.register("later", f"{toy_module}:LATER", family="a")
    reg.register("missing", f"{toy_module}:NotYet", family="a")  # the attribute lands later
    reg.register("absent", "no_such_module_xyz.sub:Thing", family="c")  # the module lands later
    assert reg.names() == ("plain", "ranked@k", "both", "ranked", "later")
    assert reg.names(family="b") == ("ranked@k", "both") and reg.families() == ("a", "b")
    assert toy_module not in sys.modules  # listing imported nothing
    assert list(reg) == list(reg.names()) and len(reg) == 5 and "both@3" in reg and "missing" not in reg

    ranked, plain = reg.get("ranked@k"), reg.get("ranked")
    assert (ranked.__name__, plain.__name__) == ("Ranked", "Plain")
    assert reg.find("ranked@12") == (reg.find("ranked@k")[0], 12) and reg.find("both") == (reg.find("both@k")[0], None)
    assert reg.find("ranked@12")[0].family == "b" and reg.find("ranked")[0].family == "a"
    assert reg.get("later") == 1
    with pytest.raises(ValueError, match="'plain' is already registered"):
        reg.register("plain", f"{toy_module}:Ranked")
    with pytest.raises(ValueError, match="already registered"):
        reg.register("both@k", f"{toy_module}:Plain")
    with pytest.raises(ValueError, match="module:attr"):
        reg.register("x", "no colon")
    with pytest.raises(rageval.ConfigError, match=r"'missing' \(a\) is registered but not available here "
                                                  r"\(toy_targets:NotYet is missing\)"):
        reg.get("missing")
    with pytest.raises(rageval.ConfigError, match=r"'absent' \(c\) is registered but not available"):
        reg.get("absent")
    with pytest.raises(rageval.ConfigError, match=r"unknown thing 'zzz' \(known: plain, ranked@k, both, ranked, later\)"):
        reg.get("zzz")
    with pytest.raises(rageval.ConfigError, match="did you mean 'plain' \\(a\\)"):
        reg.get("plian")
    with pytest.raises(rageval.ConfigError, match="'plain' takes no cutoff"):
        reg.get("plain@2")


def _plugin(tmp_path, dist: str, module: str, entries: str) -> None:
    pkg = tmp_path / module
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from rageval import MeanScorer\n"
        "class Length(MeanScorer):\n"
        "    name = 'answer_length'\n"
        "    fields = ('answer',)\n"
        "    def __init__(self, k=None):\n"
        "        super().__init__(**({'k': k} if k else {}))\n"
        "        self.key = 'answer_length' + (f'@{k}' if k else '')\n"
        "    def score_batch(self, batch):\n"
        "        return [len(a) for a in batch['answer']]\n")
    info = tmp_path / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[rageval.scorers]\n" + entries)


def test_entry_point_plugin(tmp_path, monkeypatch):
    _plugin(tmp_path, "myplugin", "myplugin", "answer_length[@k] = myplugin:Length\nbleu = myplugin:Length\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "answer_length" in rageval.list_scorers() and list_scorers(family="plugins") == ["answer_length"]
    assert "myplugin" not in sys.modules  # listed without importing it
    res = rageval.evaluate([{"answer": "abc"}, {"answer": ""}], ["answer_length", "answer_length@2"], progress=False)
    assert res.aggregate["answer_length"] == 1.5 and res.aggregate["answer_length@2"] == 1.5
    assert "myplugin" in sys.modules
    assert type(get_scorer("bleu")).__module__ == "rageval.scorers.text.bleu"  # built-ins win
    main(["list", "scorers"])


def test_two_plugins_with_one_name_are_ambiguous(tmp_path, monkeypatch):
    _plugin(tmp_path, "plugin_one", "plugin_one", "answer_length = plugin_one:Length\n")
    _plugin(tmp_path, "plugin_two", "plugin_two", "answer_length = plugin_two:Length\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert rageval.list_scorers().count("answer_length") == 1
    with pytest.raises(rageval.UnknownScorerError, match="ambiguous scorer 'answer_length': registered by "
                                                          "plugin_(one|two):Length .* and plugin_(one|two):Length"):
        get_scorer("answer_length")


def test_list_scorers_command_groups_by_family(capsys):
    assert main(["list", "scorers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    headings = [line for line in lines if not line.startswith(" ")]
    assert headings == list(SCORERS.families())
    retrieval = lines[lines.index("retrieval") + 1:]
    retrieval = retrieval[:next((i for i, line in enumerate(retrieval) if not line.startswith(" ")), len(retrieval))]
    assert [line.split() for line in retrieval][:3] == [["precision@k"], ["recall@k"], ["hit_rate", "hit_rate@k"]]
    assert ["bleu"] in [line.split() for line in lines[lines.index("text") + 1:lines.index("qa")]]


def test_judges_and_leaderboard_formats_use_the_same_registry():
    from rageval.judges import KINDS
    from rageval.leaderboard.render import FORMATS, WRITERS

    assert isinstance(KINDS, Registry) and isinstance(WRITERS, Registry)
    assert FORMATS == ("md", "html", "csv", "json", "latex")
    with pytest.raises(rageval.ConfigError, match="unknown leaderboard format 'mdd'; did you mean 'md'"):
        WRITERS.get("mdd")
