"""Registries: names -> objects (scorer classes, judge classes, leaderboard writers), loaded lazily.

A `Registry` maps names to ``"module:attr"`` strings, one registration line each, and imports a
target only when it is asked for; third-party packages add entries through an entry-point group.
Each entry belongs to a family (the scorers' ``text``, ``qa``, ``rag``, ``retrieval``, ...). A name
may take a cutoff the way ir_measures writes it; the registered spelling says how:

- ``"bleu"``: no cutoff;
- ``"precision@k"``: a cutoff is required (``precision@10``), and the bare ``precision`` is free for
  another entry (here scikit-learn's classification precision);
- ``"ndcg[@k]"``: with or without a cutoff (``ndcg``, ``ndcg@10``).

An unknown, ambiguous or moved name fails with the closest known names. Listing never imports a
target: an entry whose module is absent, or whose module does not define the attribute yet, is
left out of the listings (a half-built family must not appear).

The scorers' registry is `SCORERS` (entry-point group ``rageval.scorers``, where an entry point's
name may carry the cutoff spelling: ``my_metric@k = my_package.module:MyMetric``).
"""
from __future__ import annotations

import ast
import difflib
import functools
import importlib
import importlib.util
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from rageval.core.catalog import register_builtins
from rageval.core.errors import ConfigError, UnknownScorerError
from rageval.core.scorer import Scorer

#: how a name takes a cutoff: not at all, optionally (``ndcg[@k]``) or necessarily (``precision@k``)
NO_CUTOFF, OPTIONAL_CUTOFF, REQUIRED_CUTOFF = "none", "optional", "required"
PLUGIN_FAMILY = "plugins"


@dataclass(frozen=True)
class Entry:
    """One registration: ``name`` without any cutoff, where it lives, its family and its cutoff."""

    name: str
    target: str  # "module:attr"
    family: str
    cutoff: str = NO_CUTOFF
    origin: str = "built-in"  # or the distribution that declared the entry point

    @property
    def spelling(self) -> str:
        """The name as listed: ``bleu``, ``ndcg`` (a cutoff is optional), ``precision@k``."""
        return f"{self.name}@k" if self.cutoff == REQUIRED_CUTOFF else self.name

    @property
    def bare(self) -> bool:
        return self.cutoff != REQUIRED_CUTOFF

    @property
    def takes_cutoff(self) -> bool:
        return self.cutoff != NO_CUTOFF

    @property
    def module(self) -> str:
        return self.target.partition(":")[0]

    @property
    def attr(self) -> str:
        return self.target.partition(":")[2]

    def overlaps(self, other: Entry) -> bool:
        """Whether both answer to one spelling (``ndcg[@k]`` overlaps ``ndcg`` and ``ndcg@k``)."""
        return self.name == other.name and (self.bare and other.bare or self.takes_cutoff and other.takes_cutoff)

    def available(self) -> bool:
        """Whether the module exists and defines the attribute, found without importing it."""
        return _defines(self.module, self.attr)

    def load(self) -> Any:
        return getattr(importlib.import_module(self.module), self.attr)


def parse_spelling(spelling: str) -> tuple[str, str]:
    """``"ndcg[@k]"`` -> ``("ndcg", OPTIONAL_CUTOFF)``; ``"precision@k"`` -> required; else none."""
    if spelling.endswith("[@k]"):
        return spelling[:-4], OPTIONAL_CUTOFF
    if spelling.endswith("@k"):
        return spelling[:-2], REQUIRED_CUTOFF
    return spelling, NO_CUTOFF


class Registry:
    """Names -> lazily imported objects, grouped in families.

    ``what`` names the kind of thing in messages ("scorer", "judge kind"); ``error`` is the
    exception raised for a name that does not resolve; ``listing`` ends that message (default:
    the known names); ``entry_points`` is the group third-party packages register under.

    >>> formats = Registry("format")
    >>> formats.register("md", "rageval.leaderboard.text:markdown")
    >>> formats.names()
    ('md',)
    """

    def __init__(self, what: str, *, error: type[Exception] = ConfigError, listing: str | None = None,
                 entry_points: str | None = None) -> None:
        self.what, self.error, self.listing, self.group = what, error, listing, entry_points
        self._builtin: list[Entry] = []

    # --- registering ------------------------------------------------------------------------
    def register(self, spelling: str, target: str, family: str = "") -> None:
        """Register ``target`` (``"module:attr"``) under ``spelling`` (``"bleu"``, ``"precision@k"``,
        ``"ndcg[@k]"``, see the module docstring) in ``family``."""
        name, cutoff = parse_spelling(spelling)
        if ":" not in target or not name or "@" in name:
            raise ValueError(f"register({spelling!r}, {target!r}): write a name and a 'module:attr' target")
        entry = Entry(name, target, family, cutoff)
        clash = [e for e in self._builtin if e.overlaps(entry)]
        if clash:
            raise ValueError(f"{self.what} {spelling!r} is already registered ({clash[0].target})")
        self._builtin.append(entry)

    # --- listing ----------------------------------------------------------------------------
    def entries(self, family: str | None = None) -> list[Entry]:
        """The available entries (built-in first, in registration order; then plugins), optionally
        of one family. A plugin that reuses a built-in name is left out: built-ins win."""
        return [e for e in self._all() if (family is None or e.family == family) and e.available()]

    def names(self, family: str | None = None) -> tuple[str, ...]:
        """The available names as written (``precision@k`` where a cutoff is required)."""
        return tuple(dict.fromkeys(e.spelling for e in self.entries(family)))

    def families(self) -> tuple[str, ...]:
        """The families of the available entries, in registration order."""
        return tuple(dict.fromkeys(e.family for e in self.entries()))

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __contains__(self, name: object) -> bool:
        try:
            self.find(str(name))
        except self.error:
            return False
        return True

    # --- looking up -------------------------------------------------------------------------
    def get(self, name: str) -> Any:
        """The object registered under ``name`` (imported now)."""
        return self.find(name)[0].load()

    def find(self, name: str) -> tuple[Entry, int | None]:
        """The entry ``name`` resolves to and its cutoff: ``"ndcg@10"`` -> (the ndcg entry, 10);
        ``"precision@k"`` -> (the retrieval precision entry, None: the cutoff comes later)."""
        if not isinstance(name, str):
            raise TypeError(f"a {self.what} name is a string, got {type(name).__name__}")
        base, at, written = name.partition("@")
        cutoff = None
        if at:
            with_cutoff = self._candidates(base, cutoff=True)
            if written != "k" and (not written.isdigit() or int(written) < 1):
                if with_cutoff:
                    raise self.error(f"bad cutoff in {name!r}: write it as {base}@10 (a positive whole number)")
                raise self.error(self._unknown(name))
            cutoff = None if written == "k" else int(written)
            found = with_cutoff
        else:
            found = self._candidates(base, cutoff=False)
        if len(found) > 1:
            where = " and ".join(f"{e.target} ({e.origin})" for e in found)
            raise self.error(f"ambiguous {self.what} {name!r}: registered by {where}; uninstall one of them")
        if not found or not found[0].available():
            raise self.error(self._unknown(name, found[0] if found else None))
        return found[0], cutoff

    def _candidates(self, base: str, cutoff: bool) -> list[Entry]:
        return [e for e in self._all() if e.name == base and (e.takes_cutoff if cutoff else e.bare)]

    def _unknown(self, name: str, missing: Entry | None = None) -> str:
        base, at, written = name.partition("@")
        # the same name in the other form: "bleu@5" (bleu takes no cutoff), or a bare name that
        # moved ("precision" is classification when that is missing; the retrieval one is precision@k)
        other_form = [e for e in self._candidates(base, cutoff=not at) if e.available()]
        if missing is None and at and other_form:
            return f"{self.what} {base!r} takes no cutoff: write {base!r}"
        if at:  # suggest names that take a cutoff, written with the one given
            shown = written if written.isdigit() else "10"
            pool = {f"{e.name}@{shown}": e for e in self.entries() if e.takes_cutoff}
            query = f"{base}@{shown}"
        else:
            pool = {e.spelling: e for e in self.entries()}
            query = name
        close = difflib.get_close_matches(query, list(pool), n=3, cutoff=0.5)
        for e in other_form:
            pool.setdefault(e.spelling, e)
            close = [e.spelling] + [c for c in close if c != e.spelling]
        hint = ("; did you mean " + " or ".join(
            f"{c!r}" + (f" ({pool[c].family})" if pool[c].family else "") for c in close[:3]) + "?") if close else ""
        if missing is not None:
            label = f" ({missing.family})" if missing.family else ""
            return (f"{self.what} {name!r}{label} is registered but not available here "
                    f"({missing.target} is missing){hint}")
        return f"unknown {self.what} {name!r}{hint} ({self.listing or 'known: ' + ', '.join(self.names())})"

    def _all(self) -> list[Entry]:
        # built-ins win over a plugin that reuses a name
        plugins = [p for p in _entry_point_entries(self.group, tuple(sys.path))
                   if not any(e.overlaps(p) for e in self._builtin)] if self.group else []
        return self._builtin + plugins


@functools.lru_cache(maxsize=16)
def _entry_point_entries(group: str, path: tuple[str, ...]) -> tuple[Entry, ...]:
    # scanning installed distributions is slow; rescan only when sys.path changes
    out = []
    for ep in entry_points(group=group):
        name, cutoff = parse_spelling(ep.name)
        dist = getattr(ep, "dist", None)
        out.append(Entry(name, ep.value, PLUGIN_FAMILY, cutoff, origin=f"plugin {dist.name}" if dist else "plugin"))
    return tuple(out)


def _defines(module: str, attr: str) -> bool:
    """Whether ``module`` exists and defines ``attr`` at its top level, without importing it: a
    loaded module is asked, a source file is parsed (cached by modification time; also when the
    module is loaded but still initialising)."""
    if module in sys.modules and hasattr(sys.modules[module], attr):
        return True
    try:
        spec = importlib.util.find_spec(module)
    except (ModuleNotFoundError, ValueError):
        return False
    if spec is None:
        return False
    origin = spec.origin or ""
    if not origin.endswith(".py") or not os.path.isfile(origin):
        return True  # compiled or namespace modules: trust the registration
    names = _top_level_names(origin, os.stat(origin).st_mtime_ns)
    return names is None or attr in names


@functools.lru_cache(maxsize=256)
def _top_level_names(path: str, mtime_ns: int) -> frozenset[str] | None:
    """The names a module's source binds at its top level; None if it cannot tell (a ``*``
    import, a module ``__getattr__``, a syntax error)."""
    try:
        with open(path, "rb") as fh:
            tree = ast.parse(fh.read(), path)
    except (OSError, SyntaxError, ValueError):
        return None
    names: set[str] = set()

    def bind(target: ast.AST) -> None:
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                bind(t)

    def visit(body: list[ast.stmt]) -> bool:
        for node in body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                for t in node.targets:
                    bind(t)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                bind(node.target)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for a in node.names:
                    if a.name == "*":
                        return False
                    names.add(a.asname or a.name.split(".")[0])
            elif isinstance(node, ast.If):
                if not visit(node.body) or not visit(node.orelse):
                    return False
            elif isinstance(node, ast.Try):
                for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                    if not visit(block):
                        return False
        return "__getattr__" not in names

    return frozenset(names) if visit(tree.body) else None


# --- the scorers ------------------------------------------------------------------------------

SCORERS = Registry("scorer", error=UnknownScorerError, listing="rageval.list_scorers() lists them",
                   entry_points="rageval.scorers")
ENTRY_POINT_GROUP = SCORERS.group

register_builtins(SCORERS)


def list_scorers(family: str | None = None) -> list[str]:
    """The names of the available scorers, built-in and plugins, sorted; ``family=`` keeps one
    family (``"retrieval"``, ``"classification"``, ..., ``"plugins"``). A name that needs a cutoff
    is listed as ``precision@k``."""
    return sorted(SCORERS.names(family))


def scorer_class(name: str) -> type[Scorer]:
    """The class ``name`` resolves to; a cutoff picks the entry that takes one (``precision@10``
    is the retrieval precision, ``precision`` the classification one)."""
    return SCORERS.get(name)


def get_scorer(name: str | Scorer, **params: Any) -> Scorer:
    """A scorer by name with parameters: ``get_scorer("bleu", tokenize="13a")``, ``get_scorer("ndcg@10")``.

    A ``k`` parameter is the cutoff, as ``@k`` is: ``get_scorer("ndcg", k=10)`` is ``ndcg@10`` and
    ``get_scorer("precision", k=10)`` the retrieval ``precision@10`` (what a saved spec rebuilds);
    ``get_scorer("precision")`` is the classification precision.
    """
    if isinstance(name, Scorer):
        if params:
            raise TypeError("parameters go to the scorer's constructor, not to an existing scorer")
        return name
    if not isinstance(name, str):
        raise TypeError(f"a scorer is a name, a (name, params) pair or a Scorer, got {type(name).__name__}")
    entry, cutoff = _find_scorer(name, params.get("k") is not None)
    if cutoff is not None:
        if params.get("k", cutoff) != cutoff:
            raise ConfigError(f"{name!r} with k={params['k']!r}: give the cutoff once")
        params = {**params, "k": cutoff}
    elif entry.cutoff == REQUIRED_CUTOFF and params.get("k") is None:
        raise UnknownScorerError(f"{entry.spelling!r} needs a cutoff: write {entry.name}@10 (or pass k=10)")
    return entry.load()(**params)


def _find_scorer(name: str, with_k: bool) -> tuple[Entry, int | None]:
    if with_k and "@" not in name:  # the entry that takes a cutoff, where the name has one
        try:
            return SCORERS.find(f"{name}@k")
        except UnknownScorerError:
            pass  # none: the parameter goes to the bare entry (which may take its own k, or refuse it)
    return SCORERS.find(name)


def resolve(scorers: Any) -> list[Scorer]:
    """Scorer objects for ``evaluate``'s ``scorers`` argument: names, (name, params) pairs or objects."""
    if isinstance(scorers, (str, Scorer)) or (isinstance(scorers, tuple) and len(scorers) == 2
                                              and isinstance(scorers[1], Mapping)):
        scorers = [scorers]
    out: list[Scorer] = []
    for s in scorers:
        if isinstance(s, (tuple, list)) and len(s) == 2 and isinstance(s[1], Mapping):
            out.append(get_scorer(s[0], **s[1]))
        elif isinstance(s, Mapping) and "name" in s:
            out.append(get_scorer(s["name"], **(s.get("params") or {})))
        else:
            out.append(get_scorer(s))
    keys = [k for s in out for k in s.keys()]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ValueError(f"two scorers produce the same key {dup[0]!r}: give one a distinct key "
                         f"(scorer.key = '...') before evaluating")
    return out
