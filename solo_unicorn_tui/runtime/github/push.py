"""Pushing a mission branch to its remote (PR mode), with failures as one readable line.

GitPython blocks, so async callers use :func:`push_branch_async` (a worker thread). Git never
prompts (``GIT_TERMINAL_PROMPT=0``): a missing credential is an error, not a hung session.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import git

from solo_unicorn_tui.errors import UserError

_CREDENTIALS = re.compile(r"(\w+://)[^/@\s]+@")
_GITHUB_REMOTE = re.compile(
    r"^(?:https?://(?:[^@/]+@)?[^/]+/|ssh://git@[^/]+/|git@[^:]+:)"
    r"(?P<owner>[A-Za-z0-9_.-]+)/(?P<name>[A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)


class PushError(UserError):
    pass


def _redact(text: str) -> str:
    return _CREDENTIALS.sub(r"\1***@", text)


def _reason(error: git.GitCommandError) -> str:
    stderr = error.stderr if isinstance(error.stderr, str) else str(error.stderr or "")
    lines = [
        line.strip().removeprefix("stderr:").strip(" '")
        for line in stderr.splitlines()
        if line.strip() and not line.strip().startswith("hint:")
    ]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:", "!"))]
    return _redact((fatal or lines or [f"git exited with {error.status}"])[-1])


def current_branch(worktree: Path | str) -> str:
    try:
        repo = git.Repo(worktree)
        return repo.active_branch.name
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise PushError(f"{worktree} is not a git worktree") from None
    except TypeError:
        raise PushError(f"{worktree} is on a detached HEAD, not a branch") from None


def push_branch(worktree: Path | str, branch: str, remote: str = "origin") -> None:
    """Push ``branch`` to ``remote`` (same name there) and set it as upstream."""
    try:
        repo = git.Repo(worktree)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise PushError(f"cannot push: {worktree} is not a git worktree") from None
    if remote not in [r.name for r in repo.remotes]:
        raise PushError(
            f"cannot push {branch}: the repository has no remote {remote!r} "
            f"(add one with 'git remote add {remote} URL')"
        )
    try:
        with repo.git.custom_environment(GIT_TERMINAL_PROMPT="0"):
            repo.git.push("--set-upstream", remote, f"refs/heads/{branch}:refs/heads/{branch}")
    except git.GitCommandError as error:
        raise PushError(f"git push of {branch} to {remote} failed: {_reason(error)}") from None


async def push_branch_async(worktree: Path | str, branch: str, remote: str = "origin") -> None:
    await asyncio.to_thread(push_branch, worktree, branch, remote)


def github_slug(worktree: Path | str, remote: str = "origin") -> tuple[str, str] | None:
    """``(owner, name)`` from a GitHub-style remote URL, or None when it is not one."""
    try:
        repo = git.Repo(worktree)
        url = repo.remote(remote).url
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        return None
    return parse_github_remote(url)


def parse_github_remote(url: str) -> tuple[str, str] | None:
    match = _GITHUB_REMOTE.match(url.strip())
    return (match.group("owner"), match.group("name")) if match else None
