"""An idle board is silent: no query but SQLite's change counter, no frame drawn."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event

from solo_unicorn_tui.ui.app import SoloUnicornApp
from solo_unicorn_tui.ui.board_data import BoardData, Writer
from solo_unicorn_tui.ui.screens.board import BoardScreen
from solo_unicorn_tui.ui.widgets.workstation_panel import WorkstationPanel
from solo_unicorn_tui.workspace import Workspace
from storage import missions as ops

#: Longer than every interval that runs while the board is idle except the hourly cleanup check
#: (the 1 s status tick, the 2 s config check, the 0.3 s selection follow, the 0.5 s poll).
IDLE_SECONDS = 2.5


async def test_an_idle_board_with_its_panel_shown_reads_and_draws_nothing(
    workspace: Workspace,
) -> None:
    for number in range(3):
        await ops.create_mission(
            workspace.db, workspace.project_id, ops.MissionDraft(title=f"Idle {number}")
        )

    async def open_data() -> BoardData:
        writer = Writer(
            workspace.db,
            workspace.identity.organization_id,
            workspace.project_id,
            workspace.settings,
            workspace=workspace,
        )
        return await BoardData.for_writer(writer)

    statements: list[str] = []
    frames: list[float] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    class Counted(SoloUnicornApp):
        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            if renderable is not None:
                frames.append(time.perf_counter())

    app = Counted(open_data)
    engine = workspace.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", executed)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            board = app.screen
            assert isinstance(board, BoardScreen)
            deadline = time.monotonic() + 30
            while board.runtime_host is None and time.monotonic() < deadline:
                await pilot.pause(0.1)
            assert board.runtime_host is not None, "the runtime never started"
            await pilot.press("w")
            while app.screen.query_one(WorkstationPanel).snapshot is None:
                assert time.monotonic() < deadline, "the panel never got its snapshot"
                await pilot.pause(0.1)
            assert board.data is not None
            reader_run = board.data.reader.run

            async def counted_read(sql: str, params: dict[str, Any]) -> Any:
                statements.append(sql)
                return await reader_run(sql, params)

            board.data.reader.run = counted_read  # type: ignore[method-assign]
            await pilot.pause(1.0)  # start-up work (the first follow of the selection) ends
            statements.clear()
            frames.clear()
            await pilot.pause(IDLE_SECONDS)
            read = [sql for sql in statements if "data_version" not in sql]
            assert read == [], f"an idle board queried the replica: {read[:5]}"
            assert frames == [], f"an idle board drew {len(frames)} frames"
    finally:
        event.remove(engine, "before_cursor_execute", executed)
