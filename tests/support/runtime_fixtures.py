"""Helpers for runtime tests: a real git repository, a script-agent profile, a linked runtime."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from solo_unicorn_tui.runtime.agent_profiles import AgentProfile, AgentProfiles
from solo_unicorn_tui.runtime.core import Runtime
from solo_unicorn_tui.runtime.git_repos import inspect_repository
from solo_unicorn_tui.workspace import Workspace
from storage.repositories import RepositoryLink, link_repository

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


async def link_repo(
    workspace: Workspace, repo: Path, *, name: str = "app", max_concurrent: int = 1
) -> RepositoryLink:
    """Link ``repo`` to the workspace's project on its workstation (default branch detected)."""
    info = inspect_repository(repo)
    return await link_repository(
        workspace.db,
        workspace.project_id,
        workspace.identity.workstation_id,
        name=name,
        main_path=str(info.path),
        default_branch=info.default_branch,
        max_concurrent_missions=max_concurrent,
    )


def default_profile(
    workspace: Workspace, profile: AgentProfile, *, save: bool = False
) -> AgentProfiles:
    """The workspace's profiles with ``profile`` added as the default (saved when asked)."""
    profiles = AgentProfiles.load(workspace.home)
    profiles.add(profile, make_default=True)
    if save:
        profiles.save()
    return profiles


async def linked_runtime(
    workspace: Workspace,
    repo: Path,
    profile: AgentProfile,
    *,
    name: str = "app",
    max_concurrent: int = 1,
    kill_grace: float = 5.0,
) -> Runtime:
    """The one set-up most runtime tests share: link a repository, add a profile, a runtime."""
    await link_repo(workspace, repo, name=name, max_concurrent=max_concurrent)
    return Runtime.from_workspace(
        workspace,
        profiles=default_profile(workspace, profile),
        kill_grace_seconds=kill_grace,
        poll_seconds=0.2,
    )
