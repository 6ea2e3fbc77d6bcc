"""A real OpenAI-compatible chat-completions server for tests: an HTTP server on 127.0.0.1 (ephemeral
port) in a background thread, with scripted replies and scripted faults, counting every request.

Faults, queued with `OpenAIServer.fail_next` (applied to the next requests in arrival order) or
`OpenAIServer.fail_when` (to requests matching a predicate), are dicts:

* ``{"status": 429, "retry_after": "0.2", "message": "slow down"}``: an HTTP error with an
  OpenAI-style error body (and a ``Retry-After`` header when given);
* ``{"delay": 1.0}``: wait that long, then answer normally (a client timeout when longer than it);
* ``{"content": "..."}``: a 200 reply whose message content is that text (invalid or truncated
  JSON), optionally with ``"finish_reason"``;
* ``{"body": "<html>"}``: a 200 reply whose body is that raw text (a malformed response);
* ``{"drop": True}``: close the connection without answering;
* ``{"drip": 0.05}``: a normal 200 reply (status line and headers included) written one byte every
  that many seconds, so that no single socket read waits long but the whole reply takes long;
* ``{"hang": True}``: accept the request and never answer (until the server closes);
* ``{"status": 401, "echo_auth": True}``: an HTTP error whose message echoes the request's
  ``Authorization`` header (as careless servers do), to check that no secret reaches an error text.

`refused_url` is a ``base_url`` on which nothing listens (connection refused).
"""
from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict], Any]


def user_text(body: dict) -> str:
    """The content of the first user message of a request body (the rendered prompt)."""
    return next(m["content"] for m in body["messages"] if m["role"] == "user")


class OpenAIServer:
    """Serve ``POST /v1/chat/completions`` with ``responder(body)`` -> content str or
    ``{"content": str, "usage": dict | None, "finish_reason": str}``.

    ``requests`` holds every request body received (faulted ones included), ``replied`` the bodies
    answered with a 200, and ``max_in_flight`` the most requests handled at once.
    """

    def __init__(self, responder: Responder | None = None, port: int = 0) -> None:
        self.responder: Responder = responder or (lambda body: '{"verdict": "yes"}')
        self.requests: list[dict] = []
        self.replied: list[dict] = []
        self.headers: list[dict] = []
        self.times: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._faults: deque[dict] = deque()
        self._conditional: list[list] = []  # [predicate, fault, remaining]
        self._lock = threading.Lock()
        self._closed = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                server._handle(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The ``base_url`` to give a client: ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def fail_next(self, *faults: dict) -> None:
        """Apply ``faults`` to the next requests, one each, in arrival order."""
        with self._lock:
            self._faults.extend(faults)

    def fail_when(self, predicate: Callable[[dict], bool], fault: dict, times: int = 1) -> None:
        """Apply ``fault`` to the first ``times`` requests whose body satisfies ``predicate``."""
        with self._lock:
            self._conditional.append([predicate, fault, times])

    def clear_faults(self) -> None:
        """Drop every queued and conditional fault (the server recovers)."""
        with self._lock:
            self._faults.clear()
            self._conditional.clear()

    def close(self) -> None:
        self._closed.set()  # releases hanging requests
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> OpenAIServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- request handling -------------------------------------------------------------------
    def _next_fault(self, body: dict) -> dict | None:
        for entry in self._conditional:
            if entry[2] > 0 and entry[0](body):
                entry[2] -= 1
                return entry[1]
        return self._faults.popleft() if self._faults else None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", 0))
        body = json.loads(handler.rfile.read(length))
        with self._lock:
            self.requests.append(body)
            self.headers.append(dict(handler.headers))
            self.times.append(time.monotonic())
            fault = self._next_fault(body)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        handler.counted = True
        try:
            self._answer(handler, body, fault or {})
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): expected
            pass
        finally:
            self._leave(handler)

    def _leave(self, handler: BaseHTTPRequestHandler) -> None:
        """The request stops counting as in flight (once), just before its response is written."""
        with self._lock:
            if getattr(handler, "counted", False):
                handler.counted = False
                self.in_flight -= 1

    def _answer(self, handler: BaseHTTPRequestHandler, body: dict, fault: dict) -> None:
        if fault.get("delay"):
            time.sleep(fault["delay"])
        if fault.get("hang"):
            self._closed.wait(600)
            handler.close_connection = True
            return
        if fault.get("drop"):
            handler.close_connection = True
            handler.connection.shutdown(2)
            return
        if "status" in fault:
            message = fault.get("message", "scripted fault")
            if fault.get("echo_auth"):
                message = f"invalid credentials: Authorization: {handler.headers.get('Authorization')}"
            payload = json.dumps({"error": {"message": message,
                                            "type": "test", "code": fault["status"]}}).encode()
            handler.send_response(fault["status"])
            if "retry_after" in fault:
                handler.send_header("Retry-After", str(fault["retry_after"]))
            self._send(handler, payload)
            return
        if "body" in fault:
            handler.send_response(200)
            self._send(handler, str(fault["body"]).encode())
            return
        reply = {"content": fault["content"], "finish_reason": fault.get("finish_reason", "stop")} \
            if "content" in fault else self.responder(body)
        if isinstance(reply, str):
            reply = {"content": reply}
        content = reply["content"]
        usage = reply.get("usage", {"prompt_tokens": sum(len(m["content"].split()) for m in body["messages"]),
                                    "completion_tokens": len(content.split())})
        response = {"id": f"cmpl-{len(self.requests)}", "object": "chat.completion", "model": body.get("model"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                 "finish_reason": reply.get("finish_reason", "stop")}]}
        if usage is not None:
            response["usage"] = {**usage, "total_tokens": sum(usage.values())}
        if fault.get("drip"):
            self._drip(handler, json.dumps(response).encode(), fault["drip"])
            return
        handler.send_response(200)
        self._send(handler, json.dumps(response).encode())
        with self._lock:
            self.replied.append(body)

    def _send(self, handler: BaseHTTPRequestHandler, payload: bytes) -> None:
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        self._leave(handler)
        handler.end_headers()
        handler.wfile.write(payload)
        handler.wfile.flush()


    def _drip(self, handler: BaseHTTPRequestHandler, payload: bytes, every: float) -> None:
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                "Connection: close\r\n\r\n").encode()
        self._leave(handler)
        handler.close_connection = True
        for i in range(len(head) + len(payload)):
            if self._closed.wait(every):
                return
            handler.wfile.write((head + payload)[i:i + 1])
            handler.wfile.flush()
        with self._lock:
            self.replied.append({})


def refused_url() -> str:
    """A ``base_url`` on 127.0.0.1 where nothing listens: every connection is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


#: retry settings that keep tests fast
FAST = {"backoff": 0.001, "max_backoff": 0.5, "timeout": 5.0}


def _sections(text: str) -> dict[str, str]:
    """'Label:\\nvalue' sections of a rendered default prompt."""
    sections = re.finditer(r"^([A-Z][\w ]*):\n(.*?)(?=\n\n|\Z)", text, re.S | re.M)
    return {m.group(1): m.group(2).strip() for m in sections}


def rule_responder(body: dict) -> str:
    """A deterministic stand-in for a model: claims are the text's '.'-separated parts; a verdict is
    "yes" when every word of the thing judged occurs in the evidence."""
    text = user_text(body)
    s = _sections(text)
    if "Text" in s:
        return json.dumps({"claims": [c.strip() for c in s["Text"].split(".") if c.strip()]})
    pairs = [("Claim", "Passage"), ("Reference answer", "Answer to grade"), ("Question", "Passage"),
             ("Question", "Answer")]
    target, evidence = next(((s[a], s[b]) for a, b in pairs if a in s and b in s), ("", ""))  # custom prompt
    words = lambda x: set(re.findall(r"\w+", x.lower()))  # noqa: E731
    verdict = "yes" if words(target) <= words(evidence) else "no"
    return json.dumps({"reason": "rule", "verdict": verdict})
