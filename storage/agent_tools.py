"""Domain operations only an agent's tools need: proposing a follow-up mission, paging missions.

The MCP server (``solo_unicorn_tui.mcp``) calls these; like every write they go through
:class:`~storage.changes.ChangeWriter`, so a proposal syncs like any other edit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select, tuple_

from storage import validation
from storage.changes import ChangeWriter
from storage.database import Database
from storage.errors import ConflictError, ValidationError
from storage.flows import resolve_flow, stage_names
from storage.missions import MissionDraft, as_mission, fetch_mission, insert_mission, missions
from storage.models import MISSION_LISTS, Mission, MissionEvent, Project
from storage.rows import fetch_row

#: Proposals one mission may make: a loop in an agent cannot flood the board.
MAX_PROPOSALS_PER_MISSION = 20
PAGE_MAX = 100
PROPOSED_KIND = "proposed"

_events = MissionEvent.__table__


async def propose_mission(
    db: Database,
    from_mission_id: str,
    *,
    title: str,
    description: str | None = None,
    priority: object = 3,
) -> Mission:
    """Create a follow-up mission, not ready, at the end of Todo, with origin ``agent``.

    Both missions get an event naming the other (``created`` on the new one with
    ``proposed_by``, ``proposed`` on the proposing one with ``mission_id``), so the link shows
    on both timelines and syncs; a person triages the proposal before it is dispatched.
    """
    title = validation.title(title)
    description = validation.long_text(description, "description")
    level = validation.priority(priority)
    async with db.write() as conn:
        source = await fetch_mission(conn, from_mission_id)
        made = (
            await conn.execute(
                select(func.count())
                .select_from(_events)
                .where(
                    _events.c.mission_id == from_mission_id,
                    _events.c.kind == PROPOSED_KIND,
                    _events.c.deleted.is_(False),
                )
            )
        ).scalar_one()
        if made >= MAX_PROPOSALS_PER_MISSION:
            raise ConflictError(
                f"mission {from_mission_id} has already proposed {made} missions (the limit is "
                f"{MAX_PROPOSALS_PER_MISSION}); put further ideas in its solution instead"
            )
        project = await fetch_row(conn, Project.__table__, source["project_id"], "project")
        flow_id = project["default_flow_id"]
        flow = await resolve_flow(conn, {"flow_id": flow_id, "project_id": project["id"]})
        draft = MissionDraft(
            title=title,
            description=description,
            priority=level,
            ready=False,
            list="todo",
            repository_id=source["repository_id"],
            flow_id=flow_id,
            stage=stage_names(flow)[0],
            origin="agent",
        )
        writer = ChangeWriter(db, conn)
        row = await insert_mission(
            writer,
            project,
            draft,
            origin="agent",
            summary=f"proposed by mission {source['id']} ({source['title'][:80]})",
            payload={"proposed_by": source["id"]},
        )
        await writer.event(
            source,
            PROPOSED_KIND,
            f"proposed a follow-up mission {row['id']} ({title[:80]})",
            origin="agent",
            payload={"mission_id": row["id"]},
        )
        return as_mission(await fetch_mission(conn, row["id"]))


def _list_rank() -> Any:
    return case({name: rank for rank, name in enumerate(MISSION_LISTS)}, value=missions.c.list)


async def missions_page(
    db: Database,
    project_id: str,
    *,
    list_name: str | None = None,
    limit: int = 50,
    after: str | None = None,
) -> tuple[list[Mission], str | None]:
    """One page of a project's missions in board order (Todo, Doing, Review, Done; card order).

    ``after`` is the last id of the previous page; the second value is the id to pass for the
    next page, or None after the last one.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= PAGE_MAX:
        raise ValidationError("limit", f"{limit!r} is out of range; use 1 to {PAGE_MAX}")
    rank = _list_rank()
    query = select(missions).where(
        missions.c.project_id == project_id, missions.c.deleted.is_(False)
    )
    if list_name is not None:
        query = query.where(missions.c.list == validation.list_name(list_name))
    async with db.read() as conn:
        if after is not None:
            anchor = (
                (
                    await conn.execute(
                        select(rank.label("rank"), missions.c.list_order, missions.c.id).where(
                            missions.c.id == after, missions.c.project_id == project_id
                        )
                    )
                )
                .mappings()
                .one_or_none()
            )
            if anchor is None:
                raise ValidationError(
                    "after",
                    f"{after!r} is not a mission of this project; pass the last id of "
                    "the previous page",
                )
            query = query.where(
                tuple_(rank, missions.c.list_order, missions.c.id)
                > tuple_(anchor["rank"], anchor["list_order"], anchor["id"])
            )
        query = query.order_by(rank, missions.c.list_order, missions.c.id).limit(limit + 1)
        rows = [as_mission(row) for row in (await conn.execute(query)).mappings()]
    more = len(rows) > limit
    page = rows[:limit]
    return page, (page[-1].id if more else None)
