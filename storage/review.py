"""Moving a mission along its flow, and the review gate between stages.

After an agent session finishes a stage, :func:`finish_stage` either parks the mission in Review
(the stage requires review) or moves it on. In Review a person approves (next stage, back to
Todo with ``ready`` kept, or Done after the last stage) or rejects with feedback (the same stage
again; the feedback stays on ``missions.review_feedback`` for the next prompt).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from storage import validation
from storage.changes import ChangeWriter
from storage.database import Database
from storage.errors import ConflictError, ValidationError
from storage.flows import find_stage, resolve_flow, stage_after
from storage.missions import (
    Origin,
    apply_update,
    as_mission,
    end_of_list,
    fetch_mission,
)
from storage.models import Mission
from storage.types import utcnow

FEEDBACK_MAX = 20_000


async def _move_fields(
    conn: AsyncConnection, current: dict[str, Any], to_list: str
) -> dict[str, Any]:
    if current["list"] == to_list:
        return {}
    return {
        "list": to_list,
        "list_order": await end_of_list(conn, current["project_id"], to_list),
    }


async def _advance(
    writer: ChangeWriter, current: dict[str, Any], origin: Origin, extra: dict[str, Any], verb: str
) -> None:
    flow = await resolve_flow(writer.conn, current)
    following = stage_after(flow, current["stage"])
    if following is None:
        fields = {
            **extra,
            **await _move_fields(writer.conn, current, "done"),
            "completed_at": utcnow(),
        }
        summary = f"{verb} {current['stage']}; mission done"
        kind = "done"
    else:
        fields = {
            **extra,
            **await _move_fields(writer.conn, current, "todo"),
            "stage": following,
            "requires_review": bool((find_stage(flow, following) or {}).get("requires_review")),
            "completed_at": None,
        }
        summary = f"{verb} {current['stage']} → {following}"
        kind = "stage"
    await apply_update(writer, current, fields, kind=kind, summary=summary, origin=origin)


async def finish_stage(db: Database, mission_id: str, *, origin: Origin = "agent") -> Mission:
    """Record that the mission's current stage is done (call after a successful session)."""
    async with db.write() as conn:
        writer = ChangeWriter(db, conn)
        current = await fetch_mission(conn, mission_id)
        flow = await resolve_flow(conn, current)
        stage = find_stage(flow, current["stage"])
        needs_review = bool(stage and stage["requires_review"])
        if needs_review:
            await apply_update(
                writer,
                current,
                {
                    **await _move_fields(conn, current, "review"),
                    "review_status": "pending",
                    "review_requested_at": utcnow(),
                    "requires_review": True,
                },
                kind="review_requested",
                summary=f"{current['stage']} done; waiting for review",
                origin=origin,
            )
        else:
            await _advance(writer, current, origin, {}, "finished")
        return as_mission(await fetch_mission(conn, mission_id))


def _require_review(current: dict[str, Any], verb: str) -> None:
    if current["list"] != "review":
        raise ConflictError(
            f"mission {current['id']} is in {current['list']}, not review; only a mission in "
            f"Review can be {verb}"
        )


async def approve_mission(db: Database, mission_id: str, *, origin: Origin = "user") -> Mission:
    """Approve the stage under review: on to the next stage in Todo, or Done after the last."""
    async with db.write() as conn:
        current = await fetch_mission(conn, mission_id)
        _require_review(current, "approved")
        reviewed = {
            "review_status": "approved",
            "review_feedback": None,
            "review_completed_at": utcnow(),
            "reviewed_by_user_id": db.user_id if origin == "user" else None,
        }
        await _advance(ChangeWriter(db, conn), current, origin, reviewed, "approved")
        return as_mission(await fetch_mission(conn, mission_id))


async def reject_mission(
    db: Database, mission_id: str, feedback: str, *, origin: Origin = "user"
) -> Mission:
    """Send the stage back with feedback: same stage again, in Todo, feedback kept for the agent."""
    text = validation.long_text(feedback, "feedback", FEEDBACK_MAX)
    if text is None or not text.strip():
        raise ValidationError(
            "feedback", "must not be empty; say what to change (the agent reads it next time)"
        )
    text = text.strip()
    async with db.write() as conn:
        current = await fetch_mission(conn, mission_id)
        _require_review(current, "rejected")
        await apply_update(
            ChangeWriter(db, conn),
            current,
            {
                **await _move_fields(conn, current, "todo"),
                "review_status": "rejected",
                "review_feedback": text,
                "review_completed_at": utcnow(),
                "reviewed_by_user_id": db.user_id if origin == "user" else None,
            },
            kind="rejected",
            summary=f"rejected {current['stage']}: {text.splitlines()[0][:120]}",
            origin=origin,
        )
        return as_mission(await fetch_mission(conn, mission_id))
