"""Every domain operation writes the row, one event and their outbox entries atomically."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from solo_unicorn_tui.workspace import Workspace
from storage import missions as ops
from storage.change_rows import RowWriter
from storage.database import Database
from storage.errors import NotFoundError, ValidationError
from storage.models import Mission, MissionEvent, OutboxEntry


async def _snapshot(db: Database) -> dict[str, Any]:
    async with db.read() as conn:
        rows = (await conn.execute(select(Mission.__table__))).mappings().all()
        events = (await conn.execute(select(func.count()).select_from(MissionEvent))).scalar()
        outbox = (await conn.execute(select(func.count()).select_from(OutboxEntry))).scalar()
    return {
        "missions": sorted((dict(r) for r in rows), key=lambda r: r["id"]),
        "events": events,
        "outbox": outbox,
    }


async def _two_missions(ws: Workspace) -> tuple[str, str]:
    first = await ops.create_mission(ws.db, ws.project_id, ops.MissionDraft(title="First"))
    second = await ops.create_mission(ws.db, ws.project_id, ops.MissionDraft(title="Second"))
    return first.id, second.id


OPERATIONS: dict[str, Callable[[Database, str, str], Awaitable[Any]]] = {
    "update": lambda db, a, b: ops.update_mission(db, a, title="Renamed", description="x"),
    "move": lambda db, a, b: ops.move_mission(db, a, "doing"),
    "reorder": lambda db, a, b: ops.reorder_mission(db, b, -1),
    "priority": lambda db, a, b: ops.set_priority(db, a, 5),
    "bump_priority": lambda db, a, b: ops.bump_priority(db, a, -1),
    "ready": lambda db, a, b: ops.toggle_ready(db, a),
    "delete": lambda db, a, b: ops.delete_mission(db, a),
}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
async def test_operation_writes_row_event_and_outbox_together(
    workspace: Workspace, name: str
) -> None:
    a, b = await _two_missions(workspace)
    before = await _snapshot(workspace.db)
    await OPERATIONS[name](workspace.db, a, b)
    after = await _snapshot(workspace.db)
    assert after["missions"] != before["missions"]
    assert after["events"] == before["events"] + 1
    assert after["outbox"] == before["outbox"] + 2  # the row's change and the event's


@pytest.mark.parametrize("name", sorted(OPERATIONS))
async def test_failure_mid_operation_leaves_nothing(
    workspace: Workspace, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = await _two_missions(workspace)
    before = await _snapshot(workspace.db)

    def broken_event(self: RowWriter, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("injected failure after the row was written")

    # The one write path (the async ChangeWriter runs RowWriter's statements).
    monkeypatch.setattr(RowWriter, "event", broken_event)
    with pytest.raises(RuntimeError, match="injected"):
        await OPERATIONS[name](workspace.db, a, b)
    assert await _snapshot(workspace.db) == before


async def test_failed_create_leaves_nothing(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await _snapshot(workspace.db)
    original = RowWriter._outbox
    calls = 0

    def outbox_fails_second_time(self: RowWriter, *args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("injected failure writing the event's outbox entry")
        original(self, *args)

    monkeypatch.setattr(RowWriter, "_outbox", outbox_fails_second_time)
    with pytest.raises(RuntimeError, match="injected"):
        await ops.create_mission(workspace.db, workspace.project_id, ops.MissionDraft(title="X"))
    assert await _snapshot(workspace.db) == before


async def test_clocks_advance_per_column(workspace: Workspace) -> None:
    mission = await ops.create_mission(
        workspace.db, workspace.project_id, ops.MissionDraft(title="Clocks")
    )
    created_clock = mission.col_clocks["title"]
    updated = await ops.update_mission(workspace.db, mission.id, priority=4)
    assert updated.col_clocks["title"] == created_clock
    assert updated.col_clocks["priority"] > created_clock
    assert updated.hlc == updated.col_clocks["priority"]
    assert updated.site_id == workspace.db.site_id


async def test_reorder_moves_one_place_and_renumbers_when_gaps_run_out(
    workspace: Workspace,
) -> None:
    db, project = workspace.db, workspace.project_id
    ids = [
        (await ops.create_mission(db, project, ops.MissionDraft(title=f"M{i}"))).id
        for i in range(3)
    ]
    for _ in range(60):  # far more halvings than a double's mantissa allows without renumbering
        await ops.reorder_mission(db, ids[2], -1)
        await ops.reorder_mission(db, ids[2], +1)
    await ops.reorder_mission(db, ids[2], -1)
    order = [m.title for m in await ops.list_missions(db, project, "todo")]
    assert order == ["M0", "M2", "M1"]
    await ops.reorder_mission(db, ids[0], -1)  # already first: nothing happens
    assert [m.title for m in await ops.list_missions(db, project, "todo")] == order


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "   "}, "title: must not be empty"),
        ({"title": "a" * 501}, "limit is 500"),
        ({"title": "bell\x07"}, "control characters"),
        ({"description": "x" * 1_000_001}, "the limit is 100,000"),
        ({"priority": 9}, "out of range"),
        ({"priority": "high"}, "not a number"),
        ({"owner": "me"}, "not a field you can update"),
    ],
)
async def test_bad_input_is_rejected_and_nothing_written(
    workspace: Workspace, fields: dict[str, Any], message: str
) -> None:
    mission = await ops.create_mission(
        workspace.db, workspace.project_id, ops.MissionDraft(title="Target")
    )
    before = await _snapshot(workspace.db)
    with pytest.raises(ValidationError, match=message):
        await ops.update_mission(workspace.db, mission.id, **fields)
    assert await _snapshot(workspace.db) == before


async def test_titles_with_shell_path_and_wide_characters_are_kept_verbatim(
    workspace: Workspace,
) -> None:
    title = "../../etc; rm -rf ~ $(whoami) `id` 🦄 漢字 'quotes' \"double\""
    mission = await ops.create_mission(
        workspace.db, workspace.project_id, ops.MissionDraft(title=title)
    )
    assert (await ops.get_mission(workspace.db, mission.id)).title == title


async def test_unknown_ids_and_deleted_missions_are_not_found(workspace: Workspace) -> None:
    mission = await ops.create_mission(
        workspace.db, workspace.project_id, ops.MissionDraft(title="Gone soon")
    )
    await ops.delete_mission(workspace.db, mission.id)
    with pytest.raises(NotFoundError):
        await ops.get_mission(workspace.db, mission.id)
    with pytest.raises(NotFoundError):
        await ops.move_mission(workspace.db, "mission_nope", "done")
