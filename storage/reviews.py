"""Review of a mission parked in Review: approve (next stage, or Done) or reject with feedback.

A rejected mission goes back to Todo on the same stage with the feedback stored; the next
session's prompt carries it, and a completed session clears it.
"""

from __future__ import annotations

from typing import Any

from storage import validation
from storage.changes import ChangeWriter
from storage.database import Database
from storage.errors import ConflictError, ValidationError
from storage.missions import Origin, apply_update
from storage.models import Mission
from storage.sessions import _end_of, _mission, flow_stages, stage_info
from storage.types import utcnow


def _require_review(mission: dict[str, Any], verb: str) -> None:
    if mission["list"] != "review":
        raise ConflictError(
            f"only a mission in Review can be {verb}; this one is in {mission['list'].title()}"
        )


async def approve_review(db: Database, mission_id: str, *, origin: Origin = "user") -> Mission:
    now = utcnow()
    async with db.write() as conn:
        current = await _mission(conn, mission_id)
        _require_review(current, "approved")
        stages = await flow_stages(conn, current)
        index, stage = stage_info(stages, current["stage"])
        fields: dict[str, Any] = {
            "review_status": "approved",
            "review_completed_at": now,
            "reviewed_by_user_id": db.user_id if origin == "user" else None,
            "review_feedback": None,
        }
        if index + 1 < len(stages):
            following = stages[index + 1]
            target, summary = "doing", f"approved {stage['name']}, next stage {following['name']}"
            fields.update(
                stage=following["name"], requires_review=bool(following.get("requires_review"))
            )
        else:
            target, summary = "done", f"approved {stage['name']}, mission done"
            fields["completed_at"] = now
        fields["list"] = target
        fields["list_order"] = await _end_of(conn, current["project_id"], target)
        await apply_update(
            ChangeWriter(db, conn), current, fields, kind="approved", summary=summary, origin=origin
        )
        return Mission(**await _mission(conn, mission_id))


async def reject_review(
    db: Database, mission_id: str, feedback: str, *, origin: Origin = "user"
) -> Mission:
    text = validation.long_text(feedback, "feedback")
    if not text or not text.strip():
        raise ValidationError("feedback", "say what to change, so the agent can address it")
    now = utcnow()
    async with db.write() as conn:
        current = await _mission(conn, mission_id)
        _require_review(current, "rejected")
        fields = {
            "list": "todo",
            "list_order": await _end_of(conn, current["project_id"], "todo"),
            "review_status": "rejected",
            "review_feedback": text.strip(),
            "review_completed_at": now,
            "reviewed_by_user_id": db.user_id if origin == "user" else None,
        }
        await apply_update(
            ChangeWriter(db, conn),
            current,
            fields,
            kind="rejected",
            summary=f"rejected {current['stage']}: {text.strip()[:120]}",
            origin=origin,
        )
        return Mission(**await _mission(conn, mission_id))
