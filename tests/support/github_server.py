"""A small GitHub REST stand-in served over real HTTP from a thread, for PR-mode tests.

It speaks what PR mode uses: ``GET /user`` (with ``X-OAuth-Scopes``), opening, reading
(ETag / ``If-None-Match`` → 304) and merging pull requests, their reviews, review comments,
conversation (issue) comments, check runs of a commit, deleting a branch, and GitHub's
rate-limit headers. ``rate_limited = True`` makes every call answer 403 with
``X-RateLimit-Remaining: 0`` as GitHub does.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

PREFIX = "/api/v3"


@dataclass
class FakeGitHub:
    url: str
    token: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    review_comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    issue_comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    check_runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deleted_branches: list[str] = field(default_factory=list)
    scopes: str = "repo, read:org"
    rate_limited: bool = False
    reset_in: int = 600

    def paths(self, method: str = "GET") -> list[str]:
        """The paths asked for with ``method``, query strings cut off."""
        return [urlsplit(r["path"]).path for r in self.requests if r["method"] == method]

    def review(self, number: int, user: str, state: str, body: str = "", at: str = "") -> None:
        self.reviews.setdefault(number, []).append(
            {
                "id": 9000 + sum(len(v) for v in self.reviews.values()),
                "user": {"login": user},
                "state": state,
                "body": body,
                "submitted_at": at or _now(),
            }
        )

    def file_comment(self, number: int, user: str, path: str, line: int, body: str) -> None:
        self.review_comments.setdefault(number, []).append(
            {
                "id": 5000 + sum(len(v) for v in self.review_comments.values()),
                "user": {"login": user},
                "path": path,
                "line": line,
                "body": body,
                "created_at": _now(),
            }
        )


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time()))


def _handler(state: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode() if status not in (204, 304) else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            remaining = "0" if state.rate_limited else "4999"
            self.send_header("X-RateLimit-Limit", "5000")
            self.send_header("X-RateLimit-Remaining", remaining)
            self.send_header("X-RateLimit-Reset", str(int(time.time()) + state.reset_in))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
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
                    "if_none_match": self.headers.get("If-None-Match"),
                    "body": body,
                }
            )
            if self.headers.get("Authorization") != f"Bearer {state.token}":
                self._reply(401, {"message": "Bad credentials"})
                return
            if state.rate_limited:
                self._reply(403, {"message": "API rate limit exceeded for user ID 1."})
                return
            path = urlsplit(self.path).path.removeprefix(PREFIX).strip("/")
            page = dict(p.split("=", 1) for p in urlsplit(self.path).query.split("&") if "=" in p)
            parts = path.split("/")
            if parts == ["user"]:
                self._reply(200, {"login": "octo"}, {"X-OAuth-Scopes": state.scopes})
                return
            if len(parts) < 4 or parts[0] != "repos" or parts[2] != "widgets":
                self._reply(404, {"message": "Not Found"})
                return
            owner, repo, rest = parts[1], parts[2], parts[3:]
            if rest[0] == "commits" and rest[2:] == ["check-runs"]:
                runs = state.check_runs.get(rest[1], [])
                self._reply(200, {"total_count": len(runs), "check_runs": runs})
            elif rest[:3] == ["git", "refs", "heads"] and method == "DELETE":
                state.deleted_branches.append("/".join(rest[3:]))
                self._reply(204, None)
            elif rest[0] == "issues" and rest[2:] == ["comments"]:
                self._list(state.issue_comments.get(int(rest[1]), []), page)
            elif rest[0] == "pulls" and method == "POST" and len(rest) == 1:
                self._open(owner, repo, body)
            elif rest[0] == "pulls" and len(rest) >= 2 and int(rest[1]) in state.pulls:
                self._pull(method, int(rest[1]), rest[2:], body, page)
            else:
                self._reply(404, {"message": "Not Found"})

        def _list(self, items: list[dict[str, Any]], page: dict[str, str]) -> None:
            size, number = int(page.get("per_page", 30)), int(page.get("page", 1))
            self._reply(200, items[(number - 1) * size : number * size])

        def _open(self, owner: str, repo: str, body: dict[str, Any]) -> None:
            if any(p["head"]["ref"] == body["head"] for p in state.pulls.values()):
                message = f"A pull request already exists for {owner}:{body['head']}."
                self._reply(
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [
                            {"resource": "PullRequest", "code": "custom", "message": message}
                        ],
                    },
                )
                return
            number = len(state.pulls) + 7
            pull = {
                "number": number,
                "html_url": f"https://github.example/{owner}/{repo}/pull/{number}",
                "title": body["title"],
                "body": body.get("body", ""),
                "state": "open",
                "merged": False,
                "merged_at": None,
                "closed_at": None,
                "draft": body.get("draft", False),
                "mergeable": True,
                "mergeable_state": "clean",
                "head": {
                    "ref": body["head"],
                    "sha": hashlib.sha1(body["head"].encode()).hexdigest(),
                },
                "base": {"ref": body["base"]},
            }
            state.pulls[number] = pull
            self._reply(201, pull)

        def _pull(
            self,
            method: str,
            number: int,
            rest: list[str],
            body: dict[str, Any],
            page: dict[str, str],
        ) -> None:
            pull = state.pulls[number]
            if rest == ["merge"] and method == "PUT":
                pull.update(
                    merged=True,
                    state="closed",
                    merged_at=_now(),
                    closed_at=_now(),
                    merge_method=body.get("merge_method"),
                )
                self._reply(200, {"merged": True, "message": "Pull Request successfully merged"})
            elif rest == ["reviews"]:
                self._list(state.reviews.get(number, []), page)
            elif rest == ["comments"]:
                self._list(state.review_comments.get(number, []), page)
            elif not rest:
                etag = (
                    '"' + hashlib.sha1(json.dumps(pull, sort_keys=True).encode()).hexdigest() + '"'
                )
                if self.headers.get("If-None-Match") == etag:
                    self._reply(304, None, {"ETag": etag})
                else:
                    self._reply(200, pull, {"ETag": etag})
            else:
                self._reply(404, {"message": "Not Found"})

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PUT(self) -> None:
            self._route("PUT")

        def do_DELETE(self) -> None:
            self._route("DELETE")

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
