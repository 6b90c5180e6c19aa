"""Bringing GitHub's side of a pull request back: its state, reviews, checks and comments, and
the board's "merge PR".

A refresh asks for the pull request with its stored ETag; a 304 (nothing changed, free on
GitHub's rate limit) only stamps the sync time. Otherwise the reviews, review comments,
conversation comments and the head commit's checks are read too, stored
(:func:`storage.pull_requests.record_refresh`, :func:`storage.pr_comments.store_comments`), and
a merged or closed pull request moves its mission. A rate limit stops the round: the pull
request that hit it records the one-line reason, the rest wait for the next round.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.runtime.github.client import GitHubClient, GitHubError, GitHubRateLimited
from solo_unicorn_tui.runtime.github.pr_mode import github_names
from storage import pr_comments, pull_requests
from storage.database import Database
from storage.identity import get_project
from storage.missions import get_mission
from storage.models import GithubPullRequest
from storage.repositories import project_repository


@dataclass(frozen=True)
class RefreshReport:
    refreshed: int = 0
    failed: int = 0
    rate_limited: str | None = None
    """The one-line report when GitHub's rate limit stopped the round."""


def review_decision(reviews: Iterable[dict[str, Any]]) -> tuple[str, int, int]:
    """``(review_status, approvals, changes requested)`` from each reviewer's latest verdict."""
    latest: dict[str, str] = {}
    for review in reviews:
        state = str(review.get("state") or "").upper()
        who = str((review.get("user") or {}).get("login") or review.get("id"))
        if state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[who] = state
    approved = sum(1 for s in latest.values() if s == "APPROVED")
    changes = sum(1 for s in latest.values() if s == "CHANGES_REQUESTED")
    if changes:
        return "changes_requested", approved, changes
    if approved:
        return "approved", approved, changes
    if latest and all(s == "DISMISSED" for s in latest.values()):
        return "dismissed", 0, 0
    return "pending", 0, 0


async def refresh_pull_request(
    db: Database, pr: GithubPullRequest, client: GitHubClient, owner: str, name: str
) -> GithubPullRequest:
    """Fetch the pull request's state and comments from GitHub and store them (or the error).

    :class:`GitHubRateLimited` is recorded and raised again, so a round stops at it.
    """
    try:
        current, etag = await client.pull_request_if_changed(
            owner, name, pr.github_pr_number, pr.etag
        )
        if current is None:
            return await pull_requests.record_not_modified(db, pr.id)
        reviews = await client.reviews(owner, name, pr.github_pr_number)
        comments = await client.comments(owner, name, pr.github_pr_number, reviews)
        checks = (
            await client.checks_status(owner, name, current.head_sha) if current.head_sha else None
        )
    except GitHubRateLimited as limited:
        await pull_requests.update_pull_request_status(db, pr.id, sync_error=str(limited))
        raise
    except GitHubError as error:
        return await pull_requests.update_pull_request_status(db, pr.id, sync_error=str(error))
    status, approved, changes = review_decision(reviews)
    await pr_comments.store_comments(db, pr.id, comments)
    return await pull_requests.record_refresh(
        db,
        pr.id,
        pull_requests.PrState(
            status=current.status,
            mergeable=current.mergeable,
            mergeable_state=current.mergeable_state,
            review_status=status,
            approved_reviews_count=approved,
            changes_requested_count=changes,
            checks_status=checks,
            head_sha=current.head_sha,
            etag=etag,
            merged_at=current.merged_at,
            closed_at=current.closed_at,
        ),
    )


async def _names_or_error(db: Database, pr: GithubPullRequest) -> tuple[str, str] | None:
    repo = await project_repository(db, pr.project_repository_id)
    names = github_names(repo)
    if names is None:
        label = repo.name if repo else "NAME"
        await pull_requests.update_pull_request_status(
            db,
            pr.id,
            sync_error=f"repository {label} has no GitHub owner/name; run 'solo-unicorn repo set "
            f"{label} --github OWNER/NAME'",
        )
    return names


async def refresh_open_pull_requests(
    db: Database, github: Callable[[], GitHubClient]
) -> RefreshReport:
    """Refresh every open or draft pull request; stops at a rate limit.

    ``github`` makes the client only when there is something open to ask about, so no token is
    needed while nothing is open. A pull request whose repository names no GitHub repository
    records that as its sync error (and how to fix it).
    """
    open_now = await pull_requests.open_pull_requests(db)
    if not open_now:
        return RefreshReport()
    refreshed = failed = 0
    async with github() as client:
        for pr in open_now:
            names = await _names_or_error(db, pr)
            if names is None:
                failed += 1
                continue
            try:
                after = await refresh_pull_request(db, pr, client, *names)
            except GitHubRateLimited as limited:
                return RefreshReport(refreshed, failed, str(limited))
            if after.sync_error:
                failed += 1
            else:
                refreshed += 1
    return RefreshReport(refreshed, failed)


async def github_feedback(db: Database, mission_id: str) -> str | None:
    """Rejection feedback from the GitHub comments since the mission's last review decision."""
    pr = await pull_requests.pull_request_for_mission(db, mission_id)
    if pr is None:
        return None
    mission = await get_mission(db, mission_id)
    return pr_comments.feedback_from_comments(
        pr, mission, await pr_comments.list_comments(db, pr.id)
    )


async def merge_pull_request(
    db: Database, mission_id: str, client: GitHubClient
) -> GithubPullRequest:
    """Merge the mission's pull request with the project's strategy, delete its branch when the
    project says so, and refresh it (a merged pull request moves the mission to Done)."""
    pr = await pull_requests.pull_request_for_mission(db, mission_id)
    if pr is None:
        raise UserError(f"mission {mission_id} has no pull request to merge")
    if pr.status == "merged":
        raise UserError(f"pull request #{pr.github_pr_number} is already merged")
    names = await _names_or_error(db, pr)
    if names is None:
        raise UserError(pr.sync_error or "the repository has no GitHub owner/name")
    project = await get_project(db, (await get_mission(db, mission_id)).project_id)
    await client.merge_pull_request(
        *names, pr.github_pr_number, method=project.pr_merge_strategy or "squash"
    )
    if project.pr_delete_branch_after_merge:
        try:
            await client.delete_branch(*names, pr.source_branch)
        except GitHubError as error:
            if error.status not in (404, 422):  # already gone (GitHub's own auto-delete)
                raise
    fresh = await pull_requests.pull_request_for_mission(db, mission_id)
    assert fresh is not None
    return await refresh_pull_request(db, fresh, client, *names)
