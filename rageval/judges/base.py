"""The judge contract: batched primitives (support, relevance, agreement, addresses, claims) that
RAG scorers combine, each answer cached on disk and each failure a `JudgeError` for that item.

Note for scorer authors (interface as agreed, plus these additions):

* every primitive takes ``errors="raise"`` (default: raise the first item's `JudgeError`, after
  every other item was computed and cached) or ``errors="return"`` (the failed items come back as
  `JudgeError` instances in the list, with ``.index`` set; the others as floats), so a scorer can
  record an error for one example without redoing the batch;
* ``usage()`` also reports ``errors``, ``retries``, ``cached_prompt_tokens``,
  ``cached_completion_tokens`` and ``estimated_token_calls``;
* one convention for every judge: an empty (whitespace-only) premise, passage or answer on the
  evidence side scores 0.0 without a model call; an empty claim, question or reference is a
  `JudgeError` ("nothing to judge"). Generative ``claims("")`` is ``[]``;
* `JudgeError` has ``index``, ``raw`` (the model's last reply, when there was one) and
  ``to_dict()`` for per-example records.

Values are floats in [0, 1]; a judge never returns NaN in place of an answer.
"""
from __future__ import annotations

import os
import re
import threading
from abc import ABC
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from typing import Any, ClassVar, Literal

from rageval.core.errors import RagevalError
from rageval.judges.cache import JudgeCache, cache_key, default_cache_dir, open_cache

Errors = Literal["raise", "return"]
_UNSET: Any = object()


class _DefaultCache:
    def __repr__(self) -> str:
        return "DEFAULT_CACHE"


DEFAULT_CACHE: Any = _DefaultCache()
"""``cache_dir`` default: `default_cache_dir()` for judges that cache by default, else no cache."""


_BEARER = re.compile(r"(\b(?:authorization|proxy-authorization|x-api-key|api[_-]?key)\b[\"']?\s*[:=]\s*[\"']?)"
                     r"(?!<redacted>)(?:(?:bearer|basic|token)\s+)?[^\s\"',;}]+"
                     r"|\b(bearer)\s+(?!<redacted>)(?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}"
                     r"|\bsk-[A-Za-z0-9_-]{8,}", re.I)


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with each of ``secrets`` (those of 4 characters or more) and anything shaped like
    a credential (``Authorization: ...``, ``api_key=...``, ``Bearer <token with a digit>``,
    ``sk-...``) replaced
    by ``<redacted>``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "<redacted>")
    return _BEARER.sub(lambda m: (m.group(1) or (m.group(2) + " " if m.group(2) else "")) + "<redacted>", text)


class JudgeError(RagevalError):
    """A judge call failed after retries, or its output stayed unusable after repair and re-ask.
    Its message never carries a credential (see `redact`)."""

    def __init__(self, message: str, index: int | None = None, raw: str | None = None) -> None:
        message = redact(message)
        super().__init__(message)
        self.message, self.index, self.raw = message, index, raw

    def __str__(self) -> str:
        where = f"item {self.index}: " if self.index is not None else ""
        return f"{where}{self.message}"

    def __reduce__(self) -> tuple:  # keep index and raw across processes
        return (type(self), (self.message, self.index, self.raw))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able record of the error (for per-example results)."""
        return {"error": self.message, "index": self.index, "raw": self.raw}


class JudgeUnavailable(JudgeError):
    """The judge's endpoint gave no usable answer for a reason that has nothing to do with the
    example (connection refused or reset, a deadline passed, HTTP 5xx/429 after every retry, the
    circuit breaker open, credentials refused). A run directory resumed with the same ``output=``
    scores such examples again; other judge errors (bad input, an unusable reply) are kept."""


class Judge(ABC):
    """Base class of judges.

    Subclasses set ``kind``, extend ``signature_items`` with whatever changes their answers, and
    implement the hooks ``_support`` and ``_relevance`` (and, where they can do better than the
    defaults below, ``_agreement``, ``_addresses`` and ``_claims``). A hook returns one value or
    one exception per item; the public methods check the inputs and apply ``errors=``.

    Defaults: ``agreement`` is the mean of ``support`` both ways (answer ⇒ reference and
    reference ⇒ answer); ``addresses`` is ``relevance(question, answer)``; ``claims`` is
    `rageval.textutils.sentences.split_sentences`.
    """

    kind: ClassVar[str]
    generative: ClassVar[bool] = False
    #: bumped whenever a change alters the answers a judge gives (enters the signature)
    version: ClassVar[str] = "1"
    #: judges whose answers cost nothing to recompute (lexical) do not cache unless asked
    cache_by_default: ClassVar[bool] = True

    def __init__(self, cache_dir: str | os.PathLike | None | bool = DEFAULT_CACHE) -> None:
        if cache_dir is DEFAULT_CACHE or cache_dir is True:
            cache_dir = default_cache_dir() if (self.cache_by_default or cache_dir is True) else None
        self.cache: JudgeCache | None = open_cache(cache_dir) if cache_dir else None
        self._lock = threading.Lock()
        self._usage = dict.fromkeys(("calls", "cached", "errors", "retries", "prompt_tokens", "completion_tokens",
                                     "cached_prompt_tokens", "cached_completion_tokens", "estimated_token_calls"), 0)

    # --- public primitives ----------------------------------------------------------------
    # Convention for every judge: an empty (whitespace-only) premise, passage or answer on the
    # evidence side scores 0.0 without a model call (it supports / answers nothing); an empty
    # claim, question or reference is a JudgeError ("nothing to judge"), never a silent 0 or 1.

    def support(self, premises: Sequence[str], claims: Sequence[str], errors: Errors = "raise") -> list:
        """P(claim is supported by / entailed by the premise), one float in [0, 1] per pair."""
        _check("support", premises=premises, claims=claims)
        return self._finish(self._guarded(self._support, "claim", list(claims), list(premises)), errors)

    def relevance(self, questions: Sequence[str], passages: Sequence[str], errors: Errors = "raise") -> list:
        """How relevant the passage is to the question (does it help answer it), in [0, 1]."""
        _check("relevance", questions=questions, passages=passages)
        return self._finish(self._guarded(lambda p, q: self._relevance(q, p), "question", list(questions),
                                          list(passages)), errors)

    def agreement(self, answers: Sequence[str], references: Sequence[str],
                  questions: Sequence[str] | None = None, errors: Errors = "raise") -> list:
        """Does the answer agree with the reference answer (to the question, when given), in [0, 1]."""
        if questions is None:
            _check("agreement", answers=answers, references=references)
            hook = lambda a, r: self._agreement(a, r, None)  # noqa: E731
            out = self._guarded(hook, "reference", list(references), list(answers))
        else:
            _check("agreement", answers=answers, references=references, questions=questions)
            hook = lambda a, r, q: self._agreement(a, r, q)  # noqa: E731
            out = self._guarded(hook, "reference", list(references), list(answers), list(questions))
        return self._finish(out, errors)

    def addresses(self, questions: Sequence[str], answers: Sequence[str], errors: Errors = "raise") -> list:
        """Does the answer directly address the question, in [0, 1]."""
        _check("addresses", questions=questions, answers=answers)
        return self._finish(self._guarded(lambda a, q: self._addresses(q, a), "question", list(questions),
                                          list(answers)), errors)

    def claims(self, texts: Sequence[str], errors: Errors = "raise") -> list:
        """Atomic claims of each text: an LLM decomposition for generative judges, sentences otherwise."""
        _check("claims", texts=texts)
        return self._finish(self._claims(list(texts)), errors)

    def usage(self) -> dict[str, Any]:
        """Counters since construction: ``calls`` (model calls made: requests or generations for
        generative judges, items passed through the model for local scoring models), ``cached``
        (answers served from the cache or from another thread's call), ``errors`` (items returned
        or raised as JudgeError), ``retries`` (HTTP attempts retried after a fault),
        ``prompt_tokens``/``completion_tokens`` of the calls made,
        ``cached_prompt_tokens``/``cached_completion_tokens`` of cached answers,
        ``estimated_token_calls`` (calls whose server sent no ``usage``: tokens estimated as
        ceil(characters / 4)), and ``cost`` (of the calls made; None when the judge has no price)."""
        with self._lock:
            out: dict[str, Any] = dict(self._usage)
        out["cost"] = self._cost(out["prompt_tokens"], out["completion_tokens"])
        return out

    # --- identity -------------------------------------------------------------------------
    def signature_items(self) -> dict[str, Any]:
        """Everything that can change this judge's answers (subclasses add model, prompts, params)."""
        return {"kind": self.kind, "version": self.version}

    @property
    def signature(self) -> str:
        """``judge:kind|key:value|...``: enters the scorers' signatures and every cache key."""
        return "|".join(f"{k}:{_fmt(v)}" for k, v in self.signature_items().items())

    def __repr__(self) -> str:
        return f"<Judge {self.signature}>"

    @property
    def name(self) -> str:
        """A short name for messages (never a credential)."""
        return f"{self.kind} judge"

    # --- hooks ----------------------------------------------------------------------------
    def _support(self, premises: list[str], claims: list[str]) -> list:
        raise NotImplementedError(f"the {self.kind} judge does not implement support")

    def _relevance(self, questions: list[str], passages: list[str]) -> list:
        raise NotImplementedError(f"the {self.kind} judge does not implement relevance")

    def _agreement(self, answers: list[str], references: list[str], questions: list[str] | None) -> list:
        both = self._support(answers + references, references + answers)
        n = len(answers)
        return [_mean2(both[i], both[n + i]) for i in range(n)]

    def _addresses(self, questions: list[str], answers: list[str]) -> list:
        return self._relevance(questions, answers)

    def _claims(self, texts: list[str]) -> list:
        from rageval.textutils.sentences import split_sentences

        return [split_sentences(t) for t in texts]

    def _cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        return None

    # --- helpers for subclasses -----------------------------------------------------------
    def _record(self, **counts: int) -> None:
        with self._lock:
            for k, v in counts.items():
                self._usage[k] += v

    def _cached(self, namespace: str, payloads: Sequence[Any],
                compute: Callable[[list[int]], Iterable[tuple[int, Any]]], flush_every: int = 256,
                on_hit: Callable[[Any], None] | None = None, scope: str | None = None) -> list:
        """The value for each payload, from the cache or from ``compute``.

        ``compute(indices)`` gets the indices of the payloads not in the cache (one per distinct
        payload) and yields ``(index, value)`` pairs, in any order, where ``value`` is JSON-able or
        an exception. Values are stored as they arrive (every ``flush_every`` values, and always
        before returning or raising); exceptions are not stored, so a later run tries again. The
        key is ``(scope, namespace, payload)``: ``payload`` must hold every input of the call, and
        ``scope`` (default: the judge's signature) everything else that changes the value.
        ``on_hit(value)`` is called for each item served without a call (for usage accounting).

        Within a process, a key already being computed by another thread is waited for, not
        computed twice (so parallel scorers sharing a judge never pay twice for one call).
        """
        scope = self.signature if scope is None else scope
        keys = [cache_key(scope, namespace, p) for p in payloads]
        found = self.cache.get_many(keys) if self.cache is not None else {}
        first: dict[str, int] = {}
        for i, key in enumerate(keys):
            if key not in found:
                first.setdefault(key, i)
        mine, theirs = _claim(first)
        if mine and self.cache is not None:  # stored by another thread between the look-up and the claim
            late = self.cache.get_many(mine)
            for key, value in late.items():
                found[key] = value
                _settle(key, value)
            mine = [k for k in mine if k not in late]
        computed: set[str] = set()
        pending: dict[str, Any] = {}

        def flush() -> None:  # store, then release waiters: a late reader finds one or the other
            if pending:
                self.cache.put_many(pending)  # type: ignore[union-attr]
            for key in list(pending):
                _settle(key, pending.pop(key))

        try:
            for i, value in compute([first[k] for k in mine]) if mine else ():
                key = keys[i]
                found[key] = value
                computed.add(key)
                if isinstance(value, BaseException) or self.cache is None:
                    _settle(key, value)
                else:
                    pending[key] = value
                    if len(pending) >= flush_every:
                        flush()
        finally:
            if self.cache is not None:
                flush()
            for key in mine:  # a compute hook that stopped early must not leave waiters hanging
                if key not in computed:
                    _settle(key, RuntimeError(f"{type(self).__name__}: no value computed"))
        if len(computed) < len(mine):  # a compute hook that skipped an item is a bug, never a silent value
            raise RuntimeError(f"{type(self).__name__}: no value computed for {len(mine) - len(computed)} item(s)")
        for key, future in theirs.items():
            found[key] = future.result()
        served = [found[k] for k in keys if k not in computed]
        if served:
            self._record(cached=sum(not isinstance(v, BaseException) for v in served))
            if on_hit is not None:
                for value in served:
                    if not isinstance(value, BaseException):
                        on_hit(value)
        return [found[k] for k in keys]

    @staticmethod
    def _guarded(hook: Callable[..., list], target_name: str, targets: list[str], sources: list[str],
                 *extra: list[str]) -> list:
        """``hook(sources, targets, *extra)`` on the items that have something to judge (see the
        convention above); the others get 0.0 or a JudgeError without reaching the hook."""
        out: list[Any] = [None] * len(targets)
        todo = []
        for i, (t, s) in enumerate(zip(targets, sources)):
            if not t.strip():
                out[i] = JudgeError(f"nothing to judge: empty {target_name}")
            elif not s.strip():
                out[i] = 0.0
            else:
                todo.append(i)
        if todo:
            pick = lambda col: [col[i] for i in todo]  # noqa: E731
            for i, v in zip(todo, hook(pick(sources), pick(targets), *map(pick, extra))):
                out[i] = v
        return out

    def _finish(self, results: list, errors: Errors) -> list:
        if errors not in ("raise", "return"):
            raise ValueError(f"errors must be 'raise' or 'return', not {errors!r}")
        first: JudgeError | None = None
        for i, r in enumerate(results):
            if isinstance(r, BaseException):
                err = r if isinstance(r, JudgeError) else JudgeError(f"{type(r).__name__}: {r}")
                err.index = i
                results[i] = err
                first = first or err
        if first is not None:
            self._record(errors=sum(isinstance(r, JudgeError) for r in results))
            if errors == "raise":
                raise first
        return results


_INFLIGHT: dict[str, tuple[Future, int]] = {}  # key -> (its value to come, the computing thread)
_INFLIGHT_LOCK = threading.Lock()


def _claim(keys: Iterable[str]) -> tuple[list[str], dict[str, Future]]:
    """Split ``keys`` into those this thread computes and those another thread is computing."""
    mine, theirs = [], {}
    me = threading.get_ident()
    with _INFLIGHT_LOCK:
        for key in keys:
            if key in _INFLIGHT and _INFLIGHT[key][1] != me:
                theirs[key] = _INFLIGHT[key][0]
            elif key not in _INFLIGHT:  # (a re-entrant call for a key this thread holds recomputes it)
                _INFLIGHT[key] = (Future(), me)
                mine.append(key)
            else:
                mine.append(key)
    return mine, theirs


def _settle(key: str, value: Any) -> None:
    with _INFLIGHT_LOCK:
        entry = _INFLIGHT.pop(key, None)
    if entry is not None:
        entry[0].set_result(value)


def _check(what: str, **columns: Sequence[str]) -> None:
    lengths = {name: len(col) for name, col in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{what}: inputs differ in length: {lengths}")
    for name, col in columns.items():
        for row, value in enumerate(col):
            if not isinstance(value, str):
                raise TypeError(f"{what}: {name}[{row}] must be a str, not {type(value).__name__}")


def _mean2(a: Any, b: Any) -> Any:
    if isinstance(a, BaseException):
        return a
    if isinstance(b, BaseException):
        return b
    return (a + b) / 2.0


def _fmt(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}={_fmt(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(map(_fmt, value)) + "]"
    return str(value)
