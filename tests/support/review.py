"""A mission waiting for review with everything the review view shows, all real.

A git repository with a ``main`` branch, the mission's worktree on its own branch with a commit
(fixed author, committer and dates, so the diff is the same on every run), the documents the
agent wrote (solution and tasks), a rejection earlier (so there is previous feedback), and a
session log with colour escapes and bytes that are not UTF-8.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from storage import review as review_ops
from storage.database import Database
from storage.documents import store_mission_documents, task
from storage.identity import Identity
from storage.missions import get_mission
from storage.repositories import link_repository
from storage.sessions import create_session
from storage.worktrees import record_worktree
from tests.support.board import seed_board

MISSION = "Review the sync protocol"
BRANCH = "solo/sync-protocol"
FEEDBACK = "Say what happens when the server is down."
SOLUTION = """# Sync protocol

Push the outbox in **batches of 500**, then pull changes since the last cursor.

- retry with backoff when the server is down
- never drop a local change
"""
TASKS = [
    task(1, "# Batch the outbox\n\nSend at most 500 rows per request."),
    {**task(2, "# Pull since the cursor\n\nStore the cursor after each page."), "done": True},
    task(3, "# Back off on errors"),
]
LOG = (
    b"\x1b[1mstarting agent\x1b[0m\n"
    b"\x1b]0;window title\x07reading the outbox\n"
    b"\x1b[32m3 tests passed\x1b[0m\n"
    b"binary \x00\xff\xfe bytes\n"
    b"plan written to solution.md\n"
)
MAIN_SYNC = "".join(f"def step_{n}():\n    return {n}\n\n" for n in range(1, 6))
BRANCH_SYNC = MAIN_SYNC.replace("return 3", "return retry(3)") + "def retry(n):\n    return n\n"


@dataclass
class ReviewSeed:
    ids: dict[str, str]
    mission_id: str
    repo: Path
    worktree: Path
    log: Path


def git(cwd: Path, *args: str) -> str:
    """Run git with a fixed identity and dates, and no user or system configuration."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Agent",
        "GIT_AUTHOR_EMAIL": "agent@example.com",
        "GIT_COMMITTER_NAME": "Agent",
        "GIT_COMMITTER_EMAIL": "agent@example.com",
        "GIT_AUTHOR_DATE": "2026-01-02T09:00:00+00:00",
        "GIT_COMMITTER_DATE": "2026-01-02T09:00:00+00:00",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def make_repository(root: Path, *, branch_files: dict[str, str] | None = None) -> tuple[Path, Path]:
    """``root/repo`` on main and ``root/wt``, a worktree on BRANCH with one commit."""
    repo, worktree = root / "repo", root / "wt"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "sync.py").write_text(MAIN_SYNC)
    (repo / "README.md").write_text("# App\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "init")
    git(repo, "worktree", "add", "-q", "-b", BRANCH, str(worktree))
    files = branch_files or {"sync.py": BRANCH_SYNC, "docs/protocol.md": "Batches of 500.\n"}
    for name, text in files.items():
        (worktree / name).parent.mkdir(parents=True, exist_ok=True)
        (worktree / name).write_text(text)
    git(worktree, "add", ".")
    git(worktree, "commit", "-q", "-m", "retry the third step")
    return repo, worktree


async def seed_review(
    db: Database,
    identity: Identity,
    root: Path,
    *,
    branch_files: dict[str, str] | None = None,
) -> ReviewSeed:
    ids = await seed_board(db, identity)
    mission_id = ids[MISSION]
    repo, worktree = make_repository(root, branch_files=branch_files)
    link = await link_repository(
        db,
        identity.project_id,
        identity.workstation_id,
        name="app",
        main_path=str(repo),
        default_branch="main",
    )
    assert link.local is not None
    tree = await record_worktree(
        db,
        organization_id=identity.organization_id,
        workstation_repository_id=link.local.id,
        mission_id=mission_id,
        branch=BRANCH,
        base_branch="main",
        worktree_path=str(worktree),
    )
    # An earlier attempt was rejected; the agent tried again and is back in Review.
    await review_ops.reject_mission(db, mission_id, FEEDBACK)
    await store_mission_documents(db, mission_id, solution=SOLUTION, tasks=TASKS)
    log = root / "session.log"
    log.write_bytes(LOG)
    await create_session(
        db,
        await get_mission(db, mission_id),
        code_agent_type="script",
        code_agent_name="script",
        stage="plan",
        worktree_id=tree.id,
        working_directory=str(worktree),
        log_path=str(log),
        prompt_path=None,
        start_reason="test",
    )
    await review_ops.finish_stage(db, mission_id)
    return ReviewSeed(ids, mission_id, repo, worktree, log)
