"""PR mode: after the flow's "opens the pull request" stage, push the branch and open the PR.

Headless (no Textual) so the runtime calls it after a session and tests call it directly. A
failure (push refused, GitHub error, network down) is recorded on the mission as ``last_error``
with a ``pr_failed`` event; the mission stays where it is (Review), nothing is lost, and a later
call retries. ``pr_mode`` ``enabled`` always tries (and reports why it could not); ``auto`` opens
a pull request only when the repository is on GitHub and a token is stored, and is silent
otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.runtime.github.client import GitHubClient
from solo_unicorn_tui.runtime.github.push import current_branch, github_slug, push_branch_async
from storage import pull_requests
from storage.database import Database
from storage.flows import stage_opens_pull_request
from storage.identity import get_project
from storage.missions import get_mission
from storage.models import GithubPullRequest, Mission, ProjectRepository
from storage.repositories import project_repository

BODY_SOLUTION_MAX = 20_000
BODY_MAX = 60_000


@dataclass(frozen=True)
class PrOutcome:
    pull_request: GithubPullRequest | None
    error: str | None


def wants_pull_request(mission: Mission, stage_opens: bool) -> bool:
    """PR mode applies after a stage that opens the pull request, when ``pr_mode`` is not off."""
    return mission.pr_mode in ("enabled", "auto") and stage_opens


def _task_lines(mission: Mission) -> list[str]:
    lines = []
    for number, task in enumerate(mission.tasks or [], start=1):
        if isinstance(task, dict):
            title = str(task.get("title") or task.get("name") or f"Task {number}")
            done = bool(task.get("done"))
        else:
            title, done = str(task), False
        lines.append(f"- [{'x' if done else ' '}] {' '.join(title.split())}")
    return lines


def pull_request_body(mission: Mission, template: str | None = None) -> str:
    """The mission's description, solution and tasks, the project's PR template, and its id."""
    parts = [mission.description or ""]
    if mission.solution:
        parts.append("## Solution\n\n" + mission.solution[:BODY_SOLUTION_MAX])
    tasks = _task_lines(mission)
    if tasks:
        parts.append("## Tasks\n\n" + "\n".join(tasks))
    if template and template.strip():
        parts.append(template.strip())
    parts.append(f"---\nSolo Unicorn mission `{mission.id}`")
    return "\n\n".join(p for p in parts if p.strip())[:BODY_MAX]


def github_names(repo: ProjectRepository | None) -> tuple[str, str] | None:
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
    """Push the worktree's branch and open (and record) its pull request.

    When the mission's pull request for this branch is still open, the push alone updates it.
    """
    mission = await get_mission(db, mission_id)
    try:
        repo = await project_repository(db, mission.repository_id)
        project = await get_project(db, mission.project_id)
        branch = mission.pr_branch_name or current_branch(worktree)
        base = mission.target_branch or (repo.default_branch if repo else "main")
        slug = github_names(repo) or github_slug(worktree, remote)
        if slug is None:
            name = repo.name if repo else "NAME"
            raise UserError(
                "cannot tell the GitHub repository: run 'solo-unicorn repo set "
                f"{name} --github OWNER/NAME', or use a GitHub URL for the remote {remote!r}"
            )
        await push_branch_async(worktree, branch, remote)
        existing = await pull_requests.pull_request_for_mission(db, mission_id)
        if (
            existing is not None
            and existing.status in pull_requests.LIVE_STATUSES
            and existing.source_branch == branch
        ):
            # Feedback addressed on the same branch: the push updated the open pull request.
            await pull_requests.record_pr_pushed(db, existing.id)
            return PrOutcome(existing, None)
        opened = await client.create_pull_request(
            slug[0],
            slug[1],
            title=mission.title,
            head=branch,
            base=base,
            body=pull_request_body(mission, project.pr_template),
            draft=project.pr_draft,
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
            status=opened.status,
        )
    except UserError as error:
        await pull_requests.record_pr_error(db, mission_id, str(error))
        return PrOutcome(None, str(error))
    return PrOutcome(recorded, None)


async def _on_github(db: Database, mission: Mission, worktree: Path | str) -> bool:
    if github_names(await project_repository(db, mission.repository_id)) is not None:
        return True
    return github_slug(worktree) is not None


async def pull_request_after_stage(
    db: Database,
    mission: Mission,
    stage_finished: str,
    worktree: Path | str,
    github: Callable[[], GitHubClient] | None,
) -> PrOutcome | None:
    """After a PR-mode mission's PR stage: push and open the PR; None when it does not apply.

    ``enabled``: any failure (no token, push refused, API error) is recorded on the mission,
    which stays in Review with the error shown. ``auto``: without a GitHub remote or a token
    nothing happens (None).
    """
    if github is None or mission.pr_mode not in ("enabled", "auto"):
        return None
    if not wants_pull_request(
        mission, await stage_opens_pull_request(db, mission.id, stage_finished)
    ):
        return None
    if mission.pr_mode == "auto" and not await _on_github(db, mission, worktree):
        return None
    try:
        client = github()
    except UserError as error:
        if mission.pr_mode == "auto":
            return None
        await pull_requests.record_pr_error(db, mission.id, str(error))
        return PrOutcome(None, str(error))
    async with client:
        return await open_pull_request(db, mission.id, worktree, client)
