"""Which GitHub repository a git remote URL points at, for the GitHub the app talks to.

A remote counts when its host is github.com or the host of ``github_api_url`` (GitHub
Enterprise: ``https://ghe.example.com/api/v3`` → ``ghe.example.com``). The https, scp-like ssh
(``git@host:owner/name.git``) and ``ssh://`` forms are understood. No GitPython here.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_SCP = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[^:/\s]+):(?P<path>[^/\s].*)$")
_PART = re.compile(r"^[A-Za-z0-9_.-]+$")


def github_hosts(api_url: str) -> set[str]:
    host = (urlsplit(api_url).hostname or "").lower()
    hosts = {"github.com"}
    if host and host != "api.github.com":
        hosts.add(host)
    return hosts


def _split(url: str) -> tuple[str, str] | None:
    url = url.strip()
    if "://" in url:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http", "ssh", "git"):
            return None
        return (parts.hostname or "").lower(), parts.path
    match = _SCP.match(url)
    if match is None:
        return None
    return match.group("host").lower(), match.group("path")


def github_home(url: str | None, api_url: str) -> tuple[str, str] | None:
    """``(owner, name)`` when ``url`` is a remote of that GitHub, else None."""
    if not url:
        return None
    split = _split(url)
    if split is None or split[0] not in github_hosts(api_url):
        return None
    path = split[1].strip("/").removesuffix(".git").removeprefix("api/v3/").strip("/")
    pieces = path.split("/")
    if len(pieces) != 2 or not all(_PART.match(p) for p in pieces):
        return None
    return pieces[0], pieces[1]


def web_url(owner: str, name: str, api_url: str) -> str:
    """The repository's page: github.com, or the Enterprise host of ``api_url``."""
    parts = urlsplit(api_url)
    host = parts.hostname or ""
    if host in ("", "api.github.com"):
        return f"https://github.com/{owner}/{name}"
    return f"{parts.scheme}://{parts.netloc}/{owner}/{name}"
