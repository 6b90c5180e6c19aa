"""Domain operations on ``git_worktrees``: each mission's worktree on a workstation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from storage.changes import ChangeWriter
from storage.database import Database
from storage.errors import NotFoundError
from storage.models import GitWorktree, WorkstationRepository
from storage.types import utcnow

worktrees = GitWorktree.__table__
ws_repos = WorkstationRepository.__table__


async def record_worktree(
    db: Database,
    *,
    organization_id: str,
    workstation_repository_id: str,
    mission_id: str,
    branch: str,
    base_branch: str,
    worktree_path: str,
) -> GitWorktree:
    """Insert the record of a newly created worktree (status ``ready``, used now)."""
    async with db.write() as conn:
        row = await ChangeWriter(db, conn).insert(
            worktrees,
            {
                "organization_id": organization_id,
                "workstation_repository_id": workstation_repository_id,
                "mission_id": mission_id,
                "branch": branch,
                "base_branch": base_branch,
                "worktree_path": worktree_path,
                "status": "ready",
                "last_used_at": utcnow(),
            },
        )
    return GitWorktree(**row)


async def update_worktree(db: Database, worktree_id: str, **values: Any) -> None:
    async with db.write() as conn:
        exists = (
            await conn.execute(select(worktrees.c.id).where(worktrees.c.id == worktree_id))
        ).scalar_one_or_none()
        if exists is None:
            raise NotFoundError("worktree", worktree_id)
        await ChangeWriter(db, conn).update(worktrees, worktree_id, values)


async def touch_worktree(db: Database, worktree_id: str, *, status: str = "ready") -> None:
    await update_worktree(db, worktree_id, last_used_at=utcnow(), status=status)


async def mark_removed(db: Database, worktree_id: str, when: datetime | None = None) -> None:
    await update_worktree(db, worktree_id, status="removed", removed_at=when or utcnow())


async def list_worktrees(
    db: Database, workstation_id: str, *, include_removed: bool = False
) -> list[GitWorktree]:
    """This workstation's worktrees, most recently used first."""
    query = (
        select(worktrees)
        .join(ws_repos, ws_repos.c.id == worktrees.c.workstation_repository_id)
        .where(ws_repos.c.workstation_id == workstation_id, worktrees.c.deleted.is_(False))
        .order_by(worktrees.c.last_used_at.desc(), worktrees.c.id)
    )
    if not include_removed:
        query = query.where(worktrees.c.removed_at.is_(None))
    async with db.read() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [GitWorktree(**{k: row[k] for k in (c.name for c in worktrees.columns)}) for row in rows]


async def cleanup_script_for(db: Database, workstation_repository_id: str) -> list[str] | None:
    """The repository's ``cleanup_script`` (argv list) for a workstation's checkout of it."""
    from storage.models import ProjectRepository

    project_repos = ProjectRepository.__table__
    async with db.read() as conn:
        script = (
            await conn.execute(
                select(project_repos.c.cleanup_script)
                .join(ws_repos, ws_repos.c.project_repository_id == project_repos.c.id)
                .where(ws_repos.c.id == workstation_repository_id)
            )
        ).scalar_one_or_none()
    return list(script) if script else None


async def mission_worktree(
    db: Database, mission_id: str, workstation_id: str | None
) -> GitWorktree | None:
    """The mission's newest live worktree on this workstation (any workstation when None)."""
    query = (
        select(worktrees)
        .join(ws_repos, ws_repos.c.id == worktrees.c.workstation_repository_id)
        .where(
            worktrees.c.mission_id == mission_id,
            worktrees.c.deleted.is_(False),
            worktrees.c.removed_at.is_(None),
        )
        .order_by(worktrees.c.created_at.desc(), worktrees.c.id.desc())
        .limit(1)
    )
    if workstation_id:
        query = query.where(ws_repos.c.workstation_id == workstation_id)
    async with db.read() as conn:
        row = (await conn.execute(query)).mappings().one_or_none()
    return GitWorktree(**{k: row[k] for k in (c.name for c in worktrees.columns)}) if row else None
