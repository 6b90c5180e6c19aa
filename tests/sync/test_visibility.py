"""Server sequence numbers never become visible out of commit order (DESIGN.md Sync point 4).

A's push transaction takes its sequence numbers and then stalls before committing. B pushes
concurrently and a puller reads in the meantime. With a naive ``bigserial`` B would commit a
higher number first, the puller would move its cursor past it, and A's lower number, committed
last, would never be pulled. Here B must wait for A (per-organization advisory lock), the puller
sees neither while A is in flight, and after both commit it pulls A's rows and then B's.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage import missions as ops
from storage.missions import MissionDraft
from sync import replica
from sync import server as srv
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    connect_as,
    drop_test_roles,
    open_replica,
    sync,
    upgrade_server,
)


async def test_stalled_lower_sequence_is_still_pulled(pg_database: str, tmp_path: Path) -> None:
    await upgrade_server(pg_database)
    a, ida = await open_replica(tmp_path / "a.db", "a")
    await sync(a, pg_database)
    b, _ = await open_replica(tmp_path / "b.db", "b")
    await sync(b, pg_database)
    reader_db, _ = await open_replica(tmp_path / "r.db", "reader")
    await sync(reader_db, pg_database)
    cursor = await replica.get_cursor(reader_db)

    ma = await ops.create_mission(a, ida.project_id, MissionDraft(title="slow A"))
    mb = await ops.create_mission(b, ida.project_id, MissionDraft(title="fast B"))
    conn_a, conn_b, conn_r = [await connect_as(db, pg_database) for db in (a, b, reader_db)]
    stalled, release = asyncio.Event(), asyncio.Event()

    async def stall() -> None:
        stalled.set()
        await release.wait()

    try:
        push_a = asyncio.create_task(
            srv.apply_push(
                conn_a, a.site_id, await replica.read_outbox(a, 100), before_commit=stall
            )
        )
        await stalled.wait()
        push_b = asyncio.create_task(
            srv.apply_push(conn_b, b.site_id, await replica.read_outbox(b, 100))
        )
        await asyncio.sleep(0.3)
        assert not push_b.done(), "B must wait for A's sequence numbers to commit"
        during = await srv.fetch_changes(conn_r, cursor, 1000)
        assert during.cursor == cursor and during.count == 0
        release.set()
        await push_a
        await push_b
        after = await srv.fetch_changes(conn_r, cursor, 1000)
        seqs = {
            r["row_id"]: r["server_seq"]
            for r in await conn_r.fetch("SELECT row_id, server_seq FROM sync_rows")
        }
    finally:
        for conn in (conn_a, conn_b, conn_r):
            await conn.close()
    pulled = {row["id"] for row in after.rows["missions"]}
    assert {ma.id, mb.id} <= pulled
    assert seqs[ma.id] < seqs[mb.id]
    await sync(reader_db, pg_database)
    titles = {m.title for m in await ops.list_missions(reader_db, ida.project_id)}
    assert {"slow A", "fast B"} <= titles
    for db in (a, b, reader_db):
        await db.close()
