"""One line for a failed board operation: the domain's own message, or a pointer to the log."""

from __future__ import annotations

import logging

from solo_unicorn_tui.errors import UserError
from storage.errors import StorageError

log = logging.getLogger(__name__)


def describe_error(error: BaseException) -> str:
    if isinstance(error, StorageError | UserError):
        return str(error)
    log.error("board operation failed", exc_info=error)
    return (
        f"unexpected {type(error).__name__}: {error} (details in the log under "
        "~/.solo-unicorn/logs; please report it)"
    )
