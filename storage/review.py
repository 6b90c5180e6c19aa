"""Moving a mission along its flow, and the review gate between stages.

After an agent session finishes a stage, :func:`stage_finished` says where the mission goes:
Review (the stage requires review), the next stage, or Done. In Review a person approves (next
stage, back to Todo with ``ready`` kept, or Done after the last stage) or rejects with feedback
(the same stage again; the feedback stays on ``missions.review_feedback`` for the next prompt).
"""

from __future__ import annotations

from dataclasses import dataclass
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
from storage.models import Flow, Mission
from storage.types import utcnow

FEEDBACK_MAX = 20_000


@dataclass(frozen=True)
class StageStep:
    """How a mission moves when its stage is finished or reviewed: the fields, an event, a line."""

    fields: dict[str, Any]
    kind: str
    summary: str


async def _move_fields(
    conn: AsyncConnection, current: dict[str, Any], to_list: str
) -> dict[str, Any]:
    if current["list"] == to_list:
        return {}
    return {
        "list": to_list,
        "list_order": await end_of_list(conn, current["project_id"], to_list),
    }


async def _next_stage(
    conn: AsyncConnection, flow: Flow, current: dict[str, Any], verb: str
) -> StageStep:
    """On to the stage after the current one, or Done after the last.

    A mission being worked on (Todo or Doing) keeps its list for the next stage, so the runtime
    carries on with it; one coming out of Review goes back to Todo, ``ready`` kept.
    """
    following = stage_after(flow, current["stage"])
    if following is None:
        return StageStep(
            {**await _move_fields(conn, current, "done"), "completed_at": utcnow()},
            "done",
            f"{verb} {current['stage']}; mission done",
        )
    to_list = current["list"] if current["list"] in ("todo", "doing") else "todo"
    return StageStep(
        {
            **await _move_fields(conn, current, to_list),
            "stage": following,
            "requires_review": bool((find_stage(flow, following) or {}).get("requires_review")),
            "completed_at": None,
        },
        "stage",
        f"{verb} {current['stage']} → {following}",
    )


async def stage_finished(conn: AsyncConnection, current: dict[str, Any]) -> StageStep:
    """The move after an agent finished the mission's current stage: Review, next stage or Done.

    The one rule for the runtime (:func:`storage.sessions.finish_session`) and for
    :func:`finish_stage`. Review feedback stays until the reviewer decides, so the review shows
    what the attempt was asked to address.
    """
    flow = await resolve_flow(conn, current)
    stage = find_stage(flow, current["stage"])
    if stage is not None and stage["requires_review"]:
        return StageStep(
            {
                **await _move_fields(conn, current, "review"),
                "review_status": "pending",
                "review_requested_at": utcnow(),
                "requires_review": True,
            },
            "review_requested",
            f"{current['stage']} done; waiting for review",
        )
    return await _next_stage(conn, flow, current, "finished")


async def finish_stage(db: Database, mission_id: str, *, origin: Origin = "agent") -> Mission:
    """Record that the mission's current stage is done (call after a successful session)."""
    async with db.write() as conn:
        current = await fetch_mission(conn, mission_id)
        step = await stage_finished(conn, current)
        await apply_update(
            ChangeWriter(db, conn),
            current,
            step.fields,
            kind=step.kind,
            summary=step.summary,
            origin=origin,
        )
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
        if current["review_status"] == "question":
            raise ConflictError(
                f"mission {mission_id} waits for an answer to its agent's question, not for "
                f"approval; answer it with 'solo-unicorn mission answer {mission_id} --text …'"
            )
        reviewed = {
            "review_status": "approved",
            "review_feedback": None,
            "review_completed_at": utcnow(),
            "reviewed_by_user_id": db.user_id if origin == "user" else None,
        }
        step = await _next_stage(conn, await resolve_flow(conn, current), current, "approved")
        await apply_update(
            ChangeWriter(db, conn),
            current,
            {**reviewed, **step.fields},
            kind=step.kind,
            summary=step.summary,
            origin=origin,
        )
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
