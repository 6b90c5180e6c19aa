"""The board's data layer: what the mission screen says about a mission's worktree and branch."""

from __future__ import annotations

from pathlib import Path

from solo_unicorn_tui.ui.board_data import BoardData, Writer
from storage.repositories import link_repository
from storage.worktrees import mark_removed, record_worktree
from tests.support.runtime_fixtures import git, make_repo
from tests.ui.conftest import Replica

OTHER_WORKSTATION = "ws_other_desk"


async def test_the_branch_shown_is_this_workstations_live_worktree(
    replica: Replica, tmp_path: Path
) -> None:
    db, identity, ids = replica
    mission_id = ids["Write the README"]
    repo = make_repo(tmp_path / "app")
    git(repo, "branch", "mine")
    links = {}
    for workstation in (OTHER_WORKSTATION, identity.workstation_id):
        link = await link_repository(
            db,
            identity.project_id,
            workstation,
            name="app",
            main_path=str(repo),
            default_branch="main",
        )
        assert link.local is not None
        links[workstation] = link.local.id

    async def worktree(workstation: str, branch: str) -> str:
        tree = await record_worktree(
            db,
            organization_id=identity.organization_id,
            workstation_repository_id=links[workstation],
            mission_id=mission_id,
            branch=branch,
            base_branch="main",
            worktree_path=str(tmp_path / branch),
        )
        return tree.id

    data = await BoardData.for_writer(Writer(db, identity.organization_id, identity.project_id))
    try:
        await worktree(OTHER_WORKSTATION, "theirs")
        detail = await data.detail(mission_id)
        assert (detail.branch, detail.behind) == (None, None), "another workstation's worktree"

        await mark_removed(db, await worktree(identity.workstation_id, "mine-removed"))
        detail = await data.detail(mission_id)
        assert detail.branch is None, "a removed worktree"

        await worktree(identity.workstation_id, "mine")
        detail = await data.detail(mission_id)
        assert (detail.branch, detail.target, detail.behind) == ("mine", "main", 0)
    finally:
        await data.reader.close()
