"""Usage and rate limits: recognised in what an agent says, recorded per agent profile.

Parsers call :func:`rate_limit_in` on the error texts of their CLI (an HTTP 429, "usage limit
reached … try again at 5:58 AM", "Rate limit reached … try again in 20s") and emit a
:class:`RateLimited` event (the plain-text parser calls :func:`plain_rate_limit` on each line;
an agent error that names a limit counts too, see ``session_events``). The runner stops the
agent at its first rate limit and hands it to :func:`record_rate_limit`,
which marks the profile limited on this workstation until the reset the agent named, or
:data:`DEFAULT_RESET` from now when it named none. The dispatcher asks :func:`limited_profiles`
and skips those profiles until then; the state is a replicated row, so the workstation panel and
other workstations see it too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from solo_unicorn_tui.runtime.agents.events import AgentEvent, RateLimited

if TYPE_CHECKING:
    from storage.agent_state import AgentRateLimit
    from storage.database import Database

DEFAULT_RESET = timedelta(minutes=15)
#: A reset further away than this is read as a misparse and capped.
MAX_RESET = timedelta(days=8)

_LIMIT = re.compile(
    r"\b429\b|rate[ _-]?limit|usage[ _-]limit|\blimit reached\b|too many requests|quota exceeded"
    r"|insufficient_quota|exceeded your current quota|resource[ _]exhausted"
    r"|resource has been exhausted|RateLimitError",
    re.IGNORECASE,
)
_UNITS = {
    "ms": 0.001,
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hr": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
_DURATION_PART = re.compile(
    r"(\d+(?:\.\d+)?)\s*(ms|seconds?|sec|s|minutes?|min|m|hours?|hr|h|days?|d)(?![a-z])"
)
_IN = re.compile(
    r"(?:try again|retry|reset[s]?)\s+(?:in|after)\s+((?:\d[\d.]*\s*[a-z]+[\s,]*(?:and\s+)?)+)",
    re.I,
)
_AT_CLOCK = re.compile(r"(?:try again|reset[s]?)\s+at\s+(\d{1,2}):(\d{2})\s*([AP]M)?", re.I)
_AT_ISO = re.compile(
    r"(?:try again|reset[s]?)\s+(?:at|after)\s+"
    r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)",
    re.I,
)


def looks_rate_limited(text: str) -> bool:
    return bool(_LIMIT.search(text))


def parse_duration(text: str) -> timedelta | None:
    """``20s``, ``1m30s``, ``2 hours 5 minutes``, ``6ms`` → a timedelta (None if none)."""
    total = 0.0
    found = False
    for amount, unit in _DURATION_PART.findall(text.lower()):
        key = unit.rstrip("s") if unit not in ("s", "ms") else unit
        factor = _UNITS.get(key) or _UNITS.get(unit)
        if factor is None:
            continue
        total += float(amount) * factor
        found = True
    return timedelta(seconds=total) if found else None


def _local_zone(tz_name: str | None) -> ZoneInfo | None:
    if not tz_name:
        return None
    try:
        return ZoneInfo(tz_name.lstrip(":"))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_reset(text: str, now: datetime, *, tz_name: str | None = None) -> datetime | None:
    """When a limit message says it resets, as an aware UTC time (None when it does not say).

    A clock time without a date ("try again at 5:58 AM", as Codex prints it in the agent's local
    time) is the next such time after ``now``; ``tz_name`` is the agent's ``TZ`` (else this
    process's local zone).
    """
    if (match := _AT_ISO.search(text)) is not None:
        raw = match.group(1).replace(" ", "T").replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            moment = None
        if moment is not None:
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    if (match := _AT_CLOCK.search(text)) is not None:
        hour, minute, half = int(match.group(1)), int(match.group(2)), match.group(3)
        if half:
            hour = hour % 12 + (12 if half.upper() == "PM" else 0)
        if hour < 24 and minute < 60:
            zone = _local_zone(tz_name)
            local_now = now.astimezone(zone) if zone else now.astimezone()
            moment = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            if moment <= local_now:
                moment += timedelta(days=1)
            return moment.astimezone(UTC)
    if (match := _IN.search(text)) is not None and (delta := parse_duration(match.group(1))):
        return now + min(delta, MAX_RESET)
    return None


def reset_from_headers(headers: Mapping[str, str], now: datetime) -> datetime | None:
    """The reset named by HTTP headers (``retry-after-ms``, ``retry-after``, ``x-ratelimit-*``)."""
    lower = {k.lower(): str(v) for k, v in headers.items()}
    if (value := lower.get("retry-after-ms")) is not None:
        try:
            return now + timedelta(milliseconds=float(value))
        except ValueError:
            pass
    if (value := lower.get("retry-after")) is not None:
        try:
            return now + min(timedelta(seconds=float(value)), MAX_RESET)
        except ValueError:
            pass
    for name in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens", "x-ratelimit-reset"):
        if (value := lower.get(name)) is not None and (delta := parse_duration(value)):
            return now + min(delta, MAX_RESET)
    return None


def rate_limit_in(
    text: str, now: datetime | None = None, *, tz_name: str | None = None
) -> RateLimited | None:
    """A :class:`RateLimited` when ``text`` (an error the agent reported) is a usage/rate limit."""
    if not looks_rate_limited(text):
        return None
    now = now or datetime.now(UTC)
    reason = " ".join(text.split())[:300]
    return RateLimited(reason=reason, reset_at=parse_reset(text, now, tz_name=tz_name))


_EPOCH_RESET = re.compile(r"usage limit reached\|(\d{9,11})\b", re.I)
_RETRY_DELAY = re.compile(r'retry_?delay"?\s*[:=]\s*"?(\d+(?:\.\d+)?s)', re.I)


def structured_rate_limit(
    message: str, *fields: object, now: datetime | None = None
) -> RateLimited | None:
    """A rate limit in a provider error: its message plus status fields (``429``,
    ``RESOURCE_EXHAUSTED``, ``rate_limit_error``), with a reset from "resets at", an epoch
    (``Claude AI usage limit reached|1767225600``) or a gRPC ``retryDelay``."""
    text = " ".join(
        [
            message,
            *(f if isinstance(f, str) else json.dumps(f) for f in fields if f not in (None, "")),
        ]
    )
    limit = rate_limit_in(text, now)
    if limit is None or limit.reset_at is not None:
        return limit
    now = now or datetime.now(UTC)
    if (match := _EPOCH_RESET.search(text)) is not None:
        return RateLimited(limit.reason, datetime.fromtimestamp(int(match.group(1)), UTC))
    if (match := _RETRY_DELAY.search(text)) is not None and (
        delta := parse_duration(match.group(1))
    ):
        return RateLimited(limit.reason, now + min(delta, MAX_RESET))
    return limit


def first_rate_limit(events: Iterable[AgentEvent]) -> RateLimited | None:
    """The rate limit that ends a session: the latest reset named, else the first event."""
    limits = [e for e in events if isinstance(e, RateLimited)]
    if not limits:
        return None
    dated = [e for e in limits if e.reset_at is not None]
    return max(dated, key=lambda e: e.reset_at or datetime.min) if dated else limits[0]


async def record_rate_limit(
    db: Database,
    *,
    organization_id: str,
    workstation_id: str,
    profile_name: str,
    profile_type: str,
    events: Iterable[AgentEvent],
    now: datetime | None = None,
    default_reset: timedelta = DEFAULT_RESET,
) -> AgentRateLimit | None:
    """Mark the profile rate-limited when ``events`` hold a :class:`RateLimited`; else None."""
    from storage import agent_state

    limit = first_rate_limit(events)
    if limit is None:
        return None
    now = now or datetime.now(UTC)
    reset_at = limit.reset_at if limit.reset_at and limit.reset_at > now else now + default_reset
    return await agent_state.mark_rate_limited(
        db,
        organization_id=organization_id,
        workstation_id=workstation_id,
        agent_name=profile_name,
        agent_type=profile_type,
        reset_at=min(reset_at, now + MAX_RESET),
        reason=limit.reason,
    )


async def limited_profiles(
    db: Database, workstation_id: str, now: datetime | None = None
) -> dict[str, AgentRateLimit]:
    """Profiles of this workstation still rate-limited at ``now``, by name."""
    from storage import agent_state

    return await agent_state.active_rate_limits(db, workstation_id, now or datetime.now(UTC))


_PLAIN_LIMIT = re.compile(
    r"(\b429\b|rate[ _-]?limit|usage[ _-]?limit|quota)"
    r".*(error|exceeded|reached|too many|try again|reset)"
    r"|(error|exceeded|reached|too many).*(\b429\b|rate[ _-]?limit|usage[ _-]?limit)",
    re.IGNORECASE,
)


def plain_rate_limit(line: str, now: datetime | None = None) -> RateLimited | None:
    """A rate limit in a plain-text agent's line: a 429 or a limit named as an error."""
    if not _PLAIN_LIMIT.search(line):
        return None
    return rate_limit_in(line, now)
