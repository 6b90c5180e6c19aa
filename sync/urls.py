"""Server URLs as users write them and as messages show them (standard library only)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def plain_dsn(url: str) -> str:
    """``postgresql+asyncpg://`` (SQLAlchemy) → ``postgresql://`` (asyncpg)."""
    scheme, rest = url.split("://", 1) if "://" in url else ("postgresql", url)
    return f"{scheme.split('+', 1)[0]}://{rest}"


def redact(url: str) -> str:
    """The URL without any password, fit for messages and status output."""
    parts = urlsplit(plain_dsn(url))
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
