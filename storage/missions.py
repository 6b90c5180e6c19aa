"""Domain operations on missions: the only way anything writes a mission.

Each operation commits the mission row, a mission_event and the outbox entries for both in one
SQLite transaction (see :mod:`storage.changes`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import validation
from storage.change_rows import RowWriter
from storage.changes import ChangeWriter
from storage.database import Database
from storage.mission_rows import EDITABLE_FIELDS as EDITABLE_FIELDS
from storage.mission_rows import MIN_ORDER_GAP as MIN_ORDER_GAP
from storage.mission_rows import ORDER_STEP as ORDER_STEP
from storage.mission_rows import RUNTIME_FIELDS as RUNTIME_FIELDS
from storage.mission_rows import SITE_OFFSET_SPAN as SITE_OFFSET_SPAN
from storage.mission_rows import MissionDraft as MissionDraft
from storage.mission_rows import Origin as Origin
from storage.mission_rows import (
    apply_update_row,
    create_mission_row,
    end_of_list_row,
    fetch_mission_row,
    insert_mission_row,
    mission_json,
    move_mission_row,
    update_mission_row,
)
from storage.mission_rows import site_order_offset as site_order_offset
from storage.models import Mission, MissionEvent
from storage.rows import resolve_row_id

missions = Mission.__table__


def as_mission(row: Any) -> Mission:
    return Mission(**dict(row))


async def _fetch(conn: AsyncConnection, mission_id: str) -> dict[str, Any]:
    return await conn.run_sync(fetch_mission_row, mission_id)


async def resolve_mission_id(db: Database, ident: str) -> str:
    """Accept a full id, or a unique suffix of one (as shown on cards and in ``short_id``)."""
    return await resolve_row_id(db, missions, ident, "mission")


async def _end_of_list(conn: AsyncConnection, project_id: str, list_name: str) -> float:
    return await conn.run_sync(end_of_list_row, project_id, list_name)


async def create_mission(
    db: Database, project_id: str, draft: MissionDraft, *, origin: Origin = "user"
) -> Mission:
    async with db.write() as conn:
        row = await conn.run_sync(
            lambda c: create_mission_row(RowWriter(db, c), project_id, draft, origin=origin)
        )
        return as_mission(row)


async def get_mission(db: Database, mission_id: str) -> Mission:
    async with db.read() as conn:
        return as_mission(await _fetch(conn, mission_id))


async def list_missions(
    db: Database,
    project_id: str | None = None,
    list_name: str | None = None,
    *,
    limit: int | None = None,
) -> list[Mission]:
    query = select(missions).where(missions.c.deleted.is_(False))
    if project_id:
        query = query.where(missions.c.project_id == project_id)
    if list_name:
        query = query.where(missions.c.list == validation.list_name(list_name))
    query = query.order_by(missions.c.list, missions.c.list_order, missions.c.id).limit(limit)
    async with db.read() as conn:
        return [as_mission(row) for row in (await conn.execute(query)).mappings()]


async def has_missions(db: Database) -> bool:
    """Whether the replica holds any live mission (of any project)."""
    query = select(missions.c.id).where(missions.c.deleted.is_(False)).limit(1)
    async with db.read() as conn:
        return (await conn.execute(query)).first() is not None


async def done_mission_ids(db: Database) -> set[str]:
    """The ids of every live mission in Done (their worktrees may go at once)."""
    query = select(missions.c.id).where(missions.c.list == "done", missions.c.deleted.is_(False))
    async with db.read() as conn:
        return set((await conn.execute(query)).scalars())


async def list_events(db: Database, mission_id: str) -> list[MissionEvent]:
    table = MissionEvent.__table__
    query = (
        select(table)
        .where(table.c.mission_id == mission_id, table.c.deleted.is_(False))
        .order_by(table.c.hlc)
    )
    async with db.read() as conn:
        return [MissionEvent(**dict(row)) for row in (await conn.execute(query)).mappings()]


async def apply_update(
    writer: ChangeWriter,
    current: dict[str, Any],
    fields: dict[str, Any],
    *,
    kind: str = "updated",
    summary: str | None = None,
    origin: Origin = "user",
) -> dict[str, Any]:
    """Update a mission inside an open write transaction and log one event for it."""
    return await writer.conn.run_sync(
        lambda c: apply_update_row(
            writer.rows(c), current, fields, kind=kind, summary=summary, origin=origin
        )
    )


async def update_mission(
    db: Database, mission_id: str, *, origin: Origin = "user", **fields: Any
) -> Mission:
    async with db.write() as conn:
        row = await conn.run_sync(
            lambda c: update_mission_row(RowWriter(db, c), mission_id, fields, origin=origin)
        )
        return as_mission(row)


async def move_mission(
    db: Database, mission_id: str, to_list: str, *, origin: Origin = "user"
) -> Mission:
    """Move a mission to the end of another list."""
    async with db.write() as conn:
        row = await conn.run_sync(
            lambda c: move_mission_row(RowWriter(db, c), mission_id, to_list, origin=origin)
        )
        return as_mission(row)


async def _neighbours(
    conn: AsyncConnection, current: dict[str, Any], direction: int, count: int
) -> list[float]:
    order, ident = missions.c.list_order, missions.c.id
    here, me = current["list_order"], current["id"]
    query = select(order).where(
        missions.c.project_id == current["project_id"],
        missions.c.list == current["list"],
        missions.c.deleted.is_(False),
        ident != me,
    )
    # Neighbours in the board's (list_order, id) order, so ties move the card the way it shows.
    if direction < 0:
        query = query.where((order < here) | ((order == here) & (ident < me)))
        query = query.order_by(order.desc(), ident.desc())
    else:
        query = query.where((order > here) | ((order == here) & (ident > me)))
        query = query.order_by(order.asc(), ident.asc())
    return list((await conn.execute(query.limit(count))).scalars())


async def _renumber(writer: ChangeWriter, project_id: str, list_name: str) -> None:
    """Spread a list's orders out again once repeated halving has used up the gaps."""
    rows = (
        await writer.conn.execute(
            select(missions.c.id)
            .where(
                missions.c.project_id == project_id,
                missions.c.list == list_name,
                missions.c.deleted.is_(False),
            )
            .order_by(missions.c.list_order, missions.c.id)
        )
    ).scalars()
    for index, row_id in enumerate(list(rows), start=1):
        await writer.update(missions, row_id, {"list_order": index * ORDER_STEP})


async def reorder_mission(
    db: Database, mission_id: str, direction: int, *, origin: Origin = "user"
) -> Mission:
    """Move a mission one place up (``direction < 0``) or down within its list."""
    async with db.write() as conn:
        writer = ChangeWriter(db, conn)
        current = await _fetch(conn, mission_id)
        near = await _neighbours(conn, current, direction, 2)
        if not near:
            return as_mission(current)
        sign = -1 if direction < 0 else 1
        far = near[1] if len(near) > 1 else near[0] + sign * ORDER_STEP * 2
        if abs(far - near[0]) < MIN_ORDER_GAP or near[0] == current["list_order"]:
            await _renumber(writer, current["project_id"], current["list"])
            current = await _fetch(conn, mission_id)
            near = await _neighbours(conn, current, direction, 2)
            far = near[1] if len(near) > 1 else near[0] + sign * ORDER_STEP * 2
        await apply_update(
            writer,
            current,
            {"list_order": (near[0] + far) / 2},
            kind="reordered",
            summary="moved up" if direction < 0 else "moved down",
            origin=origin,
        )
        return as_mission(await _fetch(conn, mission_id))


async def set_priority(
    db: Database, mission_id: str, priority: int, *, origin: Origin = "user"
) -> Mission:
    return await update_mission(db, mission_id, priority=priority, origin=origin)


async def bump_priority(
    db: Database, mission_id: str, delta: int, *, origin: Origin = "user"
) -> Mission:
    """Raise or lower priority by ``delta``, clamped to 1–5 (a no-op at the ends).

    Read and write in one transaction, so two quick presses each count.
    """
    async with db.write() as conn:
        current = await _fetch(conn, mission_id)
        target = min(5, max(1, current["priority"] + delta))
        await apply_update(ChangeWriter(db, conn), current, {"priority": target}, origin=origin)
        return as_mission(await _fetch(conn, mission_id))


async def toggle_ready(db: Database, mission_id: str, *, origin: Origin = "user") -> Mission:
    async with db.write() as conn:
        current = await _fetch(conn, mission_id)
        await apply_update(
            ChangeWriter(db, conn),
            current,
            {"ready": not current["ready"]},
            kind="ready",
            summary="marked ready" if not current["ready"] else "marked not ready",
            origin=origin,
        )
        return as_mission(await _fetch(conn, mission_id))


async def delete_mission(db: Database, mission_id: str, *, origin: Origin = "user") -> None:
    async with db.write() as conn:
        current = await _fetch(conn, mission_id)
        writer = ChangeWriter(db, conn)
        await writer.tombstone(missions, mission_id)
        await writer.event(current, "deleted", f"deleted {current['title']!r}", origin=origin)
        from storage.dependencies import recount_dependents  # dependencies builds on this module

        await recount_dependents(writer, mission_id)


def mission_to_json(mission: Mission) -> dict[str, Any]:
    return mission_json(mission)


# --- for domain modules that work on missions inside their own write transaction ----------------


async def fetch_mission(conn: AsyncConnection, mission_id: str) -> dict[str, Any]:
    """The live mission row as a dict, or :class:`NotFoundError`."""
    return await _fetch(conn, mission_id)


async def end_of_list(conn: AsyncConnection, project_id: str, list_name: str) -> float:
    """A ``list_order`` that puts a mission at the end of ``list_name``."""
    return await _end_of_list(conn, project_id, list_name)


async def insert_mission(
    writer: ChangeWriter,
    project: dict[str, Any],
    draft: MissionDraft,
    *,
    origin: Origin = "user",
    summary: str | None = None,
    payload: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Create a mission (and its ``created`` event) inside an open write transaction.

    :func:`storage.mission_rows.insert_mission_row`, the one insert path, on ``writer``'s
    connection.
    """
    return await writer.conn.run_sync(
        lambda c: insert_mission_row(
            writer.rows(c),
            project,
            draft,
            origin=origin,
            summary=summary,
            payload=payload,
            now=now,
        )
    )
