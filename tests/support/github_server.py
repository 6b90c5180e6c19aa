"""A small GitHub REST stand-in served over real HTTP from a thread, for PR-mode tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/api/v3"


@dataclass
class FakeGitHub:
    url: str
    token: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)


def _handler(state: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}") if length else {}
            state.requests.append(
                {
                    "method": method,
                    "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                    "body": body,
                }
            )
            if self.headers.get("Authorization") != f"Bearer {state.token}":
                self._reply(401, {"message": "Bad credentials"})
                return
            parts = self.path.removeprefix(PREFIX).strip("/").split("/")
            if parts == ["user"]:
                self._reply(200, {"login": "octo"})
                return
            if len(parts) < 4 or parts[0] != "repos" or parts[3] != "pulls":
                self._reply(404, {"message": "Not Found"})
                return
            owner, repo = parts[1], parts[2]
            if repo != "widgets":
                self._reply(404, {"message": "Not Found"})
                return
            if method == "POST":
                if any(p["head"]["ref"] == body["head"] for p in state.pulls.values()):
                    self._reply(
                        422,
                        {
                            "message": "Validation Failed",
                            "errors": [
                                {
                                    "resource": "PullRequest",
                                    "code": "custom",
                                    "message": f"A pull request already exists for "
                                    f"{owner}:{body['head']}.",
                                }
                            ],
                        },
                    )
                    return
                number = len(state.pulls) + 7
                pull = {
                    "number": number,
                    "html_url": f"https://github.example/{owner}/{repo}/pull/{number}",
                    "title": body["title"],
                    "state": "open",
                    "merged": False,
                    "draft": body.get("draft", False),
                    "head": {"ref": body["head"]},
                    "base": {"ref": body["base"]},
                }
                state.pulls[number] = pull
                self._reply(201, pull)
                return
            number = int(parts[4])
            if number not in state.pulls:
                self._reply(404, {"message": "Not Found"})
                return
            self._reply(200, state.pulls[number])

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

    return Handler


@contextmanager
def fake_github(token: str = "test-token") -> Iterator[FakeGitHub]:
    state = FakeGitHub(url="", token=token)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
