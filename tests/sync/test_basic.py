"""Edits travel between replicas through the real Postgres server and merge per column."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import missions as ops
from storage.missions import MissionDraft
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    assert_converged,
    connect_as,
    drop_test_roles,
    mission_row,
    open_replica,
    sync,
    upgrade_server,
)


@pytest.fixture
async def server(pg_database: str) -> str:
    await upgrade_server(pg_database)
    return pg_database


@pytest.fixture
async def pair(tmp_path: Path, server: str):  # type: ignore[no-untyped-def]
    a, ida = await open_replica(tmp_path / "a.db", "alice")
    await sync(a, server)
    b, _idb = await open_replica(tmp_path / "b.db", "bob")
    report = await sync(b, server)
    assert report.joined == ida.organization_id
    yield a, b, ida
    await a.close()
    await b.close()


async def test_edit_on_a_appears_on_b(pair, server: str) -> None:  # type: ignore[no-untyped-def]
    a, b, ida = pair
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="Ship sync"))
    await sync(a, server)
    await sync(b, server)
    assert (await ops.get_mission(b, mission.id)).title == "Ship sync"
    await ops.move_mission(b, mission.id, "doing")
    await sync(b, server)
    await sync(a, server)
    assert (await ops.get_mission(a, mission.id)).list == "doing"
    await assert_converged(server, ida.organization_id, a, b)


async def test_joined_replica_uses_the_servers_project(pair) -> None:  # type: ignore[no-untyped-def]
    _a, b, ida = pair
    from storage.database import get_meta

    async with b.read() as conn:
        assert await get_meta(conn, "project_id") == ida.project_id
        assert await get_meta(conn, "organization_id") == ida.organization_id


async def test_concurrent_edits_to_different_fields_both_survive(pair, server: str) -> None:  # type: ignore[no-untyped-def]
    a, b, ida = pair
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="Card"))
    await sync(a, server)
    await sync(b, server)
    await ops.update_mission(a, mission.id, title="Retitled on A")
    await ops.move_mission(b, mission.id, "review")
    await sync(a, server)
    await sync(b, server)
    await sync(a, server)
    for db in (a, b):
        got = await ops.get_mission(db, mission.id)
        assert (got.title, got.list) == ("Retitled on A", "review")
    await assert_converged(server, ida.organization_id, a, b)


async def test_same_field_later_clock_wins_everywhere(pair, server: str) -> None:  # type: ignore[no-untyped-def]
    a, b, ida = pair
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="Card"))
    await sync(a, server)
    await sync(b, server)
    await ops.update_mission(a, mission.id, title="from A")
    await ops.update_mission(b, mission.id, title="from B")
    clocks = {
        "from A": (await mission_row(a, mission.id))["col_clocks"]["title"],
        "from B": (await mission_row(b, mission.id))["col_clocks"]["title"],
    }
    winner = max(clocks, key=clocks.__getitem__)
    # B pushes first: the server must still end with the later clock, whatever the order.
    await sync(b, server)
    await sync(a, server)
    await sync(b, server)
    for db in (a, b):
        assert (await ops.get_mission(db, mission.id)).title == winner
    await assert_converged(server, ida.organization_id, a, b)


async def test_delete_vs_edit_resolves_the_same_everywhere(pair, server: str) -> None:  # type: ignore[no-untyped-def]
    a, b, ida = pair
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="Doomed"))
    await sync(a, server)
    await sync(b, server)
    await ops.delete_mission(a, mission.id)
    await ops.update_mission(b, mission.id, title="Edited meanwhile")
    await sync(b, server)
    await sync(a, server)
    await sync(b, server)
    rows = [await mission_row(db, mission.id) for db in (a, b)]
    assert [r["deleted"] for r in rows] == [True, True]
    assert [r["title"] for r in rows] == ["Edited meanwhile"] * 2
    await assert_converged(server, ida.organization_id, a, b)


async def test_pulled_rows_do_not_enter_the_outbox_and_clock_moves_past_them(
    pair, server: str
) -> None:  # type: ignore[no-untyped-def]
    a, b, ida = pair
    from sync import replica

    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="x"))
    await sync(a, server)
    await sync(b, server)
    assert await replica.pending_count(b) == 0
    newest = (await mission_row(a, mission.id))["hlc"]
    assert b.hlc.now() > newest


async def test_retried_push_is_applied_once(pair, server: str) -> None:  # type: ignore[no-untyped-def]
    """A reply lost after the server committed: the same batch again is ignored."""
    a, b, ida = pair
    from sync import replica
    from sync import server as srv

    await ops.create_mission(a, ida.project_id, MissionDraft(title="once"))
    changes = await replica.read_outbox(a, 100)
    conn = await connect_as(a, server)
    try:
        first = await srv.apply_push(conn, a.site_id, changes)
        second = await srv.apply_push(conn, a.site_id, changes)
        seq = await conn.fetchval("SELECT last_seq FROM sync_org_seq")
        again = await srv.apply_push(conn, a.site_id, changes)
        assert await conn.fetchval("SELECT last_seq FROM sync_org_seq") == seq
    finally:
        await conn.close()
    assert first.applied == len(changes) and first.duplicates == 0
    assert second.applied == 0 and second.duplicates == len(changes)
    assert again.acked_change_id == changes[-1].change_id
    # The outbox still holds them (the "reply" was lost); the next sync confirms and drops them.
    assert await replica.pending_count(a) == len(changes)
    await sync(a, server)
    assert await replica.pending_count(a) == 0
    await sync(b, server)
    await assert_converged(server, ida.organization_id, a, b)


async def test_moving_to_done_syncs_its_timestamps(pair, server: str) -> None:  # type: ignore[no-untyped-def]
    """The event payload holds datetimes (completed_at): they must encode as JSON."""
    a, b, ida = pair
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="finish"))
    done = await ops.move_mission(a, mission.id, "done")
    assert done.completed_at is not None
    await sync(a, server)
    await sync(b, server)
    got = await ops.get_mission(b, mission.id)
    assert (got.list, got.completed_at) == ("done", done.completed_at)
    await assert_converged(server, ida.organization_id, a, b)
