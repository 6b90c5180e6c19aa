"""The watching side of the replica's wake FIFO (:mod:`storage.wake` is the poking side).

A sync loop that watches a replica (``sync --watch``, the board's) creates ``replica.db-wake``
if needed and holds it open for reading and writing (``O_RDWR``: the FIFO always has a writer,
so it never reads end-of-file between pokes). The event loop watches the descriptor; each poke
a committed local write sends calls ``on_poke`` at once, so the change is pushed within a round
trip instead of at the next outbox poll. The poll stays as the fallback (a second watcher of the
same replica, or a platform without FIFOs).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path

from storage.wake import wake_path

log = logging.getLogger(__name__)


class WakeFifo:
    def __init__(self, replica: Path) -> None:
        self.path = wake_path(replica)
        self._fd: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def open(self, on_poke: Callable[[], object]) -> bool:
        """Start watching on the running loop; False (and the poll alone) when it cannot."""
        try:
            with contextlib.suppress(FileExistsError):
                os.mkfifo(self.path, 0o600)
            fd = os.open(self.path, os.O_RDWR | os.O_NONBLOCK)
        except (OSError, AttributeError) as error:  # AttributeError: no mkfifo on this platform
            log.info("no wake FIFO at %s (%s); polling the outbox", self.path, error)
            return False
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.close(fd)
            log.info("%s is not a FIFO; polling the outbox", self.path)
            return False
        loop = asyncio.get_running_loop()

        def readable() -> None:
            with contextlib.suppress(BlockingIOError, InterruptedError):
                while os.read(fd, 4096):
                    pass
            on_poke()

        loop.add_reader(fd, readable)
        self._fd, self._loop = fd, loop
        return True

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(fd)
        os.close(fd)
