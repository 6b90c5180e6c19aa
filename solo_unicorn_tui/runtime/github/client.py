"""The few GitHub REST calls PR mode needs: open a pull request, read its status.

The base URL is ``settings.github_api_url`` (GitHub Enterprise: ``https://host/api/v3``); the
token comes from the OS keyring (:mod:`solo_unicorn_tui.secrets`) and only ever travels in the
``Authorization`` header — never in a message, log line or exception. Every failure becomes a
:class:`GitHubError` whose text is one line a user can act on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from solo_unicorn_tui import __version__
from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.secrets import GITHUB_TOKEN, get_secret

log = logging.getLogger(__name__)
API_VERSION = "2022-11-28"
DEFAULT_TIMEOUT = 15.0


class GitHubError(UserError):
    """A GitHub call failed; ``status`` is the HTTP status (None when GitHub was not reached)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


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

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> PullRequest:
        merged = bool(data.get("merged") or data.get("merged_at"))
        state = "merged" if merged else str(data.get("state", "open"))
        return cls(
            number=int(data["number"]),
            url=str(data.get("html_url") or data.get("url") or ""),
            title=str(data.get("title", "")),
            state=state,
            head=str((data.get("head") or {}).get("ref", "")),
            base=str((data.get("base") or {}).get("ref", "")),
            draft=bool(data.get("draft", False)),
        )


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

    async def _request(
        self, method: str, path: str, what: str, json: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        try:
            response = await self._client.request(method, path, json=json)
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
        if response.status_code < 400:
            try:
                data = response.json()
            except ValueError:
                raise GitHubError(
                    f"GitHub API at {self.base_url} sent a reply that is not JSON for {what}",
                    response.status_code,
                ) from None
            return data if isinstance(data, dict) else {}
        raise self._error(response, what)

    def _error(self, response: httpx.Response, what: str) -> GitHubError:
        status = response.status_code
        message = _api_message(response)
        log.info("GitHub %s failed: HTTP %s %s", what, status, message)
        if status == 401:
            text = (
                "GitHub rejected the token (401 Bad credentials); run 'solo-unicorn github "
                "login' to store a new one"
            )
        elif status == 403 and response.headers.get("x-ratelimit-remaining") == "0":
            text = "GitHub API rate limit reached (403); wait a while and try again"
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

    async def current_user(self) -> str:
        """The login the token belongs to (checks that the token works)."""
        data = await self._request("GET", "/user", "the token's user")
        return str(data.get("login", ""))


def client_from_settings(api_url: str, *, timeout: float = DEFAULT_TIMEOUT) -> GitHubClient:
    """A client for ``settings.github_api_url`` with the token stored in the keyring."""
    return GitHubClient(get_secret(GITHUB_TOKEN), api_url, timeout=timeout)
