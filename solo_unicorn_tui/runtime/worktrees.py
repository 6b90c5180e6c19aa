"""Git worktrees for missions (GitPython; blocking: call from a thread when on an event loop).

One worktree per mission and repository, on branch ``solo-unicorn/{short-id}-{slug}`` at
``{workspace}/{repo}-{branch-slug}``. Mission titles are user input, so every name is reduced to
``[a-z0-9-]`` and the final path is checked to lie inside the workspace.
"""

from __future__ import annotations

import contextlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.runtime.git_repos import open_repo
from storage.ids import short_id

if TYPE_CHECKING:
    from git import Repo

BRANCH_PREFIX = "solo-unicorn/"
SLUG_LIMIT = 40


def safe_slug(text: str, limit: int = SLUG_LIMIT) -> str:
    """``[a-z0-9]`` words joined by ``-``: no dots, slashes, spaces or shell characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in ascii_text.lower()).split()
    slug = "-".join(words)[:limit].strip("-")
    return slug or "mission"


def branch_name(mission_id: str, title: str) -> str:
    return f"{BRANCH_PREFIX}{safe_slug(short_id(mission_id), 12)}-{safe_slug(title)}"


def worktree_path(workspace: Path, repo_name: str, branch: str) -> Path:
    root = workspace.resolve()
    path = (root / f"{safe_slug(repo_name, 40)}-{safe_slug(branch, 80)}").resolve()
    if path.parent != root:
        raise UserError(f"worktree path {path} would fall outside the workspace {root}")
    return path


@dataclass(frozen=True)
class WorktreeInfo:
    path: Path
    branch: str
    base_branch: str
    created: bool


@dataclass(frozen=True)
class WorktreeStatus:
    exists: bool
    dirty: bool
    unpushed: int
    branch: str | None


def _is_worktree_of(repo: Repo, path: Path) -> bool:
    listing = repo.git.worktree("list", "--porcelain")
    return any(
        line == f"worktree {path}" for line in listing.splitlines() if line.startswith("worktree ")
    )


def ensure_worktree(
    repo_path: Path | str,
    workspace: Path,
    repo_name: str,
    mission_id: str,
    title: str,
    base_branch: str,
    existing: tuple[Path, str] | None = None,
) -> WorktreeInfo:
    """The mission's worktree: reuse ``existing`` (path, branch) when still there, else create."""
    repo = open_repo(repo_path)
    if existing is not None:
        path, branch = Path(existing[0]), existing[1]
        if path.is_dir() and _is_worktree_of(repo, path.resolve()):
            return WorktreeInfo(path.resolve(), branch, base_branch, created=False)
    # A worktree removed by cleanup comes back on the branch it had, whatever the title is now.
    branch = existing[1] if existing is not None else branch_name(mission_id, title)
    workspace.mkdir(parents=True, exist_ok=True)
    path = worktree_path(workspace, repo_name, branch)
    repo.git.worktree("prune")
    if path.exists():
        if _is_worktree_of(repo, path):
            return WorktreeInfo(path, branch, base_branch, created=False)
        raise UserError(f"{path} already exists and is not a worktree of {repo_path}; move it away")
    import git

    try:
        if branch in [h.name for h in repo.heads]:
            repo.git.worktree("add", str(path), branch)
        else:
            repo.git.worktree("add", "-b", branch, str(path), base_branch)
    except git.GitCommandError as error:
        detail = (error.stderr or "").strip().splitlines()
        raise UserError(
            f"cannot create worktree {path} from {base_branch!r}: {detail[-1] if detail else error}"
        ) from None
    return WorktreeInfo(path, branch, base_branch, created=True)


def discard_new_worktree(
    repo_path: Path | str, info: WorktreeInfo, *, branch_existed: bool
) -> None:
    """Undo :func:`ensure_worktree` after a failed set-up: no half-made worktree stays behind."""
    repo = open_repo(repo_path)
    import git

    with contextlib.suppress(git.GitCommandError):
        repo.git.worktree("remove", "--force", str(info.path))
    repo.git.worktree("prune")
    if not branch_existed:
        with contextlib.suppress(git.GitCommandError):
            repo.git.branch("-D", info.branch)


def branch_exists(repo_path: Path | str, branch: str) -> bool:
    return branch in [h.name for h in open_repo(repo_path).heads]


def head_commit(path: Path | str) -> str:
    return open_repo(path).head.commit.hexsha


def changes_since(path: Path | str, base_commit: str) -> tuple[list[str], list[dict[str, str]]]:
    """Files changed (committed, staged, unstaged and untracked) and commits made since a commit."""
    repo = open_repo(path)
    files = set(repo.git.diff("--name-only", base_commit).splitlines())
    files.update(repo.untracked_files)
    commits = [
        {"sha": c.hexsha, "summary": str(c.summary)}
        for c in repo.iter_commits(f"{base_commit}..HEAD")
    ]
    commits.reverse()
    return sorted(f for f in files if f), commits


def worktree_status(path: Path | str, base_branch: str | None) -> WorktreeStatus:
    """Dirty = uncommitted changes; unpushed = commits on neither a remote nor the base branch."""
    where = Path(path)
    if not where.is_dir():
        return WorktreeStatus(False, False, 0, None)
    try:
        repo = open_repo(where)
    except UserError:
        return WorktreeStatus(False, False, 0, None)
    dirty = repo.is_dirty(untracked_files=True)
    exclude = ["--remotes"]
    if base_branch and base_branch in [h.name for h in repo.heads]:
        exclude.append(base_branch)
    unpushed = int(repo.git.rev_list("--count", "HEAD", "--not", *exclude) or 0)
    try:
        branch = repo.active_branch.name
    except TypeError:
        branch = None
    return WorktreeStatus(True, dirty, unpushed, branch)


def remove_worktree(
    repo_path: Path | str, path: Path | str, base_branch: str | None, *, force: bool = False
) -> None:
    """Remove a worktree (the branch stays); refuse when it holds work, unless forced."""
    where = Path(path)
    check_removable(where, base_branch, force=force)
    repo = open_repo(repo_path)
    if where.exists():
        repo.git.worktree("remove", "--force", str(where))
    repo.git.worktree("prune")


def check_removable(where: Path, base_branch: str | None, *, force: bool = False) -> None:
    """Raise a UserError when removing the worktree would lose work (unless forced)."""
    status = worktree_status(where, base_branch)
    if status.exists and not force:
        if status.dirty:
            raise UserError(f"{where} has uncommitted changes; commit them or use --force")
        if status.unpushed:
            raise UserError(
                f"{where} has {status.unpushed} commit(s) not pushed or merged; "
                "push them or use --force"
            )
