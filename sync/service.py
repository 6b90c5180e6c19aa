"""The background sync loop a board or ``sync --watch`` hosts, free of any UI toolkit.

One connection to the server: it LISTENs on its organization's private channel for the server's
NOTIFY (an empty poke), pulls at once when poked, pushes as soon as the local outbox grows
(a committed local write, in this process or another, pokes the replica's wake FIFO, which
this loop watches: :mod:`sync.wake`; the outbox is also checked every ``local_poll_seconds`` as
the fallback), and pulls every ``interval_seconds`` anyway as the safety net. When the
connection drops it reports ``offline`` (message :data:`~sync.connection.CONNECTION_LOST`),
records the error and its time for ``sync status``, and reconnects on a short timer
(``retry_seconds``, with jitter; no long backoff: a replica catches up within about a second of
the server being back); a new connection LISTENs again and pulls at once. Failed pushes are
retried on that timer, not only on the next local write.

Hosting it (the board)::

    service = SyncService(db, settings.server_url, get_secret(SERVER_PASSWORD),
                          interval_seconds=settings.sync_interval_seconds,
                          on_status=post_status_message,   # SyncStatus → header
                          on_change=post_refresh_message,  # rows arrived → reload the board
                          claims=ClaimClient(...))         # optional: reconcile offline claims
    worker = asyncio.create_task(service.run())   # or a Textual worker on the app's loop
    service.sync_now()                            # after a local write, or on the `s` key
    service.stop(); await worker                  # on quit

Callbacks run on the loop that runs ``run()``; ``SyncStatus.describe()`` gives the header text."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import asyncpg

from storage.database import Database
from sync import engine, replica, server
from sync.claims import ClaimClient
from sync.connection import CONNECTION_ERRORS, CONNECTION_LOST, connect, retry_message
from sync.errors import ServerUnreachableError, SyncError
from sync.status import SyncStatus
from sync.wake import WakeFifo

log = logging.getLogger(__name__)

#: A permanent error (credentials, schema, organization) is retried rarely: it needs a fix.
ERROR_RETRY_SECONDS = 30.0
#: How often the outbox is checked for writes of other processes: without a wake FIFO, and with
#: one (then only a fallback: every committed local write pokes the FIFO; :mod:`sync.wake`).
POLL_SECONDS = 0.2
FIFO_POLL_SECONDS = 2.0

StatusCallback = Callable[[SyncStatus], object]
ChangeCallback = Callable[[int], object]


class SyncService:
    """Run with ``await service.run()`` (in a worker/task); ``stop()`` ends it."""

    def __init__(
        self,
        db: Database,
        server_url: str,
        password: str | None,
        *,
        interval_seconds: float = 30.0,
        local_poll_seconds: float | None = None,
        on_status: StatusCallback | None = None,
        on_change: ChangeCallback | None = None,
        retry_seconds: float = 0.5,
        allow_new_organization: bool = False,
        claims: ClaimClient | None = None,
        wake: bool = True,
    ) -> None:
        self.db = db
        self.server_url = server_url
        self.password = password
        self.interval_seconds = interval_seconds
        self.local_poll_seconds = local_poll_seconds
        self.wake = wake
        self._woken = False
        self.on_status = on_status
        self.on_change = on_change
        self.retry_seconds = retry_seconds
        self.allow_new_organization = allow_new_organization
        self.claims = claims
        self.status = SyncStatus("offline")
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._conn: asyncpg.Connection | None = None

    def sync_now(self) -> None:
        """Ask for a round at once (the board's ``s`` key, or after a local write)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def _emit(self, **changes: object) -> None:
        # Callers pass SyncStatus's own fields; replace() checks their names at run time.
        self.status = replace(self.status, **changes)  # type: ignore[arg-type]
        if self.on_status is not None:
            try:
                self.on_status(self.status)
            except Exception:
                log.exception("sync status callback failed")

    def _poll_seconds(self, woken: bool) -> float:
        if self.local_poll_seconds is not None:
            return self.local_poll_seconds
        return FIFO_POLL_SECONDS if woken else POLL_SECONDS

    async def run(self) -> None:
        fifo = WakeFifo(self.db.path) if self.wake and self.db.path is not None else None
        self._woken = fifo is not None and fifo.open(self._wake.set)
        try:
            await self._run()
        finally:
            if fifo is not None:
                fifo.close()

    async def _run(self) -> None:
        self._emit(pending=await replica.pending_count(self.db))
        recorded = ""
        while not self._stopping.is_set():
            try:
                await self._connected_loop()
                message = ""
            except ServerUnreachableError as error:
                message = str(error)
                if self.status.state in ("synced", "syncing") or (
                    self.status.message == CONNECTION_LOST
                ):
                    message = CONNECTION_LOST  # lost, then not back yet: still the one line
                self._emit(state="offline", message=message)
            except CONNECTION_ERRORS as error:
                log.info("sync connection lost: %s", error)
                message = retry_message(error) or f"the sync server failed: {error}; will retry"
                self._emit(state="offline", message=message)
            except SyncError as error:
                log.warning("sync stopped: %s", error)
                message = str(error)
                self._emit(state="error", message=message)
            finally:
                await self._close()
            if self._stopping.is_set():
                break
            with contextlib.suppress(Exception):
                if message and message != recorded:
                    await replica.record_sync(self.db, message)
                    recorded = message
                self._emit(pending=await replica.pending_count(self.db))
            pause = ERROR_RETRY_SECONDS if self.status.state == "error" else self.retry_seconds
            delay = pause * (0.5 + random.random())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)

    async def _connected_loop(self) -> None:
        self._conn = conn = await connect(self.server_url, self.password)
        lost = asyncio.Event()

        def on_lost(_conn: object) -> None:
            lost.set()
            self._wake.set()

        conn.add_termination_listener(on_lost)
        # Settle the organization first: its NOTIFY channel is private to it (an unguessable
        # name the server hands only to its roles) and must be listened to before the first
        # pull, so no poke falls between the two.
        await engine.prepare(self.db, conn, allow_new_organization=self.allow_new_organization)
        channel = (await server.whoami(conn)).notify_channel
        if channel:
            await conn.add_listener(channel, lambda *_args: self._wake.set())
        seen_outbox = -1
        loop = asyncio.get_running_loop()
        next_pull = 0.0
        poked = True
        poll = self._poll_seconds(self._woken)
        while not self._stopping.is_set():
            if lost.is_set() or conn.is_closed():
                raise ServerUnreachableError("the sync connection was closed")
            high = await replica.outbox_high_water(self.db)
            if poked or high != seen_outbox or loop.time() >= next_pull:
                # Cleared before the round: a NOTIFY or a wake poke that arrives during it wakes
                # the next one; and the outbox position is the one from before the round, so a
                # write committed during it is pushed by the next round, not missed.
                self._wake.clear()
                first = seen_outbox < 0
                await self._round(conn, first=first)
                if self.claims is not None and first:
                    await self._reconcile_claims()
                seen_outbox = high
                next_pull = loop.time() + self.interval_seconds
            try:
                await asyncio.wait_for(self._wake.wait(), poll)
                poked = True
            except TimeoutError:
                poked = False

    async def _reconcile_claims(self) -> None:
        """Offline claims meet the server's once per connection (conflicts become events)."""
        assert self.claims is not None
        try:
            conflicts = await self.claims.reconcile()
        except SyncError as error:
            log.warning("claim reconciliation failed: %s", error)
            return
        if conflicts and self.on_change is not None:
            self.on_change(len(conflicts))

    async def _round(self, conn: asyncpg.Connection, *, first: bool = True) -> None:
        self._emit(state="syncing", progress=None)
        before = await replica.get_cursor(self.db)
        report = await engine.sync_round(
            self.db,
            conn,
            progress=lambda done, total: self._emit(progress=(done, total)),
            allow_new_organization=self.allow_new_organization,
            settled=not first,
        )
        self._emit(
            state="synced",
            last_synced_at=datetime.now(UTC),
            pending=await replica.pending_count(self.db),
            progress=None,
            message="",
        )
        if self.on_change is not None and (report.pulled or report.cursor != before):
            try:
                self.on_change(report.pulled)
            except Exception:
                log.exception("sync change callback failed")
