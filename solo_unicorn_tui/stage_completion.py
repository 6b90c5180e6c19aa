"""What happens after a successful agent session, in one call for the runtime.

Read the mission documents back from the worktree, move the mission along its flow (Review when
the stage needs it), and — after the code stage of a PR-mode mission — push the branch and open
the pull request. A PR failure is recorded on the mission and never undoes the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.github_client import GitHubClient
from solo_unicorn_tui.pr_mode import PrOutcome, open_pull_request, wants_pull_request
from storage.database import Database
from storage.documents import sync_documents_from_worktree
from storage.missions import get_mission
from storage.models import Mission
from storage.pull_requests import record_pr_error
from storage.review import finish_stage


@dataclass(frozen=True)
class StageResult:
    stage: str
    """The stage the session finished."""
    mission: Mission
    """The mission after moving on (its new list and stage)."""
    pull_request: PrOutcome | None
    """Set when PR mode applied (with ``error`` when it failed)."""


async def complete_stage(
    db: Database,
    mission_id: str,
    worktree: Path | str,
    *,
    github: Callable[[], GitHubClient] | None = None,
) -> StageResult:
    """Call after a session exited successfully; ``github`` makes a client if PR mode needs one."""
    stage = (await get_mission(db, mission_id)).stage
    await sync_documents_from_worktree(db, mission_id, worktree)
    mission = await finish_stage(db, mission_id)
    outcome = None
    if github is not None and wants_pull_request(mission, stage):
        try:
            client = github()
        except UserError as error:
            await record_pr_error(db, mission_id, str(error))
            outcome = PrOutcome(None, str(error))
        else:
            async with client:
                outcome = await open_pull_request(db, mission_id, worktree, client)
        mission = await get_mission(db, mission_id)
    return StageResult(stage, mission, outcome)
