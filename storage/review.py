"""A person's review of a mission parked in Review: approve (next stage, or done) or reject.

Both go through :class:`storage.changes.ChangeWriter` in one transaction with their event, like
every other mission change. The stages come from the mission's flow (the project's default flow
when the mission has none; the built-in clarify → plan → code as a last resort).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import validation
from storage.changes import ChangeWriter
from storage.database import Database
from storage.errors import ValidationError
from storage.identity import DEFAULT_FLOW_STAGES
from storage.missions import Mission, _end_of_list, _fetch, apply_update, as_mission
from storage.models import Flow, Project
from storage.types import utcnow


async def flow_stages(conn: AsyncConnection, mission: dict[str, Any]) -> list[str]:
    flows = Flow.__table__
    flow_id = mission.get("flow_id")
    if not flow_id:
        projects = Project.__table__
        flow_id = (
            await conn.execute(
                select(projects.c.default_flow_id).where(projects.c.id == mission["project_id"])
            )
        ).scalar_one_or_none()
    stages = None
    if flow_id:
        stages = (
            await conn.execute(select(flows.c.stages).where(flows.c.id == flow_id))
        ).scalar_one_or_none()
    names = [s["name"] for s in (stages or DEFAULT_FLOW_STAGES) if s.get("name")]
    return names or [s["name"] for s in DEFAULT_FLOW_STAGES]


def _require_review(current: dict[str, Any], verb: str) -> None:
    if current["list"] != "review":
        raise ValidationError(
            "mission",
            f"is in {current['list'].title()}, not Review; only missions in Review can be {verb}",
        )


async def approve(db: Database, mission_id: str) -> Mission:
    """Accept the current stage: the mission moves on to the next stage (Doing), or to Done."""
    async with db.write() as conn:
        current = await _fetch(conn, mission_id)
        _require_review(current, "approved")
        stages = await flow_stages(conn, current)
        index = stages.index(current["stage"]) if current["stage"] in stages else len(stages) - 1
        now = utcnow()
        fields: dict[str, Any] = {
            "review_status": "approved",
            "review_completed_at": now,
            "reviewed_by_user_id": db.user_id,
            "review_feedback": None,
        }
        if index + 1 < len(stages):
            target, next_stage = "doing", stages[index + 1]
            fields["stage"] = next_stage
            summary = f"approved {current['stage']}; next stage {next_stage}"
        else:
            target = "done"
            fields["completed_at"] = now
            summary = f"approved {current['stage']}; done"
        fields["list"] = target
        fields["list_order"] = await _end_of_list(conn, current["project_id"], target)
        await apply_update(
            ChangeWriter(db, conn), current, fields, kind="approved", summary=summary
        )
        return as_mission(await _fetch(conn, mission_id))


async def reject(db: Database, mission_id: str, feedback: str) -> Mission:
    """Send the mission back to Todo at the same stage, with the reviewer's feedback."""
    text = validation.long_text(feedback, "feedback")
    if not text or not text.strip():
        raise ValidationError("feedback", "must not be empty; say what should change")
    async with db.write() as conn:
        current = await _fetch(conn, mission_id)
        _require_review(current, "rejected")
        fields = {
            "review_status": "rejected",
            "review_feedback": text.strip(),
            "review_completed_at": utcnow(),
            "reviewed_by_user_id": db.user_id,
            "list": "todo",
            "list_order": await _end_of_list(conn, current["project_id"], "todo"),
        }
        first_line = text.strip().splitlines()[0][:80]
        await apply_update(
            ChangeWriter(db, conn),
            current,
            fields,
            kind="rejected",
            summary=f"rejected {current['stage']}: {first_line}",
        )
        return as_mission(await _fetch(conn, mission_id))
