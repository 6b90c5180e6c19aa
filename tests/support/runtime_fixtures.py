"""Helpers for runtime tests: a real git repository and a script-agent profile."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from solo_unicorn_tui.runtime.agent_profiles import AgentProfile, AgentProfiles

SCRIPT_AGENT = Path(__file__).with_name("script_agent.py")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def make_repo(path: Path, branch: str = "main") -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", branch)
    git(path, "config", "user.name", "Test")
    git(path, "config", "user.email", "test@example.com")
    git(path, "config", "commit.gpgsign", "false")
    (path / "README.md").write_text("hello\n")
    git(path, "add", "README.md")
    git(path, "commit", "-q", "-m", "initial")
    return path


def agent_argv(mode: str, extra: str | None = None) -> list[str]:
    argv = [sys.executable, str(SCRIPT_AGENT), mode, "{prompt_file}", "{mission_id}"]
    return [*argv, extra] if extra else argv


def script_profile(
    mode: str, *, name: str = "script", timeout: float = 60.0, extra: str | None = None, **kw
) -> AgentProfile:
    return AgentProfile(name=name, argv=agent_argv(mode, extra), timeout_seconds=timeout, **kw)


def install_profile(profiles_home, profile: AgentProfile) -> AgentProfiles:  # type: ignore[no-untyped-def]
    profiles = AgentProfiles.load(profiles_home)
    profiles.add(profile, make_default=True)
    profiles.save()
    return profiles
