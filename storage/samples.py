"""Finished agent sessions recorded as they are, for the demo's sample board.

A real session is recorded in steps (claimed, started, finished) that also move its mission on;
the demo's missions are already where they belong, so this writes the finished session in one
go, through the domain write path, and points the mission's card at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.changes import ChangeWriter
from storage.database import Database
from storage.models import Mission
from storage.sessions import sessions

missions = Mission.__table__


@dataclass(frozen=True)
class SampleSession:
    agent_type: str
    agent_name: str
    stage: str
    status: str
    """completed, failed or cancelled: the demo runs no process, so nothing is active."""
    log_path: str
    started_at: datetime
    ended_at: datetime
    input_tokens: int
    output_tokens: int
    cost_usd: float
    summary: str


async def record_sample_session(db: Database, mission: Mission, sample: SampleSession) -> str:
    """Record ``sample`` as ``mission``'s latest session; return the session's id."""
    async with db.write() as conn:
        writer = ChangeWriter(db, conn)
        row = await writer.insert(
            sessions,
            {
                "organization_id": mission.organization_id,
                "mission_id": mission.id,
                "workstation_id": db.workstation_id or "",
                "code_agent_type": sample.agent_type,
                "code_agent_name": sample.agent_name,
                "stage": sample.stage,
                "status": sample.status,
                "log_path": sample.log_path,
                "start_reason": "demo",
                "end_reason": sample.summary,
                "output_summary": sample.summary,
                "exit_code": 0 if sample.status == "completed" else 1,
                "started_at": sample.started_at,
                "ended_at": sample.ended_at,
                "duration_seconds": (sample.ended_at - sample.started_at).total_seconds(),
                "input_tokens": sample.input_tokens,
                "output_tokens": sample.output_tokens,
                "cost_usd": sample.cost_usd,
            },
        )
        await writer.update(
            missions,
            mission.id,
            {"last_code_agent_session_id": row["id"], "agent_session_status": sample.status},
        )
    return str(row["id"])
