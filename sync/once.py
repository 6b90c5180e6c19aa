"""One sync round as ``solo-unicorn sync`` runs it: a connection lost mid-way is retried.

The server crashing or restarting during a push or pull is a temporary failure: the caller is
told once (:data:`~sync.connection.CONNECTION_LOST`), the round is retried on a short timer for
up to ``window`` seconds, and the error and its time are recorded for ``sync status``. Nothing
half-done is lost: an interrupted push is confirmed or resent, a pull resumes at its cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import asyncpg

from storage.database import Database
from sync import replica
from sync.connection import connect, retry_message
from sync.engine import SyncReport, sync_round
from sync.errors import ServerUnreachableError

RETRY_SECONDS = 0.5
RETRY_WINDOW_SECONDS = 30.0


async def close_quietly(conn: asyncpg.Connection) -> None:
    """Close a connection that may already be dead (never raises, never hangs)."""
    try:
        await asyncio.wait_for(conn.close(), 2)
    except Exception:
        conn.terminate()


async def sync_once(
    db: Database,
    url: str,
    password: str | None,
    *,
    on_retry: Callable[[str], object],
    window: float = RETRY_WINDOW_SECONDS,
    **round_options: Any,
) -> SyncReport:
    """Connect and run one round; retry a lost connection until ``window`` has passed."""
    loop = asyncio.get_running_loop()
    deadline: float | None = None
    told: set[str] = set()
    while True:
        try:
            conn = await connect(url, password)
        except ServerUnreachableError as error:
            if deadline is None or loop.time() >= deadline:
                await replica.record_sync(db, str(error))
                raise
            await asyncio.sleep(RETRY_SECONDS)
            continue
        try:
            return await sync_round(db, conn, **round_options)
        except Exception as error:
            message = retry_message(error)
            if message is None:
                raise
            deadline = deadline or loop.time() + window
            with contextlib.suppress(Exception):
                await replica.record_sync(db, message)
            if loop.time() >= deadline:
                raise ServerUnreachableError(
                    f"{message.split(';')[0]} and not back within {window:.0f} s ({error}): "
                    "run 'solo-unicorn sync' again when the server is up"
                ) from None
            if message not in told:
                told.add(message)
                on_retry(message)
        finally:
            await close_quietly(conn)
        await asyncio.sleep(RETRY_SECONDS)
