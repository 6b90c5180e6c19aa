"""Checks on a local git repository before linking: is git there, is it a repo, which branch."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from solo_unicorn_tui.errors import UserError

if TYPE_CHECKING:  # GitPython is imported lazily: it refuses to import without a git binary
    from git import Repo


@dataclass(frozen=True)
class RepoInfo:
    path: Path
    name: str
    default_branch: str
    origin_url: str | None = None


def require_git() -> str:
    """The git binary's path, or a :class:`UserError` that says how to get it."""
    found = shutil.which("git")
    if not found:
        raise UserError(
            "the git program was not found on PATH; install git (https://git-scm.com) and retry"
        )
    return found


def _import_git() -> ModuleType:
    require_git()
    try:
        import git
    except ImportError as error:  # GitPython refuses to import without a working git binary
        raise UserError(f"git is installed but cannot be used: {error}") from None
    return git


def open_repo(path: Path | str) -> Repo:
    """A GitPython ``Repo`` for ``path`` (its work tree root), or a clear :class:`UserError`."""
    git = _import_git()
    where = Path(path).expanduser()
    if not where.exists():
        raise UserError(f"{where} does not exist; give the path of a local git repository")
    if not where.is_dir():
        raise UserError(f"{where} is not a directory; give the path of a local git repository")
    try:
        repo = git.Repo(where, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise UserError(
            f"{where} is not a git repository; run 'git init' there first or give another path"
        ) from None
    if repo.bare or repo.working_tree_dir is None:
        raise UserError(f"{where} is a bare repository; give the path of a checkout")
    return repo


def detect_default_branch(repo: Repo) -> str:
    """origin's HEAD when there is one, else the checked-out branch, else ``main``."""
    try:
        ref = repo.git.symbolic_ref("refs/remotes/origin/HEAD", quiet=True)
        if ref:
            return ref.rsplit("refs/remotes/origin/", 1)[-1]
    except Exception:
        pass
    try:
        return repo.active_branch.name
    except TypeError:  # detached HEAD
        names = [h.name for h in repo.heads]
        for preferred in ("main", "master"):
            if preferred in names:
                return preferred
        return names[0] if names else "main"


def inspect_repository(path: Path | str) -> RepoInfo:
    """Validate a repository for linking: it must be a checkout with at least one commit."""
    repo = open_repo(path)
    assert repo.working_tree_dir is not None  # open_repo refuses bare repositories
    root = Path(repo.working_tree_dir).resolve()
    try:
        repo.head.commit  # noqa: B018 - raises when there is no commit yet
    except ValueError:
        raise UserError(
            f"{root} has no commits yet; make a first commit so worktrees have a base"
        ) from None
    origin = next((r for r in repo.remotes if r.name == "origin"), None)
    return RepoInfo(
        path=root,
        name=root.name,
        default_branch=detect_default_branch(repo),
        origin_url=next(iter(origin.urls), None) if origin is not None else None,
    )
