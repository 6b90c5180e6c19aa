"""The SyncService loop: LISTEN/NOTIFY propagation, status reports, reconnect after a drop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg

from storage import missions as ops
from storage.missions import MissionDraft
from sync.service import SyncService, SyncStatus
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    assert_converged,
    drop_test_roles,
    member_url,
    open_replica,
    sync,
    upgrade_server,
)


async def _until(predicate: Callable[[], object], timeout: float = 30.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if await predicate():  # type: ignore[misc]
            return time.monotonic() - start
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


async def test_live_propagation_and_reconnect(pg_database: str, tmp_path: Path) -> None:
    await upgrade_server(pg_database)
    a, ida = await open_replica(tmp_path / "a.db", "a")
    await sync(a, pg_database)
    b, _ = await open_replica(tmp_path / "b.db", "b")
    await sync(b, pg_database)
    seen: list[SyncStatus] = []
    changes: list[int] = []
    # A long safety-net interval: propagation must come from NOTIFY, not polling.
    url = await member_url(pg_database, ida.organization_id)
    sa = SyncService(a, url, None, interval_seconds=300, retry_seconds=0.5)
    sb = SyncService(
        b,
        url,
        None,
        interval_seconds=300,
        retry_seconds=0.5,
        on_status=seen.append,
        on_change=changes.append,
    )
    tasks = [asyncio.create_task(s.run()) for s in (sa, sb)]
    try:
        await _until(lambda: _synced(sa, sb))
        mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="live"))

        async def b_has_it() -> bool:
            return any(m.id == mission.id for m in await ops.list_missions(b, ida.project_id))

        await _until(b_has_it)

        async def b_was_told() -> bool:
            return bool(changes)

        # on_change fires right after the rows are committed, so a reader may see them first
        await _until(b_was_told, timeout=5.0)

        killer = await asyncpg.connect(pg_database)
        try:
            await killer.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await killer.close()
        await _until(lambda: _any_offline(seen))
        second = await ops.create_mission(b, ida.project_id, MissionDraft(title="after drop"))

        async def a_has_it() -> bool:
            return any(m.id == second.id for m in await ops.list_missions(a, ida.project_id))

        await _until(a_has_it)
        await _until(lambda: _synced(sa, sb))
        assert sb.status.pending == 0
        assert "synced" in sb.status.describe()
    finally:
        for service in (sa, sb):
            service.stop()
        await asyncio.gather(*tasks)
    await sync(a, pg_database)
    await sync(b, pg_database)
    await assert_converged(pg_database, ida.organization_id, a, b)
    await a.close()
    await b.close()


async def _synced(*services: SyncService) -> bool:
    return all(s.status.state == "synced" for s in services)


async def _any_offline(seen: list[SyncStatus]) -> bool:
    return any(s.state == "offline" for s in seen)


async def test_offline_status_when_server_is_unreachable(tmp_path: Path) -> None:
    db, _ = await open_replica(tmp_path / "a.db", "a")
    seen: list[SyncStatus] = []
    service = SyncService(db, "postgresql://postgres@127.0.0.1:1/x", None, on_status=seen.append)
    task = asyncio.create_task(service.run())
    await _until(lambda: _any_offline(seen))
    service.stop()
    await task
    assert service.status.pending > 0
    assert service.status.describe().startswith("⚠ offline")
    await db.close()


def test_status_describe() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 1, 1, tzinfo=UTC)
    synced = SyncStatus("synced", 0, now - timedelta(seconds=5))
    assert synced.describe(now) == "✓ synced 5 s ago"
    assert SyncStatus("offline", 3).describe(now) == "⚠ offline · 3 pending"
    assert SyncStatus("syncing", 0, progress=(10, 100)).describe(now) == "⟳ syncing 10/100"
    assert SyncStatus("disabled").describe(now) == "● local only"
    assert SyncStatus("error", 2, message="bad password").describe(now) == (
        "✗ sync error: bad password · 2 pending"
    )


async def test_service_reconciles_offline_claims_on_connect(
    pg_database: str, tmp_path: Path
) -> None:
    from sync.claims import ClaimClient

    await upgrade_server(pg_database)
    a, ida = await open_replica(tmp_path / "a.db", "a")
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="offline work"))
    await sync(a, pg_database)
    b, idb = await open_replica(tmp_path / "b.db", "b")
    await sync(b, pg_database)
    org = ida.organization_id
    offline = ClaimClient(
        a,
        "postgresql://postgres@127.0.0.1:1/x",
        None,
        org,
        ida.workstation_id,
        allow_offline=True,
    )
    await offline.claim(mission.id)
    url = await member_url(pg_database, org)
    winner = ClaimClient(b, url, None, org, idb.workstation_id)
    await winner.claim(mission.id)
    await winner.close()
    offline.server_url = url
    service = SyncService(a, url, None, claims=offline)
    task = asyncio.create_task(service.run())

    async def conflict_recorded() -> bool:
        return any(e.kind == "claim_conflict" for e in await ops.list_events(a, mission.id))

    try:
        await _until(conflict_recorded)
    finally:
        service.stop()
        await task
        await offline.close()
    assert (await ops.get_mission(a, mission.id)).claimed_by_workstation_id == idb.workstation_id
    await a.close()
    await b.close()
