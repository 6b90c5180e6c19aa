"""PR mode: after a mission's code stage, push its branch and open a pull request.

Headless (no Textual) so the runtime calls it after a session and tests call it directly. A
failure (push refused, GitHub error, network down) is recorded on the mission as ``last_error``
with a ``pr_failed`` event; the mission stays where it is (Review), nothing is lost, and a later
call retries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.runtime.github.client import GitHubClient, GitHubError
from solo_unicorn_tui.runtime.github.push import current_branch, github_slug, push_branch_async
from storage import pull_requests
from storage.database import Database
from storage.missions import get_mission
from storage.models import GithubPullRequest, Mission, ProjectRepository
from storage.repositories import project_repository

BODY_SOLUTION_MAX = 20_000


@dataclass(frozen=True)
class PrOutcome:
    pull_request: GithubPullRequest | None
    error: str | None


def wants_pull_request(mission: Mission, stage_finished: str) -> bool:
    """PR mode applies after the code stage of a mission whose ``pr_mode`` is not disabled."""
    return mission.pr_mode in ("enabled", "auto") and stage_finished == "code"


def pull_request_body(mission: Mission) -> str:
    parts = [mission.description or ""]
    if mission.solution:
        parts.append("## Solution\n\n" + mission.solution[:BODY_SOLUTION_MAX])
    parts.append(f"---\nSolo Unicorn mission `{mission.id}`")
    return "\n\n".join(p for p in parts if p.strip())


def _github_names(repo: ProjectRepository | None) -> tuple[str, str] | None:
    """``(owner, name)`` when the project repository names its GitHub repository."""
    if repo is None or not repo.github_owner or not repo.github_name:
        return None
    return repo.github_owner, repo.github_name


async def open_pull_request(
    db: Database,
    mission_id: str,
    worktree: Path | str,
    client: GitHubClient,
    *,
    remote: str = "origin",
) -> PrOutcome:
    """Push the worktree's branch and open (and record) its pull request."""
    mission = await get_mission(db, mission_id)
    try:
        repo = await project_repository(db, mission.repository_id)
        branch = mission.pr_branch_name or current_branch(worktree)
        base = mission.target_branch or (repo.default_branch if repo else "main")
        slug = _github_names(repo) or github_slug(worktree, remote)
        if slug is None:
            raise UserError(
                "cannot tell the GitHub repository: set the project repository's GitHub "
                f"owner and name, or use a GitHub URL for the remote {remote!r}"
            )
        await push_branch_async(worktree, branch, remote)
        opened = await client.create_pull_request(
            slug[0],
            slug[1],
            title=mission.title,
            head=branch,
            base=base,
            body=pull_request_body(mission),
        )
        recorded = await pull_requests.record_pull_request(
            db,
            mission_id,
            repository_id=mission.repository_id or "",
            number=opened.number,
            url=opened.url,
            source_branch=branch,
            target_branch=base,
            title=opened.title or mission.title,
            status=opened.state,
        )
    except UserError as error:
        await pull_requests.record_pr_error(db, mission_id, str(error))
        return PrOutcome(None, str(error))
    return PrOutcome(recorded, None)


async def pull_request_after_stage(
    db: Database,
    mission: Mission,
    stage_finished: str,
    worktree: Path | str,
    github: Callable[[], GitHubClient] | None,
) -> PrOutcome | None:
    """After a PR-mode mission's code stage: push and open the PR; None when it does not apply.

    Any failure (no token, push refused, API error) is recorded on the mission, which stays in
    Review with the error shown; nothing else is undone.
    """
    if github is None or not wants_pull_request(mission, stage_finished):
        return None
    try:
        client = github()
    except UserError as error:
        await pull_requests.record_pr_error(db, mission.id, str(error))
        return PrOutcome(None, str(error))
    async with client:
        return await open_pull_request(db, mission.id, worktree, client)


async def refresh_pull_request(
    db: Database, pr: GithubPullRequest, client: GitHubClient, owner: str, name: str
) -> GithubPullRequest:
    """Fetch the pull request's state from GitHub and store it (or the error)."""
    try:
        current = await client.get_pull_request(owner, name, pr.github_pr_number)
    except GitHubError as error:
        return await pull_requests.update_pull_request_status(db, pr.id, sync_error=str(error))
    return await pull_requests.update_pull_request_status(db, pr.id, status=current.state)


async def refresh_open_pull_requests(db: Database, github: Callable[[], GitHubClient]) -> int:
    """Refresh every open pull request whose repository names its GitHub owner and name.

    ``github`` makes the client only when there is something open to ask about, so no token is
    needed while nothing is open. Returns how many were refreshed.
    """
    open_now = await pull_requests.open_pull_requests(db)
    if not open_now:
        return 0
    refreshed = 0
    async with github() as client:
        for pr in open_now:
            names = _github_names(await project_repository(db, pr.project_repository_id))
            if names is None:
                continue
            await refresh_pull_request(db, pr, client, *names)
            refreshed += 1
    return refreshed
