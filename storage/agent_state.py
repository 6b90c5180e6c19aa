"""Domain operations on agent profiles' rate limits (table ``code_agent_rate_limits``).

One replicated row per (workstation, profile name), with an id derived from both, so the same
profile limited twice — or on two replicas of the same workstation's data — is one row. A row
whose reset has passed means "available" without anyone writing it back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from storage.changes import ChangeWriter
from storage.database import Database
from storage.models import CodeAgentRateLimit

limits = CodeAgentRateLimit.__table__

RATE_LIMITED = "rate_limited"
AVAILABLE = "available"


@dataclass(frozen=True)
class AgentRateLimit:
    workstation_id: str
    agent_name: str
    agent_type: str
    reset_at: datetime
    reason: str


def rate_limit_id(workstation_id: str, agent_name: str) -> str:
    digest = hashlib.sha256(f"{workstation_id}\0{agent_name}".encode()).hexdigest()
    return f"ratelimit_{digest[:30]}"


async def mark_rate_limited(
    db: Database,
    *,
    organization_id: str,
    workstation_id: str,
    agent_name: str,
    agent_type: str,
    reset_at: datetime,
    reason: str,
) -> AgentRateLimit:
    """Record that the profile is limited until ``reset_at`` (replaces an earlier limit)."""
    row_id = rate_limit_id(workstation_id, agent_name)
    values = {
        "status": RATE_LIMITED,
        "agent_type": agent_type,
        "rate_limit_reset_at": reset_at,
        "rate_limit_reason": reason[:2000],
        "deleted": False,
    }
    async with db.write() as conn:
        writer = ChangeWriter(db, conn)
        exists = (await conn.execute(select(limits.c.id).where(limits.c.id == row_id))).first()
        if exists is None:
            await writer.insert(
                limits,
                {
                    "id": row_id,
                    "organization_id": organization_id,
                    "workstation_id": workstation_id,
                    "agent_name": agent_name,
                    **values,
                },
            )
        else:
            await writer.update(limits, row_id, values)
    return AgentRateLimit(workstation_id, agent_name, agent_type, reset_at, reason[:2000])


async def clear_rate_limit(db: Database, workstation_id: str, agent_name: str) -> None:
    """The profile is available again (e.g. it completed a session after its reset)."""
    row_id = rate_limit_id(workstation_id, agent_name)
    async with db.write() as conn:
        exists = (
            await conn.execute(
                select(limits.c.id).where(limits.c.id == row_id, limits.c.status == RATE_LIMITED)
            )
        ).first()
        if exists is not None:
            await ChangeWriter(db, conn).update(
                limits,
                row_id,
                {"status": AVAILABLE, "rate_limit_reset_at": None, "rate_limit_reason": None},
            )


async def active_rate_limits(
    db: Database, workstation_id: str | None, now: datetime
) -> dict[str, AgentRateLimit]:
    """Limits still in force at ``now`` by profile name (all workstations when None)."""
    query = select(limits).where(
        limits.c.status == RATE_LIMITED,
        limits.c.deleted.is_(False),
        limits.c.rate_limit_reset_at > now,
    )
    if workstation_id is not None:
        query = query.where(limits.c.workstation_id == workstation_id)
    async with db.read() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return {
        row["agent_name"]: AgentRateLimit(
            row["workstation_id"],
            row["agent_name"],
            row["agent_type"],
            row["rate_limit_reset_at"],
            row["rate_limit_reason"] or "",
        )
        for row in rows
    }
