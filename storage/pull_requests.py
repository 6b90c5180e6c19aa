"""Pull requests opened for missions (PR mode): the github_pull_requests rows and the mission's
PR badge fields, written together with a timeline event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from storage import validation
from storage.changes import ChangeWriter
from storage.database import Database
from storage.errors import ValidationError
from storage.missions import Origin, apply_update, fetch_mission
from storage.models import GithubPullRequest
from storage.rows import fetch_row
from storage.types import utcnow

prs = GithubPullRequest.__table__
PR_STATUSES = ("open", "closed", "merged")
ERROR_MAX = 2_000


async def record_pull_request(
    db: Database,
    mission_id: str,
    *,
    repository_id: str,
    number: int,
    url: str,
    source_branch: str,
    target_branch: str,
    title: str,
    status: str = "open",
    origin: Origin = "system",
    now: datetime | None = None,
) -> GithubPullRequest:
    """Record an opened pull request (again for the same number: updated, not duplicated)."""
    now = now or utcnow()
    if status not in PR_STATUSES:
        raise ValidationError("status", f"{status!r}: use {', '.join(PR_STATUSES)}")
    async with db.write() as conn:
        mission = await fetch_mission(conn, mission_id)
        writer = ChangeWriter(db, conn)
        existing = (
            (
                await conn.execute(
                    select(prs.c.id).where(
                        prs.c.mission_id == mission_id,
                        prs.c.github_pr_number == number,
                        prs.c.deleted.is_(False),
                    )
                )
            )
            .scalars()
            .first()
        )
        values: dict[str, Any] = {
            "project_repository_id": repository_id,
            "github_pr_url": url,
            "source_branch": source_branch,
            "target_branch": target_branch,
            "title": validation.title(title),
            "status": status,
            "last_synced_at": now,
            "sync_error": None,
        }
        if existing:
            await writer.update(prs, existing, values)
            pr_id = existing
        else:
            row = await writer.insert(
                prs,
                {
                    **values,
                    "organization_id": mission["organization_id"],
                    "mission_id": mission_id,
                    "github_pr_number": number,
                },
            )
            pr_id = row["id"]
        await apply_update(
            writer,
            mission,
            {
                "github_pr_number": number,
                "github_pr_url": url,
                "pr_branch_name": source_branch,
                "last_error": None,
            },
            kind="pr_opened",
            summary=f"pull request #{number} opened: {url}",
            origin=origin,
        )
        return GithubPullRequest(**await fetch_row(conn, prs, pr_id, "pull request"))


async def update_pull_request_status(
    db: Database,
    pr_id: str,
    *,
    status: str | None = None,
    review_status: str | None = None,
    sync_error: str | None = None,
    now: datetime | None = None,
) -> GithubPullRequest:
    """Store a refreshed status (or the error that stopped the refresh)."""
    now = now or utcnow()
    if status is not None and status not in PR_STATUSES:
        raise ValidationError("status", f"{status!r}: use {', '.join(PR_STATUSES)}")
    async with db.write() as conn:
        current = await fetch_row(conn, prs, pr_id, "pull request")
        values: dict[str, Any] = {"last_synced_at": now, "sync_error": sync_error}
        if sync_error is None:
            if status is not None:
                values["status"] = status
            if review_status is not None:
                values["review_status"] = review_status
        writer = ChangeWriter(db, conn)
        changed = await writer.update(prs, pr_id, values)
        if "status" in changed:
            mission = await fetch_mission(conn, current["mission_id"])
            await writer.event(
                mission,
                "pr_status",
                f"pull request #{current['github_pr_number']} {changed['status']}",
                origin="system",
                payload={"before": current["status"], "after": changed["status"]},
            )
        return GithubPullRequest(**await fetch_row(conn, prs, pr_id, "pull request"))


async def record_pr_error(
    db: Database, mission_id: str, message: str, *, origin: Origin = "system"
) -> None:
    """A push or API failure: shown on the mission (``last_error``); the mission stays put."""
    text = " ".join(message.split())[:ERROR_MAX] or "pull request failed"
    async with db.write() as conn:
        mission = await fetch_mission(conn, mission_id)
        await apply_update(
            ChangeWriter(db, conn),
            mission,
            {"last_error": text},
            kind="pr_failed",
            summary=f"pull request not opened: {text}",
            origin=origin,
        )


async def pull_request_for_mission(db: Database, mission_id: str) -> GithubPullRequest | None:
    """The mission's most recent pull request."""
    query = (
        select(prs)
        .where(prs.c.mission_id == mission_id, prs.c.deleted.is_(False))
        .order_by(prs.c.created_at.desc(), prs.c.github_pr_number.desc())
        .limit(1)
    )
    async with db.read() as conn:
        row = (await conn.execute(query)).mappings().first()
    return GithubPullRequest(**dict(row)) if row else None


async def open_pull_requests(db: Database) -> list[GithubPullRequest]:
    """Pull requests still open: the ones whose status is worth refreshing."""
    query = select(prs).where(prs.c.status == "open", prs.c.deleted.is_(False))
    async with db.read() as conn:
        return [GithubPullRequest(**dict(row)) for row in (await conn.execute(query)).mappings()]


async def list_pull_requests(db: Database, *, limit: int = 200) -> list[GithubPullRequest]:
    """Recorded pull requests, newest first."""
    query = (
        select(prs)
        .where(prs.c.deleted.is_(False))
        .order_by(prs.c.created_at.desc(), prs.c.github_pr_number.desc())
        .limit(limit)
    )
    async with db.read() as conn:
        return [GithubPullRequest(**dict(row)) for row in (await conn.execute(query)).mappings()]
