"""Closing the loop from the board: m merges the mission branch, pushes, and cleans up."""

from __future__ import annotations

from pathlib import Path

from solo_unicorn_tui.ui.dialogs.finish import FinishScreen
from solo_unicorn_tui.workspace import Workspace
from storage import missions as ops
from storage.repositories import default_repository
from storage.worktrees import mission_worktree, record_worktree
from tests.support.runtime_fixtures import git
from tests.ui.test_board_runtime import _board, _true, _until


async def test_m_merges_pushes_and_cleans_up_a_mission(
    workspace: Workspace, tmp_path: Path
) -> None:
    mission = await ops.create_mission(
        workspace.db, workspace.project_id, ops.MissionDraft(title="Finish me", list="review")
    )
    app = await _board(workspace, tmp_path, "commit")
    repo = tmp_path / "app"
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    tree = tmp_path / "app-finish"
    git(repo, "worktree", "add", "-q", "-b", "solo-unicorn/finish", str(tree))
    (tree / "done.txt").write_text("finished\n")
    git(tree, "add", ".")
    git(tree, "commit", "-qm", "the work")
    link = await default_repository(
        workspace.db, workspace.project_id, workspace.identity.workstation_id
    )
    assert link is not None and link.local is not None
    await record_worktree(
        workspace.db,
        organization_id=workspace.identity.organization_id,
        workstation_repository_id=link.local.id,
        mission_id=mission.id,
        branch="solo-unicorn/finish",
        base_branch="main",
        worktree_path=str(tree),
    )

    def toasts() -> list[str]:
        return [str(n.message) for n in app._notifications]

    async with app.run_test(size=(140, 40)) as pilot:
        board = app.board
        await _until(pilot, lambda: _true(board.runtime_host is not None))
        await pilot.press("l", "l")  # Review
        await _until(pilot, lambda: _true(board.current.selected_card is not None))
        await pilot.press("m")
        await _until(pilot, lambda: _true(isinstance(app.screen, FinishScreen)))
        detail = str(app.screen.query_one(".dialog-detail").render())
        assert "solo-unicorn/finish → main: 1 commit(s) not merged, not behind" in detail
        await pilot.press("escape")
        for step, done in (
            ("c", "the worktree stays"),  # not merged yet: the clean-up refuses
            ("m", "Merged 1 commit(s) of solo-unicorn/finish into main"),
            ("p", "Pushed main to origin"),
            ("c", "Removed the worktree"),
        ):
            await pilot.press("m")
            await _until(pilot, lambda: _true(isinstance(app.screen, FinishScreen)))
            await pilot.press(step)
            await _until(pilot, lambda done=done: _true(any(done in t for t in toasts())))
    assert git(repo, "show", "main:done.txt") == "finished"
    assert git(remote, "rev-parse", "main") == git(repo, "rev-parse", "main")
    assert not tree.exists()
    assert (
        await mission_worktree(workspace.db, mission.id, workspace.identity.workstation_id) is None
    )
    assert git(repo, "rev-parse", "--verify", "solo-unicorn/finish"), "the branch stays"
