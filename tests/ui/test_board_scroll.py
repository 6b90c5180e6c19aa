"""Long lists: only a window is loaded; scrolling and jumping load the rest on demand."""

from __future__ import annotations

from pathlib import Path

from textual.events import MouseScrollDown

from solo_unicorn_tui.ui.widgets.mission_list import WINDOW
from storage import missions as ops
from tests.support.board import app_on_db, open_replica, settle

COUNT = WINDOW + 60


async def test_long_list_loads_windows_on_demand(tmp_path: Path) -> None:
    db, identity = await open_replica(tmp_path / "replica.db")
    try:
        for number in range(COUNT):
            await ops.create_mission(
                db, identity.project_id, ops.MissionDraft(title=f"Mission {number:03d}")
            )
        app = app_on_db(db, identity)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            todo = app.board.list_for("todo")
            assert todo.count == COUNT
            assert len(todo.rows) == WINDOW
            await pilot.press("end")
            await settle(pilot)
            assert todo.selected_card.title == f"Mission {COUNT - 1:03d}"
            await pilot.press("home")
            await settle(pilot)
            assert todo.scroll_offset.y == 0
            for _ in range(5):
                todo.post_message(MouseScrollDown(todo, 1, 1, 0, 0, 0, False, False, False))
            await settle(pilot)
            assert todo.scroll_offset.y > 0
            await pilot.press("L")
            await settle(pilot)
            assert (await ops.get_mission(db, todo.follow_id or "")).list == "todo"
            doing = app.board.list_for("doing")
            assert doing.count == 1
            assert (await ops.get_mission(db, doing.rows[0].id)).title == "Mission 000"
    finally:
        await db.close()
