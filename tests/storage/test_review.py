"""Flows and the review gate at the storage level, on a real SQLite replica."""

from __future__ import annotations

import pytest

from solo_unicorn_tui.workspace import Workspace
from storage import flows, review
from storage.errors import ConflictError, NotFoundError, ValidationError
from storage.missions import MissionDraft, create_mission, get_mission, list_events, update_mission


async def test_default_flow_walk_with_reject_and_approve(workspace: Workspace) -> None:
    db = workspace.db
    mission = await create_mission(db, workspace.project_id, MissionDraft("Ship it", ready=True))
    assert mission.stage == "clarify"

    mission = await review.finish_stage(db, mission.id)
    assert (mission.list, mission.stage) == ("todo", "plan")

    mission = await review.finish_stage(db, mission.id)
    assert (mission.list, mission.stage, mission.review_status) == ("review", "plan", "pending")

    mission = await review.reject_mission(db, mission.id, "  Split task 2 in two.  ")
    assert (mission.list, mission.stage, mission.ready) == ("todo", "plan", True)
    assert (mission.review_status, mission.review_feedback) == ("rejected", "Split task 2 in two.")

    mission = await review.finish_stage(db, mission.id)
    assert mission.list == "review"
    assert mission.review_feedback == "Split task 2 in two."
    mission = await review.approve_mission(db, mission.id)
    assert (mission.list, mission.stage, mission.ready) == ("todo", "code", True)
    assert (mission.review_status, mission.review_feedback) == ("approved", None)
    assert mission.reviewed_by_user_id == workspace.identity.user_id

    mission = await review.finish_stage(db, mission.id)
    assert mission.list == "review"
    mission = await review.approve_mission(db, mission.id)
    assert (mission.list, mission.stage) == ("done", "code")
    assert mission.completed_at is not None

    kinds = [(e.kind, e.origin) for e in await list_events(db, mission.id)]
    assert kinds == [
        ("created", "user"),
        ("stage", "agent"),
        ("review_requested", "agent"),
        ("rejected", "user"),
        ("review_requested", "agent"),
        ("stage", "user"),
        ("review_requested", "agent"),
        ("done", "user"),
    ]


async def test_reject_needs_feedback_and_review_list(workspace: Workspace) -> None:
    db = workspace.db
    mission = await create_mission(db, workspace.project_id, MissionDraft("Gate", stage="plan"))
    with pytest.raises(ConflictError, match="only a mission in Review"):
        await review.approve_mission(db, mission.id)
    await review.finish_stage(db, mission.id)
    before = len(await list_events(db, mission.id))
    with pytest.raises(ValidationError, match="feedback: must not be empty"):
        await review.reject_mission(db, mission.id, "   ")
    assert (await get_mission(db, mission.id)).list == "review"
    assert len(await list_events(db, mission.id)) == before
    with pytest.raises(NotFoundError):
        await review.approve_mission(db, "mission_nope")


async def test_custom_flow_without_review_and_validation(workspace: Workspace) -> None:
    db = workspace.db
    pid = workspace.project_id
    flow = await flows.add_flow(db, pid, "Quick", flows.parse_stage_spec("build,ship"))
    assert flows.stage_names(flow) == ["build", "ship"]
    assert flows.stage_after(flow, "build") == "ship"
    assert flows.stage_after(flow, "ship") is None
    assert flows.stage_after(flow, "unknown") is None

    mission = await create_mission(
        db, pid, MissionDraft("Fast", flow_id=flow.id, stage="build", ready=True)
    )
    mission = await review.finish_stage(db, mission.id)
    assert (mission.list, mission.stage) == ("todo", "ship")
    mission = await review.finish_stage(db, mission.id)
    assert mission.list == "done"

    with pytest.raises(ValidationError, match="at least one stage"):
        await flows.add_flow(db, pid, "Empty", [])
    with pytest.raises(ValidationError, match="used twice"):
        await flows.add_flow(db, pid, "Twice", flows.parse_stage_spec("a,a!"))
    with pytest.raises(ValidationError, match="name must not be empty"):
        await flows.add_flow(db, pid, "Blank", [{"name": " "}])
    with pytest.raises(ValidationError, match="name: must not be empty"):
        await flows.add_flow(db, pid, "", [{"name": "x"}])
    assert [f.name for f in await flows.list_flows(db, pid)] == ["Clarify → plan → code", "Quick"]

    edited = await flows.edit_flow(
        db,
        flow.id,
        stages=[{"name": "build", "requires_review": True, "instructions": "Build it."}],
    )
    assert edited.stages == [
        {"name": "build", "requires_review": True, "instructions": "Build it."}
    ]
    project = await flows.set_default_flow(db, pid, flow.id)
    assert project.default_flow_id == flow.id
    newer = await create_mission(db, pid, MissionDraft("Uses default"))
    assert newer.flow_id == flow.id


async def test_review_flag_follows_the_stage(workspace: Workspace) -> None:
    db, pid = workspace.db, workspace.project_id
    flow = await flows.add_flow(db, pid, "Gate first", flows.parse_stage_spec("build!,ship"))
    mission = await create_mission(db, pid, MissionDraft("Gated", flow_id=flow.id, stage="build"))
    mission = await review.finish_stage(db, mission.id)
    assert (mission.list, mission.requires_review) == ("review", True)
    mission = await review.approve_mission(db, mission.id)
    assert (mission.stage, mission.requires_review, mission.list) == ("ship", False, "todo")
    mission = await review.finish_stage(db, mission.id)
    assert mission.list == "done"


async def test_changing_the_flow_keeps_a_known_stage_and_restarts_an_unknown_one(
    workspace: Workspace,
) -> None:
    db, pid = workspace.db, workspace.project_id
    gated = await flows.add_flow(db, pid, "Plan and code", flows.parse_stage_spec("plan!,code!"))
    mission = await create_mission(db, pid, MissionDraft("Moves flows"))
    assert mission.stage == "clarify"
    moved = await update_mission(db, mission.id, flow_id=gated.id)
    assert (moved.flow_id, moved.stage) == (gated.id, "plan")
    await update_mission(db, mission.id, stage="code")
    back = await update_mission(db, mission.id, flow_id=None)  # the project's default flow
    assert (back.flow_id, back.stage) == (None, "code")
    explicit = await update_mission(db, mission.id, flow_id=gated.id, stage="code")
    assert explicit.stage == "code"
