"""Checks on user input, shared by every write path. Each failure names the field and the fix."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from storage.errors import ValidationError
from storage.names import MISSION_LISTS

TITLE_MAX = 500
DESCRIPTION_MAX = 100_000
NAME_MAX = 255


#: What PostgreSQL ``text`` and ``jsonb`` refuse in a Python string: NUL, and lone surrogates
#: (not encodable as UTF-8; they come from bytes decoded with ``surrogateescape``).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable_text(text: str) -> str:
    """``text`` as every replica and the server can store it: NUL and lone surrogates → U+FFFD.

    Replaced, not removed, so a reader sees that something was there. Other control characters
    are valid text and are kept (agent output is data); they are neutralised where text is
    printed (``solo_unicorn_tui.cli.safe_text``).
    """
    return _UNSTORABLE.sub(REPLACEMENT, text) if _UNSTORABLE.search(text) else text


def storable(value: Any) -> Any:
    """A column value with :func:`storable_text` applied to every string in it (JSON included).

    Bytes are decoded as UTF-8 (invalid sequences → U+FFFD) first.
    """
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, bytes | bytearray):
        return storable_text(bytes(value).decode("utf-8", errors="replace"))
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable(item) for item in value]
    return value


#: Bidirectional controls (embeddings, overrides, isolates, marks): invisible, they make a line
#: read other than it is (U+202E turns "txt.exe" into "exe.txt"), so short texts refuse them.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
#: An agent profile's name (as ``runtime.agents.profile`` accepts it).
_AGENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _control_chars(text: str, allowed: str = "") -> list[str]:
    return [c for c in text if unicodedata.category(c) in ("Cc", "Cs") and c not in allowed]


def _require_utf8(text: str, field: str) -> None:
    """Lone surrogates are bytes that were not UTF-8 (Python decodes standard input and
    arguments with ``surrogateescape``): say so, rather than "control characters"."""
    if _UNSTORABLE.search(text.replace("\x00", "")):
        raise ValidationError(
            field, "is not valid UTF-8 text (undecodable bytes); save or send it as UTF-8"
        )


def title(value: object, field: str = "title", limit: int = TITLE_MAX) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    text = value.strip()
    if not text:
        raise ValidationError(field, "must not be empty")
    _require_utf8(text, field)
    if _control_chars(text):
        raise ValidationError(
            field, "contains control characters (newline, tab, escape…); remove them"
        )
    if BIDI_CONTROLS.intersection(text):
        raise ValidationError(
            field, "contains a right-to-left or other direction control (U+202E…); remove it"
        )
    if len(text) > limit:
        raise ValidationError(field, f"is {len(text)} characters long; the limit is {limit}")
    return text


def long_text(value: object, field: str, limit: int = DESCRIPTION_MAX) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    if len(value) > limit:
        raise ValidationError(
            field,
            f"is {len(value):,} characters long; the limit is {limit:,} (attach a file "
            "in the repository instead)",
        )
    _require_utf8(value, field)
    if _control_chars(value, allowed="\n\t\r"):
        raise ValidationError(field, "contains control characters (NUL, escape…); remove them")
    return value


def priority(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value))
        except ValueError:
            raise ValidationError("priority", f"{value!r} is not a number from 1 to 5") from None
    if not 1 <= value <= 5:
        raise ValidationError("priority", f"{value} is out of range; use 1 (lowest) to 5 (highest)")
    return value


PR_MODES = ("disabled", "enabled", "auto")


def pr_mode(value: object, field: str = "pr_mode") -> str:
    """``auto`` opens a pull request when the repository is on GitHub and a token is stored."""
    if value not in PR_MODES:
        raise ValidationError(
            field, f"unknown PR mode {value!r}; choose one of {', '.join(PR_MODES)}"
        )
    return str(value)


def list_name(value: object) -> str:
    if value not in MISSION_LISTS:
        raise ValidationError(
            "list", f"unknown list {value!r}; choose one of {', '.join(MISSION_LISTS)}"
        )
    return str(value)


_BAD_REF = ("..", "@{", "//", "\\", " ", "~", "^", ":", "?", "*", "[")


def branch_name(value: object, field: str = "target branch") -> str:
    """A usable git branch name (the rules of ``git check-ref-format``, in short)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "must be a branch name like main or release/2.0")
    name = value.strip()
    if (
        any(bad in name for bad in _BAD_REF)
        or _control_chars(name)
        or name.startswith(("-", "/", "."))
        or name.endswith(("/", ".", ".lock"))
        or len(name) > 255
    ):
        raise ValidationError(field, f"{name!r} is not a valid git branch name")
    return name


def agent_name(value: object, field: str = "agent") -> str | None:
    """An agent profile's name, or None (empty text clears the choice)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not _AGENT_NAME.match(value.strip()):
        raise ValidationError(
            field,
            f"{value!r} is not an agent profile name (letters, digits, '-', '_' or '.'); "
            "see 'solo-unicorn agent list'",
        )
    return value.strip()
