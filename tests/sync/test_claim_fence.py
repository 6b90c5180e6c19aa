"""Claim fencing by holder as well as epoch, on the real server (migration 0012).

An offline claim takes epoch ``seen + 1``, and so does the online claim that beats it: both runs
carry epoch 1. The loser's writes (its session, the mission moves its end caused) are refused
with a recorded reason, the winner's are accepted, and every replica ends with the same session
records. A stage runs through the product path: ``ClaimClient.claim``, ``claim_mission``,
``create_session``, ``mark_session_running``, ``finish_session``, ``release``.
"""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from storage import missions as ops
from storage import sessions as session_ops
from storage.changes import FENCE_KEY
from storage.database import Database
from storage.identity import Identity
from storage.missions import MissionDraft
from storage.types import utcnow
from sync import replica
from sync.claims import ClaimClient
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    assert_converged,
    drop_test_roles,
    member_url,
    open_replica,
    sync,
    upgrade_server,
)

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/none"


@pytest.fixture
async def pair(pg_database: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    await upgrade_server(pg_database)
    replicas = []
    for name in ("a", "b"):
        replicas.append(await open_replica(tmp_path / f"{name}.db", name))
    await sync(replicas[0][0], pg_database)
    await sync(replicas[1][0], pg_database)
    yield replicas
    for db, _ in replicas:
        await db.close()


async def run_stage(
    db: Database, ident: Identity, claims: ClaimClient, mission_id: str, *, push: bool = True
) -> str:
    """One stage, as the session runner does it, ending in success; returns the session id."""
    epoch = await claims.claim(mission_id)
    mission = await session_ops.claim_mission(
        db, mission_id, ident.workstation_id, lease_seconds=60, server_epoch=epoch
    )
    session = await session_ops.create_session(
        db,
        mission,
        code_agent_type="command",
        code_agent_name="script",
        stage=mission.stage,
        worktree_id=None,
        working_directory=None,
        log_path="/dev/null",
        prompt_path=None,
        start_reason="test",
    )
    await session_ops.mark_session_running(db, session.id, 4242)
    await session_ops.finish_session(
        db,
        session.id,
        session_ops.SessionOutcome(
            status=session_ops.SUCCESS,
            exit_code=0,
            ended_at=utcnow(),
            duration_seconds=0.1,
            end_reason="exited 0",
        ),
        max_recovery_attempts=3,
    )
    await claims.release(mission_id, epoch, push=push)
    return session.id


async def session_ids(db: Database, mission_id: str) -> list[str]:
    return sorted(s.id for s in await session_ops.list_sessions(db, mission_id=mission_id))


async def server_session_ids(url: str, mission_id: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT id FROM code_agent_sessions WHERE mission_id = $1 ORDER BY id", mission_id
        )
    finally:
        await conn.close()
    return [r["id"] for r in rows]


async def test_equal_epochs_the_offline_loser_is_fenced_and_sessions_converge(
    pair, pg_database: str
) -> None:  # type: ignore[no-untyped-def]
    (a, ida), (b, idb) = pair
    org = ida.organization_id
    mission = await ops.create_mission(
        a, ida.project_id, MissionDraft(title="contested", ready=True)
    )
    await sync(a, pg_database)
    await sync(b, pg_database)
    url = await member_url(pg_database, org)
    offline = ClaimClient(a, UNREACHABLE, None, org, ida.workstation_id, allow_offline=True)
    online = ClaimClient(b, url, None, org, idb.workstation_id)
    try:
        lost = await run_stage(a, ida, offline, mission.id)  # offline: epoch 0 + 1
        won = await run_stage(b, idb, online, mission.id)  # online: the server's epoch 1
        assert (await ops.get_mission(a, mission.id)).claim_epoch == 1
        assert (await ops.get_mission(b, mission.id)).claim_epoch == 1
        offline.server_url = url
        conflicts = await offline.reconcile()
    finally:
        await offline.close()
        await online.close()
    assert [c.holder_workstation_id for c in conflicts] == [idb.workstation_id]

    report = await sync(a, pg_database)
    reasons = [r.reason for r in report.rejections]
    assert reasons and all("offline claim that lost" in r for r in reasons), reasons
    assert {r.row_id for r in report.rejections} >= {mission.id, lost}
    assert not (await sync(b, pg_database)).rejections
    await sync(a, pg_database)

    assert await session_ids(a, mission.id) == [won]
    assert await session_ids(b, mission.id) == [won]
    assert await server_session_ids(pg_database, mission.id) == [won]
    got_a, got_b = await ops.get_mission(a, mission.id), await ops.get_mission(b, mission.id)
    assert got_a.stage == got_b.stage == "plan"
    assert got_a.last_code_agent_session_id == won
    for db in (a, b):
        kinds = [e.kind for e in await ops.list_events(db, mission.id)]
        assert kinds.count("claim_conflict") == 1, kinds
    conn = await asyncpg.connect(pg_database)
    try:
        recorded = await conn.fetch(
            "SELECT reason FROM sync_rejections WHERE row_id = $1", mission.id
        )
    finally:
        await conn.close()
    assert any("offline claim that lost" in r["reason"] for r in recorded)
    await assert_converged(pg_database, org, a, b)


async def test_the_winners_own_earlier_stage_is_not_fenced(pair, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    """Two stages back to back on one home, pushed only at the end: nothing is refused."""
    (a, ida), (b, _) = pair
    org = ida.organization_id
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="mine", ready=True))
    await sync(a, pg_database)
    claims = ClaimClient(a, await member_url(pg_database, org), None, org, ida.workstation_id)
    try:
        first = await run_stage(a, ida, claims, mission.id, push=False)
        assert (await ops.get_mission(a, mission.id)).stage == "plan"
        second = await run_stage(a, ida, claims, mission.id, push=False)
    finally:
        await claims.close()
    report = await sync(a, pg_database)
    assert not report.rejections, [r.reason for r in report.rejections]
    await sync(b, pg_database)
    assert await session_ids(b, mission.id) == sorted([first, second])
    await assert_converged(pg_database, org, a, b)


async def test_session_finishing_writes_carry_the_claim_fence(pair, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    """The writes that end a run (session status, the mission's move) carry epoch and holder,
    so a holder whose claim was taken over meanwhile cannot move the mission on the server."""
    (a, ida), (b, idb) = pair
    org = ida.organization_id
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="late", ready=True))
    await sync(a, pg_database)
    await sync(b, pg_database)
    url = await member_url(pg_database, org)
    ca = ClaimClient(a, url, None, org, ida.workstation_id, lease_seconds=60)
    epoch = await ca.claim(mission.id)
    claimed = await session_ops.claim_mission(
        a, mission.id, ida.workstation_id, lease_seconds=60, server_epoch=epoch
    )
    session = await session_ops.create_session(
        a,
        claimed,
        code_agent_type="command",
        code_agent_name="script",
        stage=claimed.stage,
        worktree_id=None,
        working_directory=None,
        log_path="/dev/null",
        prompt_path=None,
        start_reason="test",
    )
    await sync(a, pg_database)
    await ca.close()
    # The server's claim passes to B (A's lease lapsed, say) before A's run ends.
    admin = await asyncpg.connect(pg_database)
    try:
        await admin.execute(
            "UPDATE mission_claims SET lease_expires_at = now() WHERE mission_id = $1", mission.id
        )
    finally:
        await admin.close()
    cb = ClaimClient(b, url, None, org, idb.workstation_id)
    try:
        await sync(b, pg_database)
        taken = await cb.claim(mission.id)
    finally:
        await cb.close()
    assert taken == epoch + 1
    # The agent of the run that lost its claim still reports (MCP or CLI, origin agent).
    await ops.update_mission(a, mission.id, origin="agent", solution="late plan")
    await session_ops.finish_session(
        a,
        session.id,
        session_ops.SessionOutcome(
            status=session_ops.SUCCESS,
            exit_code=0,
            ended_at=utcnow(),
            duration_seconds=1.0,
            end_reason="exited 0",
        ),
        max_recovery_attempts=3,
    )
    pending = await replica.read_outbox(a, 100)
    ending = [c for c in pending if c.table_name in ("missions", "code_agent_sessions")]
    assert any("solution" in c.values for c in ending)
    assert ending and all(
        json.loads(json.dumps(c.values[FENCE_KEY]))
        == {"mission_id": mission.id, "epoch": epoch, "workstation_id": ida.workstation_id}
        for c in ending
    )
    assert any(c.table_name == "missions" and "stage" in c.values for c in ending)
    report = await sync(a, pg_database)
    assert {r.row_id for r in report.rejections} == {mission.id, session.id}
    assert all("stale claim epoch" in r.reason for r in report.rejections)
    await sync(b, pg_database)
    await sync(a, pg_database)
    for db in (a, b):
        got = await ops.get_mission(db, mission.id)
        assert (got.stage, got.claimed_by_workstation_id) == ("clarify", idb.workstation_id)
        assert got.solution is None
    await assert_converged(pg_database, org, a, b)
