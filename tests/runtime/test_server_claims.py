"""Two workstations, one server: the runtime takes the server's claim, so never both run it."""

from __future__ import annotations

from pathlib import Path

import pytest

from solo_unicorn_tui.config import Settings
from solo_unicorn_tui.home import Home
from solo_unicorn_tui.runtime.agent_profiles import AgentProfiles
from solo_unicorn_tui.runtime.core import Runtime
from solo_unicorn_tui.runtime.git_repos import inspect_repository
from storage import missions as ops
from storage.database import Database, get_meta
from storage.errors import ConflictError
from storage.repositories import link_repository
from sync.claims import ClaimClient
from tests.support.runtime_fixtures import make_repo, script_profile
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    drop_test_roles,
    member_url,
    open_replica,
    sync,
    upgrade_server,
)


async def _meta(db: Database, key: str) -> str:
    async with db.read() as conn:
        value = await get_meta(conn, key)
    assert value
    return value


async def _runtime(db: Database, root: Path, server: str) -> Runtime:
    home = Home(root / "home")
    home.ensure()
    org = await _meta(db, "organization_id")
    project = await _meta(db, "project_id")
    ws = await _meta(db, "workstation_id")
    repo = make_repo(root / "repo")
    info = inspect_repository(repo)
    await link_repository(
        db, project, ws, name="app", main_path=str(info.path), default_branch="main"
    )
    profiles = AgentProfiles.load(home)
    profiles.add(script_profile("sleep", env={"AGENT_SLEEP": "60"}), make_default=True)
    claims = ClaimClient(db, await member_url(server, org), None, org, ws)
    return Runtime(
        db=db,
        home=home,
        settings=Settings(),
        workstation_id=ws,
        project_id=project,
        workspace_dir=root / "workspace",
        profiles=profiles,
        kill_grace_seconds=1.0,
        claims=claims,
    )


@pytest.mark.postgres
async def test_a_mission_running_on_one_workstation_cannot_start_on_another(
    pg_database: str, tmp_path: Path
) -> None:
    await upgrade_server(pg_database)
    a, _ = await open_replica(tmp_path / "a.db", "a")
    await sync(a, pg_database)
    b, _ = await open_replica(tmp_path / "b.db", "b")
    await sync(b, pg_database)
    runtime_a = await _runtime(a, tmp_path / "a", pg_database)
    project = await _meta(a, "project_id")
    mission = await ops.create_mission(a, project, ops.MissionDraft(title="Only once"))
    await sync(a, pg_database)
    await sync(b, pg_database)
    runtime_b = await _runtime(b, tmp_path / "b", pg_database)  # links the same repository name

    handle = await runtime_a.run_mission(mission.id)
    with pytest.raises(ConflictError):
        await runtime_b.run_mission(mission.id)
    assert runtime_b.running() == []

    runtime_a.cancel(mission.id)
    assert handle.task is not None
    await handle.task
    await runtime_a.wait_idle()

    second = await runtime_b.run_mission(mission.id)
    assert second.claim_epoch == (handle.claim_epoch or 0) + 1
    runtime_b.cancel(mission.id)
    await runtime_b.wait_idle()
    for db in (a, b):
        await db.close()
