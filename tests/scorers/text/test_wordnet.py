"""Finding WordNet offline: the lexnames file, the cache copy nltk accepts, and the missing-WordNet message."""
from __future__ import annotations

import gzip
import os
import random
import re
import shutil
import stat
from pathlib import Path

import nltk
import pytest

from rageval.scorers.text import wordnet as wn

MAN_PAGE = Path("/usr/share/man/man5/lexnames.5WN.gz")


def fake_source(tmp_path: Path, name: str = "dict", skip: str | None = None) -> Path:
    src = tmp_path / name
    src.mkdir()
    for f in wn.REQUIRED_FILES:
        if f != skip:
            (src / f).write_text(f"{f}\n")
    return src


def test_lexnames_has_the_format_nltk_reads():
    lines = wn.lexnames_text().splitlines()
    assert len(lines) == 45
    for i, line in enumerate(lines):
        number, name, category = line.split("\t")
        assert int(number) == i and number == f"{i:02d}"
        assert category == {"noun": "1", "verb": "2", "adj": "3", "adv": "4"}[name.split(".")[0]]


def test_lexnames_equal_the_manual_page_table():
    if not MAN_PAGE.is_file():
        pytest.skip(f"{MAN_PAGE} is not installed (apt-get install wordnet-base installs it unless man pages are "
                    "excluded); test_lexnames_agree_with_every_synset checks the names against the data instead")
    rows = re.findall(r"^(\d\d)\t(\S+)\s*\t", gzip.open(MAN_PAGE, "rt").read(), re.M)
    assert [(int(n), name) for n, name in rows] == list(enumerate(wn.LEXNAMES))


def installed_wordnet():
    try:
        return wn.load_wordnet()
    except wn.WordNetMissingError as exc:
        pytest.skip(f"no WordNet on this machine (setup could not install it): {exc}")


def test_lexnames_agree_with_every_synset():
    """Each synset line holds its lexicographer file number and its part of speech: the name we
    give that number must be a file of that part of speech, for every synset in the database."""
    root = installed_wordnet().root  # an nltk path pointer: a directory or nltk's own zip
    pos_prefix = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}
    used = set()
    for part in ("noun", "verb", "adj", "adv"):
        with root.join(f"data.{part}").open() as fh:
            for line in map(bytes.decode, fh):
                if line.startswith("  "):
                    continue  # licence header
                _, lex_filenum, ss_type, _ = line.split(" ", 3)
                name = wn.LEXNAMES[int(lex_filenum)]
                assert name.split(".")[0] == pos_prefix[ss_type], line[:40]
                used.add(int(lex_filenum))
    assert used == set(range(45))


def test_nltk_reads_the_installed_wordnet():
    reader = installed_wordnet()
    assert reader._lexnames == list(wn.LEXNAMES)
    assert reader.synset("dog.n.01").lexname() == "noun.animal"
    assert wn.wordnet_version() == reader.get_version() == "3.0"
    with reader.root.join("data.adj").open() as fh:  # the path taken before loading
        assert wn.version_from_header(fh) == "3.0"
    assert wn.version_from_header([b"no header\n"]) == "unknown"
    assert {lemma.name() for lemma in reader.synset("car.n.01").lemmas()} >= {"car", "auto", "automobile"}


def test_install_corpus_makes_a_private_copy_nltk_accepts(tmp_path):
    src = fake_source(tmp_path)
    old = os.umask(0)  # even a permissive umask must not leave group/world-writable directories
    try:
        dest = wn.install_corpus(src, tmp_path / "nltk_data")
    finally:
        os.umask(old)
    assert dest == tmp_path / "nltk_data" / "corpora" / "wordnet"
    assert (dest / "lexnames").read_text() == wn.lexnames_text()
    for f in wn.REQUIRED_FILES:
        assert (dest / f).read_text() == f"{f}\n"
    for d in (tmp_path / "nltk_data", dest.parent, dest):
        assert not stat.S_IMODE(d.stat().st_mode) & 0o022, d
    found = nltk.data.find("corpora/wordnet", paths=[str(tmp_path / "nltk_data")])
    assert Path(found.path).resolve() == dest.resolve()
    assert not [p for p in dest.parent.iterdir() if p.name.startswith(".wordnet")]  # no leftovers


def test_install_corpus_is_idempotent_and_follows_source_changes(tmp_path):
    src = fake_source(tmp_path)
    dest = wn.install_corpus(src, tmp_path / "nltk_data")
    marker = next(dest.glob("rageval-*.json"))
    before = marker.stat().st_mtime_ns
    assert wn.install_corpus(src, tmp_path / "nltk_data") == dest
    assert marker.stat().st_mtime_ns == before
    (src / "data.noun").write_text("a longer data.noun\n")
    wn.install_corpus(src, tmp_path / "nltk_data")
    assert (dest / "data.noun").read_text() == "a longer data.noun\n"


def test_find_system_wordnet_needs_every_required_file(tmp_path):
    partial = fake_source(tmp_path, "partial", skip="index.sense")
    full = fake_source(tmp_path, "full")
    assert wn.find_system_wordnet([tmp_path / "absent", partial]) is None
    assert wn.find_system_wordnet([partial, full]) == full


def test_missing_wordnet_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(nltk.data, "path", list(nltk.data.path))
    before = list(nltk.data.path)
    with pytest.raises(wn.WordNetMissingError) as err:
        wn.ensure_wordnet(dirs=[tmp_path / "nowhere"], nltk_paths=[str(tmp_path)], nltk_data=tmp_path / "cache")
    message = str(err.value)
    assert "apt-get install wordnet-base wordnet-sense-index" in message
    assert "nltk.download('wordnet')" in message and str(tmp_path / "nowhere") in message
    assert isinstance(err.value, LookupError)
    assert nltk.data.path == before and not (tmp_path / "cache").exists()


def test_ensure_wordnet_installs_a_system_copy_and_adds_it_to_nltks_path(tmp_path, monkeypatch):
    monkeypatch.setattr(nltk.data, "path", list(nltk.data.path))
    src = fake_source(tmp_path)
    wn.ensure_wordnet(dirs=[src], nltk_paths=[str(tmp_path / "empty")], nltk_data=tmp_path / "nd")
    assert str(tmp_path / "nd") in nltk.data.path
    assert (tmp_path / "nd" / "corpora" / "wordnet" / "lexnames").is_file()


def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("RAGEVAL_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert wn.cache_dir() == tmp_path / "xdg" / "rageval"
    monkeypatch.setenv("RAGEVAL_CACHE", str(tmp_path / "mine"))
    assert wn.cache_dir() == tmp_path / "mine"


def test_unwritable_cache_falls_back_to_a_private_temporary_copy(tmp_path, monkeypatch):
    monkeypatch.setattr(nltk.data, "path", list(nltk.data.path))
    src = fake_source(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.warns(RuntimeWarning, match="RAGEVAL_CACHE"):
        wn.ensure_wordnet(dirs=[src], nltk_paths=[str(tmp_path / "empty")], nltk_data=blocker / "nltk_data")
    added = Path(nltk.data.path[-1])
    assert added.name.startswith("rageval-nltk_data-") and (added / "corpora" / "wordnet" / "lexnames").is_file()
    shutil.rmtree(added)


def test_a_source_lexnames_file_is_kept(tmp_path):
    src = fake_source(tmp_path)
    (src / "lexnames").write_text("00\tadj.all\t3\n")
    dest = wn.install_corpus(src, tmp_path / "nltk_data")
    assert (dest / "lexnames").read_text() == "00\tadj.all\t3\n"


def test_lemma_names_read_from_the_data_files_are_nltks():
    """`LemmaNames` (METEOR's fast path) gives, word for word, the names of nltk's synsets' lemmas:
    the same morphology, the same synsets in the same order, the markers stripped the same way."""
    from rageval.scorers.text.wordnet import LemmaNames, WordNetMissingError, load_wordnet

    try:
        wn = load_wordnet()
    except WordNetMissingError as exc:
        pytest.skip(f"no WordNet on this machine: {exc}")
    names = LemmaNames(wn)
    rng = random.Random(0)
    lemmas = sorted(wn._lemma_pos_offset_map)
    words = rng.sample(lemmas, 3000) + ["car", "Car", "running", "better", "geese", "mice", "was", "axes", "abaci",
                                         "", "(a)", "hot_dog", "beautiful", "ran", "Paris", "don't", "e-mail", "東京"]
    words += [w + "s" for w in rng.sample(lemmas, 500)] + [w + "ing" for w in rng.sample(lemmas, 500)]
    for w in words:
        assert names(w) == [lemma.name() for s in wn.synsets(w) for lemma in s.lemmas()], w
