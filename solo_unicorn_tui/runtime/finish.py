"""Closing the loop on a mission from the board: merge, push, pull request, clean-up.

Each step is one call that answers with the line to show, or raises a one-line
:class:`UserError` saying why not and what to do. Git runs in threads (:mod:`.merge`); the pull
request goes through PR mode's own entry point (:func:`.github.pr_mode.open_pull_request`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.runtime.merge import merge_branch
from storage import missions as mission_ops
from storage import worktrees as worktree_ops
from storage.models import GitWorktree, Mission
from storage.repositories import checkout_path

if TYPE_CHECKING:
    from solo_unicorn_tui.runtime.core import Runtime


@dataclass(frozen=True)
class MissionBranch:
    mission: Mission
    worktree: GitWorktree
    checkout: Path
    """The repository's main checkout on this workstation."""
    target: str


async def mission_branch(runtime: Runtime, mission_id: str) -> MissionBranch:
    mission = await mission_ops.get_mission(runtime.db, mission_id)
    tree = await worktree_ops.mission_worktree(runtime.db, mission_id, runtime.workstation_id)
    if tree is None:
        raise UserError(f"“{mission.title}” has no worktree on this workstation: nothing to merge")
    main = await checkout_path(runtime.db, tree.workstation_repository_id)
    if main is None:
        raise UserError(
            "the mission's repository is no longer linked here; 'solo-unicorn repo add'"
        )
    target = mission.target_branch or tree.base_branch
    if not target:
        raise UserError(f"“{mission.title}” has no target branch; set one with 'e' (edit)")
    return MissionBranch(mission, tree, Path(main), target)


def _refuse_while_running(runtime: Runtime, mission_id: str, what: str) -> None:
    if runtime.is_running(mission_id):
        raise UserError(f"an agent is working on this mission; cancel it (c) before you {what}")


async def merge(runtime: Runtime, mission_id: str) -> str:
    """Merge the mission branch into its target in the local repository."""
    _refuse_while_running(runtime, mission_id, "merge")
    where = await mission_branch(runtime, mission_id)
    if where.worktree.worktree_path and Path(where.worktree.worktree_path).is_dir():
        from solo_unicorn_tui.runtime.worktrees import worktree_status

        status = await asyncio.to_thread(
            worktree_status, where.worktree.worktree_path, where.target
        )
        if status.dirty:
            raise UserError(
                f"the worktree {where.worktree.worktree_path} has uncommitted changes; commit "
                "them there (t opens a shell) so they are merged too, then merge again"
            )
    message = f"Merge {where.worktree.branch}: {where.mission.title}\n\nMission {mission_id}."
    merged = await asyncio.to_thread(
        merge_branch, where.checkout, where.worktree.branch, where.target, message
    )
    return f"Merged {merged.commits} commit(s) of {where.worktree.branch} into {merged.target}"


async def push_target(runtime: Runtime, mission_id: str, remote: str = "origin") -> str:
    """Push the target branch (with the merge) to its remote."""
    from solo_unicorn_tui.runtime.github.push import push_branch_async

    where = await mission_branch(runtime, mission_id)
    await push_branch_async(where.checkout, where.target, remote)
    return f"Pushed {where.target} to {remote}"


async def open_pull_request(runtime: Runtime, mission_id: str) -> str:
    """Push the mission branch and open its pull request (PR mode's entry point)."""
    from solo_unicorn_tui.runtime.github import pr_mode

    _refuse_while_running(runtime, mission_id, "open a pull request")
    where = await mission_branch(runtime, mission_id)
    if where.mission.github_pr_number:
        raise UserError(f"“{where.mission.title}” already has PR #{where.mission.github_pr_number}")
    async with runtime.github_client() as client:
        outcome = await pr_mode.open_pull_request(
            runtime.db, mission_id, where.worktree.worktree_path, client
        )
    if outcome.error is not None or outcome.pull_request is None:
        raise UserError(f"the pull request was not opened: {outcome.error}")
    pr = outcome.pull_request
    return f"Opened PR #{pr.github_pr_number}: {pr.github_pr_url}"


async def clean_up(runtime: Runtime, mission_id: str) -> str:
    """Remove the mission's worktree (the branch stays); refused while it holds unmerged work."""
    where = await mission_branch(runtime, mission_id)
    result = await runtime.housekeeping.clean_mission_worktree(where.worktree)
    if not result.removed:
        raise UserError(f"the worktree stays: {result.reason}")
    return (
        f"Removed the worktree {where.worktree.worktree_path} (branch {where.worktree.branch} kept)"
    )
