"""Two workstations, one server: the runtime takes the server's claim, so never both run it.

Offline (the server unreachable), a workstation runs a mission only when allowed; an offline
run that the server gave to another workstation meanwhile is stopped when the server answers
again, and recorded as a ``claim_conflict`` event either way (run ended or still running).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from solo_unicorn_tui.config import Settings
from solo_unicorn_tui.home import Home
from solo_unicorn_tui.runtime.agent_profiles import AgentProfiles
from solo_unicorn_tui.runtime.core import Runtime
from solo_unicorn_tui.runtime.events import DispatcherWaiting, SessionStarted
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


DEAD_URL = "postgresql://postgres@127.0.0.1:1/none"


async def _runtime(
    db: Database,
    root: Path,
    server: str,
    *,
    mode: str = "sleep",
    url: str | None = None,
    allow_offline: bool = False,
) -> Runtime:
    """A runtime claiming on ``server`` (as its member role), or on ``url`` when given."""
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
    profiles.add(script_profile(mode, env={"AGENT_SLEEP": "60"}), make_default=True)
    claims = ClaimClient(
        db, url or await member_url(server, org), None, org, ws, allow_offline=allow_offline
    )
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
        poll_seconds=0.1,
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


async def _pair(pg_database: str, tmp_path: Path) -> tuple[Database, Database, str]:
    """Two synced replicas and a mission both know."""
    await upgrade_server(pg_database)
    a, _ = await open_replica(tmp_path / "a.db", "a")
    await sync(a, pg_database)
    b, _ = await open_replica(tmp_path / "b.db", "b")
    await sync(b, pg_database)
    project = await _meta(a, "project_id")
    mission = await ops.create_mission(a, project, ops.MissionDraft(title="Contested", ready=True))
    await sync(a, pg_database)
    await sync(b, pg_database)
    return a, b, mission.id


@pytest.mark.postgres
async def test_a_stale_dispatcher_does_not_claim_what_its_listing_no_longer_shows(
    pg_database: str, tmp_path: Path
) -> None:
    """B ran two missions to review; A, not synced since, runs ``run_once``. A's first claim is
    refused as stale and pulls; the second mission, listed before that pull, must not be
    claimed on the caught-up view (before: it was, moved from review back to doing, and its
    last stage ran a second time)."""
    a, b, first = await _pair(pg_database, tmp_path)
    project = await _meta(a, "project_id")
    second = await ops.create_mission(a, project, ops.MissionDraft(title="Second", ready=True))
    await sync(a, pg_database)
    await sync(b, pg_database)
    runtime_b = await _runtime(b, tmp_path / "b", pg_database, mode="commit")
    assert [e.status for e in await runtime_b.run_once()] == ["completed"] * 4

    runtime_a = await _runtime(a, tmp_path / "a", pg_database, mode="commit")
    events: list[object] = []
    runtime_a.subscribe(events.append)
    assert await runtime_a.run_once() == []
    assert not [e for e in events if isinstance(e, SessionStarted)]
    for mission_id in (first, second.id):
        mission = await ops.get_mission(a, mission_id)
        assert (mission.list, mission.stage) == ("review", "plan")
    for db in (a, b):
        await db.close()


def _claims(runtime: Runtime) -> ClaimClient:
    claims = runtime.runner.claims
    assert isinstance(claims, ClaimClient)
    return claims


async def _conflicts(db: Database, mission_id: str) -> list[dict[str, object]]:
    events = await ops.list_events(db, mission_id)
    return [e.payload or {} for e in events if e.kind == "claim_conflict"]


@pytest.mark.postgres
async def test_unreachable_server_the_dispatcher_starts_nothing_and_says_why_once(
    pg_database: str, tmp_path: Path
) -> None:
    a, b, mission_id = await _pair(pg_database, tmp_path)
    runtime = await _runtime(a, tmp_path / "a", pg_database, mode="commit", url=DEAD_URL)
    events: list[object] = []
    runtime.subscribe(events.append)
    runtime.start_dispatcher()
    await asyncio.sleep(1.0)  # about ten dispatch rounds
    await runtime.stop_dispatcher()
    waiting = [e for e in events if isinstance(e, DispatcherWaiting)]
    assert len(waiting) == 1 and "allow_offline_runs" in waiting[0].reason
    assert not [e for e in events if isinstance(e, SessionStarted)]
    assert (await ops.get_mission(a, mission_id)).claimed_by_workstation_id is None
    # Allowed, the same dispatcher runs it offline.
    _claims(runtime).allow_offline = True
    ended = await runtime.run_once()
    assert ended and {e.status for e in ended} == {"completed"}
    for db in (a, b):
        await db.close()


@pytest.mark.postgres
async def test_an_offline_run_that_ended_and_lost_records_a_claim_conflict(
    pg_database: str, tmp_path: Path
) -> None:
    a, b, mission_id = await _pair(pg_database, tmp_path)
    offline = await _runtime(
        a, tmp_path / "a", pg_database, mode="commit", url=DEAD_URL, allow_offline=True
    )
    online = await _runtime(b, tmp_path / "b", pg_database, mode="commit")
    ran_offline = await offline.run_mission(mission_id)
    assert ran_offline.task is not None and (await ran_offline.task).status == "completed"
    ran_online = await online.run_mission(mission_id)  # B never heard of A's offline run
    assert ran_online.task is not None and (await ran_online.task).status == "completed"
    assert await _conflicts(a, mission_id) == []

    claims = _claims(offline)
    claims.server_url = await member_url(pg_database, await _meta(a, "organization_id"))
    conflicts = await claims.reconcile()  # what 'solo-unicorn sync' does on reconnect
    await claims.close()
    assert [c.holder_workstation_id for c in conflicts] == [await _meta(b, "workstation_id")]
    recorded = await _conflicts(a, mission_id)
    assert len(recorded) == 1 and recorded[0]["run_ended"] is True
    assert await claims.reconcile() == []  # settled once
    await sync(a, pg_database)
    await sync(b, pg_database)
    assert len(await _conflicts(b, mission_id)) == 1
    for db in (a, b):
        await db.close()


@pytest.mark.postgres
async def test_a_running_offline_claim_that_lost_is_stopped_when_the_server_answers(
    pg_database: str, tmp_path: Path
) -> None:
    a, b, mission_id = await _pair(pg_database, tmp_path)
    offline = await _runtime(a, tmp_path / "a", pg_database, url=DEAD_URL, allow_offline=True)
    handle = await offline.run_mission(mission_id)  # the sleep agent: runs for a minute
    org = await _meta(b, "organization_id")
    winner = ClaimClient(
        b, await member_url(pg_database, org), None, org, await _meta(b, "workstation_id")
    )
    await winner.claim(mission_id)  # B takes the mission online meanwhile
    await winner.close()
    assert offline.is_running(mission_id)

    _claims(offline).server_url = await member_url(pg_database, org)  # the server answers again
    assert handle.task is not None
    ended = await asyncio.wait_for(handle.task, 20)
    await offline.wait_idle()
    await _claims(offline).close()
    assert ended.status != "completed"
    assert "claim was lost" in ended.reason
    recorded = await _conflicts(a, mission_id)
    assert len(recorded) == 1 and recorded[0]["run_ended"] is False
    for db in (a, b):
        await db.close()
