"""A team's workstations: a killed ``work`` process turns offline on another replica.

Two homes in separate processes share one PostgreSQL server. A's ``work`` heartbeats (every
0.3 s here); B, synced through the server, sees A online for as long as it runs — past the
offline timeout, so it is the heartbeat and not the first announcement that keeps it online.
After ``kill -9`` nobody says goodbye: A's row still reads online, and B shows it offline once
the (test-short) timeout passes. (A clean stop's goodbye: tests/runtime/test_presence.py.)
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.database import Database, get_meta, sqlite_url
from storage.workstations import TeamWorkstation, team_workstations
from tests.support.cli_members import member_home, ok
from tests.support.sync_env import drop_test_roles, role_tag, track_server  # noqa: F401

TIMEOUT = timedelta(seconds=2.5)


def _start_work(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "solo_unicorn_tui.cli.main", "work", "--quiet"],
        env={**os.environ, **env, "SOLO_UNICORN_HEARTBEAT_SECONDS": "0.3"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def _open(env: dict[str, str]) -> tuple[Database, str]:
    db = await Database.open(sqlite_url(Path(env["SOLO_UNICORN_HOME"]) / "replica.db"))
    async with db.read() as conn:
        me = await get_meta(conn, "workstation_id")
    assert me is not None
    return db, me


def _this_workstation(env: dict[str, str]) -> str:
    async def read() -> str:
        db, me = await _open(env)
        await db.close()
        return me

    return asyncio.run(read())


def _view(env: dict[str, str], of: str, now: datetime | None = None) -> TeamWorkstation:
    """How the replica of ``env`` sees workstation ``of`` (at ``now``)."""

    async def read() -> TeamWorkstation:
        db, me = await _open(env)
        try:
            team = await team_workstations(db, me, offline_after=TIMEOUT, now=now)
        finally:
            await db.close()
        return next(w for w in team if w.workstation_id == of)

    return asyncio.run(read())


def _wait_for_heartbeat(env: dict[str, str], of: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if _view(env, of).online:
            return
        time.sleep(0.2)
    raise AssertionError("work never announced itself")


def test_a_killed_work_process_shows_offline_after_the_timeout(
    cli, home, pg_database: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    track_server(pg_database)
    tag = role_tag(pg_database)
    admin = {"SOLO_UNICORN_SERVER_URL": pg_database}
    ok(cli("server", "upgrade", env=admin))
    org = json.loads(ok(cli("server", "org", "add", "Team", "--json", env=admin)))
    a = member_home(cli, tmp_path, admin, org["organization_id"], f"{tag}_a")
    b = member_home(cli, tmp_path, admin, org["organization_id"], f"{tag}_b")
    ok(cli("sync", env=a))
    a_id = _this_workstation(a)

    work = _start_work(a)
    try:
        _wait_for_heartbeat(a, a_id)
        time.sleep(TIMEOUT.total_seconds() + 0.5)  # older than the timeout: only beats help
        # Judged as of the push: on a busy machine the two syncs alone can outlast the timeout.
        pushed_at = datetime.now(UTC)
        ok(cli("sync", env=a))
        ok(cli("sync", env=b))
        station = _view(b, a_id, now=pushed_at)
        assert station.online, station
        assert not station.is_this

        work.send_signal(signal.SIGKILL)
        work.wait(10)
        ok(cli("sync", env=a))
        ok(cli("sync", env=b))
        time.sleep(TIMEOUT.total_seconds() + 0.3)
        station = _view(b, a_id)
        assert not station.online, station
        assert station.last_seen_at is not None
    finally:
        if work.poll() is None:
            work.kill()
            work.wait(10)
