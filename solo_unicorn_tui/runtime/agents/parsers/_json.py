"""Shared bits of the JSON-lines parsers: decode one line, shorten a summary."""

from __future__ import annotations

import json
from typing import Any

SUMMARY_CHARS = 160


def json_object(line: str) -> dict[str, Any] | None:
    """The line as a JSON object, or None when it is not one (any length is fine)."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def short(text: str, limit: int = SUMMARY_CHARS) -> str:
    """One line of at most ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
