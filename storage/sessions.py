"""Domain operations on code agent sessions and the local claim on a mission.

Running a mission: :func:`claim_mission` (the mission moves to Doing, ``claim_epoch`` + 1),
:func:`create_session`, :func:`mark_session_running`, then :func:`finish_session`, which records
the outcome and moves the mission on in one transaction (where to is
:func:`storage.review.stage_finished`, the same rule a reviewer's decision follows); a failure
returns it to Todo with the error and ``recovery_attempts`` + 1, and gives it up (not ready)
after the limit.

Writes that depend on the claim carry its fence (epoch and holder, :class:`ClaimFence`): the
session's rows and the mission moves its end causes. Locally, a session whose epoch is no longer
the mission's (the claim was lost to someone else meanwhile) is recorded but does not move the
mission; on the server, a stale holder's fenced writes are refused (migration 0012) and its replica
takes the server's version back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.changes import ChangeWriter, ClaimFence
from storage.database import Database
from storage.errors import ConflictError, NotFoundError
from storage.missions import apply_update, end_of_list
from storage.models import CodeAgentSession, Mission
from storage.questions import QUESTION
from storage.review import stage_finished
from storage.types import utcnow

missions = Mission.__table__
sessions = CodeAgentSession.__table__

ACTIVE_STATUSES = ("starting", "active")
SUCCESS = "completed"
RATE_LIMITED = "rate_limited"
"""The agent hit a usage or rate limit: back to the queue without using a recovery attempt."""
CANCELLED = "cancelled"


@dataclass(frozen=True)
class SessionOutcome:
    """What the runner observed when the agent process ended."""

    status: str
    exit_code: int | None
    ended_at: datetime
    duration_seconds: float
    end_reason: str
    files_changed: list[str] = field(default_factory=list)
    commits_made: list[dict[str, str]] = field(default_factory=list)
    output_summary: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    cached_input_tokens: int | None = None
    agent_session_id: str | None = None
    """The agent CLI's own conversation id (to resume it)."""


async def _mission(conn: AsyncConnection, mission_id: str) -> dict[str, Any]:
    row = (
        (await conn.execute(select(missions).where(missions.c.id == mission_id)))
        .mappings()
        .one_or_none()
    )
    if row is None or row["deleted"]:
        raise NotFoundError("mission", mission_id)
    return dict(row)


async def _session(conn: AsyncConnection, session_id: str) -> dict[str, Any]:
    row = (
        (await conn.execute(select(sessions).where(sessions.c.id == session_id)))
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFoundError("session", session_id)
    return dict(row)


def session_fence(session: dict[str, Any]) -> ClaimFence | None:
    """The claim a session ran under: its writes (and the mission moves they cause) carry it."""
    return ClaimFence.of(session["mission_id"], session["claim_epoch"], session["workstation_id"])


def own_claim_fence(db: Database, mission: dict[str, Any]) -> ClaimFence | None:
    """The fence of this workstation's claim on ``mission`` (None when it holds none)."""
    holder = mission["claimed_by_workstation_id"]
    if holder is None or holder != db.workstation_id:
        return None
    return ClaimFence.of(mission["id"], mission["claim_epoch"], holder)


def claim_is_live(mission: dict[str, Any] | Mission, now: datetime | None = None) -> bool:
    get = mission.get if isinstance(mission, dict) else lambda k: getattr(mission, k)
    expires = get("claim_expires_at")
    return bool(get("claimed_by_workstation_id")) and (
        expires is None or expires > (now or utcnow())
    )


async def claim_mission(
    db: Database,
    mission_id: str,
    workstation_id: str,
    *,
    lease_seconds: float,
    repository_id: str | None = None,
    code_agent_name: str | None = None,
    server_epoch: int | None = None,
) -> Mission:
    """Claim a mission for this workstation and move it to Doing.

    Raises :class:`ConflictError` when a live claim exists (ours or anyone's). With
    ``server_epoch`` the claim was already taken on the shared server (see ``sync.claims``),
    which fixed the epoch: the local record adopts it.
    """
    now = utcnow()
    async with db.write() as conn:
        current = await _mission(conn, mission_id)
        adopting = (
            server_epoch is not None
            and current["claimed_by_workstation_id"] == workstation_id
            and current["claim_epoch"] == server_epoch
        )
        if claim_is_live(current, now) and not adopting:
            raise ConflictError(
                f"mission {mission_id} is already running (claimed by "
                f"{current['claimed_by_workstation_id']}); cancel it first"
            )
        fields: dict[str, Any] = {
            "claimed_by_workstation_id": workstation_id,
            "claim_epoch": server_epoch
            if server_epoch is not None
            else int(current["claim_epoch"] or 0) + 1,
            "claim_expires_at": now + timedelta(seconds=lease_seconds),
            "agent_session_status": "starting",
            "list": "doing",
        }
        if current["list"] != "doing":
            fields["list_order"] = await end_of_list(conn, current["project_id"], "doing")
        if repository_id and not current["repository_id"]:
            fields["repository_id"] = repository_id
        if code_agent_name:
            fields["code_agent_name"] = code_agent_name
        await apply_update(
            ChangeWriter(
                db, conn, fence=ClaimFence.of(mission_id, fields["claim_epoch"], workstation_id)
            ),
            current,
            fields,
            kind="claimed",
            summary=f"claimed for stage {current['stage']}, moved {current['list']} → doing",
            origin="system",
        )
        return Mission(**await _mission(conn, mission_id))


async def create_session(
    db: Database,
    mission: Mission,
    *,
    code_agent_type: str,
    code_agent_name: str,
    stage: str,
    worktree_id: str | None,
    working_directory: str | None,
    log_path: str,
    prompt_path: str | None,
    start_reason: str,
    session_id: str | None = None,
) -> CodeAgentSession:
    """Record a session about to start (status ``starting``) under the mission's current claim."""
    fence = ClaimFence.of(mission.id, mission.claim_epoch, mission.claimed_by_workstation_id)
    async with db.write() as conn:
        writer = ChangeWriter(db, conn, fence=fence)
        values: dict[str, Any] = {
            "organization_id": mission.organization_id,
            "mission_id": mission.id,
            "workstation_id": db.workstation_id or mission.claimed_by_workstation_id,
            "code_agent_type": code_agent_type,
            "code_agent_name": code_agent_name,
            "stage": stage,
            "worktree_id": worktree_id,
            "working_directory": working_directory,
            "status": "starting",
            "claim_epoch": mission.claim_epoch,
            "log_path": log_path,
            "prompt_path": prompt_path,
            "start_reason": start_reason,
        }
        if session_id:
            values["id"] = session_id
        row = await writer.insert(sessions, values)
        await writer.update(missions, mission.id, {"last_code_agent_session_id": row["id"]})
        return CodeAgentSession(**await _session(conn, row["id"]))


async def mark_session_running(
    db: Database, session_id: str, pid: int, started_at: datetime | None = None
) -> None:
    async with db.write() as conn:
        row = await _session(conn, session_id)
        writer = ChangeWriter(db, conn, fence=session_fence(row))
        await writer.update(
            sessions,
            session_id,
            {"status": "active", "pid": pid, "started_at": started_at or utcnow()},
        )
        mission = await _mission(conn, row["mission_id"])
        if mission["claim_epoch"] == row["claim_epoch"]:
            await apply_update(
                writer,
                mission,
                {"agent_session_status": "active"},
                kind="session_started",
                summary=f"{row['code_agent_name']} started on stage {row['stage']} (pid {pid})",
                origin="agent",
            )


async def requeue_failed(
    writer: ChangeWriter,
    mission: dict[str, Any],
    *,
    error: str,
    status: str,
    max_recovery_attempts: int,
) -> dict[str, Any]:
    """Return a failed mission to Todo with the error; give it up after too many attempts."""
    attempts = int(mission["recovery_attempts"] or 0) + 1
    fields: dict[str, Any] = {
        "list": "todo",
        "agent_session_status": status,
        "last_error": error[:2000],
        "recovery_attempts": attempts,
        "claimed_by_workstation_id": None,
        "claim_expires_at": None,
    }
    if mission["list"] != "todo":
        fields["list_order"] = await end_of_list(writer.conn, mission["project_id"], "todo")
    given_up = attempts > max_recovery_attempts
    if given_up:
        fields["ready"] = False
    await apply_update(
        writer,
        mission,
        fields,
        kind="session_failed",
        summary=f"session {status}: {error[:200]} (attempt {attempts}), back to todo",
        origin="system",
    )
    if given_up:
        await writer.event(
            mission,
            "given_up",
            f"gave up after {attempts} failed attempts; fix the cause and mark it ready again",
            origin="system",
            payload={"attempts": attempts, "last_error": error[:2000]},
        )
    return fields


async def _back_to_todo(
    conn: AsyncConnection, writer: ChangeWriter, mission: dict[str, Any], outcome: SessionOutcome
) -> None:
    """A rate-limited session's mission waits in Todo, still ready, for the dispatcher to start
    it after the reset (no recovery attempt used); a cancelled one waits there not ready, for a
    person."""
    fields: dict[str, Any] = {
        "list": "todo",
        "agent_session_status": outcome.status,
        "last_error": outcome.end_reason,
        "claimed_by_workstation_id": None,
        "claim_expires_at": None,
    }
    if outcome.status == RATE_LIMITED:
        fields["last_error"] = (outcome.error_message or outcome.end_reason)[:2000]
        kind = "session_rate_limited"
        summary = f"{outcome.end_reason[:200]}; back to todo (no recovery attempt used)"
    else:
        fields["ready"] = False
        kind = "session_cancelled"
        summary = f"session cancelled ({outcome.end_reason}), back to todo, not ready"
    if mission["list"] != "todo":
        fields["list_order"] = await end_of_list(conn, mission["project_id"], "todo")
    await apply_update(writer, mission, fields, kind=kind, summary=summary, origin="system")


async def finish_session(
    db: Database,
    session_id: str,
    outcome: SessionOutcome,
    *,
    max_recovery_attempts: int,
) -> Mission:
    """Record how a session ended and move its mission on (see the module docstring)."""
    now = outcome.ended_at
    async with db.write() as conn:
        row = await _session(conn, session_id)
        writer = ChangeWriter(db, conn, fence=session_fence(row))
        await writer.update(
            sessions,
            session_id,
            {
                "status": outcome.status,
                "exit_code": outcome.exit_code,
                "ended_at": now,
                "duration_seconds": round(outcome.duration_seconds, 3),
                "end_reason": outcome.end_reason,
                "files_changed": outcome.files_changed,
                "commits_made": outcome.commits_made,
                "output_summary": outcome.output_summary,
                "error_type": outcome.error_type,
                "error_message": outcome.error_message,
                "input_tokens": outcome.input_tokens,
                "output_tokens": outcome.output_tokens,
                "cost_usd": outcome.cost_usd,
                "cached_input_tokens": outcome.cached_input_tokens,
                "agent_session_id": outcome.agent_session_id,
            },
        )
        mission = await _mission(conn, row["mission_id"])
        if mission["claim_epoch"] != row["claim_epoch"]:
            await writer.event(
                mission,
                "stale_session",
                f"session {session_id} ended after its claim was superseded; "
                "its result does not move the mission",
                origin="system",
                payload={"session_epoch": row["claim_epoch"], "epoch": mission["claim_epoch"]},
            )
            return Mission(**mission)
        if mission["review_status"] == QUESTION:
            # The agent asked a question during the session: whatever the end, the mission
            # waits in Review for the answer, on the same stage, no recovery attempt used.
            await apply_update(
                writer,
                mission,
                {
                    "agent_session_status": outcome.status,
                    "claimed_by_workstation_id": None,
                    "claim_expires_at": None,
                },
                kind="session_completed" if outcome.status == SUCCESS else "session_ended",
                summary=f"session {outcome.status}; {mission['stage']} waits for an answer to "
                "the agent's question",
                origin="agent",
            )
        elif outcome.status == SUCCESS:
            step = await stage_finished(conn, mission)
            await apply_update(
                writer,
                mission,
                {
                    "agent_session_status": SUCCESS,
                    "last_error": None,
                    "recovery_attempts": 0,
                    "claimed_by_workstation_id": None,
                    "claim_expires_at": None,
                    **step.fields,
                },
                kind="session_completed",
                summary=step.summary,
                origin="agent",
            )
        elif outcome.status in (RATE_LIMITED, CANCELLED):
            await _back_to_todo(conn, writer, mission, outcome)
        else:
            await requeue_failed(
                writer,
                mission,
                error=outcome.error_message or outcome.end_reason,
                status=outcome.status,
                max_recovery_attempts=max_recovery_attempts,
            )
        return Mission(**await _mission(conn, row["mission_id"]))


async def release_claim(db: Database, mission_id: str, *, reason: str) -> Mission:
    """Drop this workstation's claim without running (e.g. the worktree could not be made)."""
    async with db.write() as conn:
        current = await _mission(conn, mission_id)
        await apply_update(
            ChangeWriter(db, conn, fence=own_claim_fence(db, current)),
            current,
            {"claimed_by_workstation_id": None, "claim_expires_at": None},
            kind="released",
            summary=reason,
            origin="system",
        )
        return Mission(**await _mission(conn, mission_id))


async def fail_before_start(
    db: Database, mission_id: str, *, error: str, max_recovery_attempts: int
) -> Mission:
    """The run failed before an agent started (no worktree, no agent binary…): requeue it."""
    async with db.write() as conn:
        current = await _mission(conn, mission_id)
        await requeue_failed(
            ChangeWriter(db, conn, fence=own_claim_fence(db, current)),
            current,
            error=error,
            status="failed",
            max_recovery_attempts=max_recovery_attempts,
        )
        return Mission(**await _mission(conn, mission_id))


async def get_session(db: Database, session_id: str) -> CodeAgentSession:
    async with db.read() as conn:
        return CodeAgentSession(**await _session(conn, session_id))


async def list_sessions(
    db: Database,
    *,
    mission_id: str | None = None,
    workstation_id: str | None = None,
    statuses: tuple[str, ...] | None = None,
    limit: int | None = 200,
) -> list[CodeAgentSession]:
    """Sessions, newest first."""
    query = select(sessions).where(sessions.c.deleted.is_(False))
    if mission_id:
        query = query.where(sessions.c.mission_id == mission_id)
    if workstation_id:
        query = query.where(sessions.c.workstation_id == workstation_id)
    if statuses:
        query = query.where(sessions.c.status.in_(statuses))
    query = query.order_by(sessions.c.created_at.desc(), sessions.c.id.desc()).limit(limit)
    async with db.read() as conn:
        return [CodeAgentSession(**dict(r)) for r in (await conn.execute(query)).mappings()]


async def running_on_repository(db: Database, repository_id: str) -> int:
    """Missions of this repository holding a live claim (by anyone)."""
    now = utcnow()
    query = select(func.count()).where(
        missions.c.repository_id == repository_id,
        missions.c.deleted.is_(False),
        missions.c.claimed_by_workstation_id.is_not(None),
        or_(missions.c.claim_expires_at.is_(None), missions.c.claim_expires_at > now),
    )
    async with db.read() as conn:
        return int((await conn.execute(query)).scalar_one())


def unclaimed_clause(now: datetime) -> Any:
    return or_(
        missions.c.claimed_by_workstation_id.is_(None),
        and_(missions.c.claim_expires_at.is_not(None), missions.c.claim_expires_at <= now),
    )


async def dispatchable_missions(db: Database, project_id: str, *, limit: int = 50) -> list[Mission]:
    """Ready, unclaimed, unblocked missions in Todo or Doing, in dispatch order.

    Order: priority (highest first), missions already under way (Doing) before Todo, list order.
    Priorities are 1–5, so that order is ten equality ranges of ``ix_missions_dispatch``, each
    already sorted by list order and id: read one after the other until ``limit``, no sort.
    """
    from storage.models import MissionDependency

    deps = MissionDependency.__table__
    blocker = missions.alias("blocker")
    blocked = (
        select(deps.c.id)
        .join(blocker, blocker.c.id == deps.c.depends_on_mission_id)
        .where(
            deps.c.mission_id == missions.c.id,
            deps.c.deleted.is_(False),
            deps.c.dependency_type == "blocks",
            blocker.c.deleted.is_(False),
            blocker.c.list != "done",
        )
        .exists()
    )
    now = utcnow()
    found: list[Mission] = []
    async with db.read() as conn:
        for priority in range(5, 0, -1):
            for list_name in ("doing", "todo"):  # the order of ``ORDER BY list``
                if len(found) >= limit:
                    return found
                query = (
                    select(missions)
                    .where(
                        missions.c.project_id == project_id,
                        missions.c.deleted.is_(False),
                        missions.c.ready.is_(True),
                        missions.c.list == list_name,
                        missions.c.priority == priority,
                        unclaimed_clause(now),
                        ~blocked,
                    )
                    .order_by(missions.c.list_order, missions.c.id)
                    .limit(limit - len(found))
                )
                found += [Mission(**dict(r)) for r in (await conn.execute(query)).mappings()]
    return found


async def list_sessions_with_titles(
    db: Database, *, workstation_id: str | None = None, limit: int = 200
) -> list[tuple[CodeAgentSession, str]]:
    """Sessions newest first, each with its mission's title (for the session-log screen)."""
    query = (
        select(sessions, missions.c.title.label("mission_title"))
        .join(missions, missions.c.id == sessions.c.mission_id, isouter=True)
        .where(sessions.c.deleted.is_(False))
        .order_by(sessions.c.created_at.desc(), sessions.c.id.desc())
        .limit(limit)
    )
    if workstation_id:
        query = query.where(sessions.c.workstation_id == workstation_id)
    columns = [c.name for c in sessions.columns]
    async with db.read() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [
        (CodeAgentSession(**{c: row[c] for c in columns}), row["mission_title"] or "")
        for row in rows
    ]
