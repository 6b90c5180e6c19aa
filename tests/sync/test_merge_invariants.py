"""Rules a merge can break hold again after it, the same way on every replica (two replicas and
a real server): one repository per name or remote, one dependency row per pair, no cycle."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from storage import dependencies as deps
from storage import missions as ops
from storage import repositories as repos
from storage.changes import ChangeWriter
from storage.database import Database
from storage.missions import MissionDraft
from storage.models import (
    GitWorktree,
    MissionDependency,
    MissionEvent,
    ProjectRepository,
    WorkstationRepository,
)
from sync import replica
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    assert_converged,
    drop_test_roles,
    open_replica,
    sync,
    upgrade_server,
)


@pytest.fixture
async def pair(pg_database: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    await upgrade_server(pg_database)
    a, ida = await open_replica(tmp_path / "a.db", "a")
    await sync(a, pg_database)
    b, idb = await open_replica(tmp_path / "b.db", "b")
    await sync(b, pg_database)
    yield a, b, ida, idb
    await a.close()
    await b.close()


async def _everyone(url: str, *dbs: Database) -> None:
    """Sync every replica until a round where none had anything to push (a fold made after a
    pull is pushed on the next round)."""
    for _ in range(4):
        quiet = not any([await replica.pending_count(db) for db in dbs])
        for db in dbs:
            await sync(db, url)
        if quiet and not any([await replica.pending_count(db) for db in dbs]):
            return
    raise AssertionError("the replicas kept writing: a fold that never settles")


async def _live(db: Database, table, **where: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    t = table.__table__
    query = select(t).where(t.c.deleted.is_(False), *(t.c[k] == v for k, v in where.items()))
    async with db.read() as conn:
        return [dict(r) for r in (await conn.execute(query.order_by(t.c.id))).mappings()]


async def test_one_repository_per_name_or_remote_after_the_merge(
    pair, pg_database: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    a, b, ida, idb = pair
    project = ida.project_id
    # The same name linked on two homes offline is one row (its id derives from the name).
    on_a = await repos.link_repository(
        a, project, ida.workstation_id, name="app", main_path="/a/app", default_branch="main"
    )
    on_b = await repos.link_repository(
        b, project, idb.workstation_id, name="app", main_path="/b/app", default_branch="main"
    )
    assert on_a.id == on_b.id
    # A replica from before derived ids links the same remote under another name, with a
    # mission and a worktree on it: folded into the kept one, nothing lost.
    async with b.write() as conn:
        writer = ChangeWriter(b, conn)
        old = await writer.insert(
            ProjectRepository.__table__,
            {
                "organization_id": ida.organization_id,
                "project_id": project,
                "name": "app-old",
                "github_owner": "Acme",
                "github_name": "app",
            },
        )
        link = await writer.insert(
            WorkstationRepository.__table__,
            {
                "organization_id": ida.organization_id,
                "workstation_id": idb.workstation_id,
                "project_repository_id": old["id"],
                "main_path": "/b/app-old",
            },
        )
        await writer.insert(
            GitWorktree.__table__,
            {
                "organization_id": ida.organization_id,
                "workstation_repository_id": link["id"],
                "branch": "solo-unicorn/x",
                "worktree_path": "/b/ws/app-x",
            },
        )
        await writer.update(
            ProjectRepository.__table__,
            on_b.id,
            {"github_owner": "acme", "github_name": "app"},
        )
    mission = await ops.create_mission(
        b, project, MissionDraft(title="on the old repo", repository_id=old["id"])
    )
    await _everyone(pg_database, a, b)
    keep = on_a.id  # the id "app" derives, so linking "app" again finds it
    for db in (a, b):
        live = await _live(db, ProjectRepository)
        assert [r["id"] for r in live] == [keep]
        assert (await ops.get_mission(db, mission.id)).repository_id == keep
        (worktree,) = await _live(db, GitWorktree)
        links = {r["id"]: r for r in await _live(db, WorkstationRepository)}
        assert links[worktree["workstation_repository_id"]]["project_repository_id"] == keep
        assert {r["project_repository_id"] for r in links.values()} == {keep}
    # linking again finds exactly one (no MultipleResultsFound)
    again = await repos.link_repository(
        a, project, ida.workstation_id, name="app", main_path="/a/app", default_branch="main"
    )
    assert again.id == keep
    await _everyone(pg_database, a, b)
    await assert_converged(pg_database, ida.organization_id, a, b)


async def test_one_dependency_row_per_pair_so_remove_removes_it_everywhere(
    pair, pg_database: str
) -> None:  # type: ignore[no-untyped-def]
    a, b, ida, _ = pair
    x = await ops.create_mission(a, ida.project_id, MissionDraft(title="X"))
    y = await ops.create_mission(a, ida.project_id, MissionDraft(title="Y"))
    await _everyone(pg_database, a, b)
    await deps.add_dependency(a, x.id, y.id)
    await deps.add_dependency(b, x.id, y.id)
    await _everyone(pg_database, a, b)
    for db in (a, b):
        assert len(await _live(db, MissionDependency)) == 1
    await deps.remove_dependency(b, x.id, y.id)
    await _everyone(pg_database, a, b)
    for db in (a, b):
        assert await _live(db, MissionDependency) == []
        assert await deps.blockers(db, x.id) == []
    await assert_converged(pg_database, ida.organization_id, a, b)


async def test_a_cycle_from_two_offline_edits_loses_the_same_link_everywhere(
    pair, pg_database: str
) -> None:  # type: ignore[no-untyped-def]
    a, b, ida, _ = pair
    x = await ops.create_mission(a, ida.project_id, MissionDraft(title="X"))
    y = await ops.create_mission(a, ida.project_id, MissionDraft(title="Y"))
    await _everyone(pg_database, a, b)
    await deps.add_dependency(a, x.id, y.id)  # A: X waits on Y
    await deps.add_dependency(b, y.id, x.id)  # B, offline: Y waits on X (written later)
    await _everyone(pg_database, a, b)
    survivors = []
    for db in (a, b):
        live = await _live(db, MissionDependency)
        assert len(live) == 1
        survivors.append((live[0]["mission_id"], live[0]["depends_on_mission_id"]))
        dropped = [
            e
            for e in await _live(db, MissionEvent, mission_id=y.id)
            if "made a cycle" in e["summary"]
        ]
        assert len(dropped) == 1 and "no longer waits on" in dropped[0]["summary"]
        assert dropped[0]["payload"]["depends_on_mission_id"] == x.id
    assert survivors == [(x.id, y.id)] * 2  # B's link was the newer one
    # the survivor still blocks: one of the two can be dispatched again
    assert [m.id for m in await deps.blockers(a, x.id)] == [y.id]
    assert await deps.blockers(a, y.id) == []
    await assert_converged(pg_database, ida.organization_id, a, b)
