"""Errors and recovery against a private PostgreSQL that is killed (SIGKILL) and restarted.

- ``solo-unicorn sync`` with the server killed mid-push prints one line ("connection to the
  server lost; will retry"), never an "unexpected … please report it"; ``sync status`` shows
  that error and when; after the restart the same command finishes by itself.
- Two live replicas: after the restart the other replica has an edit made during the outage
  within 2 s (reconnect on a short timer; the new LISTEN connection pulls at once).

One private server for the module (``initdb`` takes a few seconds), a fresh database per test.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import select

from solo_unicorn_tui.home import Home
from solo_unicorn_tui.workspace import open_workspace
from storage import missions as ops
from storage.missions import MissionDraft
from storage.models import Mission, OutboxEntry
from sync import replica
from sync.connection import CONNECTION_LOST
from sync.meta_keys import LAST_ERROR_AT_KEY, LAST_ERROR_KEY
from sync.service import SyncService
from tests.support.private_pg import PrivateServer, bin_dir
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    drop_test_roles,
    member,
    open_replica,
    sync,
    upgrade_server,
)

ROOT = Path(__file__).resolve().parents[2]
CATCH_UP_S = 2.0
EDITS = 6000

pytestmark = pytest.mark.skipif(bin_dir() is None, reason="no PostgreSQL binaries (initdb)")


@pytest.fixture(scope="module")
def private() -> Iterator[PrivateServer]:
    server = PrivateServer()
    try:
        server.init()
        asyncio.run(server.start())
        yield server
    finally:
        server.stop()
        server.remove()


@pytest.fixture
async def server_url(private: PrivateServer, request: pytest.FixtureRequest) -> str:
    if private.process is None:  # a failed test left it down
        await private.start()
    name = "su_rec_" + request.node.name.lower()[:40].replace("[", "_").replace("]", "")
    url = await private.create_database(name)
    await upgrade_server(url)
    return url


async def _applied(url: str, site_id: str) -> int:
    conn = await asyncpg.connect(url, timeout=2)
    try:
        value = await conn.fetchval(
            "SELECT last_change_id FROM sync_sites WHERE site_id = $1", site_id
        )
    finally:
        await conn.close()
    return int(value or 0)


def _status(env: dict[str, str]) -> dict[str, object]:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "solo_unicorn_tui.cli.main", "sync", "status", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_server_killed_mid_push_one_line_then_the_sync_resumes(
    home: Home, private: PrivateServer, server_url: str, cli
) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "SOLO_UNICORN_SERVER_URL": server_url}
    first = cli("sync", env=env)
    assert first.returncode == 0, first.stderr
    ws = await open_workspace(home)
    try:
        mission = await ops.create_mission(ws.db, ws.project_id, MissionDraft(title="edited"))
        edits = [
            {
                "table_name": "missions",
                "row_id": mission.id,
                "organization_id": ws.identity.organization_id,
                "op": "upsert",
                "hlc": ws.db.hlc.now(),
                "values": {"title": f"edit {i}"},
            }
            for i in range(EDITS)
        ]
        async with ws.db.write() as conn:  # the outbox as many title edits leave it, at once
            await conn.execute(OutboxEntry.__table__.insert(), edits)
        site, made = ws.db.site_id, await replica.outbox_high_water(ws.db)
    finally:
        await ws.db.close()
    before = await _applied(server_url, site)

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "solo_unicorn_tui.cli.main",
        "sync",
        "--quiet",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    assert proc.stderr is not None and proc.stdout is not None
    try:
        deadline = time.monotonic() + 60
        while await _applied(server_url, site) == before:  # a first batch is in: mid-push
            assert proc.returncode is None and time.monotonic() < deadline, "push never began"
            await asyncio.sleep(0.02)
        private.kill()
        line = await asyncio.wait_for(proc.stderr.readline(), 30)
        assert line.decode().strip() == CONNECTION_LOST
        shown = _status(env)  # while the server is down
        assert shown["last_error"] == CONNECTION_LOST and shown["last_error_at"]
        await private.start()
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        if private.process is None:
            await private.start()
    text = out.decode() + err.decode()
    assert proc.returncode == 0, text
    assert "unexpected" not in text and "Traceback" not in text, text
    assert CONNECTION_LOST not in err.decode(), text  # said once (the line read above)
    assert "rejected" not in text, text
    assert "synced with" in out.decode()
    assert await _applied(server_url, site) == made
    assert _status(env)["pending"] == 0
    conn = await asyncpg.connect(server_url)
    try:
        title = await conn.fetchval("SELECT title FROM missions WHERE id = $1", mission.id)
    finally:
        await conn.close()
    assert title == f"edit {EDITS - 1}"


async def test_a_replica_catches_up_within_two_seconds_of_the_restart(
    private: PrivateServer, server_url: str, tmp_path: Path
) -> None:
    a, ida = await open_replica(tmp_path / "a.db", "a")
    await sync(a, server_url)
    b, _ = await open_replica(tmp_path / "b.db", "b")
    await sync(b, server_url)
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="before"))
    who = await member(server_url, ida.organization_id)
    services = [SyncService(db, who.url, who.password, interval_seconds=300) for db in (a, b)]
    tasks = [asyncio.create_task(s.run()) for s in services]

    async def title_on_b() -> str:
        async with b.read() as conn:
            query = select(Mission.__table__.c.title).where(Mission.__table__.c.id == mission.id)
            return str((await conn.execute(query)).scalar_one_or_none())

    async def until(check, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not await check():
            assert time.monotonic() < deadline, "condition not reached in time"
            await asyncio.sleep(0.02)

    try:
        await until(lambda: _is(title_on_b(), "before"))
        private.kill()

        async def both_offline() -> bool:
            return all(s.status.state == "offline" for s in services)

        await until(both_offline)
        assert all(s.status.message == CONNECTION_LOST for s in services)
        await ops.update_mission(a, mission.id, title="made during the outage")
        await asyncio.sleep(1.5)  # several failed reconnects: the message stays the one line
        assert all(s.status.message == CONNECTION_LOST for s in services)
        async with a.read() as conn:
            from storage.database import get_meta

            assert await get_meta(conn, LAST_ERROR_KEY) == CONNECTION_LOST
            assert await get_meta(conn, LAST_ERROR_AT_KEY)
        ready = await private.start()
        await until(lambda: _is(title_on_b(), "made during the outage"))
        caught_up = time.monotonic() - ready
    finally:
        for s in services:
            s.stop()
        await asyncio.gather(*tasks)
        await a.close()
        await b.close()
    print(f"caught up {caught_up:.2f} s after the restart")
    assert caught_up <= CATCH_UP_S, f"B caught up {caught_up:.2f} s after the restart"


async def _is(value, expected: str) -> bool:  # type: ignore[no-untyped-def]
    return await value == expected
