"""Sessions for real: git repositories, worktrees and script agents in subprocesses."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from solo_unicorn_tui.runtime.agent_process import MAX_LINE_BYTES
from solo_unicorn_tui.runtime.agent_profiles import AgentProfile
from solo_unicorn_tui.runtime.core import Runtime
from solo_unicorn_tui.runtime.events import SessionEnded, SessionOutput, SessionStarted
from solo_unicorn_tui.workspace import Workspace
from storage import missions as ops
from storage.sessions import get_session, list_sessions
from tests.support.runtime_fixtures import git, linked_runtime, make_repo, script_profile


async def _setup(
    workspace: Workspace,
    tmp_path: Path,
    profile: AgentProfile,
    *,
    max_concurrent: int = 1,
    kill_grace: float = 2.0,
) -> tuple[Runtime, Path]:
    repo = make_repo(tmp_path / "repo")
    runtime = await linked_runtime(
        workspace, repo, profile, name="repo", max_concurrent=max_concurrent, kill_grace=kill_grace
    )
    return runtime, repo


async def _mission(workspace: Workspace, title: str = "Add a greeting", **kw) -> str:
    draft = ops.MissionDraft(title=title, ready=True, **kw)
    return (await ops.create_mission(workspace.db, workspace.project_id, draft)).id


async def test_run_once_commits_in_worktree_and_moves_mission(workspace, tmp_path):
    runtime, repo = await _setup(workspace, tmp_path, script_profile("commit"))
    events: list[object] = []
    runtime.subscribe(events.append)
    mission_id = await _mission(workspace)

    ended = await runtime.run_once()

    # clarify (no review) then plan (review): two sessions, parked in Review on stage plan
    assert [e.status for e in ended] == ["completed", "completed"]
    mission = await ops.get_mission(workspace.db, mission_id)
    assert (mission.list, mission.stage, mission.review_status) == ("review", "plan", "pending")
    assert mission.claimed_by_workstation_id is None
    assert mission.claim_epoch == 2
    sessions = await list_sessions(workspace.db, mission_id=mission_id)
    assert len(sessions) == 2
    first = sessions[-1]
    assert first.status == "completed" and first.exit_code == 0
    assert first.files_changed == ["agent-output.txt"]
    assert len(first.commits_made) == 1
    assert first.commits_made[0]["summary"].startswith("agent: clarify")
    branch = git(Path(first.working_directory), "rev-parse", "--abbrev-ref", "HEAD")
    assert branch.startswith("solo-unicorn/") and branch.endswith("-add-a-greeting")
    assert git(repo, "log", "--format=%s", "-1", branch).startswith("agent: plan")
    assert sessions[0].working_directory == first.working_directory  # reused across stages
    assert Path(first.log_path).stat().st_mode & 0o777 == 0o600
    assert Path(first.prompt_path).stat().st_mode & 0o777 == 0o600
    log_text = Path(first.log_path).read_text()
    assert "agent: mode=commit" in log_text and "agent: done" in log_text
    kinds = [e.kind for e in await ops.list_events(workspace.db, mission_id)]
    assert kinds.count("session_completed") == 2 and "claimed" in kinds
    assert any(isinstance(e, SessionStarted) for e in events)
    assert any(isinstance(e, SessionOutput) and "agent: done" in e.lines for e in events)
    assert sum(isinstance(e, SessionEnded) for e in events) == 2


async def test_non_zero_exit_requeues_with_error(workspace, tmp_path):
    runtime, _ = await _setup(workspace, tmp_path, script_profile("fail"))
    mission_id = await _mission(workspace)
    ended = await runtime.run_once()
    assert [e.status for e in ended] == ["failed"]
    mission = await ops.get_mission(workspace.db, mission_id)
    assert mission.list == "todo" and mission.recovery_attempts == 1 and mission.ready
    assert "exited with code 3" in mission.last_error
    assert "something went wrong" in mission.last_error
    session = (await list_sessions(workspace.db, mission_id=mission_id))[0]
    assert (session.status, session.exit_code) == ("failed", 3)


async def test_given_up_after_max_recovery_attempts(workspace, tmp_path):
    workspace.settings.max_recovery_attempts = 1
    runtime, _ = await _setup(workspace, tmp_path, script_profile("fail"))
    mission_id = await _mission(workspace)
    await runtime.run_once()
    await runtime.run_once()
    mission = await ops.get_mission(workspace.db, mission_id)
    assert mission.recovery_attempts == 2 and not mission.ready
    kinds = [e.kind for e in await ops.list_events(workspace.db, mission_id)]
    assert "given_up" in kinds
    assert await runtime.run_once() == []


async def test_timeout_kills_the_process_group(workspace, tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    runtime, _ = await _setup(
        workspace, tmp_path, script_profile("sleep", timeout=1.0, extra=str(pid_file))
    )
    mission_id = await _mission(workspace)
    ended = await runtime.run_once()
    assert [e.status for e in ended] == ["timeout"]
    grandchild = int(pid_file.read_text())
    await _assert_gone(grandchild)
    mission = await ops.get_mission(workspace.db, mission_id)
    assert mission.list == "todo" and "timed out after 1 s" in mission.last_error


async def _assert_gone(pid: int) -> None:
    """Wait (up to 20 s, for a loaded machine) until ``pid`` has exited."""
    for _ in range(400):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        # a zombie (parent gone, not yet reaped) counts as gone
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(") ", 1)[1].startswith("Z"):
                    return
        except FileNotFoundError:
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"process {pid} is still running")


async def test_cancel_stops_the_session(workspace, tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    runtime, _ = await _setup(workspace, tmp_path, script_profile("sleep", extra=str(pid_file)))
    mission_id = await _mission(workspace)
    started = asyncio.Event()
    runtime.subscribe(
        lambda e: (
            started.set() if isinstance(e, SessionOutput) and "agent: sleeping" in e.lines else None
        )
    )
    handle = await runtime.run_mission(mission_id)
    await asyncio.wait_for(started.wait(), 10)
    assert runtime.cancel(mission_id)
    ended = await asyncio.wait_for(handle.task, 10)
    assert ended.status == "cancelled"
    await _assert_gone(int(pid_file.read_text()))
    mission = await ops.get_mission(workspace.db, mission_id)
    assert mission.list == "todo" and not mission.ready
    assert (await get_session(workspace.db, handle.session_id)).status == "cancelled"


async def test_missing_agent_binary_is_recorded(workspace, tmp_path):
    profile = AgentProfile(name="ghost", argv=["no-such-agent-binary-xyz", "{prompt}"])
    runtime, _ = await _setup(workspace, tmp_path, profile)
    mission_id = await _mission(workspace)
    ended = await runtime.run_once()
    assert [e.status for e in ended] == ["failed"]
    mission = await ops.get_mission(workspace.db, mission_id)
    assert "no-such-agent-binary-xyz" in mission.last_error and "not found" in mission.last_error
    session = (await list_sessions(workspace.db, mission_id=mission_id))[0]
    assert session.error_type == "agent_not_started"


async def test_ten_megabytes_without_newline(workspace, tmp_path):
    runtime, _ = await _setup(workspace, tmp_path, script_profile("flood"))
    biggest = 0

    def watch(event: object) -> None:
        nonlocal biggest
        if isinstance(event, SessionOutput):
            biggest = max(biggest, *(len(line) for line in event.lines))

    runtime.subscribe(watch)
    mission_id = await _mission(workspace)
    handle = await runtime.run_mission(mission_id)
    ended = await handle.task
    assert ended.status == "completed"
    log_path = Path(handle.log_path)
    assert log_path.stat().st_size > 10 * 1024 * 1024
    assert biggest <= MAX_LINE_BYTES
    with log_path.open("rb") as f:
        assert max(len(line) for line in f) <= MAX_LINE_BYTES + 1


async def test_binary_and_ansi_output_is_logged_raw(workspace, tmp_path):
    runtime, _ = await _setup(workspace, tmp_path, script_profile("binary"))
    mission_id = await _mission(workspace)
    lines: list[str] = []
    runtime.subscribe(lambda e: lines.extend(e.lines) if isinstance(e, SessionOutput) else None)
    handle = await runtime.run_mission(mission_id)
    assert (await handle.task).status == "completed"
    raw = Path(handle.log_path).read_bytes()
    assert b"\x1b[31mred text" in raw and b"\x00\x07bell" in raw
    assert any("caf\u00e9" in line for line in lines)


async def test_agent_environment_has_no_secrets(workspace, tmp_path, monkeypatch):
    monkeypatch.setenv("SOLO_UNICORN_SERVER_PASSWORD", "hunter2")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    monkeypatch.setenv("SOME_RANDOM_VAR", "x")
    profile = script_profile("env", env={"AGENT_FLAG": "1", "OPENAI_API_KEY": "sk-nope"})
    runtime, _ = await _setup(workspace, tmp_path, profile)
    mission_id = await _mission(workspace)
    handle = await runtime.run_mission(mission_id)
    await handle.task
    text = Path(handle.log_path).read_text()
    assert "env AGENT_FLAG=1" in text and f"env SOLO_UNICORN_MISSION_ID={mission_id}" in text
    for leaked in ("hunter2", "ghp_secret", "SOME_RANDOM_VAR", "sk-nope"):
        assert leaked not in text


async def test_profile_can_ask_for_a_secret_by_name(workspace, tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-wanted")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    profile = script_profile("env", pass_env=["ANTHROPIC_API_KEY"])
    runtime, _ = await _setup(workspace, tmp_path, profile)
    handle = await runtime.run_mission(await _mission(workspace))
    await handle.task
    text = Path(handle.log_path).read_text()
    assert "env ANTHROPIC_API_KEY=sk-ant-wanted" in text
    assert "ghp_secret" not in text


async def test_second_mission_waits_for_repository_slot(workspace, tmp_path):
    profile = script_profile("sleep", timeout=60, max_concurrency=4)
    runtime, _ = await _setup(workspace, tmp_path, profile, max_concurrent=1)
    first = await _mission(workspace, "First", priority=5)
    second = await _mission(workspace, "Second", priority=3)
    started = await runtime.dispatcher.start_available()
    assert [h.mission_id for h in started] == [first]
    assert await runtime.dispatcher.start_available() == []
    assert (await ops.get_mission(workspace.db, second)).list == "todo"
    runtime.cancel(first)
    await runtime.wait_idle()
    started = await runtime.dispatcher.start_available()
    assert [h.mission_id for h in started] == [second]
    runtime.cancel(second)
    await runtime.wait_idle()


async def test_hostile_title_stays_inside_workspace(workspace, tmp_path):
    runtime, repo = await _setup(workspace, tmp_path, script_profile("commit"))
    mission_id = await _mission(workspace, "../../etc; rm -rf ~ $(reboot) `id` | x")
    handle = await runtime.run_mission(mission_id)
    assert (await handle.task).status == "completed"
    session = await get_session(workspace.db, handle.session_id)
    path = Path(session.working_directory).resolve()
    assert path.parent == Path(workspace.workspace_dir).resolve()
    branch = git(path, "rev-parse", "--abbrev-ref", "HEAD")
    git(repo, "check-ref-format", "--branch", branch)
    assert all(c.isalnum() or c in "-/" for c in branch)
    assert "etc-rm-rf-reboot-id-x" in branch


async def _session_without_runner(workspace, title: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A claimed mission with a session row, as a runner leaves it just before the agent runs."""
    from storage import sessions as session_ops

    mission_id = await _mission(workspace, title)
    mission = await session_ops.claim_mission(
        workspace.db, mission_id, workspace.identity.workstation_id, lease_seconds=600
    )
    session = await session_ops.create_session(
        workspace.db,
        mission,
        code_agent_type="command",
        code_agent_name="script",
        stage=mission.stage,
        worktree_id=None,
        working_directory=None,
        log_path=str(tmp_path / "x.log"),
        prompt_path=None,
        start_reason="test",
    )
    return mission_id, session


async def test_recovery_marks_sessions_of_dead_runners_failed(workspace, tmp_path):
    import subprocess
    import sys

    from solo_unicorn_tui.runtime.session_runner import _hold_lock, lock_path
    from storage import sessions as session_ops

    runtime, _ = await _setup(workspace, tmp_path, script_profile("commit"))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    ids = []
    for title in ("dead runner", "live runner"):
        mission_id, session = await _session_without_runner(workspace, title, tmp_path)
        await session_ops.mark_session_running(workspace.db, session.id, gone.pid)
        ids.append((mission_id, session.id))
    live_lock = _hold_lock(lock_path(workspace.home, ids[1][1]))  # a runner still holds this one
    try:
        recovered = await runtime.recover()
    finally:
        live_lock.close()
    assert [r.session_id for r in recovered] == [ids[0][1]]
    assert "agent process" in recovered[0].reason and "is gone" in recovered[0].reason
    dead = await ops.get_mission(workspace.db, ids[0][0])
    assert dead.list == "todo" and dead.recovery_attempts == 1 and dead.ready
    assert dead.claimed_by_workstation_id is None
    assert (await get_session(workspace.db, ids[0][1])).status == "failed"
    assert (await get_session(workspace.db, ids[1][1])).status == "active"
    assert (await ops.get_mission(workspace.db, ids[1][0])).list == "doing"


async def test_review_reject_reruns_stage_with_feedback_then_approve(workspace, tmp_path):
    from storage.errors import ConflictError, ValidationError
    from storage.review import approve_mission as approve_review
    from storage.review import reject_mission as reject_review

    runtime, _ = await _setup(workspace, tmp_path, script_profile("commit"))
    mission_id = await _mission(workspace, "Reviewed work")
    await runtime.run_once()  # clarify, then plan -> Review
    with pytest.raises(ValidationError):
        await reject_review(workspace.db, mission_id, "  ")
    rejected = await reject_review(workspace.db, mission_id, "Please also cover logout.")
    assert (rejected.list, rejected.stage, rejected.review_status) == ("todo", "plan", "rejected")
    with pytest.raises(ConflictError):
        await approve_review(workspace.db, mission_id)
    await runtime.run_once()
    sessions = await list_sessions(workspace.db, mission_id=mission_id)
    prompt = Path(sessions[0].prompt_path).read_text()
    assert sessions[0].stage == "plan" and "Please also cover logout." in prompt
    mission = await ops.get_mission(workspace.db, mission_id)
    assert mission.list == "review" and mission.review_feedback == "Please also cover logout."
    approved = await approve_review(workspace.db, mission_id)
    assert (approved.list, approved.stage, approved.ready) == ("todo", "code", True)
    await runtime.run_once()
    approved = await approve_review(workspace.db, mission_id)
    assert approved.list == "done" and approved.completed_at is not None
    # all three stages ran in the same worktree
    assert len({s.working_directory for s in await list_sessions(workspace.db)}) == 1


async def test_agent_ignoring_sigterm_is_killed_after_grace(workspace, tmp_path):
    import time

    runtime, _ = await _setup(
        workspace, tmp_path, script_profile("stubborn", timeout=1.0), kill_grace=0.5
    )
    mission_id = await _mission(workspace)
    started = time.monotonic()
    handle = await runtime.run_mission(mission_id)
    ended = await asyncio.wait_for(handle.task, 20)
    assert ended.status == "timeout" and time.monotonic() - started < 10
    await _assert_gone(handle.pid)


async def test_worktree_with_unpushed_commits_is_kept_unless_forced(workspace, tmp_path):
    from solo_unicorn_tui.errors import UserError
    from solo_unicorn_tui.runtime import worktrees as wt

    runtime, repo = await _setup(workspace, tmp_path, script_profile("commit"))
    mission_id = await _mission(workspace)
    handle = await runtime.run_mission(mission_id)
    await handle.task
    path = Path((await get_session(workspace.db, handle.session_id)).working_directory)
    status = wt.worktree_status(path, "main")
    assert status.unpushed == 1 and not status.dirty
    with pytest.raises(UserError, match="not pushed or merged"):
        wt.remove_worktree(repo, path, "main")
    results = await runtime.clean_worktrees(idle_days=0)
    assert not results[0].removed and "not pushed" in results[0].reason
    git(repo, "merge", "-q", "--ff-only", status.branch)  # merged into main: nothing to lose
    results = await runtime.clean_worktrees(idle_days=0)
    assert results[0].removed and not path.exists()
    assert git(repo, "branch", "--list", status.branch)  # the branch stays


async def test_cancelled_runner_task_kills_the_agent_and_records_it(workspace, tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    runtime, _ = await _setup(workspace, tmp_path, script_profile("sleep", extra=str(pid_file)))
    mission_id = await _mission(workspace)
    handle = await runtime.run_mission(mission_id)
    for _ in range(1500):
        if pid_file.exists() and pid_file.read_text():
            break
        await asyncio.sleep(0.02)
    handle.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await handle.task
    await _assert_gone(handle.pid)
    await _assert_gone(int(pid_file.read_text()))
    session = await get_session(workspace.db, handle.session_id)
    assert session.status == "failed" and "runner was stopped" in session.end_reason
    assert (await ops.get_mission(workspace.db, mission_id)).list == "todo"


async def test_cancel_between_start_and_record_still_kills_the_agent(
    workspace, tmp_path, monkeypatch
):
    """The agent has started but its pid is not recorded yet (a slow write): a cancel then
    must not leave it running."""
    from storage import sessions as session_ops

    pid_file = tmp_path / "grandchild.pid"
    runtime, _ = await _setup(workspace, tmp_path, script_profile("sleep", extra=str(pid_file)))
    recording = asyncio.Event()
    real_mark = session_ops.mark_session_running

    async def slow_mark(db, session_id, pid):  # type: ignore[no-untyped-def]
        recording.set()
        await asyncio.sleep(600)
        await real_mark(db, session_id, pid)

    monkeypatch.setattr(session_ops, "mark_session_running", slow_mark)
    mission_id = await _mission(workspace)
    handle = await runtime.run_mission(mission_id)
    await asyncio.wait_for(recording.wait(), timeout=30)
    for _ in range(1500):
        if pid_file.exists() and pid_file.read_text():
            break
        await asyncio.sleep(0.02)
    handle.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await handle.task
    await _assert_gone(handle.pid)
    await _assert_gone(int(pid_file.read_text()))
    session = await get_session(workspace.db, handle.session_id)
    assert session.status == "failed" and session.pid is None


async def test_recovery_finds_an_agent_whose_pid_was_never_recorded(workspace, tmp_path):
    """The runner died right after starting the agent: the pid is only in its lock file."""
    import subprocess
    import sys

    from solo_unicorn_tui.runtime.session_runner import lock_path

    runtime, _ = await _setup(workspace, tmp_path, script_profile("commit"))
    orphan = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True
    )
    try:
        _, session = await _session_without_runner(workspace, "runner died at start", tmp_path)
        lock_path(workspace.home, session.id).write_text(f"{orphan.pid}\n")
        recovered = await runtime.recover()
        assert [r.session_id for r in recovered] == [session.id]
        assert f"agent (pid {orphan.pid})" in recovered[0].reason
        assert orphan.wait(timeout=20) is not None
    finally:
        if orphan.poll() is None:
            orphan.kill()
