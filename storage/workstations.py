"""Domain operations on workstation rows: which agents they offer, and whether they are online.

Presence (seed 000): a running board or ``work`` process writes ``last_heartbeat_at`` on its
workstation's row every ``heartbeat_seconds`` and sets ``status`` offline when it exits cleanly;
both replicate like any write. A reader judges a workstation online when its status is online and
its heartbeat is younger than the offline timeout, so one killed without a goodbye turns offline
by itself. The heartbeat is the writer's clock: workstations whose clocks disagree by more than
the timeout misjudge each other (the setting is minutes, clocks are usually seconds apart).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from storage.agent_state import RATE_LIMITED
from storage.changes import ChangeWriter
from storage.database import Database
from storage.models import CodeAgentRateLimit, CodeAgentSession, Mission, Workstation
from storage.sessions import ACTIVE_STATUSES
from storage.types import utcnow

workstations = Workstation.__table__
sessions = CodeAgentSession.__table__
missions = Mission.__table__
limits = CodeAgentRateLimit.__table__


@dataclass(frozen=True)
class TeamAgent:
    name: str
    type: str
    max_concurrency: int
    running: int = 0
    rate_limited_until: datetime | None = None

    @property
    def state(self) -> str:
        if self.rate_limited_until is not None:
            return "rate-limited"
        return "busy" if self.running >= self.max_concurrency else "ready"


@dataclass(frozen=True)
class TeamSession:
    session_id: str
    mission_id: str
    mission_title: str
    agent_name: str
    stage: str
    started_at: datetime | None


@dataclass(frozen=True)
class TeamWorkstation:
    """One workstation of the organization as this replica last heard of it."""

    workstation_id: str
    name: str
    hostname: str | None
    online: bool
    last_seen_at: datetime | None
    is_this: bool = False
    agents: tuple[TeamAgent, ...] = field(default_factory=tuple)
    sessions: tuple[TeamSession, ...] = field(default_factory=tuple)


async def announce_workstation(
    db: Database, workstation_id: str, *, available_code_agents: list[dict[str, Any]], status: str
) -> None:
    """Record the agents available here and the runtime's status (replicated to other replicas)."""
    now = utcnow()
    values: dict[str, Any] = {
        "available_code_agents": available_code_agents,
        "status": status,
        "last_seen_at": now,
    }
    if status == "online":
        values["last_heartbeat_at"] = now
    async with db.write() as conn:
        await ChangeWriter(db, conn).update(Workstation.__table__, workstation_id, values)


async def heartbeat(db: Database, workstation_id: str, now: datetime | None = None) -> None:
    """This workstation is alive: one small replicated write (three columns)."""
    now = now or utcnow()
    async with db.write() as conn:
        await ChangeWriter(db, conn).update(
            workstations,
            workstation_id,
            {"status": "online", "last_heartbeat_at": now, "last_seen_at": now},
        )


async def mark_offline(db: Database, workstation_id: str, now: datetime | None = None) -> None:
    """A clean exit: others see this workstation offline at once, not after the timeout."""
    now = now or utcnow()
    async with db.write() as conn:
        await ChangeWriter(db, conn).update(
            workstations, workstation_id, {"status": "offline", "last_seen_at": now}
        )


def is_online(row: Any, now: datetime, offline_after: timedelta) -> bool:
    beat = row.last_heartbeat_at
    return row.status == "online" and beat is not None and now - beat < offline_after


async def team_workstations(
    db: Database,
    this_workstation_id: str,
    *,
    offline_after: timedelta,
    now: datetime | None = None,
) -> list[TeamWorkstation]:
    """Every workstation of this one's organization: this one first, then online, then by name.

    Each with its agents (from its announcement; rate-limited from ``code_agent_rate_limits``)
    and its running sessions; three indexed queries whatever the number of workstations.
    """
    now = now or utcnow()
    organization_id = (
        select(workstations.c.organization_id)
        .where(workstations.c.id == this_workstation_id)
        .scalar_subquery()
    )
    rows = (
        select(workstations)
        .where(workstations.c.organization_id == organization_id, workstations.c.deleted.is_(False))
        .order_by(workstations.c.name, workstations.c.id)
    )
    running = (
        select(
            sessions.c.id,
            sessions.c.workstation_id,
            sessions.c.mission_id,
            sessions.c.code_agent_name,
            sessions.c.code_agent_type,
            sessions.c.stage,
            sessions.c.started_at,
            missions.c.title,
        )
        .join(missions, missions.c.id == sessions.c.mission_id)
        .where(
            sessions.c.organization_id == organization_id,
            sessions.c.deleted.is_(False),
            sessions.c.status.in_(ACTIVE_STATUSES),
        )
        .order_by(sessions.c.started_at, sessions.c.id)
    )
    limited = select(
        limits.c.workstation_id, limits.c.agent_name, limits.c.rate_limit_reset_at
    ).where(
        limits.c.organization_id == organization_id,
        limits.c.deleted.is_(False),
        limits.c.status == RATE_LIMITED,
        limits.c.rate_limit_reset_at > now,
    )
    async with db.read() as conn:
        found = (await conn.execute(rows)).all()
        live = (await conn.execute(running)).all()
        limit_rows = (await conn.execute(limited)).all()
    limits_of = {(r.workstation_id, r.agent_name): r.rate_limit_reset_at for r in limit_rows}
    team = []
    for row in found:
        online = is_online(row, now, offline_after)
        # A session still "active" on a workstation that went silent is not running anymore.
        mine = [s for s in live if s.workstation_id == row.id] if online else []
        agents = tuple(
            TeamAgent(
                name=str(a.get("name", "")),
                type=str(a.get("type", "")),
                max_concurrency=int(a.get("max_concurrency") or 1),
                running=sum(
                    1 for s in mine if (s.code_agent_name or s.code_agent_type) == a.get("name")
                ),
                rate_limited_until=limits_of.get((row.id, a.get("name"))),
            )
            for a in row.available_code_agents or []
            if isinstance(a, dict)
        )
        team.append(
            TeamWorkstation(
                workstation_id=row.id,
                name=row.name,
                hostname=row.hostname,
                online=online,
                last_seen_at=max(
                    (t for t in (row.last_heartbeat_at, row.last_seen_at) if t is not None),
                    default=None,
                ),
                is_this=row.id == this_workstation_id,
                agents=agents,
                sessions=tuple(
                    TeamSession(
                        s.id,
                        s.mission_id,
                        s.title,
                        s.code_agent_name or s.code_agent_type,
                        s.stage or "",
                        s.started_at,
                    )
                    for s in mine
                ),
            )
        )
    team.sort(key=lambda w: (not w.is_this, not w.online))
    return team


async def workstation_name(db: Database, workstation_id: str) -> str | None:
    """The workstation's name, or None when the replica does not know it."""
    table = Workstation.__table__
    query = select(table.c.name).where(table.c.id == workstation_id)
    async with db.read() as conn:
        return (await conn.execute(query)).scalar_one_or_none()
