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
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from rageval.core.errors import ConfigError
from rageval.judges.base import DEFAULT_CACHE, JudgeError
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
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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
    * faults: ``timeout`` (seconds per attempt, 60), ``max_retries`` (5): timeouts, connection
      errors, malformed response bodies and HTTP 408/409/425/429/5xx are retried after
      ``min(max_backoff, backoff · 2^attempt)`` seconds with jitter (×0.5 to 1), or after the
      server's ``Retry-After`` (seconds or an HTTP date, capped at ``max_backoff``) when given;
      other 4xx fail at once with the server's message (401/403/404 stop the whole batch);
    * ``concurrency`` (8): requests in flight to this ``base_url`` at once, in this process;
    * ``prompts``, ``reasks``, ``price``, ``cache_dir``: see `GenerativeJudge` and
      `rageval.judges.generative.parse_price`.

    ``base_url`` is part of the signature (two servers under one model name may differ).
    """

    kind = "openai"

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None,
                 api_key_env: str = "OPENAI_API_KEY", temperature: float = 0.0, max_tokens: int = 512,
                 seed: int | None = None, json_mode: bool = False, extra_body: Mapping[str, Any] | None = None,
                 timeout: float = 60.0, max_retries: int = 5, backoff: float = 1.0, max_backoff: float = 60.0,
                 concurrency: int = 8, prompts: Mapping[str, Any] | None = None, reasks: int = 1,
                 price: Any = None, cache_dir: Any = DEFAULT_CACHE) -> None:
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
        self.backoff, self.max_backoff, self.concurrency = float(backoff), float(max_backoff), concurrency

    def signature_items(self) -> dict[str, Any]:
        items = {**super().signature_items(), "model": self.model, "base_url": self.base_url,
                 "temperature": self.temperature, "max_tokens": self.max_tokens}
        if self.seed is not None:
            items["seed"] = self.seed
        if self.json_mode:
            items["json_mode"] = True
        if self.extra_body:
            items["extra_body"] = self.extra_body
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
            try:
                with slots:
                    response = self._post(body)
                return _reply(response, messages)
            except _Retryable as e:
                if attempt == self.max_retries:
                    raise JudgeError(f"{self.base_url}: gave up after {attempt + 1} attempts: {e}") from None
                self._record(retries=1)
                time.sleep(self._delay(attempt, e.retry_after))
        raise AssertionError("unreachable")

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
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as e:
            message = _server_message(e)
            if e.code in RETRY_STATUS:
                raise _Retryable(f"HTTP {e.code}: {message}", _retry_after(e.headers.get("Retry-After"))) from None
            error = JudgeError(f"{url}: HTTP {e.code}: {message}")
            error.fatal = e.code in FATAL_STATUS  # type: ignore[attr-defined]
            raise error from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException, OSError) as e:
            reason = getattr(e, "reason", e)
            raise _Retryable(f"{type(reason).__name__}: {reason}") from None
        try:
            response_json = json.loads(raw)
            response_json["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise _Retryable(f"malformed response body: {raw[:200]!r}") from None
        return response_json


def _reply(response: dict[str, Any], messages: Messages) -> dict[str, Any]:
    choice = response["choices"][0]
    text = choice["message"].get("content") or ""
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
