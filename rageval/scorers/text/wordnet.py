"""Find WordNet for nltk offline: nltk's own data, or a system WordNet 3.0 made readable by nltk.

nltk reads WordNet only from its data path (``nltk.data.path``), and refuses directories outside
it. Debian's ``wordnet-base`` / ``wordnet-sense-index`` install the WordNet 3.0 database under
``/usr/share/wordnet`` without the ``lexnames`` file nltk needs. `load_wordnet` uses nltk's own
WordNet when there is one; otherwise it copies a system WordNet into rageval's cache as an nltk
corpus (``<cache>/nltk_data/corpora/wordnet``), writes ``lexnames`` (`LEXNAMES`, from the
lexnames(5WN) manual page), and adds that directory to ``nltk.data.path``. Where there is no
WordNet at all, it fails with `INSTALL_HINT`.
"""
from __future__ import annotations

import functools
import json
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import nltk
from nltk.corpus.reader import WordNetCorpusReader
from nltk.corpus.reader.wordnet import POS_LIST

from rageval.core.errors import RagevalError

#: The 45 WordNet 3.0 lexicographer files in file-number order (lexnames(5WN)). Each line of
#: ``lexnames`` is ``NN<TAB>name<TAB>category``, category 1 noun, 2 verb, 3 adjective, 4 adverb.
LEXNAMES = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
    "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event",
    "noun.feeling", "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object",
    "noun.person", "noun.phenomenon", "noun.plant", "noun.possession", "noun.process",
    "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
    "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition",
    "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",
    "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather",
    "adj.ppl",
)
_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}

#: Files nltk's reader needs (3.10 reads ``index.sense`` when it loads), and one it uses when present.
REQUIRED_FILES = tuple(f"{kind}.{pos}" for kind in ("index", "data") for pos in ("noun", "verb", "adj", "adv")) + (
    "noun.exc", "verb.exc", "adj.exc", "adv.exc", "index.sense")
OPTIONAL_FILES = ("cntlist.rev",)

#: Where system packages put the WordNet database (besides $WNSEARCHDIR and $WNHOME/dict).
SYSTEM_DIRS = (
    "/usr/share/wordnet",                   # Debian, Ubuntu: apt-get install wordnet-base
    "/usr/local/share/wordnet",
    "/usr/local/WordNet-3.0/dict",          # Princeton's default install
    "/usr/share/WordNet-3.0/dict",
    "/opt/homebrew/opt/wordnet/dict",       # Homebrew
    "/usr/local/opt/wordnet/dict",
)

INSTALL_HINT = (
    "METEOR needs the WordNet database, and rageval found none (looked in nltk's data path and "
    "in {dirs}). Install it with one of:\n"
    "  sudo apt-get install wordnet-base wordnet-sense-index     # Debian/Ubuntu, offline mirrors work\n"
    "  python -c \"import nltk; nltk.download('wordnet')\"        # where the nltk data hub is reachable\n"
    "or point $WNSEARCHDIR at a WordNet 3.0 'dict' directory."
)

_MARKER = "rageval-wordnet-source.json"
_VERSION = re.compile(r"Word[nN]et (\d+\+?|\d+\.\d+) Copyright")  # nltk's get_version pattern


class WordNetMissingError(RagevalError, LookupError):
    """No WordNet database where nltk or rageval can find it."""


def lexnames_text() -> str:
    """The ``lexnames`` file of WordNet 3.0, as Princeton ships it: ``NN\\tname\\tcategory``."""
    return "".join(f"{i:02d}\t{name}\t{_CATEGORY[name.split('.')[0]]}\n" for i, name in enumerate(LEXNAMES))


def cache_dir() -> Path:
    """rageval's cache: ``$RAGEVAL_CACHE``, else ``$XDG_CACHE_HOME/rageval``, else ``~/.cache/rageval``."""
    if os.environ.get("RAGEVAL_CACHE"):
        return Path(os.environ["RAGEVAL_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rageval"


def system_dirs() -> list[Path]:
    """Candidate WordNet database directories, in search order."""
    out = []
    if os.environ.get("WNSEARCHDIR"):
        out.append(os.environ["WNSEARCHDIR"])
    if os.environ.get("WNHOME"):
        out.append(os.path.join(os.environ["WNHOME"], "dict"))
    out.extend(SYSTEM_DIRS)
    return [Path(d) for d in out]


def find_system_wordnet(dirs: Iterable[Path] | None = None) -> Path | None:
    """The first directory of ``dirs`` (default `system_dirs`) holding every file in
    `REQUIRED_FILES`, or None."""
    for d in (system_dirs() if dirs is None else dirs):
        d = Path(d)
        if all((d / f).is_file() for f in REQUIRED_FILES):
            return d
    return None


def nltk_has_wordnet(paths: Sequence[str] | None = None) -> bool:
    """True when nltk finds a ``corpora/wordnet`` directory or zip on its data path."""
    for resource in ("corpora/wordnet.zip/wordnet/", "corpora/wordnet"):
        try:
            nltk.data.find(resource, paths=paths)
            return True
        except LookupError:
            pass
    return False


def _source_record(source: Path) -> dict[str, Any]:
    files = {}
    for f in REQUIRED_FILES + OPTIONAL_FILES:
        p = source / f
        if p.is_file():
            st = p.stat()
            files[f] = [st.st_size, int(st.st_mtime)]
    own = source / "lexnames"  # a full Princeton install has one: keep it
    lexnames = own.read_text() if own.is_file() else lexnames_text()
    return {"source": str(source.resolve()), "files": files, "lexnames": lexnames}


def install_corpus(source: Path, nltk_data: Path) -> Path:
    """Copy the WordNet database at ``source`` to ``nltk_data/corpora/wordnet`` with a
    ``lexnames`` file (the source's own, else `lexnames_text`), unless an identical copy is there
    already; returns the corpus directory.

    The copy is built beside its destination and renamed into place, so concurrent processes
    never see half a corpus. Directories are created without group or world write permission,
    which nltk requires of a data root.
    """
    source, nltk_data = Path(source), Path(nltk_data)
    dest = nltk_data / "corpora" / "wordnet"
    record = _source_record(source)
    marker = dest / _MARKER
    if marker.is_file():
        try:
            if json.loads(marker.read_text()) == record:
                return dest
        except ValueError:
            pass
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    for d in (nltk_data, dest.parent):
        d.chmod(d.stat().st_mode & ~0o022)
    tmp = Path(tempfile.mkdtemp(prefix=".wordnet-", dir=dest.parent))
    try:
        for f in record["files"]:
            shutil.copyfile(source / f, tmp / f)
        (tmp / "lexnames").write_text(record["lexnames"])
        (tmp / _MARKER).write_text(json.dumps(record))
        for p in tmp.iterdir():
            p.chmod(0o644)
        tmp.chmod(0o755)
        if dest.exists():
            stale = Path(tempfile.mkdtemp(prefix=".wordnet-old-", dir=dest.parent))
            os.replace(dest, stale / "wordnet")
            shutil.rmtree(stale, ignore_errors=True)
        os.replace(tmp, dest)
    except OSError:
        if not marker.is_file():  # another process may have installed it meanwhile
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def ensure_wordnet(dirs: Iterable[Path] | None = None, nltk_paths: Sequence[str] | None = None,
                   nltk_data: Path | None = None) -> None:
    """Make sure nltk can find WordNet: nothing to do when it finds one on ``nltk_paths``
    (default ``nltk.data.path``); otherwise install the first system WordNet of ``dirs``
    (default `system_dirs`) into ``nltk_data`` (default ``cache_dir()/"nltk_data"``) and add
    that to ``nltk.data.path``. Raises `WordNetMissingError` with install instructions when
    there is none.
    """
    if nltk_has_wordnet(nltk_paths):
        return
    dirs = system_dirs() if dirs is None else [Path(d) for d in dirs]
    source = find_system_wordnet(dirs)
    if source is None:
        raise WordNetMissingError(INSTALL_HINT.format(dirs=", ".join(map(str, dirs))))
    nltk_data = cache_dir() / "nltk_data" if nltk_data is None else Path(nltk_data)
    try:
        install_corpus(source, nltk_data)
    except OSError as exc:  # a read-only home: a private directory for this process instead
        fallback = Path(tempfile.mkdtemp(prefix="rageval-nltk_data-"))
        warnings.warn(f"cannot write WordNet's nltk copy to {nltk_data} ({exc}); using {fallback} for this "
                      f"process. Set RAGEVAL_CACHE to a writable directory to keep it.", RuntimeWarning,
                      stacklevel=2)
        nltk_data = fallback
        install_corpus(source, nltk_data)
    if str(nltk_data) not in nltk.data.path:
        nltk.data.path.append(str(nltk_data))


@functools.lru_cache(maxsize=1)
def load_wordnet() -> Any:
    """nltk's WordNet reader (``nltk.corpus.wordnet``, loaded) after `ensure_wordnet`.

    The reader is nltk's own object, the one ``nltk.translate.meteor_score`` uses by default.
    Loading takes seconds (nltk reads every index), so it is done once per process.
    """
    ensure_wordnet()
    from nltk.corpus import wordnet

    wordnet.ensure_loaded()
    return wordnet


def wordnet_version() -> str:
    """The version of the WordNet nltk reads, from the header of its ``data.adj`` as nltk's
    ``get_version`` reads it, without loading the whole database."""
    ensure_wordnet()
    from nltk.corpus import wordnet

    if isinstance(wordnet, WordNetCorpusReader):  # already loaded
        return str(wordnet.get_version())
    try:
        root = nltk.data.find("corpora/wordnet.zip/wordnet/")
    except LookupError:
        root = nltk.data.find("corpora/wordnet")
    with root.join("data.adj").open() as fh:
        return version_from_header(fh)


def version_from_header(lines: Iterable[bytes]) -> str:
    """The version in a WordNet data file's licence header (nltk's ``get_version`` pattern)."""
    for _, line in zip(range(100), lines):
        match = _VERSION.search(line.decode("utf-8", "replace"))
        if match:
            return match.group(1)
    return "unknown"


class LemmaNames:
    """The lemma names of every synset of a word, as ``[l.name() for s in reader.synsets(word) for l
    in s.lemmas()]`` gives them for nltk's WordNet reader, without building nltk's Synset objects.

    nltk's own morphology and index answer which synsets (``_morphy`` and ``_lemma_pos_offset_map``,
    exactly what ``synsets`` runs); the names come straight from the synset's line of the data file
    (read once into memory), the syntactic marker stripped as nltk strips it. Parsing a synset in
    full (gloss, pointers, frames) was most of METEOR's time on distinct text.
    """

    _MARKER = re.compile(r"(.*?)(\([^()]*\))?$")

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self._files: dict[str, bytes] = {}
        self._names: dict[tuple[str, int], tuple[str, ...]] = {}

    def __call__(self, word: str) -> list[str]:
        reader, lemma = self.reader, word.lower()
        index = reader._lemma_pos_offset_map
        return [name for pos in POS_LIST for form in reader._morphy(lemma, pos, True)
                for offset in index[form].get(pos, []) for name in self._synset(pos, offset)]

    def _synset(self, pos: str, offset: int) -> tuple[str, ...]:
        key = (pos, offset)
        names = self._names.get(key)
        if names is None:
            data = self._file(pos)
            line = data[offset:data.index(b"\n", offset)].decode("utf-8")
            fields = line.strip().split("|")[0].split()
            if int(fields[0]) != offset:
                raise LookupError(f"WordNet has no synset at offset {offset} of data.{pos}")
            count = int(fields[3], 16)
            names = tuple(self._MARKER.match(fields[4 + 2 * i]).group(1) for i in range(count))
            self._names[key] = names
        return names

    def _file(self, pos: str) -> bytes:
        pos = "a" if pos == "s" else pos
        if pos not in self._files:
            with self.reader.root.join(f"data.{self.reader._FILEMAP[pos]}").open() as fh:
                self._files[pos] = fh.read()
        return self._files[pos]
