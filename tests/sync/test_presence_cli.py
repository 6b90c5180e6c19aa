"""A team's workstations: a killed ``work`` process turns offline on another replica.

A and B are replicas (A a home a real ``work`` process runs in) syncing through one PostgreSQL
server. A's ``work`` heartbeats (every 0.3 s here); B, synced through the server, sees A online
for as long as it runs — past the offline timeout, so it is the heartbeat and not the first
announcement that keeps it online. After ``kill -9`` nobody says goodbye, and B shows A offline
once the (test-short) timeout has passed. (A clean stop's goodbye: tests/runtime/test_presence.py.)
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.database import Database
from storage.identity import Identity
from storage.workstations import TeamWorkstation, team_workstations
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    drop_test_roles,
    open_replica,
    sync,
    upgrade_server,
)

TIMEOUT = timedelta(seconds=2.5)


async def _view(
    db: Database, me: Identity, of: str, now: datetime | None = None
) -> TeamWorkstation:
    team = await team_workstations(db, me.workstation_id, offline_after=TIMEOUT, now=now)
    return next(w for w in team if w.workstation_id == of)


async def test_a_killed_work_process_shows_offline_after_the_timeout(
    pg_database: str, tmp_path: Path
) -> None:
    await upgrade_server(pg_database)
    a, ida = await open_replica(tmp_path / "a" / "replica.db", "alice")
    await sync(a, pg_database)
    b, idb = await open_replica(tmp_path / "b.db", "bob")
    await sync(b, pg_database)
    work = subprocess.Popen(
        [sys.executable, "-m", "solo_unicorn_tui.cli.main", "work", "--quiet"],
        env={
            **os.environ,
            "SOLO_UNICORN_HOME": str(tmp_path / "a"),
            "SOLO_UNICORN_HEARTBEAT_SECONDS": "0.3",
        },
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "work.err").open("w"),
    )
    try:
        for _ in range(200):
            if (await _view(a, ida, ida.workstation_id)).online:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("work never announced itself")
        await asyncio.sleep(TIMEOUT.total_seconds() + 0.5)  # past the timeout: only beats help
        # Judged as of the push: on a busy machine the syncs alone can outlast the timeout.
        pushed_at = datetime.now(UTC)
        await sync(a, pg_database)
        await sync(b, pg_database)
        station = await _view(b, idb, ida.workstation_id, now=pushed_at)
        assert station.online and not station.is_this, station

        work.send_signal(signal.SIGKILL)
        assert work.wait(10) == -signal.SIGKILL
        killed_at = datetime.now(UTC)
        await sync(a, pg_database)
        await sync(b, pg_database)
        assert (await _view(b, idb, ida.workstation_id, now=killed_at)).online  # not yet
        station = await _view(b, idb, ida.workstation_id, now=killed_at + TIMEOUT)
        assert not station.online, station
        assert station.last_seen_at is not None and station.last_seen_at <= killed_at
    finally:
        if work.poll() is None:
            work.kill()
            work.wait(10)
        await a.close()
        await b.close()
