"""Branching from an up-to-date target, and how far a mission's branch is ahead and behind.

Before a new worktree is made the target branch is fetched from the remote, when there is one,
so agents never start from a stale base. Offline, the local ref is used and the caller is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from solo_unicorn_tui.runtime.git_repos import open_repo

if TYPE_CHECKING:
    import git

FETCH_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class BaseRef:
    """The ref to branch from, and a note for the session log when it may be stale."""

    ref: str
    fetched: bool
    note: str | None = None


def _remote_for(repo: git.Repo, branch: str) -> git.Remote | None:
    try:
        tracking = repo.heads[branch].tracking_branch()
    except (IndexError, ValueError):
        tracking = None
    if tracking is not None:
        return repo.remotes[tracking.remote_name]
    if "origin" in [r.name for r in repo.remotes]:
        return repo.remotes["origin"]
    return repo.remotes[0] if repo.remotes else None


def refresh_target(repo_path: Path, target: str) -> BaseRef:
    import git

    repo = open_repo(repo_path)
    remote = _remote_for(repo, target)
    if remote is None:
        return BaseRef(target, fetched=False)
    try:
        repo.git.fetch(remote.name, target, kill_after_timeout=FETCH_TIMEOUT_SECONDS)
    except git.GitCommandError as error:
        lines = (error.stderr or str(error)).strip().splitlines()
        reason = lines[-1] if lines else "error"
        return BaseRef(
            target,
            fetched=False,
            note=f"could not fetch {target} from {remote.name} ({reason}); "
            f"branching from the local {target}, which may be behind",
        )
    return BaseRef(f"{remote.name}/{target}", fetched=True)


def ahead_behind(repo_path: Path, branch: str, target_ref: str) -> tuple[int, int] | None:
    """(commits on ``branch`` not in ``target_ref``, commits on ``target_ref`` not in
    ``branch``); None when either is unknown."""
    import git

    repo = open_repo(repo_path)
    try:
        counts = repo.git.rev_list("--left-right", "--count", f"{branch}...{target_ref}").split()
        return int(counts[0]), int(counts[1])
    except (git.GitCommandError, ValueError, IndexError):
        return None


def commits_behind(repo_path: Path, branch: str, target_ref: str) -> int | None:
    """Commits on ``target_ref`` that ``branch`` does not have; None when either is unknown."""
    counts = ahead_behind(repo_path, branch, target_ref)
    return None if counts is None else counts[1]
