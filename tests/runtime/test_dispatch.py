"""Which missions the dispatcher picks, and the background dispatcher the board turns on."""

from __future__ import annotations

import asyncio

from solo_unicorn_tui.runtime.events import DispatcherChanged, SessionEnded
from storage import missions as ops
from storage.changes import ChangeWriter
from storage.models import MissionDependency
from storage.sessions import claim_mission, dispatchable_missions
from tests.runtime.test_sessions import _mission, _setup
from tests.support.runtime_fixtures import script_profile


async def _block(workspace, mission_id: str, blocker_id: str) -> None:  # type: ignore[no-untyped-def]
    async with workspace.db.write() as conn:
        await ChangeWriter(workspace.db, conn).insert(
            MissionDependency.__table__,
            {
                "organization_id": workspace.identity.organization_id,
                "mission_id": mission_id,
                "depends_on_mission_id": blocker_id,
                "dependency_type": "blocks",
            },
        )


async def test_dispatch_order_and_filters(workspace):
    db, project = workspace.db, workspace.project_id
    low = await _mission(workspace, "low", priority=1)
    high = await _mission(workspace, "high", priority=5)
    mid_a = await _mission(workspace, "mid a", priority=3)
    mid_b = await _mission(workspace, "mid b", priority=3)
    not_ready = (await ops.create_mission(db, project, ops.MissionDraft(title="nr"))).id
    blocked = await _mission(workspace, "blocked", priority=5)
    await _block(workspace, blocked, low)
    in_review = await _mission(workspace, "in review", priority=5)
    await ops.move_mission(db, in_review, "review")
    claimed = await _mission(workspace, "claimed", priority=5)
    await claim_mission(db, claimed, "ws_other", lease_seconds=600)
    deleted = await _mission(workspace, "deleted", priority=5)
    await ops.delete_mission(db, deleted)

    order = [m.id for m in await dispatchable_missions(db, project)]
    assert order == [high, mid_a, mid_b, low]
    assert not {not_ready, blocked, in_review, claimed, deleted} & set(order)
    await ops.move_mission(db, low, "done")
    assert blocked in [m.id for m in await dispatchable_missions(db, project)]
    # an expired claim no longer holds the mission
    stale = await claim_mission(db, mid_a, "ws_other", lease_seconds=-1)
    assert stale.claim_epoch == 1
    assert mid_a in [m.id for m in await dispatchable_missions(db, project)]


async def test_profile_concurrency_limits_dispatch(workspace, tmp_path):
    profile = script_profile("sleep", max_concurrency=1)
    runtime, _ = await _setup(workspace, tmp_path, profile, max_concurrent=5)
    await _mission(workspace, "one")
    await _mission(workspace, "two")
    started = await runtime.dispatcher.start_available()
    assert len(started) == 1
    snapshot = await runtime.snapshot()
    agent = next(a for a in snapshot.agents if a.name == "script")
    assert agent.busy and agent.running == 1 and agent.is_default
    assert [s.mission_title for s in snapshot.sessions] == ["one"]
    for handle in runtime.running():
        handle.cancel()
    await runtime.wait_idle()


async def test_background_dispatcher_runs_until_stopped(workspace, tmp_path):
    runtime, _ = await _setup(workspace, tmp_path, script_profile("commit"))
    events: list[object] = []
    runtime.subscribe(events.append)
    runtime.start_dispatcher()
    assert runtime.dispatcher_running
    mission_id = await _mission(workspace, "late arrival")
    for _ in range(200):
        if sum(isinstance(e, SessionEnded) for e in events) >= 2:
            break
        await asyncio.sleep(0.05)
    await runtime.stop_dispatcher()
    assert not runtime.dispatcher_running
    assert [e.running for e in events if isinstance(e, DispatcherChanged)] == [True, False]
    mission = await ops.get_mission(workspace.db, mission_id)
    assert mission.list == "review"
    snapshot = await runtime.snapshot()
    assert len(snapshot.worktrees) == 1 and snapshot.worktrees[0].status == "ready"
    assert snapshot.worktrees[0].unpushed == 2 and not snapshot.worktrees[0].dirty


async def test_run_mission_errors_are_one_line(workspace, tmp_path):
    from solo_unicorn_tui.errors import UserError
    from solo_unicorn_tui.runtime.core import Runtime

    bare = Runtime.from_workspace(workspace)
    mission_id = await _mission(workspace)
    try:
        await bare.run_mission(mission_id)
    except UserError as error:
        assert "repo add" in str(error)
    else:
        raise AssertionError("expected a UserError")


async def test_announce_publishes_available_agents(workspace, tmp_path):
    from sqlalchemy import select

    from storage.models import Workstation

    runtime, _ = await _setup(workspace, tmp_path, script_profile("commit"))
    await runtime.announce("online")
    table = Workstation.__table__
    async with workspace.db.read() as conn:
        row = (
            (await conn.execute(select(table).where(table.c.id == runtime.workstation_id)))
            .mappings()
            .one()
        )
    assert row["status"] == "online" and row["last_seen_at"] is not None
    assert {"name": "script", "type": "command", "max_concurrency": 1} in row[
        "available_code_agents"
    ]
