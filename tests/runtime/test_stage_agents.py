"""Agents per mission and per stage (issue 17 item 1): each stage runs with the agent chosen
for it, through the real runtime and script agents; a changed default takes the next stage."""

from __future__ import annotations

from pathlib import Path

from solo_unicorn_tui.runtime.core import Runtime
from solo_unicorn_tui.workspace import Workspace
from storage import flows, projects, review
from storage import missions as ops
from storage.agent_choice import AgentChoice, agent_for_mission
from storage.sessions import list_sessions
from tests.support.runtime_fixtures import default_profile, link_repo, make_repo, script_profile


async def test_each_stage_runs_with_its_agent_and_a_new_default_takes_the_next_stage(
    workspace: Workspace, tmp_path: Path
) -> None:
    db, project_id = workspace.db, workspace.project_id
    await link_repo(workspace, make_repo(tmp_path / "repo"))
    profiles = default_profile(workspace, script_profile("commit", name="workstation-agent"))
    for name in ("planner", "coder", "coder2"):
        profiles.add(script_profile("commit", name=name))
    runtime = Runtime.from_workspace(workspace, profiles=profiles, poll_seconds=0.2)
    flow = await flows.add_flow(
        db, project_id, "Plan, then code", flows.parse_stage_spec("plan@planner!,code")
    )
    await projects.set_project(db, project_id, default_flow_id=flow.id, default_agent_name="coder")
    mission = await ops.create_mission(
        db, project_id, ops.MissionDraft(title="Two agents", ready=True)
    )

    await runtime.run_once()  # plan, with the stage's agent; then Review
    assert (await ops.get_mission(db, mission.id)).list == "review"
    # The project default changes while the mission waits: the code stage takes the new one.
    await projects.set_project(db, project_id, default_agent_name="coder2")
    await review.approve_mission(db, mission.id)
    await runtime.run_once()

    done = await ops.get_mission(db, mission.id)
    assert (done.list, done.stage) == ("done", "code")
    ran = [
        (s.stage, s.code_agent_name, s.status)
        for s in await list_sessions(db, mission_id=mission.id)
    ]
    assert sorted(ran) == [("code", "coder2", "completed"), ("plan", "planner", "completed")]
    # Each ran in the same worktree and committed its own stage there.
    worktree = Path((await list_sessions(db, mission_id=mission.id))[0].working_directory or "")
    assert (worktree / "agent-output.txt").read_text().split()[1] == "code"


async def test_the_mission_names_first_then_the_stage_the_project_the_workstation(
    workspace: Workspace,
) -> None:
    db, project_id = workspace.db, workspace.project_id
    flow = await flows.add_flow(
        db, project_id, "Staged", flows.parse_stage_spec("plan@planner,code")
    )
    mission = await ops.create_mission(
        db, project_id, ops.MissionDraft(title="Choose", flow_id=flow.id)
    )
    assert await agent_for_mission(db, mission.id) == AgentChoice("planner", "stage")
    await ops.update_mission(db, mission.id, stage="code")
    assert await agent_for_mission(db, mission.id) == AgentChoice(None, "workstation")
    await projects.set_project(db, project_id, default_agent_name="coder")
    assert await agent_for_mission(db, mission.id) == AgentChoice("coder", "project")
    await ops.update_mission(db, mission.id, agent_name="mine", stage="plan")
    assert await agent_for_mission(db, mission.id) == AgentChoice("mine", "mission")
    await ops.update_mission(db, mission.id, agent_name=None)
    assert await agent_for_mission(db, mission.id) == AgentChoice("planner", "stage")
