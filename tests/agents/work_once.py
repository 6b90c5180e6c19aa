"""A mission run by ``solo-unicorn work --once`` (a real process) with a real agent CLI.

The agent's profile is the built-in one with its program replaced by the CLI found by
:mod:`.cli_paths` (and test-only extra arguments); the model is the stand-in at ``base_url``.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from solo_unicorn_tui.home import Home
from solo_unicorn_tui.runtime.agent_profiles import AgentProfile
from tests.agents.openai_harness import API_KEY
from tests.support.runtime_fixtures import install_profile, make_repo


@dataclass
class Setup:
    repo: Path
    env: dict[str, str]
    mission_id: str


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def set_up(
    cli,  # type: ignore[no-untyped-def]
    home: Home,
    tmp_path: Path,
    profile: AgentProfile,
    program: Path,
    base_url: str,
    extra_argv: list[str] | None = None,
) -> Setup:
    user_home = tmp_path / "user-home"
    user_home.mkdir()
    (user_home / ".gitconfig").write_text(
        "[user]\n\tname = Agent\n\temail = agent@example.com\n[commit]\n\tgpgsign = false\n"
    )
    repo = make_repo(tmp_path / "repo")
    assert cli("repo", "add", str(repo), "--name", "app").returncode == 0
    argv = [str(program), *profile.argv[1:]]
    if extra_argv:
        at = len(argv) - 1 if argv[-1] == "-" else len(argv)
        argv[at:at] = extra_argv
    install_profile(home, profile.model_copy(update={"argv": argv, "builtin": False}))
    env = {"HOME": str(user_home), "OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": f"{base_url}/v1"}
    # One stage, one agent session per mission: the real CLIs take seconds to start.
    flow = _json(cli("flow", "add", "--name", "one", "--stages", "code!", "--json"))
    assert cli("flow", "default", flow["id"]).returncode == 0
    mission = _json(
        cli("mission", "add", "--title", "Say hello", "--ready", "--repo", "app", "--json")
    )
    return Setup(repo, env, mission["id"])


def sessions(home: Home) -> list[dict[str, Any]]:
    db = sqlite3.connect(home.root / "replica.db")
    db.row_factory = sqlite3.Row
    rows = db.execute("SELECT * FROM code_agent_sessions ORDER BY started_at, id").fetchall()
    db.close()
    return [dict(r) for r in rows]


def rate_limits(home: Home) -> list[dict[str, Any]]:
    db = sqlite3.connect(home.root / "replica.db")
    db.row_factory = sqlite3.Row
    rows = db.execute("SELECT * FROM code_agent_rate_limits").fetchall()
    db.close()
    return [dict(r) for r in rows]


def mission(cli, mission_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return _json(cli("mission", "show", mission_id, "--json"))


def worktree(cli) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    (only,) = _json(cli("worktree", "list", "--json"))
    return only
