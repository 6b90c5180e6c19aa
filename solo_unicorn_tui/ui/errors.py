"""One line for a failed board operation, and one helper that shows it instead of a traceback.

Every read or write the UI starts runs inside :func:`report_failure`: the domain's own message
(a :class:`~storage.errors.StorageError` or :class:`~solo_unicorn_tui.errors.UserError`) is shown
as it is; anything else is logged with its traceback and shown as one line pointing to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from solo_unicorn_tui.errors import UserError
from storage.errors import StorageError

if TYPE_CHECKING:
    from textual.widget import Widget

log = logging.getLogger(__name__)


def describe_error(error: BaseException) -> str:
    if isinstance(error, StorageError | UserError):
        return str(error)
    log.error("board operation failed", exc_info=error)
    return (
        f"unexpected {type(error).__name__}: {error} (details in the log under "
        "~/.solo-unicorn/logs; please report it)"
    )


class Failure:
    """Falsy until the block it guards fails; then ``message`` holds the line that was shown."""

    def __init__(self) -> None:
        self.message: str | None = None

    def __bool__(self) -> bool:
        return self.message is not None


@contextmanager
def report_failure(
    node: Widget, *, title: str | None = None, show: Callable[[str], None] | None = None
) -> Iterator[Failure]:
    """Run the block; if it raises, show the error's one line and carry on after the block.

    The line goes to ``show`` when given (a field under a form), else to an error toast on
    ``node`` with ``title``. Test the yielded :class:`Failure` to skip what needs the result::

        with report_failure(self, title="Cannot open the replica") as failed:
            data = await open_data()
        if failed:
            return
    """
    failure = Failure()
    try:
        yield failure
    except Exception as error:
        failure.message = describe_error(error)
        if show is not None:
            show(failure.message)
        else:
            node.notify(failure.message, title=title or "", severity="error")
