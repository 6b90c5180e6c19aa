"""PR mode and GitHub from the command line, as a user types it (separate processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.github_server import fake_github
from tests.support.runtime_fixtures import git, make_repo


def test_pr_mode_project_default_and_repository_github_home(home, cli, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "widgets")
    git(repo, "remote", "add", "origin", "git@github.com:acme/widgets.git")
    added = cli("repo", "add", str(repo), "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["github"] == "acme/widgets"
    moved = cli("repo", "set", "widgets", "--github", "acme/gadgets")
    assert moved.returncode == 0, moved.stderr
    listed = cli("repo", "list")
    assert "GITHUB" in listed.stdout and "acme/gadgets" in listed.stdout
    bad = cli("repo", "set", "widgets", "--github", "nonsense")
    assert bad.returncode == 1 and "OWNER/NAME" in bad.stderr and "Traceback" not in bad.stderr

    shown = json.loads(
        cli("project", "set", "--pr-mode", "auto", "--merge-strategy", "merge", "--json").stdout
    )
    assert (shown["pr_mode_default"], shown["pr_merge_strategy"]) == ("auto", "merge")
    mission = json.loads(cli("mission", "add", "--title", "Ship", "--json").stdout)
    assert mission["pr_mode"] == "auto"
    updated = cli("mission", "update", mission["id"], "--pr-mode", "enabled", "--json")
    assert json.loads(updated.stdout)["pr_mode"] == "enabled"


def test_github_login_without_input_logout_and_doctor(home, cli) -> None:
    closed = subprocess.run(
        [sys.executable, "-m", "solo_unicorn_tui.cli.main", "github", "login"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert closed.returncode == 1
    assert closed.stderr.count("\n") == 1 and "no GitHub token given" in closed.stderr
    nothing = cli("github", "logout")
    assert "no GitHub token was stored" in nothing.stdout
    with fake_github(token="good-token") as server:
        env = {"SOLO_UNICORN_GITHUB_API_URL": server.url}
        stored = cli("github", "login", "--token-stdin", env=env, input="good-token\n")
        assert stored.returncode == 0 and "octo" in stored.stdout
        doctor = cli("doctor", "--json", env=env)
        [check] = [c for c in json.loads(doctor.stdout) if c["check"] == "github"]
        assert "octo" in check["detail"] and "scopes: repo, read:org" in check["detail"]
        assert any(r["path"].endswith("/user") for r in server.requests)
    removed = cli("github", "logout")
    assert "removed the GitHub token" in removed.stdout
