"""Mission dependencies: "A is blocked by B" (type ``blocks``).

A mission with an unfinished blocker (not done, not deleted) is never dispatched and shows as
blocked; finishing the blocker unblocks it with no write needed, because blocked-ness is computed
(:func:`blocked_mission_ids`, :func:`blocked_condition`). ``missions.dependency_count`` holds how
many blockers a mission has at all, so a board can skip the query for the many that have none.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.changes import ChangeWriter
from storage.database import Database
from storage.errors import ConflictError, ValidationError
from storage.ids import derived_id, short_id
from storage.missions import Origin, apply_update, as_mission, fetch_mission
from storage.models import Mission, MissionDependency

missions = Mission.__table__
deps = MissionDependency.__table__
BLOCKS = "blocks"
MAX_CHAIN = 10_000


def _label(row: dict[str, Any]) -> str:
    return f"{short_id(row['id'])} {row['title'][:40]!r}"


async def _live_edges(conn: AsyncConnection, mission_id: str) -> list[str]:
    rows = await conn.execute(
        select(deps.c.depends_on_mission_id).where(
            deps.c.mission_id == mission_id,
            deps.c.deleted.is_(False),
            deps.c.dependency_type == BLOCKS,
        )
    )
    return list(rows.scalars())


async def _path(conn: AsyncConnection, start: str, goal: str) -> list[str] | None:
    """A chain of ``blocks`` edges start → … → goal, if there is one (breadth first)."""
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue and len(previous) < MAX_CHAIN:
        node = queue.popleft()
        if node == goal:
            chain = [node]
            while (before := previous[chain[-1]]) is not None:
                chain.append(before)
            return list(reversed(chain))
        for nxt in await _live_edges(conn, node):
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return None


async def _count(conn: AsyncConnection, mission_id: str) -> int:
    return (
        await conn.execute(
            select(func.count())
            .select_from(deps)
            .join(missions, missions.c.id == deps.c.depends_on_mission_id)
            .where(
                deps.c.mission_id == mission_id,
                deps.c.deleted.is_(False),
                deps.c.dependency_type == BLOCKS,
                missions.c.deleted.is_(False),
            )
        )
    ).scalar_one()


async def recount_dependents(writer: ChangeWriter, deleted_id: str) -> None:
    """After ``deleted_id`` is deleted: each mission that waited on it counts one blocker less."""
    waiting = (
        await writer.conn.execute(
            select(deps.c.mission_id)
            .where(deps.c.depends_on_mission_id == deleted_id, deps.c.deleted.is_(False))
            .distinct()
        )
    ).scalars()
    for mission_id in list(waiting):
        row = (
            (await writer.conn.execute(select(missions).where(missions.c.id == mission_id)))
            .mappings()
            .one_or_none()
        )
        if row is None or row["deleted"]:
            continue
        count = await _count(writer.conn, mission_id)
        if count != row["dependency_count"]:
            await writer.update(missions, mission_id, {"dependency_count": count})


async def _existing(conn: AsyncConnection, mission_id: str, on_id: str) -> dict[str, Any] | None:
    row = (
        (
            await conn.execute(
                select(deps)
                .where(deps.c.mission_id == mission_id, deps.c.depends_on_mission_id == on_id)
                .order_by(deps.c.deleted)
                .limit(1)
            )
        )
        .mappings()
        .one_or_none()
    )
    return dict(row) if row else None


async def _live_rows(conn: AsyncConnection, mission_id: str, on_id: str) -> list[str]:
    query = select(deps.c.id).where(
        deps.c.mission_id == mission_id,
        deps.c.depends_on_mission_id == on_id,
        deps.c.deleted.is_(False),
    )
    return sorted((await conn.execute(query)).scalars())


async def add_dependency(
    db: Database, mission_id: str, on_id: str, *, origin: Origin = "user"
) -> Mission:
    """Make ``mission_id`` wait for ``on_id``; a cycle is refused, a repeat is a no-op.

    The row's id is derived from the pair, so the same dependency added on two replicas is one
    row after the merge (and one ``--remove`` removes it everywhere).
    """
    if mission_id == on_id:
        raise ConflictError(f"mission {mission_id} cannot depend on itself")
    async with db.write() as conn:
        mission = await fetch_mission(conn, mission_id)
        blocker = await fetch_mission(conn, on_id)
        if mission["project_id"] != blocker["project_id"]:
            raise ValidationError("on", f"mission {on_id} belongs to another project")
        existing = await _existing(conn, mission_id, on_id)
        if existing and not existing["deleted"]:
            return as_mission(mission)
        cycle = await _path(conn, on_id, mission_id)
        if cycle is not None:
            rows = {mission_id: mission, on_id: blocker}
            for node in cycle:
                if node not in rows:
                    rows[node] = await fetch_mission(conn, node)
            shown = " → ".join(_label(rows[n]) for n in [mission_id, *cycle])
            raise ConflictError(
                f"that dependency would make a cycle ({shown} waits on itself); remove one "
                "with 'solo-unicorn mission depend ID --on OTHER --remove'"
            )
        writer = ChangeWriter(db, conn)
        if existing:
            await writer.update(deps, existing["id"], {"deleted": False})
        else:
            await writer.insert(
                deps,
                {
                    "id": derived_id(deps.name, mission_id, on_id, BLOCKS),
                    "organization_id": mission["organization_id"],
                    "mission_id": mission_id,
                    "depends_on_mission_id": on_id,
                    "dependency_type": BLOCKS,
                },
            )
        await _after_change(writer, mission, blocker, added=True, origin=origin)
        return as_mission(await fetch_mission(conn, mission_id))


async def remove_dependency(
    db: Database, mission_id: str, on_id: str, *, origin: Origin = "user"
) -> Mission:
    """Drop the dependency; removing one that does not exist is a no-op."""
    async with db.write() as conn:
        mission = await fetch_mission(conn, mission_id)
        blocker = await fetch_mission(conn, on_id)
        live = await _live_rows(conn, mission_id, on_id)
        if live:
            writer = ChangeWriter(db, conn)
            for row_id in live:  # more than one only from replicas older than derived ids
                await writer.tombstone(deps, row_id)
            await _after_change(writer, mission, blocker, added=False, origin=origin)
        return as_mission(await fetch_mission(conn, mission_id))


async def _after_change(
    writer: ChangeWriter,
    mission: dict[str, Any],
    blocker: dict[str, Any],
    *,
    added: bool,
    origin: Origin,
) -> None:
    count = await _count(writer.conn, mission["id"])
    verb = "now waits on" if added else "no longer waits on"
    payload = {"mission_id": mission["id"], "depends_on_mission_id": blocker["id"]}
    changed = await apply_update(
        writer,
        mission,
        {"dependency_count": count},
        kind="dependency_added" if added else "dependency_removed",
        summary=f"{verb} {_label(blocker)}",
        origin=origin,
    )
    if "dependency_count" not in changed:
        await writer.event(
            mission,
            "dependency_added" if added else "dependency_removed",
            f"{verb} {_label(blocker)}",
            origin=origin,
            payload=payload,
        )
    await writer.event(
        blocker,
        "blocks" if added else "unblocks",
        f"{'blocks' if added else 'no longer blocks'} {_label(mission)}",
        origin=origin,
        payload=payload,
    )


def blocked_condition(mission_table: Table = missions) -> ColumnElement[bool]:
    """SQL condition "this mission has an unfinished blocker", for the dispatcher's query.

    Use ``~blocked_condition()`` to select only dispatchable missions.
    """
    blocker = missions.alias("blocker")
    return exists(
        select(deps.c.id)
        .join(blocker, blocker.c.id == deps.c.depends_on_mission_id)
        .where(
            deps.c.mission_id == mission_table.c.id,
            deps.c.deleted.is_(False),
            deps.c.dependency_type == BLOCKS,
            blocker.c.deleted.is_(False),
            blocker.c.list != "done",
        )
    )


async def blocked_mission_ids(conn: AsyncConnection, project_id: str) -> set[str]:
    """Ids of the project's missions that wait on at least one unfinished blocker."""
    blocked = missions.alias("blocked")
    blocker = missions.alias("blocker")
    query = (
        select(deps.c.mission_id)
        .join(blocked, blocked.c.id == deps.c.mission_id)
        .join(blocker, blocker.c.id == deps.c.depends_on_mission_id)
        .where(
            and_(
                blocked.c.project_id == project_id,
                blocked.c.deleted.is_(False),
                deps.c.deleted.is_(False),
                deps.c.dependency_type == BLOCKS,
                blocker.c.deleted.is_(False),
                blocker.c.list != "done",
            )
        )
        .distinct()
    )
    return set((await conn.execute(query)).scalars())


async def blockers(db: Database, mission_id: str) -> list[Mission]:
    """The unfinished missions ``mission_id`` waits on (what the card shows as blocking it)."""
    return await _on(db, mission_id, unfinished_only=True)


async def dependencies(db: Database, mission_id: str) -> list[Mission]:
    """Every mission ``mission_id`` waits on, finished or not."""
    return await _on(db, mission_id, unfinished_only=False)


def blockers_query(mission_id: str, *, unfinished_only: bool) -> Select[Any]:
    """The missions ``mission_id`` waits on (only those not done yet, if asked)."""
    query = (
        select(missions)
        .join(deps, deps.c.depends_on_mission_id == missions.c.id)
        .where(
            deps.c.mission_id == mission_id,
            deps.c.deleted.is_(False),
            deps.c.dependency_type == BLOCKS,
            missions.c.deleted.is_(False),
        )
        .order_by(missions.c.priority.desc(), missions.c.list_order, missions.c.id)
    )
    return query.where(missions.c.list != "done") if unfinished_only else query


async def _on(db: Database, mission_id: str, *, unfinished_only: bool) -> list[Mission]:
    query = blockers_query(mission_id, unfinished_only=unfinished_only)
    async with db.read() as conn:
        await fetch_mission(conn, mission_id)
        return [as_mission(row) for row in (await conn.execute(query)).mappings()]


async def dependents(db: Database, mission_id: str) -> list[Mission]:
    """The missions that wait on ``mission_id``."""
    query = (
        select(missions)
        .join(deps, deps.c.mission_id == missions.c.id)
        .where(
            deps.c.depends_on_mission_id == mission_id,
            deps.c.deleted.is_(False),
            deps.c.dependency_type == BLOCKS,
            missions.c.deleted.is_(False),
        )
        .order_by(missions.c.list_order, missions.c.id)
    )
    async with db.read() as conn:
        return [as_mission(row) for row in (await conn.execute(query)).mappings()]
