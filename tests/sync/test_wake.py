"""A committed local write wakes a watching sync loop through the replica's wake FIFO."""

from __future__ import annotations

import asyncio
import os
import stat
import time

from solo_unicorn_tui.home import Home
from storage import missions as ops
from storage.database import set_meta
from storage.missions import MissionDraft
from storage.wake import poke, wake_path
from sync import replica
from sync.service import SyncService
from sync.wake import WakeFifo
from tests.conftest import run_cli
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    drop_test_roles,
    member_url,
    open_replica,
    sync,
    upgrade_server,
)


async def test_only_writes_that_queue_changes_poke(home: Home) -> None:
    db, identity = await open_replica(home.replica, "a")
    pokes: list[float] = []
    fifo = WakeFifo(home.replica)
    try:
        assert fifo.open(lambda: pokes.append(time.monotonic()))
        assert stat.S_ISFIFO(os.stat(wake_path(home.replica)).st_mode)
        async with db.write() as conn:
            await set_meta(conn, "unrelated", "x")  # no outbox entry: nothing to push
        await asyncio.sleep(0.1)
        assert pokes == []
        await ops.create_mission(db, identity.project_id, MissionDraft(title="poke"))
        for _ in range(100):
            if pokes:
                break
            await asyncio.sleep(0.01)
        assert len(pokes) == 1
    finally:
        fifo.close()
        await db.close()
    poke(home.replica)  # nobody reads any more: the write path must not notice


async def test_a_cli_write_wakes_the_watching_sync_loop(pg_database: str, home: Home) -> None:
    await upgrade_server(pg_database)
    db, identity = await open_replica(home.replica, "a")
    await sync(db, pg_database)
    url = await member_url(pg_database, identity.organization_id)
    # Neither the outbox poll nor the pull interval can answer within the test: only a poke can.
    service = SyncService(db, url, None, interval_seconds=300, local_poll_seconds=120)
    task = asyncio.create_task(service.run())
    try:
        while service.status.state != "synced":
            await asyncio.sleep(0.02)
        done = await asyncio.to_thread(run_cli, "mission", "add", "--title", "woken", "--json")
        assert done.returncode == 0, done.stderr
        started = time.monotonic()
        while await replica.pending_count(db):
            assert time.monotonic() - started < 10, "the write did not wake the sync loop"
            await asyncio.sleep(0.02)
    finally:
        service.stop()
        await task
        await db.close()
    assert not wake_path(home.replica).exists() or stat.S_ISFIFO(
        os.stat(wake_path(home.replica)).st_mode
    )
