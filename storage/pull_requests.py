"""Pull requests opened for missions (PR mode): the github_pull_requests rows and the mission's
PR badge fields, written together with a timeline event; what a refresh learns (state, reviews,
checks) and what it means for the mission (merged → Done, closed unmerged → back to Review).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from storage import validation
from storage.changes import ChangeWriter
from storage.database import Database
from storage.errors import ValidationError
from storage.missions import Origin, apply_update, end_of_list, fetch_mission
from storage.models import GithubPullRequest, Mission
from storage.rows import fetch_row
from storage.types import utcnow

prs = GithubPullRequest.__table__
PR_STATUSES = ("open", "draft", "closed", "merged")
#: Statuses a refresh still asks GitHub about.
LIVE_STATUSES = ("open", "draft")
ERROR_MAX = 2_000


@dataclass(frozen=True)
class PrState:
    """What one refresh learned about a pull request (GitHub's answer, already interpreted)."""

    status: str
    mergeable: bool | None = None
    mergeable_state: str | None = None
    review_status: str | None = None
    approved_reviews_count: int = 0
    changes_requested_count: int = 0
    checks_status: str | None = None
    head_sha: str | None = None
    etag: str | None = None
    merged_at: datetime | None = None
    closed_at: datetime | None = None


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


async def record_pr_pushed(db: Database, pr_id: str, *, origin: Origin = "system") -> None:
    """New commits pushed to a pull request that is already open (after review feedback)."""
    async with db.write() as conn:
        pr = await fetch_row(conn, prs, pr_id, "pull request")
        mission = await fetch_mission(conn, pr["mission_id"])
        writer = ChangeWriter(db, conn)
        await writer.update(Mission.__table__, mission["id"], {"last_error": None})
        await writer.event(
            mission,
            "pr_pushed",
            f"pushed new commits to pull request #{pr['github_pr_number']}",
            origin=origin,
        )


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
    """Pull requests still open (or draft): the ones whose status is worth refreshing."""
    query = select(prs).where(prs.c.status.in_(LIVE_STATUSES), prs.c.deleted.is_(False))
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


async def record_refresh(
    db: Database, pr_id: str, state: PrState, *, now: datetime | None = None
) -> GithubPullRequest:
    """Store a refreshed pull request and move its mission when GitHub decided for it.

    Merged: the mission is Done (event ``pr_merged``). Closed without merging: the mission goes
    back to Review with a note on ``last_error`` (event ``pr_closed``), for a person to decide.
    A status change alone (draft → open) is a ``pr_status`` event.
    """
    if state.status not in PR_STATUSES:
        raise ValidationError("status", f"{state.status!r}: use {', '.join(PR_STATUSES)}")
    values: dict[str, Any] = {
        "status": state.status,
        "mergeable": state.mergeable,
        "mergeable_state": state.mergeable_state,
        "review_status": state.review_status,
        "approved_reviews_count": state.approved_reviews_count,
        "changes_requested_count": state.changes_requested_count,
        "checks_status": state.checks_status,
        "head_sha": state.head_sha,
        "etag": state.etag,
        "github_merged_at": state.merged_at,
        "github_closed_at": state.closed_at,
        "last_synced_at": now or utcnow(),
        "sync_error": None,
    }
    async with db.write() as conn:
        current = await fetch_row(conn, prs, pr_id, "pull request")
        writer = ChangeWriter(db, conn)
        changed = await writer.update(prs, pr_id, values)
        if "status" in changed:
            await _status_changed(writer, current, changed["status"])
        return GithubPullRequest(**await fetch_row(conn, prs, pr_id, "pull request"))


async def _status_changed(writer: ChangeWriter, pr: dict[str, Any], status: str) -> None:
    mission = await fetch_mission(writer.conn, pr["mission_id"])
    label = f"pull request #{pr['github_pr_number']}"
    payload = {"before": pr["status"], "after": status}
    if status == "merged" and mission["list"] != "done":
        await apply_update(
            writer,
            mission,
            {
                "list": "done",
                "list_order": await end_of_list(writer.conn, mission["project_id"], "done"),
                "completed_at": utcnow(),
                "last_error": None,
            },
            kind="pr_merged",
            summary=f"{label} merged on GitHub; mission done",
            origin="system",
        )
    elif status == "closed" and mission["list"] != "review":
        note = f"{label} was closed on GitHub without merging; decide what to do with it"
        await apply_update(
            writer,
            mission,
            {
                "list": "review",
                "list_order": await end_of_list(writer.conn, mission["project_id"], "review"),
                "review_status": "pending",
                "review_requested_at": utcnow(),
                "completed_at": None,
                "last_error": note,
            },
            kind="pr_closed",
            summary=note,
            origin="system",
        )
    else:
        await writer.event(
            mission, "pr_status", f"{label} {status}", origin="system", payload=payload
        )


async def record_not_modified(
    db: Database, pr_id: str, *, now: datetime | None = None
) -> GithubPullRequest:
    """GitHub answered 304 for the stored ETag: only the sync time (and a cleared error)."""
    async with db.write() as conn:
        await ChangeWriter(db, conn).update(
            prs, pr_id, {"last_synced_at": now or utcnow(), "sync_error": None}
        )
        return GithubPullRequest(**await fetch_row(conn, prs, pr_id, "pull request"))
