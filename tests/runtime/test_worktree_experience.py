"""Worktrees that build, from a fresh base, cleaned up without losing work; notifications; usage.

Real git repositories (a second local repository serves as the remote), real script agents.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from solo_unicorn_tui.runtime.core import Runtime
from solo_unicorn_tui.workspace import Workspace
from storage import missions as ops
from storage.repositories import update_repository_settings
from storage.sessions import list_sessions
from storage.worktrees import list_worktrees
from tests.support.runtime_fixtures import (
    default_profile,
    git,
    link_repo,
    make_repo,
    script_profile,
)


async def _runtime(
    workspace: Workspace, repo: Path, mode: str = "commit", **settings: object
) -> Runtime:
    link = await link_repo(workspace, repo)
    if settings:
        await update_repository_settings(workspace.db, link.id, **settings)
    # The claude-json script prints Claude Code's output: its profile says so, like a user's would.
    agent_type = "claude" if mode == "claude-json" else "command"
    profiles = default_profile(workspace, script_profile(mode, type=agent_type))
    return Runtime.from_workspace(workspace, profiles=profiles, poll_seconds=0.2)


async def _run(runtime: Runtime, workspace: Workspace, title: str = "Build it") -> str:
    mission = await ops.create_mission(
        workspace.db, workspace.project_id, ops.MissionDraft(title=title, ready=True)
    )
    handle = await runtime.run_mission(mission.id)
    assert handle.task is not None
    await handle.task
    await runtime.wait_idle()
    return mission.id


def _repo_with_ignored_env(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "app")
    (repo / ".gitignore").write_text(".env\nsecrets/\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "ignore env")
    (repo / ".env").write_text("DATABASE_URL=postgres://local\n")
    (repo / "secrets").mkdir()
    (repo / "secrets" / "dev.key").write_text("k\n")
    (repo / ".worktreeinclude").write_text("secrets/**\n")
    return repo


async def test_ignored_files_are_copied_and_setup_runs_before_the_agent(
    workspace: Workspace, tmp_path: Path
) -> None:
    repo = _repo_with_ignored_env(tmp_path)
    setup = [sys.executable, "-c", "open('installed.txt','w').write('ok'); print('deps installed')"]
    runtime = await _runtime(workspace, repo, copy_files=[".env"], setup_script=setup)
    mission_id = await _run(runtime, workspace)

    (tree,) = await list_worktrees(workspace.db, workspace.identity.workstation_id)
    path = Path(tree.worktree_path)
    assert (path / ".env").read_text() == "DATABASE_URL=postgres://local\n"
    assert (path / "secrets" / "dev.key").exists()
    assert (path / "installed.txt").read_text() == "ok"
    session = (await list_sessions(workspace.db, mission_id=mission_id))[-1]
    log = Path(session.log_path).read_text()
    assert "copied into the worktree: .env, secrets/dev.key" in log
    assert "deps installed" in log
    assert log.index("deps installed") < log.index("agent: mode=commit")


async def test_failing_setup_leaves_no_worktree_and_a_clear_error(
    workspace: Workspace, tmp_path: Path
) -> None:
    repo = _repo_with_ignored_env(tmp_path)
    failing = [sys.executable, "-c", "import sys; print('npm ERR! lockfile broken'); sys.exit(7)"]
    runtime = await _runtime(workspace, repo, setup_script=failing)
    mission_id = await _run(runtime, workspace)

    mission = await ops.get_mission(workspace.db, mission_id)
    assert mission.list == "todo"
    assert "setup_script exited with 7" in (mission.last_error or "")
    assert "npm ERR! lockfile broken" in (mission.last_error or "")
    (session,) = await list_sessions(workspace.db, mission_id=mission_id)
    assert session.status == "failed"
    assert "npm ERR! lockfile broken" in Path(session.log_path).read_text()
    assert list((workspace.workspace_dir).glob("*")) == []
    assert "solo-unicorn/" not in git(repo, "branch", "--list")
    assert "worktree" not in git(repo, "worktree", "list").split("\n", 1)[-1]


async def test_newer_target_on_the_remote_is_fetched_before_branching(
    workspace: Workspace, tmp_path: Path
) -> None:
    upstream = make_repo(tmp_path / "upstream")
    local = tmp_path / "local"
    git(tmp_path, "clone", "-q", str(upstream), str(local))
    git(local, "config", "user.name", "Test")
    git(local, "config", "user.email", "test@example.com")
    (upstream / "NEWS.md").write_text("pushed after the clone\n")
    git(upstream, "add", "NEWS.md")
    git(upstream, "commit", "-qm", "newer upstream work")
    newest = git(upstream, "rev-parse", "HEAD")

    runtime = await _runtime(workspace, local)
    mission_id = await _run(runtime, workspace)

    (tree,) = await list_worktrees(workspace.db, workspace.identity.workstation_id)
    path = Path(tree.worktree_path)
    assert (path / "NEWS.md").exists()
    subprocess.run(["git", "merge-base", "--is-ancestor", newest, "HEAD"], cwd=path, check=True)
    session = (await list_sessions(workspace.db, mission_id=mission_id))[-1]
    assert "branching from origin/main" in Path(session.log_path).read_text()


def _branches(repo: Path) -> list[str]:
    return git(repo, "branch", "--format=%(refname:short)", "--list", "solo-unicorn/*").split()


async def test_cleanup_keeps_dirty_worktrees_and_all_branches_and_recreates_on_rerun(
    workspace: Workspace, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "app")
    marker = tmp_path / "cleanup-ran.txt"
    cleanup = [sys.executable, "-c", f"open({str(marker)!r}, 'a').write('x')"]
    runtime = await _runtime(workspace, repo, cleanup_script=cleanup)
    clean_id = await _run(runtime, workspace, "Clean one")
    await ops.move_mission(workspace.db, clean_id, "done")
    git(
        repo,
        "merge",
        "-q",
        "--ff-only",
        git(repo, "branch", "--list", "solo-unicorn/*").split()[-1],
    )

    dirty = script_profile("dirty", name="dirty", commit_leftovers=False)
    runtime.profiles.add(dirty, make_default=True)
    dirty_id = await _run(runtime, workspace, "Dirty one")
    await ops.move_mission(workspace.db, dirty_id, "done")
    branches_before = _branches(repo)

    results = {r.branch: r for r in await runtime.clean_worktrees()}
    removed = [r for r in results.values() if r.removed]
    kept = [r for r in results.values() if not r.removed]
    assert len(removed) == 1 and "clean-one" in removed[0].branch
    assert len(kept) == 1 and "uncommitted changes" in kept[0].reason
    assert not Path(removed[0].path).exists()
    assert Path(kept[0].path).exists()
    assert _branches(repo) == branches_before
    assert marker.read_text() == "x"
    assert removed[0].path not in git(repo, "worktree", "list")

    await ops.move_mission(workspace.db, clean_id, "todo")
    runtime.profiles.add(script_profile("commit", name="again"), make_default=True)
    handle = await runtime.run_mission(clean_id)
    await handle.task  # type: ignore[misc]
    trees = {t.mission_id: t for t in await list_worktrees(workspace.db, runtime.workstation_id)}
    again = trees[clean_id]
    assert again.branch == removed[0].branch
    assert Path(again.worktree_path).is_dir()


async def test_notification_hook_receives_session_events(
    workspace: Workspace, tmp_path: Path
) -> None:
    received = tmp_path / "events.jsonl"
    workspace.settings.notifications.hook = [
        sys.executable,
        "-c",
        f"import sys; open({str(received)!r}, 'a').write(sys.stdin.read() + '\\n')",
    ]
    runtime = await _runtime(workspace, make_repo(tmp_path / "app"))
    mission_id = await _run(runtime, workspace, "Notify me")
    events = [json.loads(line) for line in received.read_text().splitlines()]
    assert [e["kind"] for e in events] == ["session_completed"]
    assert events[0] == {
        "kind": "session_completed",
        "mission_id": mission_id,
        "title": "Notify me",
        "message": "session done; now doing, stage plan",
    }
    await runtime.run_once()
    await runtime.wait_idle()
    kinds = [json.loads(line)["kind"] for line in received.read_text().splitlines()]
    assert kinds[-1] == "needs_review"


async def test_usage_is_recorded_when_the_agent_reports_it(
    workspace: Workspace, tmp_path: Path
) -> None:
    runtime = await _runtime(workspace, make_repo(tmp_path / "app"), mode="claude-json")
    mission_id = await _run(runtime, workspace)
    (session,) = await list_sessions(workspace.db, mission_id=mission_id)
    assert (session.input_tokens, session.output_tokens, session.cost_usd) == (12800, 733, 0.0421)

    runtime.profiles.add(script_profile("commit", name="quiet"), make_default=True)
    other = await _run(runtime, workspace, "Quiet agent")
    (quiet,) = await list_sessions(workspace.db, mission_id=other)
    assert (quiet.input_tokens, quiet.output_tokens, quiet.cost_usd) == (None, None, None)


async def test_the_dispatcher_lets_mission_fallback_refill_a_low_backlog(
    workspace: Workspace, tmp_path: Path
) -> None:
    import asyncio

    from storage import fallback

    runtime = await _runtime(workspace, make_repo(tmp_path / "app"))
    runtime.fallback_interval = 0.2
    await fallback.add_template(
        workspace.db, workspace.project_id, fallback.TemplateDraft(name="Raise test coverage")
    )
    await fallback.set_config(
        workspace.db, workspace.project_id, backlog_threshold=1, auto_accept=True
    )
    runtime.start_dispatcher()
    try:
        for _ in range(100):
            made = [
                m
                for m in await ops.list_missions(workspace.db, workspace.project_id)
                if m.origin == "fallback"
            ]
            if made:
                break
            await asyncio.sleep(0.1)
    finally:
        await runtime.stop_dispatcher()
        await runtime.wait_idle()
    assert [m.title for m in made] == ["Raise test coverage"]
    assert (await fallback.list_templates(workspace.db, workspace.project_id))[0].name == (
        "Raise test coverage"
    )
