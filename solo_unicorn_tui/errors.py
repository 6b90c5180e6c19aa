"""Errors whose message is shown to the user as one line, as is."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix; ``str(error)`` says what was wrong and how to fix it."""


class ConfigError(UserError):
    pass
