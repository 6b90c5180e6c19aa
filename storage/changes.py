"""The one write path for replicated rows, for async callers.

:class:`ChangeWriter` is :class:`storage.change_rows.RowWriter` on an ``AsyncConnection``: each
call runs the row writer's Core statements through ``AsyncConnection.run_sync`` in the same
transaction, so the async domain operations and the CLI's inline writes share one
implementation (clocks, defaults, ``storable`` text and the outbox entry; see
:mod:`storage.change_rows`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.change_rows import FENCE_KEY as FENCE_KEY
from storage.change_rows import UNCLOCKED as UNCLOCKED
from storage.change_rows import ClaimFence as ClaimFence
from storage.change_rows import RowWriter
from storage.change_rows import with_defaults as _with_defaults
from storage.database import Database

__all__ = ["FENCE_KEY", "UNCLOCKED", "ChangeWriter", "ClaimFence", "_with_defaults"]


class ChangeWriter:
    def __init__(
        self, db: Database, conn: AsyncConnection, *, fence: ClaimFence | None = None
    ) -> None:
        self.db = db
        self.conn = conn
        self.fence = fence

    def rows(self, conn: Connection) -> RowWriter:
        """The row writer on ``conn`` (this writer's sync connection), with the same fence."""
        return RowWriter(self.db, conn, fence=self.fence)

    async def insert(self, table: str | Table, values: dict[str, Any]) -> dict[str, Any]:
        """Insert a new row (``id`` is minted when absent); return the values written."""
        return await self.conn.run_sync(lambda c: self.rows(c).insert(table, values))

    async def update(
        self, table: str | Table, row_id: str, values: dict[str, Any]
    ) -> dict[str, Any]:
        """Set ``values`` on an existing row; return the changed columns (empty when none)."""
        return await self.conn.run_sync(lambda c: self.rows(c).update(table, row_id, values))

    async def tombstone(self, table: str | Table, row_id: str) -> None:
        """Replicated delete: the row stays, marked deleted, so the delete can merge."""
        await self.update(table, row_id, {"deleted": True})

    async def event(
        self,
        mission: dict[str, Any],
        kind: str,
        summary: str,
        *,
        origin: str = "user",
        payload: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append to a mission's timeline (append-only: events are never updated)."""
        return await self.conn.run_sync(
            lambda c: self.rows(c).event(mission, kind, summary, origin=origin, payload=payload)
        )
