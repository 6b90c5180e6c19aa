"""A replica with a past: missions and agent sessions made through the storage functions, then
dated back through the write path (as sync would carry any other edit), for retention and
metrics tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from storage import missions as mission_ops
from storage import sessions as session_ops
from storage.changes import ChangeWriter
from storage.database import Database
from storage.models import CodeAgentSession, Mission, Project
from storage.rows import fetch_row


async def backdate(db: Database, table: Any, row_id: str, **values: Any) -> None:
    async with db.write() as conn:
        await ChangeWriter(db, conn).update(table, row_id, values)


async def mission_at(
    db: Database,
    project_id: str,
    title: str,
    created: datetime,
    *,
    done_at: datetime | None = None,
    ready: bool = False,
) -> Mission:
    """A mission created at ``created`` (and moved to Done at ``done_at``)."""
    async with db.write() as conn:
        project = await fetch_row(conn, Project.__table__, project_id, "project")
        row = await mission_ops.insert_mission(
            ChangeWriter(db, conn),
            project,
            mission_ops.MissionDraft(title=title, ready=ready),
            now=created,
        )
    if done_at is not None:
        await mission_ops.move_mission(db, row["id"], "done")
        await backdate(db, Mission.__table__, row["id"], completed_at=done_at)
    return await mission_ops.get_mission(db, row["id"])


async def session_at(
    db: Database,
    mission: Mission,
    started: datetime,
    *,
    minutes: float = 5.0,
    status: str = "completed",
    tokens: tuple[int, int] = (0, 0),
    cost: float | None = None,
    log_dir: Path | None = None,
) -> CodeAgentSession:
    """A finished session of ``mission`` that started at ``started``; its log file when asked.

    The mission's list and stage are put back afterwards, so a Done mission stays Done.
    """
    before = await mission_ops.get_mission(db, mission.id)
    claimed = await session_ops.claim_mission(
        db, mission.id, db.workstation_id or "", lease_seconds=60
    )
    log_path = ""
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = str(log_dir / f"{mission.id}-{started:%Y%m%d%H%M}.log")
        Path(log_path).write_text("agent output\n")
    session = await session_ops.create_session(
        db,
        claimed,
        code_agent_type="command",
        code_agent_name="script",
        stage=claimed.stage,
        worktree_id=None,
        working_directory=None,
        log_path=log_path,
        prompt_path=None,
        start_reason="test",
    )
    await session_ops.mark_session_running(db, session.id, 4242, started_at=started)
    ended = started + timedelta(minutes=minutes)
    outcome = session_ops.SessionOutcome(
        status=status,
        exit_code=0 if status == "completed" else 1,
        ended_at=ended,
        duration_seconds=minutes * 60,
        end_reason=status,
        input_tokens=tokens[0],
        output_tokens=tokens[1],
        cost_usd=cost,
    )
    await session_ops.finish_session(db, session.id, outcome, max_recovery_attempts=9)
    await backdate(db, CodeAgentSession.__table__, session.id, created_at=started)
    await backdate(
        db,
        Mission.__table__,
        mission.id,
        list=before.list,
        stage=before.stage,
        completed_at=before.completed_at,
    )
    async with db.read() as conn:
        return CodeAgentSession(
            **await fetch_row(conn, CodeAgentSession.__table__, session.id, "session")
        )
