"""Exclusive leased claims on the real server: races, lease expiry, offline claims."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage import missions as ops
from storage.errors import ConflictError
from storage.missions import MissionDraft
from sync.claims import ClaimClient, StaleClaimError
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    drop_test_roles,
    member_url,
    open_replica,
    sync,
    upgrade_server,
)

RACES = 200


@pytest.fixture
async def team(pg_database: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    await upgrade_server(pg_database)
    replicas = []
    for name in ("a", "b", "c"):
        db, identity = await open_replica(tmp_path / f"{name}.db", name)
        await sync(db, pg_database)
        replicas.append((db, identity))
    yield replicas
    for db, _ in replicas:
        await db.close()


def client(db, identity, url, org, **kwargs) -> ClaimClient:  # type: ignore[no-untyped-def]
    return ClaimClient(db, url, None, org, identity.workstation_id, **kwargs)


async def online(db, identity, url, org, **kwargs) -> ClaimClient:  # type: ignore[no-untyped-def]
    """A claim client connecting as the organization's member role."""
    return client(db, identity, await member_url(url, org), org, **kwargs)


async def test_two_replicas_race_for_a_claim_exactly_one_wins(team, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    (a, ida), (b, idb), _ = team
    org = ida.organization_id
    missions = [
        await ops.create_mission(a, ida.project_id, MissionDraft(title=f"m{i}"))
        for i in range(RACES)
    ]
    await sync(a, pg_database)
    await sync(b, pg_database)
    ca, cb = await online(a, ida, pg_database, org), await online(b, idb, pg_database, org)
    winners = {"a": 0, "b": 0}
    try:
        for mission in missions:
            results = await asyncio.gather(
                ca.claim(mission.id), cb.claim(mission.id), return_exceptions=True
            )
            epochs = [r for r in results if isinstance(r, int)]
            conflicts = [r for r in results if isinstance(r, ConflictError)]
            assert len(epochs) == 1 and len(conflicts) == 1, results
            assert epochs == [1]
            winners["a" if isinstance(results[0], int) else "b"] += 1
    finally:
        await ca.close()
        await cb.close()
    assert sum(winners.values()) == RACES


async def test_lease_expiry_lets_a_third_take_over(team, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    (a, ida), (b, idb), (c, idc) = team
    org = ida.organization_id
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="leased"))
    for db in (a, b, c):
        await sync(db, pg_database)
    ca = await online(a, ida, pg_database, org, lease_seconds=0.5)
    cb = await online(b, idb, pg_database, org)
    cc = await online(c, idc, pg_database, org)
    try:
        epoch = await ca.claim(mission.id)
        await ca.renew(mission.id, epoch)
        with pytest.raises(ConflictError, match="claimed by workstation"):
            await cb.claim(mission.id)
        await asyncio.sleep(0.7)
        taken = await cc.claim(mission.id)
        assert taken == epoch + 1
        with pytest.raises(ConflictError, match="was lost"):
            await ca.renew(mission.id, epoch)
        await cc.release(mission.id, taken)
        assert await cb.claim(mission.id) == taken + 1
    finally:
        for cl in (ca, cb, cc):
            await cl.close()


async def test_offline_claim_loses_to_the_server_and_records_a_conflict(
    team, pg_database: str
) -> None:  # type: ignore[no-untyped-def]
    (a, ida), (b, idb), _ = team
    org = ida.organization_id
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="contested"))
    await sync(a, pg_database)
    await sync(b, pg_database)
    offline = client(a, ida, "postgresql://postgres@127.0.0.1:1/none", org, allow_offline=True)
    local_epoch = await offline.claim(mission.id)
    assert (await ops.get_mission(a, mission.id)).claimed_by_workstation_id == ida.workstation_id
    cb = await online(b, idb, pg_database, org)
    server_epoch = await cb.claim(mission.id)
    offline.server_url = await member_url(pg_database, org)
    try:
        conflicts = await offline.reconcile()
    finally:
        await offline.close()
        await cb.close()
    assert [(c.mission_id, c.holder_workstation_id) for c in conflicts] == [
        (mission.id, idb.workstation_id)
    ]
    got = await ops.get_mission(a, mission.id)
    assert got.claimed_by_workstation_id == idb.workstation_id
    assert got.claim_epoch == server_epoch
    events = [e for e in await ops.list_events(a, mission.id) if e.kind == "claim_conflict"]
    assert len(events) == 1 and events[0].origin == "sync"
    assert local_epoch >= 1
    # The conflict event reaches the other replica too.
    await sync(a, pg_database)
    await sync(b, pg_database)
    assert any(e.kind == "claim_conflict" for e in await ops.list_events(b, mission.id))


async def test_offline_claim_without_contention_becomes_a_server_claim(
    team, pg_database: str
) -> None:  # type: ignore[no-untyped-def]
    (a, ida), _, _ = team
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="mine"))
    offline = client(
        a, ida, "postgresql://postgres@127.0.0.1:1/none", ida.organization_id, allow_offline=True
    )
    await offline.claim(mission.id)
    offline.server_url = await member_url(pg_database, ida.organization_id)
    try:
        assert await offline.reconcile() == []
    finally:
        await offline.close()
    assert (await ops.get_mission(a, mission.id)).claim_epoch == 1


async def test_writes_with_a_stale_claim_epoch_are_fenced_off(team, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    (a, ida), (b, idb), _ = team
    org = ida.organization_id
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="fenced"))
    await sync(a, pg_database)
    await sync(b, pg_database)
    ca = await online(a, ida, pg_database, org, lease_seconds=0.3)
    cb = await online(b, idb, pg_database, org)
    try:
        stale = await ca.claim(mission.id)
        await asyncio.sleep(0.5)
        fresh = await cb.claim(mission.id)
    finally:
        await ca.close()
        await cb.close()
    assert fresh == stale + 1
    report = await sync(a, pg_database)  # A's local claim write carries the stale epoch
    assert any("stale claim epoch" in r.reason for r in report.rejections)
    report = await sync(b, pg_database)
    assert not report.rejections
    await sync(a, pg_database)
    got = await ops.get_mission(a, mission.id)
    assert (got.claimed_by_workstation_id, got.claim_epoch) == (idb.workstation_id, fresh)


async def test_the_holders_own_earlier_epochs_are_not_fenced_off(team, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    """Each stage takes the next epoch; writes of the previous stage, pushed later, still count."""
    (a, ida), (b, _), _ = team
    org = ida.organization_id
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="two stages"))
    await sync(a, pg_database)
    ca = await online(a, ida, pg_database, org)
    try:
        first = await ca.claim(mission.id)
        await ops.update_mission(a, mission.id, title="after stage one")
        await ca.release(mission.id, first)
        second = await ca.claim(mission.id)
        await ca.release(mission.id, second)
    finally:
        await ca.close()
    assert second == first + 1
    report = await sync(a, pg_database)
    assert not report.rejections, [r.reason for r in report.rejections]
    await sync(b, pg_database)
    got = await ops.get_mission(b, mission.id)
    assert (got.title, got.claim_epoch) == ("after stage one", second)


async def test_a_holders_epoch_before_a_takeover_stays_fenced(team, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    """A claims, B takes over, A claims again: A's writes from before B's epoch are stale."""
    (a, ida), (b, idb), _ = team
    org = ida.organization_id
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="taken over"))
    await sync(a, pg_database)
    await sync(b, pg_database)
    ca, cb = await online(a, ida, pg_database, org), await online(b, idb, pg_database, org)
    try:
        old = await ca.claim(mission.id)
        await ca.release(mission.id, old)
        middle = await cb.claim(mission.id)
        await cb.release(mission.id, middle)
        latest = await ca.claim(mission.id)
    finally:
        await ca.close()
        await cb.close()
    assert (old, middle, latest) == (1, 2, 3)
    report = await sync(a, pg_database)
    assert [r for r in report.rejections if "stale claim epoch 1" in r.reason]
    assert not [r for r in report.rejections if "stale claim epoch 3" in r.reason]


async def test_a_stale_replica_cannot_claim_a_stage_that_ran(team, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    """B has not pulled A's finished stage: its claim is refused and it catches up first."""
    (a, ida), (b, idb), _ = team
    org = ida.organization_id
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="once"))
    await sync(a, pg_database)
    await sync(b, pg_database)
    ca, cb = await online(a, ida, pg_database, org), await online(b, idb, pg_database, org)
    try:
        epoch = await ca.claim(mission.id)
        await ops.update_mission(a, mission.id, stage="plan", origin="agent")
        await ca.release(mission.id, epoch)
        await sync(a, pg_database)
        assert (await ops.get_mission(b, mission.id)).stage == "clarify"
        with pytest.raises(StaleClaimError, match="moved on on the server"):
            await cb.claim(mission.id)
        # B pulled the server's version while refusing; with it, the next stage may be claimed.
        assert (await ops.get_mission(b, mission.id)).stage == "plan"
        assert await cb.claim(mission.id) == epoch + 1
    finally:
        await ca.close()
        await cb.close()
