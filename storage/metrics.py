"""A project's figures per UTC day (seed 001 ``mv_project_metrics_daily``, seed 004's KPIs).

Computed from the replica by five queries grouped by day over the days asked for (each on an
index: missions by project and creation or completion, sessions, fallback runs by project and
start), never row by row in Python:

- ``missions_created`` / ``missions_done``: live missions created that day / now in Done and
  completed that day;
- ``sessions``, ``failed_sessions``, ``failure_rate``: agent sessions of the project's missions
  started that day; failed and timed-out over finished ones (None when none finished);
- ``input_tokens``, ``output_tokens``, ``cost_usd``: what those sessions recorded;
- ``fallback_generated`` / ``fallback_accepted``: over Mission Fallback runs started that day;
- ``avg_backlog``: the time-weighted mean number of open missions (created, not yet Done) during
  the day, so a mission open from noon counts one half (today: up to now). It is folded day by
  day from the openings and closings: open at the day's start, plus for each mission created
  that day the share of the day after it, minus for each one done that day the share after that.

Sessions and runs pruned by retention (:mod:`storage.retention`, the only thing that tombstones
them) still count: the tombstone keeps the row, so the figures outlive the retention period, as
seed 001 asks ("aggregated stats remain"). Day arithmetic uses SQLite's ``date``/``julianday`` on
the replica's stored UTC times.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select

from storage.agent_stats import FAILED, FINISHED
from storage.codec import encode_value
from storage.database import Database
from storage.models import CodeAgentSession, Mission, MissionFallbackRun
from storage.types import utcnow

missions = Mission.__table__
sessions = CodeAgentSession.__table__
runs = MissionFallbackRun.__table__
MAX_DAYS = 366
OPEN_LISTS = ("todo", "doing", "review")
CELL_HEADERS = (
    "day",
    "created",
    "done",
    "sessions",
    "failed",
    "tokens",
    "cost",
    "fb made",
    "fb taken",
    "backlog",
)


@dataclass(frozen=True)
class DayMetrics:
    day: date
    missions_created: int = 0
    missions_done: int = 0
    sessions: int = 0
    finished_sessions: int = 0
    failed_sessions: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    fallback_generated: int = 0
    fallback_accepted: int = 0
    avg_backlog: float = 0.0

    @property
    def failure_rate(self) -> float | None:
        return self.failed_sessions / self.finished_sessions if self.finished_sessions else None

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def cells(self) -> tuple[str, ...]:
        """The day as one row of text (:data:`CELL_HEADERS`), for the CLI and the board."""
        return (
            self.day.isoformat(),
            str(self.missions_created),
            str(self.missions_done),
            str(self.sessions),
            "-" if self.failure_rate is None else f"{self.failure_rate:.0%}",
            f"{self.tokens:,}",
            f"${self.cost_usd:.2f}",
            str(self.fallback_generated),
            str(self.fallback_accepted),
            f"{self.avg_backlog:.1f}",
        )

    def to_json(self) -> dict[str, Any]:
        data = {key: encode_value(value) for key, value in asdict(self).items()}
        data["failure_rate"] = self.failure_rate
        data["tokens"] = self.tokens
        return data


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def daily_metrics(
    db: Database, project_id: str, *, days: int = 30, now: datetime | None = None
) -> list[DayMetrics]:
    """The last ``days`` UTC days up to ``now``'s (oldest first), one entry for each day."""
    now = now or utcnow()
    days = max(1, min(days, MAX_DAYS))
    last = now.astimezone(UTC).date()
    first = last - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    end = start + timedelta(days=days)

    live = [missions.c.project_id == project_id, missions.c.deleted.is_(False)]
    # A Done mission without a completion time (older data) never counts as open.
    never_open = and_(missions.c.list == "done", missions.c.completed_at.is_(None))
    may_open = case((never_open, 0), else_=1)
    created = (
        select(
            func.date(missions.c.created_at).label("day"),
            func.count(),
            func.sum(may_open),
            func.sum(may_open * _rest_of_day(missions.c.created_at)),
        )
        .where(*live, missions.c.created_at >= start, missions.c.created_at < end)
        .group_by("day")
    )
    is_done = [*live, missions.c.list == "done"]
    done = (
        select(
            func.date(missions.c.completed_at).label("day"),
            func.count(),
            func.sum(_rest_of_day(missions.c.completed_at)),
        )
        .where(*is_done, missions.c.completed_at >= start, missions.c.completed_at < end)
        .group_by("day")
    )
    # Open at the first day's start: not Done now, or Done since then (both small sets by index).
    open_before = select(
        select(func.count())
        .where(*live, missions.c.list.in_(OPEN_LISTS), missions.c.created_at < start)
        .scalar_subquery(),
        select(func.count())
        .where(*is_done, missions.c.completed_at >= start, missions.c.created_at < start)
        .scalar_subquery(),
    )
    in_project = (
        select(missions.c.id)
        .where(missions.c.id == sessions.c.mission_id, missions.c.project_id == project_id)
        .exists()
    )
    session_totals = (
        select(
            func.date(sessions.c.created_at).label("day"),
            func.count(),
            func.sum(case((sessions.c.status.in_(FINISHED), 1), else_=0)),
            func.sum(case((sessions.c.status.in_(FAILED), 1), else_=0)),
            func.coalesce(func.sum(sessions.c.input_tokens), 0),
            func.coalesce(func.sum(sessions.c.output_tokens), 0),
            func.coalesce(func.sum(sessions.c.cost_usd), 0.0),
        )
        .where(
            sessions.c.created_at >= start,
            sessions.c.created_at < end,
            in_project,
        )
        .group_by("day")
        # The days asked for, each session's mission by its key: without statistics SQLite
        # would walk every session of the project by mission instead.
        .with_hint(sessions, "INDEXED BY ix_code_agent_sessions_created", "sqlite")
    )
    fallback = (
        select(
            func.date(runs.c.started_at).label("day"),
            func.coalesce(func.sum(runs.c.generated_count), 0),
            func.coalesce(func.sum(runs.c.accepted_count), 0),
        )
        .where(
            runs.c.project_id == project_id,
            runs.c.started_at >= start,
            runs.c.started_at < end,
        )
        .group_by("day")
    )
    async with db.read() as conn:
        made = {_day(r[0]): r[1:] for r in (await conn.execute(created)).all()}
        finished = {_day(r[0]): r[1:] for r in (await conn.execute(done)).all()}
        work = {_day(r[0]): r[1:] for r in (await conn.execute(session_totals)).all()}
        proposed = {_day(r[0]): r[1:] for r in (await conn.execute(fallback)).all()}
        still_open, done_since = (await conn.execute(open_before)).one()
    result = []
    open_at_start = float(still_open + done_since)
    for offset in range(days):
        day = first + timedelta(days=offset)
        count, ended, failed, tokens_in, tokens_out, cost = work.get(day, (0, 0, 0, 0, 0, 0.0))
        generated, accepted = proposed.get(day, (0, 0))
        created_count, opened, opened_share = made.get(day, (0, 0, 0.0))
        done_count, closed_share = finished.get(day, (0, 0.0))
        # Open all day, plus the rest of the day after each opening, minus after each closing.
        backlog = open_at_start + float(opened_share or 0) - float(closed_share or 0)
        open_at_start += int(opened or 0) - int(done_count)
        if day == last:  # today is lived only up to now
            backlog -= open_at_start * (
                1 - (now - start - timedelta(days=offset)) / timedelta(days=1)
            )
        result.append(
            DayMetrics(
                day=day,
                missions_created=int(created_count),
                missions_done=int(done_count),
                sessions=int(count),
                finished_sessions=int(ended or 0),
                failed_sessions=int(failed or 0),
                input_tokens=int(tokens_in),
                output_tokens=int(tokens_out),
                cost_usd=round(float(cost), 6),
                fallback_generated=int(generated),
                fallback_accepted=int(accepted),
                avg_backlog=round(max(backlog, 0.0), 4),
            )
        )
    return result


def _rest_of_day(when: Any) -> Any:
    """The share of its UTC day still ahead at ``when`` (1 at midnight, 0 at the next)."""
    return func.julianday(func.date(when)) + 1 - func.julianday(when)
