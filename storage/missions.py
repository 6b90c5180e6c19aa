"""Domain operations on missions: the only way anything writes a mission.

Each operation commits the mission row, a mission_event and the outbox entries for both in one
SQLite transaction (see :mod:`storage.changes`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import validation
from storage.changes import ChangeWriter
from storage.codec import encode_row
from storage.database import Database, get_meta
from storage.errors import NotFoundError, ValidationError
from storage.models import Mission, MissionEvent, Project
from storage.names import MISSION_JSON_FIELDS
from storage.rows import resolve_row_id
from storage.types import utcnow

missions = Mission.__table__
ORDER_STEP = 1000.0
MIN_ORDER_GAP = 1e-6
#: A replica's appends land at ``highest + ORDER_STEP + its site offset`` (an offset below this):
#: two replicas appending to the same list offline pick different floats.
SITE_OFFSET_SPAN = 64.0
_SITE_OFFSET_STEPS = 2**32

Origin = Literal["user", "agent", "system", "sync", "fallback"]

#: Fields a person (board, CLI) may set directly with :func:`update_mission`.
EDITABLE_FIELDS = frozenset(
    {
        "title",
        "description",
        "clarification",
        "priority",
        "ready",
        "stage",
        "flow_id",
        "actor_id",
        "agent_name",
        "repository_id",
        "target_branch",
        "pr_mode",
        "solution",
        "solution_path",
        "tasks",
        "tasks_path",
        "tasks_current",
        "review_feedback",
    }
)
#: Fields only the runtime sets (sessions, claims, review state), through the same write path.
RUNTIME_FIELDS = frozenset(
    {
        "agent_session_status",
        "last_code_agent_session_id",
        "code_agent_name",
        "review_status",
        "review_requested_at",
        "review_completed_at",
        "reviewed_by_user_id",
        "recovery_attempts",
        "last_error",
        "claimed_by_workstation_id",
        "claim_epoch",
        "claim_expires_at",
        "pr_branch_name",
        "github_pr_number",
        "github_pr_url",
        "requires_review",
        "dependency_count",
        "completed_at",
    }
)


@dataclass(frozen=True)
class MissionDraft:
    """What a person supplies to create a mission."""

    title: str
    description: str | None = None
    priority: int = 3
    ready: bool = False
    list: str = "todo"
    repository_id: str | None = None
    flow_id: str | None = None
    actor_id: str | None = None
    agent_name: str | None = None
    stage: str | None = None
    target_branch: str | None = None
    pr_mode: str | None = None
    """None: the project's ``pr_mode_default``."""
    origin: str = "manual"
    fallback_item_id: str | None = None


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(fields)
    if "title" in cleaned:
        cleaned["title"] = validation.title(cleaned["title"])
    for key in ("description", "clarification", "solution", "review_feedback"):
        if key in cleaned:
            cleaned[key] = validation.long_text(cleaned[key], key)
    if "priority" in cleaned:
        cleaned["priority"] = validation.priority(cleaned["priority"])
    if "list" in cleaned:
        cleaned["list"] = validation.list_name(cleaned["list"])
    if "pr_mode" in cleaned:
        cleaned["pr_mode"] = validation.pr_mode(cleaned["pr_mode"])
    if "ready" in cleaned:
        cleaned["ready"] = bool(cleaned["ready"])
    if "agent_name" in cleaned:
        cleaned["agent_name"] = validation.agent_name(cleaned["agent_name"])
    if cleaned.get("target_branch") is not None:
        cleaned["target_branch"] = validation.branch_name(cleaned["target_branch"])
    return cleaned


def as_mission(row: Any) -> Mission:
    return Mission(**dict(row))


async def _fetch(conn: AsyncConnection, mission_id: str) -> dict[str, Any]:
    row = (
        (
            await conn.execute(
                select(missions).where(missions.c.id == mission_id, missions.c.deleted.is_(False))
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFoundError("mission", mission_id)
    return dict(row)


async def resolve_mission_id(db: Database, ident: str) -> str:
    """Accept a full id, or a unique suffix of one (as shown on cards and in ``short_id``)."""
    return await resolve_row_id(db, missions, ident, "mission")


async def _stage_names(conn: AsyncConnection, project_id: str, flow_id: str | None) -> list[str]:
    """The stages a mission with ``flow_id`` walks (the same lookup the runtime uses)."""
    from storage.flows import resolve_flow, stage_names  # flows builds on this module

    return stage_names(await resolve_flow(conn, {"flow_id": flow_id, "project_id": project_id}))


def site_order_offset(site_id: str) -> float:
    """A fixed fraction of :data:`SITE_OFFSET_SPAN` derived from the replica's site id.

    Every replica computes "the end of the list" from what it has seen, so two replicas that
    append while apart would otherwise choose the same ``list_order``; the offset keeps their
    positions apart (ties that remain are broken by id in every query that orders missions).
    The offset is a multiple of 2**-26, so adding it to an order below 2**27 (over 100,000
    missions of :data:`ORDER_STEP`) loses no precision.
    """
    digest = hashlib.sha256(site_id.encode()).digest()
    step = int.from_bytes(digest[:8], "big") % _SITE_OFFSET_STEPS
    return (1 + step) * SITE_OFFSET_SPAN / _SITE_OFFSET_STEPS


async def _end_of_list(conn: AsyncConnection, project_id: str, list_name: str) -> float:
    site_id = await get_meta(conn, "site_id") or ""
    highest = (
        await conn.execute(
            select(func.max(missions.c.list_order)).where(
                missions.c.project_id == project_id,
                missions.c.list == list_name,
                missions.c.deleted.is_(False),
            )
        )
    ).scalar_one_or_none()
    return (highest or 0.0) + ORDER_STEP + site_order_offset(site_id)


async def create_mission(
    db: Database, project_id: str, draft: MissionDraft, *, origin: Origin = "user"
) -> Mission:
    async with db.write() as conn:
        project = (
            (await conn.execute(select(Project.__table__).where(Project.id == project_id)))
            .mappings()
            .one_or_none()
        )
        if project is None or project["deleted"]:
            raise NotFoundError("project", project_id)
        row = await insert_mission(ChangeWriter(db, conn), dict(project), draft, origin=origin)
        return as_mission(await _fetch(conn, row["id"]))


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


def _describe(changed: dict[str, Any]) -> str:
    shown = [k for k in changed if k != "updated_at"]
    return "changed " + ", ".join(shown)


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
    changed = await writer.update(missions, current["id"], {**fields, "last_event_at": utcnow()})
    meaningful = {k: v for k, v in changed.items() if k not in ("last_event_at", "updated_at")}
    if meaningful:
        before = {k: current.get(k) for k in meaningful}
        await writer.event(
            current,
            kind,
            summary or _describe(meaningful),
            origin=origin,
            payload={"before": encode_row(before), "after": encode_row(meaningful)},
        )
    return changed


async def update_mission(
    db: Database, mission_id: str, *, origin: Origin = "user", **fields: Any
) -> Mission:
    unknown = set(fields) - EDITABLE_FIELDS - RUNTIME_FIELDS
    if unknown:
        raise ValidationError(", ".join(sorted(unknown)), "is not a field you can update")
    fields = _clean(fields)
    async with db.write() as conn:
        current = await _fetch(conn, mission_id)
        if (
            "flow_id" in fields
            and "stage" not in fields
            and fields["flow_id"] != current["flow_id"]
        ):
            # A stage the new flow does not have would end the mission after it: start over.
            names = await _stage_names(conn, current["project_id"], fields["flow_id"])
            if current["stage"] not in names:
                fields["stage"] = names[0]
        await apply_update(ChangeWriter(db, conn), current, fields, origin=origin)
        return as_mission(await _fetch(conn, mission_id))


async def move_mission(
    db: Database, mission_id: str, to_list: str, *, origin: Origin = "user"
) -> Mission:
    """Move a mission to the end of another list."""
    to_list = validation.list_name(to_list)
    async with db.write() as conn:
        current = await _fetch(conn, mission_id)
        if current["list"] != to_list:
            fields: dict[str, Any] = {
                "list": to_list,
                "list_order": await _end_of_list(conn, current["project_id"], to_list),
                "completed_at": utcnow() if to_list == "done" else None,
            }
            await apply_update(
                ChangeWriter(db, conn),
                current,
                fields,
                kind="moved",
                summary=f"moved {current['list']} → {to_list}",
                origin=origin,
            )
        return as_mission(await _fetch(conn, mission_id))


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
    from storage.codec import encode_value

    return {name: encode_value(getattr(mission, name)) for name in MISSION_JSON_FIELDS}


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

    The one insert path: :func:`create_mission` and Mission Fallback both come here, so every
    new mission has its fields validated the same way and starts at the first stage of the
    flow it will walk (:func:`storage.flows.resolve_flow`) unless the draft names a stage.
    ``now`` stamps ``created_at`` so callers with an injected clock (Mission Fallback's weekly
    cap counts missions created this week) see consistent times.
    """
    fields = _clean(
        {
            "title": draft.title,
            "description": draft.description,
            "priority": draft.priority,
            "ready": draft.ready,
            "list": draft.list,
            "target_branch": draft.target_branch,
            "pr_mode": draft.pr_mode or project["pr_mode_default"] or "disabled",
        }
    )
    conn = writer.conn
    flow_id = draft.flow_id or project["default_flow_id"]
    stamp = now or utcnow()
    row = await writer.insert(
        missions,
        {
            **fields,
            "organization_id": project["organization_id"],
            "project_id": project["id"],
            "list_order": await _end_of_list(conn, project["id"], fields["list"]),
            "repository_id": draft.repository_id,
            "flow_id": flow_id,
            "actor_id": draft.actor_id,
            "agent_name": validation.agent_name(draft.agent_name),
            "stage": draft.stage or (await _stage_names(conn, project["id"], flow_id))[0],
            "origin": draft.origin,
            "fallback_item_id": draft.fallback_item_id,
            "created_by_user_id": writer.db.user_id if origin == "user" else None,
            "last_event_at": stamp,
            "created_at": stamp,
            "updated_at": stamp,
        },
    )
    await writer.event(
        row, "created", summary or f"created in {row['list']}", origin=origin, payload=payload
    )
    return row
