"""Retention: which finished rows are old enough to prune (seeds 000, 001, 003).

- agent sessions ended more than ``sessions_days`` ago: the row is tombstoned;
- their logs (this workstation's own files) after ``logs_days``: the paths are cleared on the row
  and the caller deletes the files (also those of rows another workstation's prune tombstoned);
- Mission Fallback runs (finished: completed, cancelled or errored) started more than
  ``fallback_runs_days`` ago: the run and its items are tombstoned.

Nothing referenced by a mission not yet Done is pruned: a session of a mission in Todo, Doing or
Review stays with its log however old, and so does a run whose proposal became such a mission.
A deleted mission counts as finished. Deletions are tombstones written through the one write
path, so they sync like any other edit. :func:`plan_prune` only reads, so a dry run reports
exactly what :func:`apply_prune` would then do.

Tombstones themselves (rows of any replicated table marked deleted, last changed more than
``tombstones_days`` ago) are then removed from this replica for good, with the timeline events of
a removed mission. That is local, not a replicated edit: every other replica keeps or removes
its own copy. With a server (``require_pushed``) only a tombstone whose changes have all been
pushed and confirmed (nothing of the row left in the outbox) goes, so the server holds the
delete first: should another replica edit the row later, the pull brings it back as the
server's merged row, still deleted (its delete clock wins), and a later gc removes it again;
only an explicit restore (``deleted`` false under a newer clock) makes it live. A solo replica
removes by age alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Exists, Table, and_, delete, exists, func, not_, or_, select

from storage.changes import ChangeWriter
from storage.database import Database
from storage.models import (
    REPLICATED_TABLES,
    CodeAgentSession,
    Mission,
    MissionEvent,
    MissionFallbackItem,
    MissionFallbackRun,
    OutboxEntry,
)
from storage.sessions import ACTIVE_STATUSES

sessions = CodeAgentSession.__table__
missions = Mission.__table__
runs = MissionFallbackRun.__table__
items = MissionFallbackItem.__table__
events = MissionEvent.__table__
outbox = OutboxEntry.__table__
FINISHED_RUNS = ("completed", "cancelled", "errored")
BATCH = 100


@dataclass(frozen=True)
class RetentionPolicy:
    sessions_days: float = 90.0
    logs_days: float = 30.0
    fallback_runs_days: float = 180.0
    tombstones_days: float = 90.0


@dataclass(frozen=True)
class SessionFiles:
    session_id: str
    paths: tuple[str, ...]


@dataclass
class PrunePlan:
    sessions: list[str] = field(default_factory=list)
    """Session rows to tombstone."""
    logs: list[SessionFiles] = field(default_factory=list)
    """This workstation's session logs (and prompt files) to delete."""
    fallback_runs: list[str] = field(default_factory=list)
    fallback_items: list[str] = field(default_factory=list)
    tombstones: dict[str, list[str]] = field(default_factory=dict)
    """Deleted rows to remove from this replica, by table (a removed mission's events too)."""

    @property
    def tombstone_count(self) -> int:
        return sum(len(ids) for ids in self.tombstones.values())


def _open_mission(mission_id: ColumnElement[str]) -> Exists:
    """A live mission not yet Done with this id exists."""
    return exists().where(
        missions.c.id == mission_id, missions.c.deleted.is_(False), missions.c.list != "done"
    )


def _pushed(table: Table) -> Exists:
    """Something of this row still waits in the outbox (not yet confirmed by the server)."""
    return exists().where(outbox.c.table_name == table.name, outbox.c.row_id == table.c.id)


async def _old_tombstones(
    conn: Any, cutoff: datetime, require_pushed: bool
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, table in REPLICATED_TABLES.items():
        query = select(table.c.id).where(table.c.deleted.is_(True), table.c.updated_at < cutoff)
        if require_pushed:
            query = query.where(not_(_pushed(table)))
        ids = list((await conn.execute(query.order_by(table.c.id))).scalars())
        if ids:
            found[name] = ids
    mission_ids = found.get(missions.name, [])
    if mission_ids:
        timeline = select(events.c.id).where(
            events.c.mission_id.in_(mission_ids), events.c.deleted.is_(False)
        )
        if require_pushed:
            timeline = timeline.where(not_(_pushed(events)))
        ids = list((await conn.execute(timeline.order_by(events.c.id))).scalars())
        found[events.name] = sorted({*found.get(events.name, []), *ids})
    return found


async def plan_prune(
    db: Database,
    workstation_id: str,
    policy: RetentionPolicy,
    now: datetime,
    *,
    require_pushed: bool = False,
) -> PrunePlan:
    """What is old and finished at ``now`` (reads only); ``require_pushed``: a server is
    configured, so only tombstones the server has confirmed are removed."""
    ended = func.coalesce(sessions.c.ended_at, sessions.c.created_at)
    finished = and_(
        sessions.c.deleted.is_(False),
        sessions.c.status.not_in(ACTIVE_STATUSES),
        not_(_open_mission(sessions.c.mission_id)),
    )
    old_rows = select(sessions.c.id).where(
        finished, ended < now - timedelta(days=policy.sessions_days)
    )
    has_files = or_(
        func.coalesce(sessions.c.log_path, "") != "",
        func.coalesce(sessions.c.prompt_path, "") != "",
    )
    # A row another replica pruned still names this workstation's files: they go too.
    old_logs = select(sessions.c.id, sessions.c.log_path, sessions.c.prompt_path).where(
        or_(finished, sessions.c.deleted.is_(True)),
        sessions.c.workstation_id == workstation_id,
        has_files,
        or_(
            ended < now - timedelta(days=policy.logs_days),
            ended < now - timedelta(days=policy.sessions_days),
        ),
    )
    old_runs = select(runs.c.id).where(
        runs.c.deleted.is_(False),
        runs.c.status.in_(FINISHED_RUNS),
        func.coalesce(runs.c.started_at, runs.c.created_at)
        < now - timedelta(days=policy.fallback_runs_days),
        not_(
            exists().where(
                items.c.mission_fallback_run_id == runs.c.id,
                items.c.mission_id.is_not(None),
                _open_mission(items.c.mission_id),
            )
        ),
    )
    async with db.read() as conn:
        plan = PrunePlan(
            sessions=list((await conn.execute(old_rows.order_by(sessions.c.id))).scalars()),
            logs=[
                SessionFiles(r.id, tuple(p for p in (r.log_path, r.prompt_path) if p))
                for r in await conn.execute(old_logs.order_by(sessions.c.id))
            ],
            fallback_runs=list((await conn.execute(old_runs.order_by(runs.c.id))).scalars()),
            tombstones=await _old_tombstones(
                conn, now - timedelta(days=policy.tombstones_days), require_pushed
            ),
        )
        if plan.fallback_runs:
            plan.fallback_items = list(
                (
                    await conn.execute(
                        select(items.c.id)
                        .where(
                            items.c.mission_fallback_run_id.in_(plan.fallback_runs),
                            items.c.deleted.is_(False),
                        )
                        .order_by(items.c.id)
                    )
                ).scalars()
            )
    return plan


async def apply_prune(db: Database, plan: PrunePlan, *, batch: int = BATCH) -> None:
    """Tombstone the plan's rows and clear its log paths, ``batch`` rows per write transaction
    (a first prune of a long history must not hold the replica's write lock for long)."""
    removed = set(plan.tombstones.get(sessions.name, []))
    steps: list[tuple[Any, str, dict[str, Any]]] = [
        *(
            (sessions, f.session_id, {"log_path": None, "prompt_path": None})
            for f in plan.logs
            if f.session_id not in removed
        ),
        *((sessions, row_id, {"deleted": True}) for row_id in plan.sessions),
        *((items, row_id, {"deleted": True}) for row_id in plan.fallback_items),
        *((runs, row_id, {"deleted": True}) for row_id in plan.fallback_runs),
    ]
    for first in range(0, len(steps), batch):
        async with db.write() as conn:
            writer = ChangeWriter(db, conn)
            for table, row_id, values in steps[first : first + batch]:
                await writer.update(table, row_id, values)
    for name, ids in plan.tombstones.items():
        table = REPLICATED_TABLES[name]
        for first in range(0, len(ids), batch):
            async with db.write() as conn:
                # Local only (no ChangeWriter): every replica removes its own old tombstones.
                await conn.execute(delete(table).where(table.c.id.in_(ids[first : first + batch])))
