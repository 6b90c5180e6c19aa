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
    port = parts.netloc.rsplit("@", 1)[-1].rpartition(":")[2] if ":" in parts.netloc else ""
    if port.isdigit():  # shown as written, even out of range (``parts.port`` would raise)
        host = f"{host}:{port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def port_problem(url: str) -> str | None:
    """What is wrong with the URL's port, or None (no port, or one from 1 to 65535)."""
    try:
        port = urlsplit(plain_dsn(url)).port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        return "its port must be a number from 1 to 65535 (PostgreSQL's is usually 5432)"
    return None
