"""The replica's wake FIFO: a committed local write pokes it, a watching sync loop waits on it.

``replica.db-wake`` lives next to the replica. Whoever syncs the replica (``sync --watch``, the
board's sync loop; :mod:`sync.wake`) creates it and holds it open for reading; the write path
(:meth:`storage.database.Database.write` and the CLI's inline writes) pokes it after each commit
that queued outbox entries, so the change is pushed at once instead of at the next outbox poll.
A poke never blocks and never fails a write: no FIFO (nobody syncs) or no reader (``ENXIO``) or a
full pipe all mean there is nothing to do.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

SUFFIX = "-wake"


def wake_path(replica: Path | str) -> Path:
    """The FIFO that belongs to the replica at ``replica``."""
    path = Path(replica)
    return path.with_name(path.name + SUFFIX)


def poke(replica: Path | str) -> None:
    """Tell a waiting sync loop that the replica's outbox has grown (best effort, never raises).

    ``O_NONBLOCK``: opening a FIFO nobody reads fails at once with ``ENXIO`` instead of waiting.
    """
    try:
        fd = os.open(wake_path(replica), os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.write(fd, b"\n")
    except OSError:
        pass  # a full pipe already holds a poke
    finally:
        os.close(fd)
