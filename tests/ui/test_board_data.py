"""The board's data layer: what the mission screen says about a mission's worktree and branch."""

from __future__ import annotations

from pathlib import Path

from solo_unicorn_tui.runtime.worktrees import worktree_status
from solo_unicorn_tui.ui.board_data import BoardData, Writer
from solo_unicorn_tui.ui.screens.mission import branch_state
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
        assert (detail.branch, detail.target, detail.ahead, detail.behind) == ("mine", "main", 0, 0)
        assert branch_state(detail) == "up to date, nothing to merge"

        # four commits on the branch: "up to date" would hide work that is not merged
        git(repo, "checkout", "-q", "mine")
        for n in range(4):
            (repo / f"work{n}.txt").write_text(f"{n}\n")
            git(repo, "add", ".")
            git(repo, "commit", "-qm", f"work {n}")
        git(repo, "checkout", "-q", "main")
        detail = await data.detail(mission_id)
        assert (detail.ahead, detail.behind) == (4, 0)
        assert branch_state(detail) == "4 commit(s) not merged, not behind"
        git(repo, "worktree", "add", "-q", str(tmp_path / "wt-mine"), "mine")
        assert worktree_status(tmp_path / "wt-mine", "main").unpushed == 4, "worktree clean agrees"
    finally:
        await data.reader.close()
