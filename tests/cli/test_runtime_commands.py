"""The runtime's commands as a user runs them: separate processes, real git, script agents."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT
from tests.support.runtime_fixtures import agent_argv, git, make_repo


def _json(result: subprocess.CompletedProcess[str]):  # type: ignore[no-untyped-def]
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _setup(cli, tmp_path: Path, mode: str, *extra: str) -> Path:  # type: ignore[no-untyped-def]
    repo = make_repo(tmp_path / "my repo")
    assert cli("repo", "add", str(repo), "--name", "app").returncode == 0
    added = cli("agent", "add", "script", "--default", "--", *agent_argv(mode, *extra))
    assert added.returncode == 0, added.stderr
    return repo


def test_repo_add_rejects_a_folder_that_is_not_a_repository(home, cli, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    result = cli("repo", "add", str(plain))
    assert result.returncode == 1
    assert "is not a git repository" in result.stderr and "git init" in result.stderr
    assert "Traceback" not in result.stderr
    missing = cli("repo", "add", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "does not exist" in missing.stderr


def test_repo_add_without_git_binary_is_a_clear_error(home, cli, tmp_path):
    repo = make_repo(tmp_path / "repo")
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    result = cli("repo", "add", str(repo), env={"PATH": str(empty_bin)})
    assert result.returncode == 1
    assert "git program was not found" in result.stderr and "Traceback" not in result.stderr


def test_repo_add_and_list_detects_the_default_branch(home, cli, tmp_path):
    repo = make_repo(tmp_path / "repo", branch="trunk")
    added = _json(cli("repo", "add", str(repo), "--json"))
    assert added["name"] == "repo" and added["default_branch"] == "trunk" and added["default"]
    listed = _json(cli("repo", "list", "--json"))
    assert [r["name"] for r in listed] == ["repo"] and listed[0]["path"] == str(repo)


def test_agent_profiles_add_list_remove(home, cli):
    listed = {p["name"]: p for p in _json(cli("agent", "list", "--json"))}
    assert {"claude", "codex", "aider", "gemini", "opencode"} <= set(listed)
    assert all(p["builtin"] for p in listed.values())
    assert {n for n, p in listed.items() if p["mcp"]} == {"claude", "codex", "gemini", "opencode"}
    claude = cli("agent", "add", "c2", "--type", "claude", "--no-mcp", "--", "claude", "-p")
    assert claude.returncode == 0, claude.stderr
    assert not {p["name"]: p for p in _json(cli("agent", "list", "--json"))}["c2"]["mcp"]
    assert "MCP" in cli("agent", "list").stdout.splitlines()[0]
    assert cli("agent", "remove", "c2").returncode == 0
    added = cli("agent", "add", "mine", "--default", "--", sys.executable, "-c", "pass", "{prompt}")
    assert added.returncode == 0, added.stderr
    listed = {p["name"]: p for p in _json(cli("agent", "list", "--json"))}
    assert listed["mine"]["default"] and listed["mine"]["available"]
    assert listed["mine"]["argv"][-1] == "{prompt}"
    saved = json.loads((home.root / "code-agents.json").read_text())
    assert saved["default"] == "mine"
    secret = cli("agent", "add", "x", "--env", "MY_API_KEY=abc", "--", "x")
    assert secret.returncode == 1 and "looks like a secret" in secret.stderr
    builtin = cli("agent", "remove", "claude")
    assert builtin.returncode == 1 and "built-in" in builtin.stderr
    assert cli("agent", "remove", "mine").returncode == 0
    assert "mine" not in {p["name"] for p in _json(cli("agent", "list", "--json"))}


def test_work_once_end_to_end(home, cli, tmp_path):
    repo = _setup(cli, tmp_path, "commit")
    mission = _json(
        cli("mission", "add", "--title", "Say hi", "--ready", "--repo", "app", "--json")
    )
    result = cli("work", "--once")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "started" in result.stdout and "completed" in result.stdout
    shown = _json(cli("mission", "show", mission["id"], "--json"))
    assert (shown["list"], shown["stage"]) == ("review", "plan")
    kinds = [e["kind"] for e in shown["events"]]
    assert kinds.count("session_completed") == 2
    worktrees = _json(cli("worktree", "list", "--json"))
    assert len(worktrees) == 1
    branch = worktrees[0]["branch"]
    assert branch.startswith("solo-unicorn/") and branch.endswith("-say-hi")
    assert not worktrees[0]["dirty"] and worktrees[0]["unpushed"] == 2
    assert Path(worktrees[0]["path"]).parent == home.root / "workspaces"
    assert git(repo, "log", "--format=%s", branch).splitlines()[:2] == [
        f"agent: plan for {mission['id']}",
        f"agent: clarify for {mission['id']}",
    ]
    logs = sorted((home.root / "sessions").glob("session_*.log"))
    assert len(logs) == 2 and all("agent: done" in p.read_text() for p in logs)
    db = sqlite3.connect(home.root / "replica.db")
    rows = db.execute(
        "SELECT status, exit_code, files_changed, commits_made FROM code_agent_sessions"
    ).fetchall()
    assert [(r[0], r[1], json.loads(r[2])) for r in rows] == [
        ("completed", 0, ["agent-output.txt"])
    ] * 2
    assert all(len(json.loads(r[3])) == 1 for r in rows)
    # nothing left to do: a second run exits at once
    again = cli("work", "--once")
    assert again.returncode == 0 and "nothing to run" in again.stdout


def test_worktree_clean_keeps_work_unless_forced(home, cli, tmp_path):
    _setup(cli, tmp_path, "dirty")
    # This profile leaves its work uncommitted on purpose (the runner would commit it).
    options = ("agent", "add", "script", "--default", "--no-commit-leftovers", "--")
    assert cli(*options, *agent_argv("dirty")).returncode == 0
    cli("mission", "add", "--title", "Leave it dirty", "--ready")
    cli("work", "--once")
    path = Path(_json(cli("worktree", "list", "--json"))[0]["path"])
    assert _json(cli("worktree", "list", "--json"))[0]["dirty"]
    kept = _json(cli("worktree", "clean", "--days", "0", "--json"))
    assert not kept[0]["removed"] and "uncommitted" in kept[0]["reason"]
    assert path.exists()
    recent = _json(cli("worktree", "clean", "--json"))
    assert recent[0]["reason"] == "recently used"
    forced = _json(cli("worktree", "clean", "--days", "0", "--force", "--json"))
    assert forced[0]["removed"] and not path.exists()
    assert _json(cli("worktree", "list", "--json")) == []


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return not Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except FileNotFoundError:
        return False


def test_killed_runner_is_recovered_on_restart(home, cli, tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    _setup(cli, tmp_path, "sleep", str(pid_file))
    mission = _json(cli("mission", "add", "--title", "Long job", "--ready", "--json"))
    worker = subprocess.Popen(
        [sys.executable, "-m", "solo_unicorn_tui.cli.main", "work"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pid_file.exists(), "the agent never started"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    grandchild = int(pid_file.read_text())
    assert _pid_alive(grandchild)  # orphaned: its runner is gone, it is not
    before = _json(cli("worktree", "list", "--json"))
    # switch to an agent that finishes, then restart
    cli("agent", "add", "script", "--default", "--", *agent_argv("commit"))
    result = cli("work", "--once")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "recovered session_" in result.stdout and "runner stopped" in result.stdout
    deadline = time.monotonic() + 10
    while _pid_alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _pid_alive(grandchild)
    shown = _json(cli("mission", "show", mission["id"], "--json"))
    kinds = [e["kind"] for e in shown["events"]]
    assert "session_failed" in kinds and kinds.count("session_completed") == 2
    assert shown["list"] == "review"
    after = _json(cli("worktree", "list", "--json"))
    assert [w["path"] for w in after] == [w["path"] for w in before]  # worktree kept and reused
    db = sqlite3.connect(home.root / "replica.db")
    statuses = [r[0] for r in db.execute("SELECT status FROM code_agent_sessions ORDER BY id")]
    assert statuses == ["failed", "completed", "completed"]


def test_work_with_the_server_unreachable_runs_nothing_unless_offline_runs_are_allowed(
    home, cli, tmp_path
):
    _setup(cli, tmp_path, "commit")
    _json(cli("mission", "add", "--title", "Team work", "--ready", "--repo", "app", "--json"))
    offline = {"SOLO_UNICORN_SERVER_URL": "postgresql://member@127.0.0.1:1/board"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "solo_unicorn_tui.cli.main", "work"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **offline},
    )
    try:
        assert worker.stdout is not None
        read, deadline = [""], time.monotonic() + 60
        while not read[-1].startswith("waiting:") and time.monotonic() < deadline:
            read.append(worker.stdout.readline())
            assert read[-1] or worker.poll() is None, worker.communicate()
        time.sleep(4.5)  # two more dispatch rounds (every 2 s): none may say it again
        worker.send_signal(signal.SIGINT)
        rest, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    out = "".join(read) + rest
    waiting = [line for line in out.splitlines() if line.startswith("waiting:")]
    assert len(waiting) == 1, out + err  # said once, not every round
    assert "allow_offline_runs" in waiting[0] and "started" not in out
    assert "Traceback" not in err
    once = cli("work", "--once", env=offline)
    assert once.returncode == 0 and "started" not in once.stdout
    assert once.stdout.count("allow_offline_runs") == 1 and "nothing to run" in once.stdout
    allowed = cli("work", "--once", env={**offline, "SOLO_UNICORN_ALLOW_OFFLINE_RUNS": "true"})
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "started" in allowed.stdout and "completed" in allowed.stdout
