"""The one write path for replicated rows, as plain (synchronous) SQLAlchemy Core.

A :class:`RowWriter` lives for one write transaction. Each insert, update or tombstone it makes
stamps the touched columns with a fresh hybrid-logical-clock timestamp (``col_clocks``) and appends
an outbox entry carrying those columns, in the same transaction as the row itself, so sync never
misses a local change and never sees one that did not commit. Every value passes through
:func:`storage.validation.storable` here, so no replicated text holds what the server would refuse
(NUL, lone surrogates): agent output, titles, documents and log excerpts alike.

It runs on a synchronous ``Connection``: the CLI's inline writes
(:meth:`storage.database.Database.open_inline`) hand it one directly, and the async
:class:`storage.changes.ChangeWriter` runs it through ``AsyncConnection.run_sync``, so both
paths execute these very statements. Nothing here imports the ORM or asyncio.

Fencing: a writer made with a :class:`ClaimFence` (the session lifecycle writes of
:mod:`storage.sessions`) adds it to the outbox entry of every mission and session change, under
:data:`FENCE_KEY` (not a column: the server reads it, never stores it). The server refuses such a
change when that claim is no longer the one it holds (migration 0012), so a stale holder's run
cannot move the mission or leave session records behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnDefault, Connection, Table, select

from storage import tables
from storage.codec import encode_row
from storage.hlc import HybridLogicalClock
from storage.ids import new_id_for
from storage.types import utcnow
from storage.validation import storable

#: Columns that are identity or bookkeeping, never merged by clock (:mod:`sync.merge` too).
UNCLOCKED = frozenset({"id", "organization_id", "hlc", "site_id", "col_clocks"})
#: Set in ``Connection.info`` once a transaction has queued an outbox entry (the write path
#: then wakes the sync loop after the commit).
OUTBOX_WRITTEN = "solo_unicorn_outbox_written"
#: The outbox key carrying a write's claim fence (see the module docstring).
FENCE_KEY = "claim_fence"
_FENCED_TABLES = frozenset({"missions", "code_agent_sessions"})


@dataclass(frozen=True)
class ClaimFence:
    """The claim a write depends on: the mission, its claim epoch and the holding workstation."""

    mission_id: str
    epoch: int
    workstation_id: str

    @classmethod
    def of(
        cls, mission_id: str, epoch: int | None, workstation_id: str | None
    ) -> ClaimFence | None:
        """The fence of a claim, or None when there is no claim to fence by."""
        if not epoch or not workstation_id:
            return None
        return cls(mission_id, int(epoch), workstation_id)

    def token(self) -> dict[str, Any]:
        return {
            "mission_id": self.mission_id,
            "epoch": self.epoch,
            "workstation_id": self.workstation_id,
        }


class Writer(Protocol):
    """What a write needs of its database: the clock, the site and who is writing."""

    site_id: str
    hlc: HybridLogicalClock
    user_id: str | None
    workstation_id: str | None


def table_of(name_or_table: str | Table) -> Table:
    return tables.table(name_or_table) if isinstance(name_or_table, str) else name_or_table


def with_defaults(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """Fill scalar column defaults so every replica stores exactly the same row."""
    full = dict(values)
    for column in table.columns:
        if column.name in full or column.default is None:
            continue
        if isinstance(column.default, ColumnDefault) and column.default.is_scalar:
            full[column.name] = column.default.arg
    now = utcnow()
    full.setdefault("created_at", now)
    full.setdefault("updated_at", now)
    full.setdefault("deleted", False)
    return full


class RowWriter:
    def __init__(self, db: Writer, conn: Connection, *, fence: ClaimFence | None = None) -> None:
        self.db = db
        self.conn = conn
        self.fence = fence

    def insert(self, table: str | Table, values: dict[str, Any]) -> dict[str, Any]:
        """Insert a new row (``id`` is minted when absent); return the values written."""
        table = table_of(table)
        stamp = self.db.hlc.now()
        row = with_defaults(table, {key: storable(value) for key, value in values.items()})
        row.setdefault("id", new_id_for(table.name))
        clocked = {k: v for k, v in row.items() if k not in UNCLOCKED}
        row.update(hlc=stamp, site_id=self.db.site_id, col_clocks=dict.fromkeys(clocked, stamp))
        self.conn.execute(table.insert().values(**row))
        self._outbox(table, row["id"], row["organization_id"], stamp, {"id": row["id"], **clocked})
        return row

    def update(self, table: str | Table, row_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """Set ``values`` on an existing row; return the changed columns (empty when none)."""
        table = table_of(table)
        current = self.conn.execute(select(table).where(table.c.id == row_id)).mappings().one()
        values = {key: storable(value) for key, value in values.items()}
        changed = {k: v for k, v in values.items() if current[k] != v}
        if not changed:
            return {}
        changed.setdefault("updated_at", utcnow())
        stamp = self.db.hlc.now()
        clocks = dict(current["col_clocks"] or {})
        clocks.update(dict.fromkeys(changed, stamp))
        self.conn.execute(
            table.update()
            .where(table.c.id == row_id)
            .values(**changed, hlc=stamp, site_id=self.db.site_id, col_clocks=clocks)
        )
        self._outbox(table, row_id, current["organization_id"], stamp, changed)
        return changed

    def tombstone(self, table: str | Table, row_id: str) -> None:
        """Replicated delete: the row stays, marked deleted, so the delete can merge."""
        self.update(table, row_id, {"deleted": True})

    def event(
        self,
        mission: dict[str, Any],
        kind: str,
        summary: str,
        *,
        origin: str = "user",
        payload: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append to a mission's timeline (append-only: events are never updated)."""
        return self.insert(
            tables.mission_events,
            {
                "organization_id": mission["organization_id"],
                "mission_id": mission["id"],
                "kind": kind,
                "origin": origin,
                "actor_user_id": self.db.user_id if origin == "user" else None,
                "workstation_id": self.db.workstation_id,
                "summary": summary,
                "payload": encode_row(payload) if payload else None,
            },
        )

    def _outbox(
        self, table: Table, row_id: str, org_id: str, stamp: str, values: dict[str, Any]
    ) -> None:
        encoded = encode_row(values)
        if self.fence is not None and table.name in _FENCED_TABLES:
            encoded[FENCE_KEY] = self.fence.token()
        self.conn.execute(
            tables.sync_outbox.insert().values(
                table_name=table.name,
                row_id=row_id,
                organization_id=org_id,
                op="upsert",
                hlc=stamp,
                values=encoded,
            )
        )
        self.conn.info[OUTBOX_WRITTEN] = True


def get_meta(conn: Connection, key: str) -> str | None:
    meta = tables.replica_meta
    return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()


def set_meta(conn: Connection, key: str, value: str) -> None:
    meta = tables.replica_meta
    updated = conn.execute(meta.update().where(meta.c.key == key).values(value=value))
    if updated.rowcount == 0:
        conn.execute(meta.insert().values(key=key, value=value))
