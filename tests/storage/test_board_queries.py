"""The board's storage pieces: review decisions and the read-only board queries."""

from __future__ import annotations

from storage import missions as ops
from storage.board_queries import (
    BoardFilter,
    card_window,
    list_counts,
    position_of,
    sqlalchemy_runner,
)
from storage.changes import ChangeWriter
from storage.models import MissionDependency, OutboxEntry
from storage.replica_reader import ReplicaReader


async def _mission(workspace, title: str, list_name: str = "todo", **extra):
    mission = await ops.create_mission(
        workspace.db, workspace.project_id, ops.MissionDraft(title=title, list=list_name)
    )
    if extra:
        mission = await ops.update_mission(workspace.db, mission.id, **extra)
    return mission


async def _outbox_count(workspace) -> int:
    from sqlalchemy import func, select

    async with workspace.db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(OutboxEntry))).scalar_one()


async def test_blocked_only_while_the_blocker_is_unfinished(workspace) -> None:
    blocker = await _mission(workspace, "Blocker")
    waiting = await _mission(workspace, "Waiting")
    async with workspace.db.write() as conn:
        await ChangeWriter(workspace.db, conn).insert(
            MissionDependency.__table__,
            {
                "organization_id": workspace.identity.organization_id,
                "mission_id": waiting.id,
                "depends_on_mission_id": blocker.id,
            },
        )

    async def blocked() -> dict[str, bool]:
        async with workspace.db.read() as conn:
            cards = await card_window(sqlalchemy_runner(conn), workspace.project_id, "todo", 0, 10)
        return {c.title: c.blocked for c in cards}

    assert await blocked() == {"Blocker": False, "Waiting": True}
    await ops.move_mission(workspace.db, blocker.id, "done")
    assert await blocked() == {"Waiting": False}


async def test_filters_and_positions_through_the_stdlib_reader(workspace) -> None:
    for title in ("100% done", "under_score", "plain", "Plain again"):
        await _mission(workspace, title)
    await _mission(workspace, "Ready one", ready=True, priority=5)
    reader = await ReplicaReader.open(workspace.db.engine.url.database)
    try:
        run, project = reader.run, workspace.project_id
        assert (await list_counts(run, project))["todo"] == 5
        assert (await list_counts(run, project, BoardFilter(text="%")))["todo"] == 1
        assert (await list_counts(run, project, BoardFilter(text="_")))["todo"] == 1
        assert (await list_counts(run, project, BoardFilter(text="plain")))["todo"] == 2
        assert (await list_counts(run, project, BoardFilter(ready=True, priority=5)))["todo"] == 1
        window = await card_window(run, project, "todo", 1, 2)
        assert [c.title for c in window] == ["under_score", "plain"]
        assert await position_of(run, project, window[1].id) == ("todo", 2)
        hidden = BoardFilter(text="nothing like this")
        assert await position_of(run, project, window[1].id, hidden) is None
    finally:
        await reader.close()


async def test_a_new_mission_starts_in_its_flows_first_stage(workspace) -> None:
    from storage import flows

    quick = await flows.add_flow(
        workspace.db, workspace.project_id, "Quick", flows.parse_stage_spec("plan!,code!")
    )
    named = await ops.create_mission(
        workspace.db, workspace.project_id, ops.MissionDraft(title="Named", flow_id=quick.id)
    )
    assert (named.flow_id, named.stage) == (quick.id, "plan")
    default = await _mission(workspace, "Default")
    assert default.stage == "clarify"
    await flows.set_default_flow(workspace.db, workspace.project_id, quick.id)
    assert (await _mission(workspace, "Now quick")).stage == "plan"
