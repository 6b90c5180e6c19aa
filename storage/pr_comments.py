"""Review comments of pull requests (``github_pr_comments``) and the feedback made from them.

A refresh stores every review comment (on a file and line), review body and conversation
comment it sees; the row id is derived from the pull request and GitHub's comment id, so a
second refresh — on this replica or another — updates the same row instead of adding one.
:func:`feedback_from_comments` turns the comments a reviewer left since the mission's last
review decision into rejection feedback the next agent session reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from storage.changes import ChangeWriter
from storage.database import Database
from storage.models import GithubPrComment, GithubPullRequest, Mission
from storage.rows import fetch_row

comments = GithubPrComment.__table__
KINDS = ("review_comment", "review", "comment")
BODY_MAX = 20_000
FEEDBACK_MAX = 19_000


@dataclass(frozen=True)
class CommentData:
    """One comment as GitHub sent it."""

    github_id: int
    kind: str
    body: str
    author: str | None = None
    path: str | None = None
    line: int | None = None
    review_state: str | None = None
    created_at: datetime | None = None


def comment_row_id(pull_request_id: str, kind: str, github_id: int) -> str:
    digest = hashlib.sha256(f"{pull_request_id}\0{kind}\0{github_id}".encode()).hexdigest()
    return f"ghcomment_{digest[:30]}"


async def store_comments(db: Database, pr_id: str, fetched: Iterable[CommentData]) -> int:
    """Insert new comments and update edited ones; returns how many were new."""
    added = 0
    async with db.write() as conn:
        pr = await fetch_row(conn, GithubPullRequest.__table__, pr_id, "pull request")
        writer = ChangeWriter(db, conn)
        for comment in fetched:
            if comment.kind not in KINDS:
                raise ValueError(f"unknown comment kind {comment.kind!r}")
            row_id = comment_row_id(pr_id, comment.kind, comment.github_id)
            values: dict[str, Any] = {
                "author": comment.author,
                "path": comment.path,
                "line": comment.line,
                "body": comment.body[:BODY_MAX],
                "review_state": comment.review_state,
                "github_created_at": comment.created_at,
                "deleted": False,
            }
            exists = (
                await conn.execute(select(comments.c.id).where(comments.c.id == row_id))
            ).first()
            if exists is None:
                await writer.insert(
                    comments,
                    {
                        "id": row_id,
                        "organization_id": pr["organization_id"],
                        "pull_request_id": pr_id,
                        "mission_id": pr["mission_id"],
                        "github_comment_id": comment.github_id,
                        "kind": comment.kind,
                        **values,
                    },
                )
                added += 1
            else:
                await writer.update(comments, row_id, values)
    return added


async def list_comments(db: Database, pr_id: str) -> list[GithubPrComment]:
    """The pull request's comments, oldest first."""
    query = (
        select(comments)
        .where(comments.c.pull_request_id == pr_id, comments.c.deleted.is_(False))
        .order_by(comments.c.github_created_at, comments.c.github_comment_id)
    )
    async with db.read() as conn:
        return [GithubPrComment(**dict(row)) for row in (await conn.execute(query)).mappings()]


def _quoted(body: str) -> str:
    return "\n".join("> " + line if line else ">" for line in body.strip().splitlines())


def feedback_from_comments(
    pr: GithubPullRequest, mission: Mission, stored: list[GithubPrComment]
) -> str | None:
    """Rejection feedback quoting what reviewers said on GitHub since the last review decision.

    File comments are quoted under ``path:line``; review bodies and conversation comments under
    their author. None when nobody said anything new.
    """
    since = mission.review_completed_at
    fresh = [
        c
        for c in stored
        if c.body.strip()
        and (since is None or c.github_created_at is None or c.github_created_at > since)
    ]
    if not fresh:
        return None
    lines = [
        f"Reviewers asked for changes on pull request #{pr.github_pr_number} ({pr.github_pr_url}).",
        "Address each comment below:",
    ]
    for comment in fresh:
        who = comment.author or "a reviewer"
        if comment.kind == "review_comment" and comment.path:
            where = f"{comment.path}:{comment.line}" if comment.line else comment.path
            lines.append(f"\n{where} ({who}):\n{_quoted(comment.body)}")
        else:
            lines.append(f"\n{who}:\n{_quoted(comment.body)}")
    text = "\n".join(lines)
    return text if len(text) <= FEEDBACK_MAX else text[: FEEDBACK_MAX - 1] + "…"
