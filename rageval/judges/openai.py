"""The openai judge: any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, TGI, llama.cpp,
Ollama, ...) over plain HTTP from the standard library, with retries, backoff and bounded concurrency.

Standard library only (`urllib.request` in a `concurrent.futures` thread pool): no SDK or HTTP
client to install, and the calls are few and slow enough that a new connection per request costs
nothing measurable next to the model's latency.
"""
from __future__ import annotations

import email.utils
import http.client
import json
import math
import os
import random
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from rageval.core.errors import ConfigError
from rageval.judges.base import DEFAULT_CACHE, JudgeError, JudgeUnavailable, redact
from rageval.judges.generative import GenerativeJudge, Messages

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
FATAL_STATUS = frozenset({401, 403, 404})  # wrong key, model or URL: every other item would fail too

_SLOTS: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


def endpoint_slots(base_url: str, concurrency: int) -> threading.BoundedSemaphore:
    """The process-wide semaphore bounding requests in flight to ``base_url`` (one per bound)."""
    with _SLOTS_LOCK:
        return _SLOTS.setdefault((base_url, concurrency), threading.BoundedSemaphore(concurrency))


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None, connection: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.connection = connection  # no answer at all (refused, reset, timed out): counts for the breaker


class _Tracked:
    """An ``http.client`` connection class that remembers the connections it makes, so that a
    watchdog can shut their sockets at the attempt's deadline (urllib's ``timeout`` bounds each
    socket operation only: a server dripping its reply could hold a call indefinitely)."""

    def __init__(self, cls: type, made: list) -> None:
        self.cls, self.made = cls, made

    def __call__(self, *args: Any, **kwargs: Any) -> http.client.HTTPConnection:
        conn = self.cls(*args, **kwargs)
        self.made.append(conn)
        return conn


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, made: list) -> None:
        super().__init__()
        self.made = made

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_Tracked(http.client.HTTPConnection, self.made), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, made: list) -> None:
        super().__init__()
        self.made = made

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_Tracked(http.client.HTTPSConnection, self.made), req,
                            context=self._context)  # type: ignore[attr-defined]


def _shut(connections: list, expired: threading.Event) -> None:
    expired.set()
    for conn in list(connections):
        sock = getattr(conn, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a read blocked in another thread
            except OSError:
                pass


def _shown_url(url: str) -> str:
    """``url`` without credentials: a password in it and the values of key/token/secret query
    parameters become ``<redacted>`` (e.g. ``?api-key=...`` of Azure-style endpoints)."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}:<redacted>@{host}" if ":" in user else f"<redacted>@{host}"
    query = re.sub(r"((?:^|&)[^=&]*(?:key|token|secret|password|sig)[^=&]*=)[^&]*", r"\1<redacted>",
                   parts.query, flags=re.I)
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class OpenAIJudge(GenerativeJudge):
    """A generative judge behind an OpenAI-compatible ``POST {base_url}/chat/completions``.

    Parameters:

    * ``model``: the model name the server expects; ``base_url`` (default ``$OPENAI_BASE_URL`` or
      ``https://api.openai.com/v1``; e.g. ``http://localhost:8000/v1`` for vLLM,
      ``http://localhost:11434/v1`` for Ollama);
    * ``api_key``, or ``api_key_env``: the name of the environment variable holding it (default
      ``OPENAI_API_KEY``; no key is sent when neither is set). The key never enters the signature;
    * generation: ``temperature`` (0), ``max_tokens`` (512), ``seed`` (None), ``json_mode``
      (False; True sends ``response_format={"type": "json_object"}``), ``extra_body`` (merged
      into each request, e.g. ``{"top_p": 1}``): all enter the signature and the cache key;
    * faults: ``timeout`` (seconds per attempt, 60: a deadline for the whole attempt, connection,
      request and reply included, however slowly the server sends), ``max_retries`` (5): timeouts, connection
      errors, malformed response bodies and HTTP 408/409/425/429/5xx are retried after
      ``min(max_backoff, backoff · 2^attempt)`` seconds with jitter (×0.5 to 1), or after the
      server's ``Retry-After`` (seconds or an HTTP date, capped at ``max_backoff``) when given;
      other 4xx fail at once with the server's message (401/403/404 stop the whole batch);
    * ``breaker`` (5): after that many consecutive attempts got no answer at all (connection
      refused or reset, or timed out), the endpoint is taken as down and every remaining call of
      this judge fails at once with one `JudgeError` saying so (nothing is cached, so rerunning the
      run resumes it once the server is up); after ``breaker_cooldown`` seconds (60) one further
      attempt is let through, and an answer closes the breaker again. ``breaker=0`` disables it;
    * ``concurrency`` (8): requests in flight to this ``base_url`` at once, in this process;
    * ``prompts``, ``reasks``, ``price``, ``cache_dir``: see `GenerativeJudge` and
      `rageval.judges.generative.parse_price`.

    ``base_url`` is part of the signature (two servers under one model name may differ), without
    any credentials in it. Secrets (the key, ``Authorization`` headers, bearer tokens) are redacted
    from every error text, also when a server echoes them in its error body, and from replies.
    """

    kind = "openai"

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None,
                 api_key_env: str = "OPENAI_API_KEY", temperature: float = 0.0, max_tokens: int = 512,
                 seed: int | None = None, json_mode: bool = False, extra_body: Mapping[str, Any] | None = None,
                 timeout: float = 60.0, max_retries: int = 5, backoff: float = 1.0, max_backoff: float = 60.0,
                 concurrency: int = 8, prompts: Mapping[str, Any] | None = None, reasks: int = 1,
                 price: Any = None, cache_dir: Any = DEFAULT_CACHE, breaker: int = 5,
                 breaker_cooldown: float = 60.0) -> None:
        super().__init__(prompts=prompts, reasks=reasks, price=price, cache_dir=cache_dir)
        if not model:
            raise ConfigError("openai judge: 'model' is required")
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigError(f"openai judge: concurrency must be a positive int, not {concurrency!r}")
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigError(f"openai judge: max_retries must be a non-negative int, not {max_retries!r}")
        self.model = str(model)
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1").rstrip("/")
        self._api_key = api_key if api_key is not None else os.environ.get(api_key_env)
        self.temperature, self.max_tokens, self.seed = float(temperature), int(max_tokens), seed
        self.json_mode, self.extra_body = bool(json_mode), dict(extra_body or {})
        self.timeout, self.max_retries = float(timeout), max_retries
        if not isinstance(breaker, int) or breaker < 0:
            raise ConfigError(f"openai judge: breaker must be a non-negative int, not {breaker!r}")
        if not float(timeout) > 0:
            raise ConfigError(f"openai judge: timeout must be a positive number of seconds, not {timeout!r}")
        self.backoff, self.max_backoff, self.concurrency = float(backoff), float(max_backoff), concurrency
        self.breaker, self.breaker_cooldown = breaker, float(breaker_cooldown)
        self._shown = _shown_url(self.base_url)
        self._failures = 0  # consecutive attempts without an answer
        self._open_until: float | None = None  # the breaker is open until then (monotonic)
        self._down: JudgeError | None = None
        self._opened = threading.Event()  # wakes retries sleeping in backoff when the breaker opens
        self._breaker_lock = threading.Lock()

    def _redact(self, text: str) -> str:
        return redact(text, self._api_key)

    def signature_items(self) -> dict[str, Any]:
        items = {**super().signature_items(), "model": self.model, "base_url": self._shown,
                 "temperature": self.temperature, "max_tokens": self.max_tokens}
        if self.seed is not None:
            items["seed"] = self.seed
        if self.json_mode:
            items["json_mode"] = True
        if self.extra_body:
            items["extra_body"] = _without_secrets(self.extra_body)
        return items

    # --- transport --------------------------------------------------------------------------
    def _chat(self, conversations: list[Messages], index: list[int]) -> Iterable[tuple[int, Any]]:
        if not index:
            return
        fatal: list[JudgeError] = []

        def one(i: int) -> Any:
            if fatal:
                return fatal[0]
            try:
                return self._complete(conversations[i])
            except JudgeError as e:
                if getattr(e, "fatal", False):
                    fatal.append(e)
                return e

        # A new request starts only after a finished one was handed over (and stored by the caller),
        # so at most `concurrency` calls are in flight or finished-but-unstored when a run is killed.
        workers = min(self.concurrency, len(index))
        todo = iter(index)
        running: dict[Future, int] = {}
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rageval-judge")
        try:
            while True:
                while len(running) < workers and (i := next(todo, None)) is not None:
                    running[pool.submit(one, i)] = i
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    yield running.pop(future), future.result()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)  # an interrupt need not wait for replies

    def _complete(self, messages: Messages) -> dict[str, Any]:
        """One chat completion, retried on transient faults; a reply dict or a raised JudgeError."""
        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": self.temperature,
                                "max_tokens": self.max_tokens, **self.extra_body}
        if self.seed is not None:
            body["seed"] = self.seed
        if self.json_mode:
            body["response_format"] = {"type": "json_object"}
        slots = endpoint_slots(self.base_url, self.concurrency)
        for attempt in range(self.max_retries + 1):
            self._check_breaker()
            try:
                with slots:
                    self._check_breaker()
                    response = self._post(body)
                self._answered()
                return _reply(response, messages, self._redact)
            except _Retryable as e:
                if e.connection:
                    self._no_answer(str(e))
                else:
                    self._answered()
                if attempt == self.max_retries:
                    raise JudgeUnavailable(f"{self._shown}: gave up after {attempt + 1} attempts: {e}") from None
                self._record(retries=1)
                self._opened.wait(self._delay(attempt, e.retry_after))  # cut short when the breaker opens
            except JudgeError:
                self._answered()  # the server answered (with an error): it is up
                raise
        raise AssertionError("unreachable")

    @property
    def name(self) -> str:
        return f"openai judge {self.model!r} at {self._shown}"

    # --- circuit breaker ----------------------------------------------------------------------
    def _check_breaker(self) -> None:
        with self._breaker_lock:
            if self._open_until is None:
                return
            if time.monotonic() < self._open_until:
                raise self._down_error()
            # cooldown over: let attempts through; one more failure reopens at once
            self._open_until, self._failures = None, max(0, self.breaker - 1)
            self._opened.clear()

    def _down_error(self) -> JudgeError:
        error = JudgeUnavailable(self._down.message if self._down is not None else f"{self._shown}: endpoint down")
        error.fatal = True  # type: ignore[attr-defined]  # the other items of the batch fail fast too
        return error

    def _no_answer(self, reason: str) -> None:
        with self._breaker_lock:
            self._failures += 1
            if not self.breaker or self._failures < self.breaker or self._open_until is not None:
                return
            self._open_until = time.monotonic() + self.breaker_cooldown
            self._down = JudgeUnavailable(
                f"{self._shown}: endpoint down: {self._failures} consecutive attempts got no answer "
                f"(last: {reason}); the judge's remaining calls fail at once; nothing failed is cached, "
                f"so a rerun once the server is up scores these examples")
            self._opened.set()

    def _answered(self) -> None:
        with self._breaker_lock:
            self._failures = 0

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(self.max_backoff, max(0.0, retry_after))
        return min(self.max_backoff, self.backoff * 2 ** attempt) * random.uniform(0.5, 1.0)

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        url = self.base_url + "/chat/completions"
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST")
        shown = _shown_url(url)
        made: list = []
        expired = threading.Event()
        opener = urllib.request.build_opener(_HTTPHandler(made), _HTTPSHandler(made))
        watchdog = threading.Timer(self.timeout, _shut, (made, expired))
        watchdog.daemon = True
        watchdog.start()
        try:
            try:
                with opener.open(request, timeout=self.timeout) as response:
                    raw = response.read()
            except urllib.error.HTTPError as e:
                message = self._redact(_server_message(e))
                if expired.is_set():
                    raise self._timed_out() from None
                if e.code in RETRY_STATUS:
                    raise _Retryable(f"HTTP {e.code}: {message}", _retry_after(e.headers.get("Retry-After"))) from None
                fatal = e.code in FATAL_STATUS  # wrong key, model or URL: nothing to do with the example
                error = (JudgeUnavailable if fatal else JudgeError)(f"{shown}: HTTP {e.code}: {message}")
                error.fatal = fatal  # type: ignore[attr-defined]
                raise error from None
            except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException, OSError) as e:
                if expired.is_set():
                    raise self._timed_out() from None
                reason = getattr(e, "reason", e)
                raise _Retryable(self._redact(f"{type(reason).__name__}: {reason}"), connection=True) from None
        finally:
            watchdog.cancel()
        if expired.is_set():  # (a reply cut short at the deadline may still parse as a prefix)
            raise self._timed_out()
        try:
            response_json = json.loads(raw)
            response_json["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise _Retryable(self._redact(f"malformed response body: {raw[:200]!r}")) from None
        return response_json

    def _timed_out(self) -> _Retryable:
        return _Retryable(f"TimeoutError: no complete reply within the {self.timeout:g} s deadline", connection=True)


def _without_secrets(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: "<redacted>" if _SECRET_NAME.search(str(k)) and v is not None else _without_secrets(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_secrets(v) for v in value]
    return value


_SECRET_NAME = re.compile(r"api[_-]?key|authorization|token|password|secret", re.I)


def _reply(response: dict[str, Any], messages: Messages, clean: Any = str) -> dict[str, Any]:
    choice = response["choices"][0]
    text = clean(choice["message"].get("content") or "")
    usage = response.get("usage") or {}
    prompt_tokens, completion_tokens = usage.get("prompt_tokens"), usage.get("completion_tokens")
    estimated = not isinstance(prompt_tokens, int) or not isinstance(completion_tokens, int)
    if estimated:
        prompt_tokens = math.ceil(sum(len(m["content"]) for m in messages) / 4)
        completion_tokens = math.ceil(len(text) / 4)
    return {"text": text, "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "finish_reason": choice.get("finish_reason"), "estimated": estimated}


def _server_message(error: urllib.error.HTTPError) -> str:
    try:
        raw = error.read()
    except Exception:  # the body is a courtesy; the status is what matters
        return error.reason or ""
    try:
        data = json.loads(raw)
        err = data.get("error", data) if isinstance(data, dict) else data
        message = err.get("message", err) if isinstance(err, dict) else err
        return str(message)
    except ValueError:
        return raw.decode("utf-8", "replace")[:500] or str(error.reason)


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: a number (fractions accepted) or an HTTP date."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
