"""Per agent profile figures, computed from recorded sessions only (seed 004's KPIs).

An agent profile is ``code_agent_sessions.code_agent_name`` (its type when no name was
recorded). Figures that were never recorded stay None (shown as "unknown"), never estimated.

- ``missions_completed``: distinct missions now in Done that the agent ran a successful
  session for (a mission two agents worked on counts for both);
- ``failure_rate``: failed and timed-out sessions over finished ones (cancelled and still
  running sessions are not judged);
- ``mean_duration_seconds``: over sessions with a recorded duration.

Both statements scan the sessions and look each one's mission up by primary key, so their cost
grows with the sessions, not with the missions (the board's panel asks on every runtime event).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select

from storage.codec import encode_value
from storage.database import Database
from storage.models import CodeAgentSession, Mission

sessions = CodeAgentSession.__table__
missions = Mission.__table__
FAILED = ("failed", "timeout")
FINISHED = ("completed", *FAILED)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AgentStats:
    agent: str
    sessions: int
    finished_sessions: int
    failed_sessions: int
    missions_completed: int
    failure_rate: float | None
    mean_duration_seconds: float | None
    last_used_at: datetime | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None
    #: Of ``input_tokens``, those read from the provider's prompt cache.
    cached_input_tokens: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {key: encode_value(value) for key, value in asdict(self).items()}


async def agent_stats(db: Database, project_id: str | None = None) -> list[AgentStats]:
    """One row per agent profile, most recently used first."""
    agent = func.coalesce(sessions.c.code_agent_name, sessions.c.code_agent_type).label("agent")
    in_project: list[ColumnElement[bool]] = [sessions.c.deleted.is_(False)]
    if project_id:
        # correlated, by the mission's primary key: per session, not a set of every mission
        in_project.append(
            select(missions.c.project_id)
            .where(missions.c.id == sessions.c.mission_id)
            .scalar_subquery()
            == project_id
        )
    totals = (
        select(
            agent,
            func.count().label("sessions"),
            func.sum(case((sessions.c.status.in_(FINISHED), 1), else_=0)).label("finished"),
            func.sum(case((sessions.c.status.in_(FAILED), 1), else_=0)).label("failed"),
            func.avg(sessions.c.duration_seconds).label("mean_duration"),
            func.max(func.coalesce(sessions.c.started_at, sessions.c.created_at)).label("last"),
            func.sum(sessions.c.input_tokens).label("input_tokens"),
            func.sum(sessions.c.output_tokens).label("output_tokens"),
            func.sum(sessions.c.cached_input_tokens).label("cached_input_tokens"),
            func.sum(sessions.c.cost_usd).label("cost_usd"),
        )
        .where(*in_project)
        .group_by(agent)
    )
    in_done = (
        select(missions.c.id)
        .where(
            missions.c.id == sessions.c.mission_id,
            missions.c.list == "done",
            missions.c.deleted.is_(False),
        )
        .exists()
    )
    completed = (
        select(agent, func.count(func.distinct(sessions.c.mission_id)))
        .where(*in_project, sessions.c.status == "completed", in_done)
        .group_by(agent)
    )
    async with db.read() as conn:
        done = dict((await conn.execute(completed)).all())
        rows = (await conn.execute(totals)).mappings().all()
    stats = []
    for row in rows:
        last = row["last"]
        if isinstance(last, str):
            last = datetime.fromisoformat(last)
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        finished = int(row["finished"] or 0)
        failed = int(row["failed"] or 0)
        stats.append(
            AgentStats(
                agent=row["agent"],
                sessions=int(row["sessions"]),
                finished_sessions=finished,
                failed_sessions=failed,
                missions_completed=int(done.get(row["agent"], 0)),
                failure_rate=failed / finished if finished else None,
                mean_duration_seconds=(
                    float(row["mean_duration"]) if row["mean_duration"] is not None else None
                ),
                last_used_at=last,
                input_tokens=row["input_tokens"],
                output_tokens=row["output_tokens"],
                cost_usd=row["cost_usd"],
                cached_input_tokens=row["cached_input_tokens"],
            )
        )
    stats.sort(key=lambda s: s.agent)
    stats.sort(key=lambda s: s.last_used_at or _EPOCH, reverse=True)
    return stats
