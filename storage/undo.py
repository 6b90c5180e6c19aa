"""Undo for board actions: read the fields an action may change, later write them back.

An undo is an ordinary edit (one transaction, one ``undone`` mission_event, outbox entries), so
it syncs like any other change and merges per column with what others did meanwhile. A deleted
mission comes back by clearing its tombstone. A mission an agent is working on now is refused:
writing its list or stage back under a running session would fight the runtime.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.changes import ChangeWriter
from storage.database import Database
from storage.errors import ConflictError, NotFoundError
from storage.missions import apply_update, as_mission, missions
from storage.models import Mission
from storage.sessions import ACTIVE_STATUSES

#: What move, reorder, ready, priority, approve, reject and delete change on a mission.
UNDOABLE_FIELDS = (
    "list",
    "list_order",
    "ready",
    "priority",
    "stage",
    "requires_review",
    "review_status",
    "review_feedback",
    "review_requested_at",
    "review_completed_at",
    "reviewed_by_user_id",
    "completed_at",
    "deleted",
)


async def _row(conn: Any, mission_id: str) -> dict[str, Any]:
    row = (
        (await conn.execute(select(missions).where(missions.c.id == mission_id)))
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFoundError("mission", mission_id)
    return dict(row)


async def undo_point(db: Database, mission_id: str) -> dict[str, Any]:
    """The mission's undoable fields as they are now (what :func:`restore_mission` writes back)."""
    async with db.read() as conn:
        row = await _row(conn, mission_id)
    return {name: row[name] for name in UNDOABLE_FIELDS}


async def restore_mission(
    db: Database, mission_id: str, point: dict[str, Any], *, action: str
) -> Mission:
    """Write ``point`` (from :func:`undo_point`) back, as one ``undone`` event naming ``action``."""
    fields = {k: v for k, v in point.items() if k in UNDOABLE_FIELDS}
    async with db.write() as conn:
        current = await _row(conn, mission_id)
        if current["agent_session_status"] in ACTIVE_STATUSES and not current["deleted"]:
            raise ConflictError(
                f"an agent is working on “{current['title']}” now; cancel its session with "
                f"'c' before undoing the {action}"
            )
        await apply_update(
            ChangeWriter(db, conn), current, fields, kind="undone", summary=f"undid {action}"
        )
        return as_mission(await _row(conn, mission_id))
