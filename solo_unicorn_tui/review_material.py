"""What a person looks at to review a mission: documents, the branch's diff, the session log.

Headless and blocking (GitPython, file reads): the board calls :func:`gather_review` from a
worker thread. Everything is capped, so a huge diff or log never stalls the screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git

DIFF_MAX_CHARS = 200_000
LOG_TAIL_BYTES = 64_000


@dataclass(frozen=True)
class BranchDiff:
    stat: str
    patch: str
    truncated: bool
    error: str | None = None


def branch_diff(
    worktree: Path | str, target_branch: str, limit: int = DIFF_MAX_CHARS
) -> BranchDiff:
    """The diff of the worktree's branch (committed and not) against where it left the target.

    Uses the merge base, so work that landed on the target since does not show as removed.
    """
    try:
        repo = git.Repo(worktree)
        base = repo.git.merge_base(target_branch, "HEAD")
        stat = repo.git.diff(base, "--stat")
        patch = repo.git.diff(base)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return BranchDiff("", "", False, f"{worktree} is not a git worktree")
    except git.GitCommandError as error:
        reason = (str(error.stderr) or "").strip().splitlines()
        return BranchDiff(
            "", "", False, f"cannot diff against {target_branch}: {reason[-1] if reason else error}"
        )
    truncated = len(patch) > limit
    return BranchDiff(stat, patch[:limit], truncated)


def log_tail(path: Path | str | None, limit: int = LOG_TAIL_BYTES) -> str:
    """The end of a session log (invalid UTF-8 replaced); empty when there is none."""
    if not path:
        return ""
    try:
        with Path(path).open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            data = handle.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    if size > limit and "\n" in text:
        text = text.split("\n", 1)[1]
    return text
