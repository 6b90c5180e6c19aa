"""The few GitHub REST calls PR mode needs: open, read, review-read and merge pull requests.

The base URL is ``settings.github_api_url`` (GitHub Enterprise: ``https://host/api/v3``); the
token comes from the OS keyring (:mod:`solo_unicorn_tui.secrets`) and only ever travels in the
``Authorization`` header — never in a message, log line or exception. Every failure becomes a
:class:`GitHubError` whose text is one line a user can act on.

Rate limits: when GitHub answers 403/429 with ``X-RateLimit-Remaining: 0`` (or a
``Retry-After``), or any answer says no requests remain, the client notes the reset time for its
base URL and refuses further calls until then with :class:`GitHubRateLimited`, without asking
GitHub — the dispatcher's 5-minute refresh backs off instead of hammering a limited token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import httpx

from solo_unicorn_tui import __version__
from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.secrets import GITHUB_TOKEN, get_secret
from storage.pr_comments import CommentData

log = logging.getLogger(__name__)
API_VERSION = "2022-11-28"
DEFAULT_TIMEOUT = 15.0


MAX_PAGES = 10
_backoff_until: dict[str, datetime] = {}
"""Base URL → when its rate limit resets (shared by every client of this process)."""


class GitHubError(UserError):
    """A GitHub call failed; ``status`` is the HTTP status (None when GitHub was not reached)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHubRateLimited(GitHubError):
    """GitHub's rate limit is used up until ``reset_at``; nothing is asked before then."""

    def __init__(self, reset_at: datetime, status: int | None = None) -> None:
        wait = max(0, int((reset_at - datetime.now(UTC)).total_seconds()))
        super().__init__(
            f"GitHub API rate limit reached; backing off until {reset_at:%H:%M:%S} UTC "
            f"({wait // 60} min {wait % 60} s)",
            status,
        )
        self.reset_at = reset_at


@dataclass(frozen=True)
class Conditional:
    """A GET that may have answered 304: ``data`` None means unchanged since ``etag``."""

    data: dict[str, Any] | None
    etag: str | None


@dataclass(frozen=True)
class TokenInfo:
    login: str
    scopes: list[str] = field(default_factory=list)
    """From ``X-OAuth-Scopes``; empty for fine-grained tokens, which do not send it."""


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str
    title: str
    state: str
    """``open``, ``closed`` or ``merged`` (GitHub says closed + merged; we fold it)."""
    head: str
    base: str
    draft: bool
    review_decision: str | None = None
    head_sha: str | None = None
    mergeable: bool | None = None
    mergeable_state: str | None = None
    merged_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def status(self) -> str:
        """``github_pull_requests.status``: open, draft, closed or merged."""
        return "draft" if self.state == "open" and self.draft else self.state

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> PullRequest:
        merged = bool(data.get("merged") or data.get("merged_at"))
        state = "merged" if merged else str(data.get("state", "open"))
        mergeable = data.get("mergeable")
        return cls(
            number=int(data["number"]),
            url=str(data.get("html_url") or data.get("url") or ""),
            title=str(data.get("title", "")),
            state=state,
            head=str((data.get("head") or {}).get("ref", "")),
            base=str((data.get("base") or {}).get("ref", "")),
            draft=bool(data.get("draft", False)),
            head_sha=(data.get("head") or {}).get("sha"),
            mergeable=mergeable if isinstance(mergeable, bool) else None,
            mergeable_state=data.get("mergeable_state"),
            merged_at=parse_time(data.get("merged_at")),
            closed_at=parse_time(data.get("closed_at")),
        )


def parse_time(value: object) -> datetime | None:
    """GitHub's ISO 8601 times (``2026-12-02T10:00:00Z``) as aware datetimes."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _reset_time(response: httpx.Response) -> datetime | None:
    """When the rate limit of this answer resets, if it says the limit is used up."""
    headers = response.headers
    retry_after = headers.get("retry-after")
    if retry_after and retry_after.isdigit() and response.status_code in (403, 429):
        return datetime.now(UTC) + timedelta(seconds=int(retry_after))
    if headers.get("x-ratelimit-remaining") != "0":
        return None
    reset = headers.get("x-ratelimit-reset", "")
    if reset.isdigit():
        return datetime.fromtimestamp(int(reset), UTC)
    return datetime.now(UTC) + timedelta(minutes=1)


def _one_line(text: str, limit: int = 300) -> str:
    return " ".join(text.split())[:limit]


def _api_message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return _one_line(response.text) or response.reason_phrase
    if not isinstance(data, dict):
        return response.reason_phrase
    message = str(data.get("message") or response.reason_phrase)
    details = []
    for error in data.get("errors") or []:
        if isinstance(error, dict):
            details.append(str(error.get("message") or error.get("code") or ""))
        else:
            details.append(str(error))
    details = [d for d in details if d]
    return _one_line(message + (": " + "; ".join(details) if details else ""))


class GitHubClient:
    """An async GitHub REST client for one base URL and token."""

    def __init__(
        self,
        token: str | None,
        base_url: str = "https://api.github.com",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not token:
            raise GitHubError(
                "no GitHub token is stored; run 'solo-unicorn github login' to add one"
            )
        self.base_url = base_url.rstrip("/")
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"solo-unicorn/{__version__}",
            "Authorization": f"Bearer {token}",
        }
        self._client = httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> GitHubClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _send(
        self,
        method: str,
        path: str,
        json: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        until = _backoff_until.get(self.base_url)
        if until is not None:
            if datetime.now(UTC) < until:
                raise GitHubRateLimited(until)
            del _backoff_until[self.base_url]
        try:
            response = await self._client.request(
                method, path, json=json, headers=headers, params=params
            )
        except httpx.TimeoutException:
            raise GitHubError(
                f"GitHub API at {self.base_url} did not answer in time; check the network "
                "and try again"
            ) from None
        except httpx.HTTPError as error:
            raise GitHubError(
                f"cannot reach the GitHub API at {self.base_url} "
                f"({type(error).__name__}: {_one_line(str(error), 120)}); check the network "
                "or the github_api_url setting"
            ) from None
        reset = _reset_time(response)
        if reset is not None:
            _backoff_until[self.base_url] = reset
            if response.status_code in (403, 429):
                log.info("GitHub rate limit reached until %s", reset)
                raise GitHubRateLimited(reset, response.status_code)
        return response

    def _json(self, response: httpx.Response, what: str) -> Any:
        if response.status_code >= 400:
            raise self._error(response, what)
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise GitHubError(
                f"GitHub API at {self.base_url} sent a reply that is not JSON for {what}",
                response.status_code,
            ) from None

    async def _request(
        self, method: str, path: str, what: str, json: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        data = self._json(await self._send(method, path, json), what)
        return data if isinstance(data, dict) else {}

    async def _list(self, path: str, what: str) -> list[dict[str, Any]]:
        """Every item of a paged list (``per_page=100``, at most :data:`MAX_PAGES` pages)."""
        items: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            response = await self._send("GET", path, params={"per_page": 100, "page": page})
            data = self._json(response, what)
            if not isinstance(data, list):
                break
            items.extend(d for d in data if isinstance(d, dict))
            if len(data) < 100:
                break
        return items

    async def conditional_get(self, path: str, what: str, etag: str | None) -> Conditional:
        """GET with ``If-None-Match``: a 304 (unchanged) costs no rate limit on GitHub."""
        headers = {"If-None-Match": etag} if etag else None
        response = await self._send("GET", path, headers=headers)
        if response.status_code == 304:
            return Conditional(None, etag)
        data = self._json(response, what)
        return Conditional(data if isinstance(data, dict) else {}, response.headers.get("etag"))

    def _error(self, response: httpx.Response, what: str) -> GitHubError:
        status = response.status_code
        message = _api_message(response)
        log.info("GitHub %s failed: HTTP %s %s", what, status, message)
        if status == 401:
            text = (
                "GitHub rejected the token (401 Bad credentials); run 'solo-unicorn github "
                "login' to store a new one"
            )
        elif status == 403:
            text = f"GitHub refused {what} (403: {message}); check the token's permissions"
        elif status == 404:
            text = (
                f"GitHub could not find {what} (404); check the repository owner/name, or "
                "that the token can see it"
            )
        elif status == 422:
            text = f"GitHub refused {what} (422: {message})"
        else:
            text = f"GitHub API error on {what} (HTTP {status}: {message})"
        return GitHubError(text, status)

    async def create_pull_request(
        self,
        owner: str,
        repo: str,
        *,
        title: str,
        head: str,
        base: str,
        body: str = "",
        draft: bool = False,
    ) -> PullRequest:
        data = await self._request(
            "POST",
            f"/repos/{owner}/{repo}/pulls",
            f"the pull request for {owner}/{repo} {head} → {base}",
            json={"title": title, "head": head, "base": base, "body": body, "draft": draft},
        )
        return PullRequest.from_api(data)

    async def get_pull_request(self, owner: str, repo: str, number: int) -> PullRequest:
        data = await self._request(
            "GET", f"/repos/{owner}/{repo}/pulls/{number}", f"pull request {owner}/{repo}#{number}"
        )
        return PullRequest.from_api(data)

    async def pull_request_if_changed(
        self, owner: str, repo: str, number: int, etag: str | None
    ) -> tuple[PullRequest | None, str | None]:
        """The pull request, or None when it is unchanged since ``etag``; and the new ETag."""
        got = await self.conditional_get(
            f"/repos/{owner}/{repo}/pulls/{number}", f"pull request {owner}/{repo}#{number}", etag
        )
        return (PullRequest.from_api(got.data) if got.data is not None else None), got.etag

    async def reviews(self, owner: str, repo: str, number: int) -> list[dict[str, Any]]:
        return await self._list(
            f"/repos/{owner}/{repo}/pulls/{number}/reviews", f"the reviews of #{number}"
        )

    async def comments(
        self, owner: str, repo: str, number: int, reviews: list[dict[str, Any]]
    ) -> list[CommentData]:
        """Review comments, non-empty review bodies (from ``reviews``) and conversation comments."""
        found = [
            CommentData(
                int(r["id"]),
                "review",
                str(r.get("body") or ""),
                (r.get("user") or {}).get("login"),
                review_state=r.get("state"),
                created_at=parse_time(r.get("submitted_at")),
            )
            for r in reviews
            if str(r.get("body") or "").strip()
        ]
        for c in await self._list(
            f"/repos/{owner}/{repo}/pulls/{number}/comments", f"the review comments of #{number}"
        ):
            line = c.get("line") or c.get("original_line")
            found.append(
                CommentData(
                    int(c["id"]),
                    "review_comment",
                    str(c.get("body") or ""),
                    (c.get("user") or {}).get("login"),
                    path=c.get("path"),
                    line=int(line) if isinstance(line, int) else None,
                    created_at=parse_time(c.get("created_at")),
                )
            )
        for c in await self._list(
            f"/repos/{owner}/{repo}/issues/{number}/comments", f"the comments of #{number}"
        ):
            found.append(
                CommentData(
                    int(c["id"]),
                    "comment",
                    str(c.get("body") or ""),
                    (c.get("user") or {}).get("login"),
                    created_at=parse_time(c.get("created_at")),
                )
            )
        return found

    async def checks_status(self, owner: str, repo: str, sha: str) -> str | None:
        """``success``, ``failure`` or ``pending`` over the commit's check runs; None: no checks."""
        data = await self._request(
            "GET", f"/repos/{owner}/{repo}/commits/{sha}/check-runs", f"the checks of {sha[:12]}"
        )
        runs = [r for r in data.get("check_runs") or [] if isinstance(r, dict)]
        if not runs:
            return None
        if any(r.get("status") != "completed" for r in runs):
            return "pending"
        good = ("success", "neutral", "skipped")
        return "success" if all(r.get("conclusion") in good for r in runs) else "failure"

    async def merge_pull_request(
        self, owner: str, repo: str, number: int, *, method: str = "squash"
    ) -> None:
        await self._request(
            "PUT",
            f"/repos/{owner}/{repo}/pulls/{number}/merge",
            f"merging {owner}/{repo}#{number}",
            json={"merge_method": method},
        )

    async def delete_branch(self, owner: str, repo: str, branch: str) -> None:
        await self._request(
            "DELETE",
            f"/repos/{owner}/{repo}/git/refs/heads/{branch}",
            f"deleting branch {branch} of {owner}/{repo}",
        )

    async def current_user(self) -> str:
        """The login the token belongs to (checks that the token works)."""
        return (await self.token_info()).login

    async def token_info(self) -> TokenInfo:
        """``GET /user``: who the token is, and its scopes (classic tokens send them)."""
        response = await self._send("GET", "/user")
        data = self._json(response, "the token's user")
        scopes = response.headers.get("x-oauth-scopes") or ""
        login = str(data.get("login", "")) if isinstance(data, dict) else ""
        return TokenInfo(login, [s.strip() for s in scopes.split(",") if s.strip()])


def client_from_settings(api_url: str, *, timeout: float = DEFAULT_TIMEOUT) -> GitHubClient:
    """A client for ``settings.github_api_url`` with the token stored in the keyring."""
    return GitHubClient(get_secret(GITHUB_TOKEN), api_url, timeout=timeout)
