"""Faults: a sync process SIGKILLed at random points, connections terminated mid-batch, skewed
clocks. After recovery everything converges, nothing is lost and nothing is applied twice.

``SOLO_UNICORN_SYNC_KILL_TRIALS`` sets the number of kill trials (default 20; 100 for the full run).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select

from storage import missions as ops
from storage.database import Database
from storage.hlc import MAX_CLOCK_AHEAD_MS, wall_clock_ms
from storage.missions import MissionDraft
from storage.models import MissionEvent
from sync import engine, replica
from sync import server as srv
from sync.connection import CONNECTION_ERRORS
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    assert_converged,
    connect_as,
    drop_test_roles,
    member_url,
    open_replica,
    sync,
    upgrade_server,
)

ROOT = Path(__file__).resolve().parents[2]
TRIALS = int(os.environ.get("SOLO_UNICORN_SYNC_KILL_TRIALS", "20"))


@pytest.fixture
async def pair(pg_database: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    await upgrade_server(pg_database)
    a, ida = await open_replica(tmp_path / "a.db", "a")
    await sync(a, pg_database)
    b, _ = await open_replica(tmp_path / "b.db", "b")
    await sync(b, pg_database)
    yield a, b, ida, tmp_path
    await a.close()
    await b.close()


async def _work(db: Database, project_id: str, rng: random.Random, n: int) -> int:
    """Make ``n`` random edits; return how many outbox entries they wrote."""
    before = await replica.outbox_high_water(db)
    existing = [m.id for m in await ops.list_missions(db, project_id)]
    for _ in range(n):
        if not existing or rng.random() < 0.4:
            mission = await ops.create_mission(
                db, project_id, MissionDraft(title=f"t{rng.random()}")
            )
            existing.append(mission.id)
        else:
            target = rng.choice(existing)
            await ops.update_mission(
                db, target, title=f"e{rng.random()}", priority=rng.randint(1, 5)
            )
    return await replica.outbox_high_water(db) - before


async def _killed_sync(db_path: Path, url: str, rng: random.Random) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.sync_worker",
        str(db_path),
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    assert (await proc.stdout.readline()).strip() == b"ready"
    await asyncio.sleep(rng.uniform(0, 0.12))
    outcome = "killed"
    if proc.returncode is None:
        proc.send_signal(signal.SIGKILL)
    rest = await proc.stdout.read()
    if b"done" in rest:
        outcome = "finished"
    await proc.wait()
    return outcome


async def test_sigkill_during_sync_loses_nothing_and_applies_nothing_twice(
    pair, pg_database: str
) -> None:  # type: ignore[no-untyped-def]
    a, b, ida, tmp_path = pair
    rng = random.Random(1234)
    made = {
        a.site_id: await replica.outbox_high_water(a),
        b.site_id: await replica.outbox_high_water(b),
    }
    outcomes = []
    for trial in range(TRIALS):
        db, path = (a, tmp_path / "a.db") if trial % 2 == 0 else (b, tmp_path / "b.db")
        await _work(db, ida.project_id, rng, 8)
        made[db.site_id] = await replica.outbox_high_water(db)
        url = await member_url(pg_database, ida.organization_id)
        outcomes.append(await _killed_sync(path, url, rng))
    killed, finished = outcomes.count("killed"), outcomes.count("finished")
    print(f"kill trials: {killed} killed mid-sync, {finished} finished")
    assert "killed" in outcomes, "no trial was actually killed mid-sync"
    for db in (a, b, a):
        await sync(db, pg_database)
    conn = await asyncpg.connect(pg_database)
    try:
        applied = dict(await conn.fetch("SELECT site_id, last_change_id FROM sync_sites"))
        rejected = await conn.fetchval("SELECT count(*) FROM sync_rejections")
        server_events = await conn.fetchval("SELECT count(*) FROM mission_events")
    finally:
        await conn.close()
    assert applied[a.site_id] == made[a.site_id]
    assert applied[b.site_id] == made[b.site_id]
    assert rejected == 0
    for db in (a, b):
        assert await replica.pending_count(db) == 0
        async with db.read() as sconn:
            count = (await sconn.execute(select(func.count()).select_from(MissionEvent))).scalar()
        assert count == server_events
    await assert_converged(pg_database, ida.organization_id, a, b)


async def test_connection_terminated_mid_push_then_resumes(pair, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    a, b, ida, _ = pair
    await _work(a, ida.project_id, random.Random(1), 10)
    pending = await replica.pending_count(a)
    conn = await connect_as(a, pg_database)
    killer = await asyncpg.connect(pg_database)

    async def terminate() -> None:
        await killer.execute("SELECT pg_terminate_backend($1)", conn.get_server_pid())

    try:
        with pytest.raises(CONNECTION_ERRORS):
            await srv.apply_push(
                conn, a.site_id, await replica.read_outbox(a, 100), before_commit=terminate
            )
    finally:
        await killer.close()
        await conn.close()
    assert await replica.pending_count(a) == pending
    await sync(a, pg_database)
    await sync(b, pg_database)
    assert await replica.pending_count(a) == 0
    await assert_converged(pg_database, ida.organization_id, a, b)


async def test_connection_terminated_mid_pull_then_resumes(
    pair, pg_database: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    a, b, ida, _ = pair
    await _work(a, ida.project_id, random.Random(2), 30)
    await sync(a, pg_database)
    monkeypatch.setattr(engine, "PULL_BATCH", 7)
    conn = await connect_as(b, pg_database)
    killer = await asyncpg.connect(pg_database)
    real_fetch = srv.fetch_changes
    calls = []

    async def fetch_then_die(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:
            await killer.execute("SELECT pg_terminate_backend($1)", conn.get_server_pid())
        return await real_fetch(*args, **kwargs)

    monkeypatch.setattr(srv, "fetch_changes", fetch_then_die)
    try:
        with pytest.raises(CONNECTION_ERRORS):
            await engine.sync_round(b, conn)
    finally:
        monkeypatch.setattr(srv, "fetch_changes", real_fetch)
        await killer.close()
        await conn.close()
    partial = await replica.get_cursor(b)
    assert partial > 0
    await sync(b, pg_database)
    assert await replica.get_cursor(b) > partial
    await assert_converged(pg_database, ida.organization_id, a, b)


@pytest.mark.parametrize("skew_ms", [3_600_000, -3_600_000])
async def test_clock_skew_of_an_hour_still_converges_in_hlc_order(
    pair, pg_database: str, skew_ms: int
) -> None:  # type: ignore[no-untyped-def]
    """An hour behind: B's edits merge in HLC order. An hour ahead (past the 5-minute bound):
    the server refuses B's edits with the reason (recorded); B adopts the server's time and
    re-stamps them, so they arrive in the same sync and B's later edits go through."""
    a, b, ida, _ = pair
    b.hlc._wall = lambda: wall_clock_ms() + skew_ms  # type: ignore[method-assign]
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="start"))
    await sync(a, pg_database)
    await sync(b, pg_database)
    await ops.update_mission(b, mission.id, title="B, skewed")
    report = await sync(b, pg_database)
    ahead = skew_ms > MAX_CLOCK_AHEAD_MS
    assert bool(report.rejections) == ahead
    if ahead:
        assert "ms ahead of the server's time" in report.rejections[0].reason
        assert report.restamped >= 1
        assert (await ops.get_mission(b, mission.id)).title == "B, skewed"
        last = await replica.read_meta(b, replica.LAST_REJECTION_KEY)
        assert last is not None and "ms ahead of the server's time" in last
    await sync(a, pg_database)
    # A's edit comes after it saw B's: it must win, even though B's wall clock may be ahead.
    await ops.update_mission(a, mission.id, title="A, after seeing B")
    await sync(a, pg_database)
    await sync(b, pg_database)
    await ops.update_mission(b, mission.id, priority=5)
    await sync(b, pg_database)
    await sync(a, pg_database)
    for db in (a, b):
        got = await ops.get_mission(db, mission.id)
        assert (got.title, got.priority) == ("A, after seeing B", 5)
    await assert_converged(pg_database, ida.organization_id, a, b)


async def test_a_replica_a_day_ahead_cannot_freeze_a_column_for_everyone(
    pair, pg_database: str
) -> None:  # type: ignore[no-untyped-def]
    """B's clock runs a day ahead: its title edit is refused (recorded); every later edit by A
    wins everywhere, and B shows what everyone else shows."""
    a, b, ida, _ = pair
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="start"))
    await sync(a, pg_database)
    await sync(b, pg_database)
    b.hlc._wall = lambda: wall_clock_ms() + 86_400_000  # type: ignore[method-assign]
    await ops.update_mission(b, mission.id, title="from tomorrow")
    report = await sync(b, pg_database)
    assert mission.id in [r.row_id for r in report.rejections]
    conn = await connect_as(b, pg_database)
    try:
        recorded = await srv.rejections_for(conn, b.site_id)
    finally:
        await conn.close()
    assert any("ahead of the server's time" in r["reason"] for r in recorded)
    for n in range(3):
        await ops.update_mission(a, mission.id, title=f"A edit {n}")
        await sync(a, pg_database)
        await sync(b, pg_database)
        for db in (a, b):
            assert (await ops.get_mission(db, mission.id)).title == f"A edit {n}"
    await assert_converged(pg_database, ida.organization_id, a, b)
