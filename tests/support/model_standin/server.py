"""The HTTP server under every model stand-in dialect: bound to 127.0.0.1, one thread."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    """The decoded JSON body (None when there was none or it was not JSON)."""


@dataclass
class Turn:
    """One model reply, in dialect-neutral terms: text, then tool calls (name → arguments; a
    string is the input of a freeform tool, such as codex's ``exec``)."""

    text: str = ""
    tool_calls: list[tuple[str, dict[str, Any] | str]] = field(default_factory=list)
    input_tokens: int = 10
    output_tokens: int = 5
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    status: int = 200
    """An HTTP error status instead of a reply (429 for a rate limit, 401, 500)."""
    error_body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Script:
    """The turns the model plays, in order, for requests that carry tools (the agent loop).

    Requests without tools (session titles, commit messages, routers) are answered by each
    dialect's own small reply and do not consume a turn. When the turns run out, the model
    says ``done`` and stops.
    """

    turns: list[Turn] = field(default_factory=list)
    position: int = 0

    def next_turn(self) -> Turn:
        if self.position < len(self.turns):
            self.position += 1
            return self.turns[self.position - 1]
        return Turn(text="done")


Reply = Callable[["Handler", Request], None]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    routes: list[tuple[str, str, Reply]] = []
    log: list[Request] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        request = Request(method, self.path, dict(self.headers.items()), body)
        self.log.append(request)
        path = self.path.split("?", 1)[0]
        for route_method, prefix, reply in self.routes:
            if route_method == method and path.startswith(prefix):
                reply(self, request)
                return
        self.send_json(404, {"error": {"message": f"no stand-in route for {method} {path}"}})

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def start_sse(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def send_event(self, data: Any, event: str | None = None) -> None:
        chunk = (f"event: {event}\n" if event else "") + f"data: {json.dumps(data)}\n\n"
        self.wfile.write(chunk.encode())
        self.wfile.flush()


@dataclass
class StandIn:
    url: str
    """``http://127.0.0.1:PORT`` (no trailing slash)."""
    requests: list[Request]


@contextmanager
def serve(routes: list[tuple[str, str, Reply]]) -> Iterator[StandIn]:
    """Serve ``routes`` ((method, path prefix, reply)) on a free port until the block ends."""
    log: list[Request] = []
    handler = type("StandInHandler", (Handler,), {"routes": routes, "log": log})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield StandIn(f"http://127.0.0.1:{server.server_address[1]}", log)
    finally:
        server.shutdown()
        server.server_close()
