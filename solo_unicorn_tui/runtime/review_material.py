"""What a person looks at to review a mission: documents, the branch's diff, the session log.

Headless: :func:`gather_review` collects it all for the review view (git and file reads run in a
worker thread). Everything is capped, so a huge diff or log never stalls the screen.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import git

from storage.database import Database
from storage.missions import get_mission, list_events
from storage.models import Mission, MissionEvent

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


@dataclass(frozen=True)
class ReviewMaterial:
    mission: Mission
    diff: BranchDiff | None
    """None when the mission has no worktree here."""
    log: str
    reviews: list[MissionEvent]
    """Earlier review decisions (rejections carry the feedback), oldest first."""


async def gather_review(
    db: Database,
    mission_id: str,
    worktree: Path | str | None = None,
    log_path: Path | str | None = None,
    base_branch: str | None = None,
) -> ReviewMaterial:
    """Solution and tasks (on the mission), the branch diff, the session log and past reviews.

    The diff is against the mission's target branch, else ``base_branch`` (where its worktree
    branched from), else ``main``.
    """
    mission = await get_mission(db, mission_id)
    events = await list_events(db, mission_id)
    target = mission.target_branch or base_branch or "main"
    diff = await asyncio.to_thread(branch_diff, worktree, target) if worktree else None
    log = await asyncio.to_thread(log_tail, log_path)
    reviews = [
        e
        for e in events
        if e.kind == "rejected"
        or (e.kind in ("stage", "done") and e.summary.startswith("approved"))
    ]
    return ReviewMaterial(mission, diff, log, reviews)
