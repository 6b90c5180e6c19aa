"""What the next prompt of a stage is built from: actor, memory, stage, feedback, documents."""

from __future__ import annotations

import pytest

from solo_unicorn_tui.workspace import Workspace
from storage import actors, review
from storage.documents import store_mission_documents
from storage.errors import ValidationError
from storage.memory import get_memory, set_memory
from storage.mission_context import mission_context, prompt_sections, render_prompt
from storage.missions import MissionDraft, create_mission, update_mission


async def test_feedback_and_actor_reach_the_prompt(workspace: Workspace) -> None:
    db, pid = workspace.db, workspace.project_id
    await set_memory(db, pid, "We use ruff.\n")
    mission = await create_mission(db, pid, MissionDraft("Add search", stage="plan"))
    context = await mission_context(db, mission.id)
    assert context.actor is not None and context.actor.name == "Engineer"
    assert (context.stage["name"], context.next_stage) == ("plan", "code")

    await store_mission_documents(
        db, mission.id, solution="Use FTS5.", tasks=[{"number": 1, "title": "Index", "text": "x"}]
    )
    await review.finish_stage(db, mission.id)
    await review.reject_mission(db, mission.id, "Also cover ranking.")
    tester = await actors.add_actor(
        db, pid, "Tester", system_prompt="You break things.", focus_areas=["edge cases"]
    )
    await update_mission(db, mission.id, actor_id=tester.id)

    context = await mission_context(db, mission.id)
    headings = [h for h, _ in prompt_sections(context)]
    assert headings == [
        "Session",
        "Your role: Tester",
        "Project memory",
        "Mission",
        "Stage: plan",
        "Review feedback to address",
        "Solution so far",
        "Tasks so far",
    ]
    prompt = render_prompt(context)
    assert "Also cover ranking." in prompt and "We use ruff." in prompt
    assert f"solo-unicorn-docs/missions/{mission.id}/solution.md" in prompt
    assert "Focus areas: edge cases" in prompt
    assert "Branch:" not in prompt and f"Mission id: {mission.id}" in prompt
    on_branch = render_prompt(context, branch="solo-unicorn/x-add-search")
    assert "Branch: solo-unicorn/x-add-search" in on_branch
    # The runner commits the leftovers, so the agent is not asked to run git (unless the
    # profile opted out of that).
    assert "uncommitted work is committed for you" in on_branch
    own = render_prompt(context, branch="solo-unicorn/x", leftovers_committed=False)
    assert "commit your work here" in own and "committed for you" not in own
    await update_mission(db, mission.id, last_error="timed out after 60 s")
    failed = render_prompt(await mission_context(db, mission.id))
    assert "## The previous attempt failed with\n\ntimed out after 60 s" in failed

    await review.finish_stage(db, mission.id)
    await review.approve_mission(db, mission.id)
    context = await mission_context(db, mission.id)
    assert context.review_feedback is None and context.stage["name"] == "code"
    assert "Review feedback" not in render_prompt(context)


async def test_memory_and_actor_validation(workspace: Workspace) -> None:
    db, pid = workspace.db, workspace.project_id
    with pytest.raises(ValidationError, match="memory"):
        await set_memory(db, pid, "x" * 100_001)
    assert await get_memory(db, pid) == ""
    with pytest.raises(ValidationError, match="name: must not be empty"):
        await actors.add_actor(db, pid, "")
    with pytest.raises(ValidationError, match="is not an actor field"):
        await actors.add_actor(db, pid, "X", colour="red")
    [engineer] = await actors.list_actors(db, pid)
    edited = await actors.edit_actor(db, engineer.id, methodology="TDD", focus_areas="a, b")
    assert (edited.methodology, edited.focus_areas) == ("TDD", ["a", "b"])


async def test_resolvers_fall_back_to_project_defaults(workspace: Workspace) -> None:
    from storage.actors import actor_for_mission
    from storage.flows import flow_for_mission

    db, pid = workspace.db, workspace.project_id
    mission = await create_mission(db, pid, MissionDraft("Defaults"))
    assert (await actor_for_mission(db, mission.id)).name == "Engineer"
    assert [s["name"] for s in (await flow_for_mission(db, mission.id)).stages] == [
        "clarify",
        "plan",
        "code",
    ]
    await update_mission(db, mission.id, actor_id="actor_gone", flow_id="flow_gone")
    assert (await actor_for_mission(db, mission.id)).name == "Engineer"
    assert (await flow_for_mission(db, mission.id)).name == "Clarify → plan → code"
