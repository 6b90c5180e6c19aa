"""The runner finishes what the agent could not: a prompt that cannot be an argument fails once
with one clear line (no retry loop); work left uncommitted is committed on the mission branch;
an agent that reports an error with exit status 0 fails the session."""

from __future__ import annotations

import sys
from pathlib import Path

from solo_unicorn_tui.runtime.agent_profiles import AgentProfile
from solo_unicorn_tui.runtime.core import Runtime
from solo_unicorn_tui.workspace import Workspace
from storage import missions as ops
from storage.memory import set_memory
from storage.sessions import list_sessions
from tests.support.runtime_fixtures import git, linked_runtime, make_repo, script_profile

CLAUDE_ERROR = (Path(__file__).parent / "recordings" / "claude_error.jsonl").read_text()


async def _runtime(workspace: Workspace, repo: Path, profile: AgentProfile) -> Runtime:
    return await linked_runtime(workspace, repo, profile)


async def _run(runtime: Runtime, workspace: Workspace, **draft: object) -> str:
    mission = await ops.create_mission(
        workspace.db, workspace.project_id, ops.MissionDraft(title="Build it", ready=True, **draft)
    )
    handle = await runtime.run_mission(mission.id)
    assert handle.task is not None
    await handle.task
    return mission.id


async def test_a_prompt_too_long_for_an_argument_fails_once_with_one_line(
    workspace: Workspace, tmp_path: Path
) -> None:
    profile = AgentProfile(name="argv-agent", argv=[sys.executable, "-c", "pass", "{prompt}"])
    runtime = await _runtime(workspace, make_repo(tmp_path / "app"), profile)
    await set_memory(workspace.db, workspace.project_id, "m" * 90_000)
    mission_id = await _run(runtime, workspace, description="d" * 60_000)
    (session,) = await list_sessions(workspace.db, mission_id=mission_id)
    assert session.status == "failed" and session.error_type == "agent_not_started"
    mission = await ops.get_mission(workspace.db, mission_id)
    assert mission.last_error is not None and "\n" not in mission.last_error
    assert "over the system's 128 KiB limit" in mission.last_error
    assert "{prompt_file}" in mission.last_error
    assert mission.ready is False  # given up at once: the same prompt would fail again
    assert await runtime.run_once() == []


async def test_leftovers_are_committed_on_the_mission_branch(
    workspace: Workspace, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "app")
    runtime = await _runtime(workspace, repo, script_profile("dirty"))
    mission_id = await _run(runtime, workspace)
    (session,) = await list_sessions(workspace.db, mission_id=mission_id)
    assert session.status == "completed"
    assert session.files_changed == ["agent-output.txt"] and len(session.commits_made or []) == 1
    branch = git(repo, "branch", "--list", "solo-unicorn/*", "--format=%(refname:short)")
    message = git(repo, "log", "-1", "--format=%B", branch)
    assert message.startswith("Build it: work left uncommitted by script")
    assert f"Mission {mission_id}, stage clarify" in message
    assert git(Path(session.working_directory or ""), "status", "--porcelain") == ""
    log = Path(session.log_path or "").with_name(f"{session.id}.readable.txt").read_text()
    assert "[solo-unicorn] committed 1 file(s) the agent left uncommitted" in log


async def test_an_agent_reporting_an_error_with_exit_0_fails(
    workspace: Workspace, tmp_path: Path
) -> None:
    program = f"import sys; sys.stdout.write({CLAUDE_ERROR!r})"
    profile = AgentProfile(name="claudeish", type="claude", argv=[sys.executable, "-c", program])
    runtime = await _runtime(workspace, make_repo(tmp_path / "app"), profile)
    mission_id = await _run(runtime, workspace)
    (session,) = await list_sessions(workspace.db, mission_id=mission_id)
    assert (session.status, session.exit_code, session.error_type) == ("failed", 0, "agent_error")
    assert session.error_message and "Prompt is too long" in session.error_message
    assert session.output_summary and '{"type"' not in session.output_summary
    assert session.agent_session_id == "3b71aa9a-0022-4046-bab1-acb7e6f742c3"
    mission = await ops.get_mission(workspace.db, mission_id)
    assert mission.list == "todo" and mission.recovery_attempts == 1
