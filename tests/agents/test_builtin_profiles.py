"""The one table of built-in profiles, their launch preparation, and doctor's version check."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from solo_unicorn_tui.cli.doctor import check_agent_versions
from solo_unicorn_tui.home import Home
from solo_unicorn_tui.runtime.agent_profiles import BUILTIN_PROFILES, AgentProfiles
from solo_unicorn_tui.runtime.agents import versions
from solo_unicorn_tui.runtime.agents.launch import (
    add_session_mcp,
    agent_config_dir,
    prepare_launch,
)
from solo_unicorn_tui.runtime.agents.profile import AgentProfile
from tests.support.runtime_fixtures import git, make_repo

BY_NAME = {p.name: p for p in BUILTIN_PROFILES}
PINS = Path(__file__).resolve().parents[1] / "agent_clis"
PROGRAMS = {
    "claude": "@anthropic-ai/claude-code",
    "codex": "@openai/codex",
    "gemini": "@google/gemini-cli",
    "opencode": "opencode-ai",
}


def _pinned() -> dict[str, str]:
    npm = json.loads((PINS / "package.json").read_text())["dependencies"]
    found = {name: npm[package] for name, package in PROGRAMS.items()}
    aider = re.search(r"^aider-chat==(\S+)", (PINS / "requirements-aider.txt").read_text(), re.M)
    assert aider is not None
    found["aider"] = aider.group(1)
    return found


def test_every_builtin_is_verified_at_the_pinned_version_and_never_takes_the_prompt_as_argv():
    pinned = _pinned()
    assert sorted(p.name for p in BUILTIN_PROFILES) == sorted(pinned)
    for profile in BUILTIN_PROFILES:
        assert profile.verified_version == pinned[profile.name], profile.name
        assert versions.verdict(profile, profile.verified_version) is None
        assert "{prompt}" not in profile.argv, profile.name
        assert profile.prompt_stdin or "{prompt_file}" in profile.argv, profile.name
        assert profile.api_key_env in profile.pass_env, profile.name
        # claude keeps its own ~/.claude (its login and resumable sessions live there)
        assert profile.isolated_config == (profile.name != "claude"), profile.name
    resumable = {p.name for p in BUILTIN_PROFILES if p.can_resume}
    assert resumable == {"claude", "codex", "gemini", "opencode"}  # aider has no session id


def test_codex_launch_gets_its_own_home_provider_and_the_worktree_git_folders(tmp_path):
    main = make_repo(tmp_path / "repo")
    worktree = tmp_path / "wt"
    git(main, "worktree", "add", "-q", "-b", "solo-unicorn/x", str(worktree))
    codex = next(p for p in BUILTIN_PROFILES if p.name == "codex")
    argv = codex.render_argv({"worktree": str(worktree), "mission_id": "m1"})
    config = agent_config_dir(tmp_path / "sessions", "m1", "codex")
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "sk-x"}

    argv, env = prepare_launch(codex, argv, env, worktree=worktree, config_dir=config)

    assert argv[:2] == ["codex", "exec"] and argv[-1] == "-"
    added = [argv[i + 1] for i, item in enumerate(argv) if item == "--add-dir"]
    common = main / ".git"
    assert added == [
        str(common / "worktrees" / "wt"),
        str(common / "objects"),
        str(common / "refs"),
        str(common / "logs"),
    ]
    assert env["CODEX_HOME"] == str(config / "codex-home")
    assert 'model_providers.solo_unicorn.base_url="http://127.0.0.1:9/v1"' in argv
    assert not any("sk-x" in item for item in argv)


def test_opencode_aider_and_gemini_configuration_stays_in_the_mission_folder(tmp_path):
    main = make_repo(tmp_path / "repo")
    by_name = {p.name: p for p in BUILTIN_PROFILES}
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "sk-secret"}
    sessions = tmp_path / "sessions"

    _, opencode_env = prepare_launch(
        by_name["opencode"],
        by_name["opencode"].render_argv({"mission_id": "m1"}),
        env,
        worktree=main,
        config_dir=agent_config_dir(sessions, "m1", "opencode"),
    )
    written = Path(opencode_env["OPENCODE_CONFIG"]).read_text()
    assert "sk-secret" not in written and "{env:OPENAI_API_KEY}" in written
    assert (
        json.loads(written)["provider"]["solo_unicorn"]["options"]["baseURL"]
        == env["OPENAI_BASE_URL"]
    )
    assert os.stat(opencode_env["OPENCODE_CONFIG"]).st_mode & 0o077 == 0

    aider_argv, aider_env = prepare_launch(
        by_name["aider"],
        by_name["aider"].render_argv({"prompt_file": "/p.md"}),
        env,
        worktree=main,
        config_dir=agent_config_dir(sessions, "m1", "aider"),
    )
    assert aider_env["OPENAI_API_BASE"] == env["OPENAI_BASE_URL"]
    history = aider_argv[aider_argv.index("--chat-history-file") + 1]
    assert history.startswith(str(sessions))
    assert ".aider*" in (main / ".git" / "info" / "exclude").read_text().splitlines()
    (main / ".aider.tags.cache.v4").mkdir()
    assert git(main, "status", "--porcelain") == ""

    _, gemini_env = prepare_launch(
        by_name["gemini"],
        by_name["gemini"].render_argv({}),
        {},
        worktree=main,
        config_dir=agent_config_dir(sessions, "m1", "gemini"),
    )
    settings = Path(gemini_env["GEMINI_CLI_HOME"]) / ".gemini" / "settings.json"
    assert json.loads(settings.read_text())["telemetry"] == {"enabled": False}


#: What would switch a CLI's permission checks off: claude's and codex's bypass flags, gemini's
#: ``--yolo`` (and ``approval-mode yolo``), claude's bypass permission mode.
UNSAFE = ("yolo", "dangerously", "danger-full-access", "bypasspermissions")


def _launched(profile: AgentProfile, tmp_path: Path) -> tuple[list[str], dict[str, str], str]:
    """A profile's argv and environment as a session starts it (launch preparation and the
    MCP server included), and the text of every configuration file written for it."""
    repo = make_repo(tmp_path / profile.name / "repo")
    home = Home(tmp_path / profile.name / "home")
    config = agent_config_dir(home.sessions_dir, "m1", profile.type)
    values = {"worktree": str(repo), "mission_id": "m1", "prompt_file": "/p.md"}
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "sk-x"}
    argv, env = prepare_launch(
        profile, profile.render_argv(values), env, worktree=repo, config_dir=config
    )
    argv, env = add_session_mcp(
        profile, argv, env, home=home, session_id="s1", mission_id="m1", config_dir=config
    )
    files = sorted(p for p in home.sessions_dir.rglob("*") if p.is_file())
    return argv, env, "\n".join(p.read_text(encoding="utf-8") for p in files)


def test_no_builtin_profile_switches_the_permission_checks_off(tmp_path: Path) -> None:
    launched = {p.name: _launched(p, tmp_path) for p in BUILTIN_PROFILES}
    for name, (argv, env, files) in launched.items():
        everything = " ".join([*argv, *env.values(), files, *BY_NAME[name].env.values()])
        for word in UNSAFE:
            assert word not in everything.lower(), f"{name} has {word!r}"
    # and each safe mode is the one meant (AGENT-CLIS.md)
    gemini_argv = launched["gemini"][0]
    assert gemini_argv[gemini_argv.index("--approval-mode") + 1] == "auto_edit"
    codex_argv = launched["codex"][0]
    assert codex_argv[codex_argv.index("--sandbox") + 1] == "workspace-write"
    opencode = json.loads(Path(launched["opencode"][1]["OPENCODE_CONFIG"]).read_text())
    assert opencode["permission"] == {"edit": "allow", "bash": "deny", "solo-unicorn_*": "allow"}
    claude_argv = launched["claude"][0]
    assert "--permission-mode" not in claude_argv  # its default: ask, i.e. deny in --print
    assert not {"Bash", "Bash(*)"} & set(claude_argv)  # git and our CLI only


@pytest.mark.parametrize(("installed", "warned"), [("0.170.9", "older"), ("0.171.4", None)])
def test_doctor_warns_when_an_installed_cli_is_outside_the_verified_range(
    home: Home, tmp_path, monkeypatch, installed, warned
):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "codex"
    program.write_text(f"#!/bin/sh\necho 'codex-cli {installed}'\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert AgentProfiles.load(home).get("codex").available

    checks = [c for c in check_agent_versions(home) if c.name == "agent codex"]

    if warned is None:
        assert checks == []
    else:
        (check,) = checks
        assert check.warning and f"codex {installed} is {warned} than the verified" in check.detail
        assert ">=0.171.0, <0.172.0" in check.detail
