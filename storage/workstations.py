"""Domain operations on this workstation's row: which agents it offers, when it was last seen."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.changes import ChangeWriter
from storage.database import Database
from storage.models import Workstation
from storage.types import utcnow


async def announce_workstation(
    db: Database, workstation_id: str, *, available_code_agents: list[dict[str, Any]], status: str
) -> None:
    """Record the agents available here and the runtime's status (replicated to other replicas)."""
    async with db.write() as conn:
        await ChangeWriter(db, conn).update(
            Workstation.__table__,
            workstation_id,
            {
                "available_code_agents": available_code_agents,
                "status": status,
                "last_seen_at": utcnow(),
            },
        )


async def workstation_name(db: Database, workstation_id: str) -> str | None:
    """The workstation's name, or None when the replica does not know it."""
    table = Workstation.__table__
    query = select(table.c.name).where(table.c.id == workstation_id)
    async with db.read() as conn:
        return (await conn.execute(query)).scalar_one_or_none()
