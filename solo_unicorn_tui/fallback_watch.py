"""The automatic Mission Fallback check, run in the background by ``work`` and the board.

Checking is cheap (one indexed COUNT, see ``bench/fallback_backlog.py``), so the loop simply
asks every ``interval`` seconds; ``run_fallback_check`` itself honours the project's cadence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from storage.database import Database
from storage.errors import StorageError
from storage.fallback import FallbackCheck, run_fallback_check
from storage.types import utcnow

log = logging.getLogger(__name__)


async def watch_fallback(
    db: Database,
    project_id: str,
    stop: asyncio.Event,
    *,
    interval: float = 60.0,
    clock: Callable[[], datetime] = utcnow,
    on_run: Callable[[FallbackCheck], Awaitable[None]] | None = None,
) -> int:
    """Check until ``stop`` is set; return how many runs were made. ``on_run`` hears of each."""
    runs = 0
    while not stop.is_set():
        try:
            result = await run_fallback_check(db, project_id, now=clock())
        except StorageError as error:
            log.warning("fallback check failed: %s", error)
        else:
            if result.run is not None:
                runs += 1
                log.info("fallback run %s: %s", result.run.id, result.reason)
                if on_run is not None:
                    await on_run(result)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
    return runs
