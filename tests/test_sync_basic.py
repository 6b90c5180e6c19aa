"""Edits travel between replicas through the real Postgres server and merge per column."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import missions as ops
from storage.database import Database
from storage.missions import MissionDraft
from sync.connection import connect
from sync.dump import dump_replica, dump_server
from tests.support.sync_env import open_replica, sync, upgrade_server


@pytest.fixture
async def server(pg_database: str) -> str:
    await upgrade_server(pg_database)
    return pg_database


@pytest.fixture
async def pair(tmp_path: Path, server: str):  # type: ignore[no-untyped-def]
    a, ida = await open_replica(tmp_path / "a.db", "alice")
    await sync(a, server)
    b, _ = await open_replica(tmp_path / "b.db", "bob")
    report = await sync(b, server)
    assert report.joined == ida.organization_id
    yield a, b, ida
    await a.close()
    await b.close()


async def assert_converged(server: str, org: str, *dbs: Database) -> None:
    conn = await connect(server, None)
    try:
        expected = await dump_server(conn, org)
    finally:
        await conn.close()
    for db in dbs:
        assert await dump_replica(db, org) == expected


async def test_edit_on_a_appears_on_b(pair, server: str) -> None:  # type: ignore[no-untyped-def]
    a, b, ida = pair
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="Ship sync"))
    await sync(a, server)
    await sync(b, server)
    got = await ops.get_mission(b, mission.id)
    assert got.title == "Ship sync"
    await assert_converged(server, ida.organization_id, a, b)
