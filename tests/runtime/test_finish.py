"""Opening a mission's pull request from the board's finish step goes through PR mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.runtime import finish
from solo_unicorn_tui.runtime.core import Runtime
from solo_unicorn_tui.secrets import GITHUB_TOKEN, set_secret
from solo_unicorn_tui.workspace import Workspace
from storage.changes import ChangeWriter
from storage.missions import MissionDraft, create_mission, get_mission
from storage.models import ProjectRepository
from storage.repositories import link_repository
from storage.worktrees import record_worktree
from tests.runtime.test_pr_mode import _repo_with_remote
from tests.support.github_server import fake_github


async def test_the_finish_step_opens_the_pull_request(workspace: Workspace, tmp_path: Path) -> None:
    worktree, _bare = _repo_with_remote(tmp_path)
    link = await link_repository(
        workspace.db,
        workspace.project_id,
        workspace.identity.workstation_id,
        name="widgets",
        main_path=str(tmp_path / "main"),
        default_branch="main",
    )
    assert link.local is not None
    async with workspace.db.write() as conn:
        await ChangeWriter(workspace.db, conn).update(
            ProjectRepository.__table__,
            link.id,
            {"github_owner": "acme", "github_name": "widgets"},
        )
    mission = await create_mission(
        workspace.db,
        workspace.project_id,
        MissionDraft("Ship the widget", stage="code", repository_id=link.id, pr_mode="enabled"),
    )
    await record_worktree(
        workspace.db,
        organization_id=workspace.identity.organization_id,
        workstation_repository_id=link.local.id,
        mission_id=mission.id,
        branch="solo-unicorn/abc123-ship",
        base_branch="main",
        worktree_path=str(worktree),
    )
    with fake_github() as server:
        settings = workspace.settings.model_copy(update={"github_api_url": server.url})
        runtime = Runtime.from_workspace(workspace)
        runtime.settings = settings
        with pytest.raises(UserError, match="no GitHub token"):
            await finish.open_pull_request(runtime, mission.id)
        set_secret(GITHUB_TOKEN, server.token)
        notice = await finish.open_pull_request(runtime, mission.id)
        assert notice == "Opened PR #7: https://github.example/acme/widgets/pull/7"
        [request] = server.requests
        assert request["body"]["head"] == "solo-unicorn/abc123-ship"
        with pytest.raises(UserError, match="already has PR #7"):
            await finish.open_pull_request(runtime, mission.id)
    assert (await get_mission(workspace.db, mission.id)).github_pr_number == 7
