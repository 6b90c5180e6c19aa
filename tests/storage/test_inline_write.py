"""The CLI's inline write path and the async ORM path write the same rows and outbox changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from solo_unicorn_tui.workspace import Workspace
from storage import missions as ops
from storage import tables
from storage.change_rows import RowWriter
from storage.database import Database
from storage.mission_rows import (
    MissionDraft,
    create_mission_row,
    move_mission_row,
    resolve_mission_row_id,
    update_mission_row,
)

#: Differ between any two writes by nature: identity, clocks and times.
_VARYING = {
    "id",
    "mission_id",
    "hlc",
    "created_at",
    "updated_at",
    "last_event_at",
    "completed_at",
    "list_order",
}


def _stable(values: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in values.items() if k not in _VARYING}
    if "col_clocks" in out:
        out["col_clocks"] = sorted(out["col_clocks"])
    if "payload" in out and isinstance(out["payload"], dict):
        out["payload"] = {
            side: {k: v for k, v in part.items() if k not in _VARYING}
            for side, part in out["payload"].items()
        }
    return out


async def _written(db: Database, mission_id: str, after_change: int) -> dict[str, Any]:
    missions, events, outbox = tables.missions, tables.mission_events, tables.sync_outbox
    async with db.read() as conn:
        row = (
            (await conn.execute(select(missions).where(missions.c.id == mission_id)))
            .mappings()
            .one()
        )
        timeline = (
            await conn.execute(
                select(events).where(events.c.mission_id == mission_id).order_by(events.c.hlc)
            )
        ).mappings()
        changes = (
            await conn.execute(
                select(outbox).where(outbox.c.change_id > after_change).order_by(outbox.c.change_id)
            )
        ).mappings()
        return {
            "mission": _stable(dict(row)),
            "events": [_stable(dict(e)) for e in timeline],
            "outbox": [
                (c["table_name"], c["op"], c["organization_id"], _stable(c["values"]))
                for c in changes
            ],
        }


async def _high(db: Database) -> int:
    async with db.read() as conn:
        found = await conn.execute(select(tables.sync_outbox.c.change_id))
        return max(found.scalars(), default=0)


async def test_inline_and_orm_paths_write_the_same(workspace: Workspace) -> None:
    db = workspace.db
    draft = MissionDraft(title="Same either way", description="d", priority=4, ready=True)

    start = await _high(db)
    orm = await ops.create_mission(db, workspace.project_id, draft)
    await ops.update_mission(db, orm.id, title="Renamed", priority="2", ready=False)
    await ops.move_mission(db, orm.id, "done")
    by_orm = await _written(db, orm.id, start)

    start = await _high(db)
    inline = Database.open_inline(workspace.home.replica)
    assert inline is not None
    try:
        with inline.write() as conn:
            row = create_mission_row(RowWriter(inline, conn), workspace.project_id, draft)
        with inline.write() as conn:
            ident = resolve_mission_row_id(conn, row["id"][-6:])
            update_mission_row(
                RowWriter(inline, conn),
                ident,
                {"title": "Renamed", "priority": "2", "ready": False},
            )
        with inline.write() as conn:
            moved = move_mission_row(RowWriter(inline, conn), ident, "done")
    finally:
        inline.close()
    by_inline = await _written(db, row["id"], start)

    assert by_inline == by_orm
    assert len(by_orm["outbox"]) == 6  # three row changes, three events
    assert moved["list"] == "done" and moved["completed_at"] is not None


async def test_inline_open_declines_a_replica_that_needs_the_full_open(
    workspace: Workspace,
) -> None:
    missing = workspace.home.root / "elsewhere.db"
    assert Database.open_inline(missing) is None
    async with workspace.db.write() as conn:
        await conn.execute(
            tables.replica_meta.delete().where(tables.replica_meta.c.key == "user_id")
        )
    assert Database.open_inline(workspace.home.replica) is None
