"""The board while agents run: "Stop them" on quit stops a real agent, a config.json edited
meanwhile is taken in, and the log pane's caption tells a cancelled session's real end."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from solo_unicorn_tui.runtime.runners import runner_alive
from solo_unicorn_tui.ui.dialogs.confirm import ConfirmScreen
from solo_unicorn_tui.ui.dialogs.quit import QuitScreen
from solo_unicorn_tui.workspace import Workspace
from storage import missions as ops
from storage.sessions import get_session, list_sessions
from tests.runtime.test_sessions import _assert_gone
from tests.ui.test_board_runtime import _board, _true, _until


def _caption(app: object) -> str:
    return str(app.screen.query_one("#log-caption").render())  # type: ignore[attr-defined]


async def _start(workspace: Workspace, pilot: object, mission_id: str) -> None:
    async def active() -> bool:
        sessions = await list_sessions(workspace.db, mission_id=mission_id)
        return bool(sessions) and sessions[0].status == "active"

    await pilot.press("r")  # type: ignore[attr-defined]
    await _until(pilot, active)


async def test_stop_them_on_quit_stops_the_running_agent_and_the_app_exits(
    workspace: Workspace, tmp_path: Path
) -> None:
    mission = await ops.create_mission(
        workspace.db, workspace.project_id, ops.MissionDraft(title="Stop me", ready=True)
    )
    app = await _board(workspace, tmp_path, "sleep")
    async with app.run_test(size=(140, 40)) as pilot:
        await _until(pilot, lambda: _true(app.board.runtime_host is not None))
        await _start(workspace, pilot, mission.id)
        await pilot.press("q")
        await _until(pilot, lambda: _true(isinstance(app.screen, QuitScreen)))
        await pilot.press("s")
        await _until(pilot, lambda: _true(not app.is_running))
    (session,) = await list_sessions(workspace.db, mission_id=mission.id)
    assert session.pid is not None
    await _assert_gone(session.pid)
    for _ in range(200):
        session = await get_session(workspace.db, session.id)
        if session.status != "active" and not runner_alive(workspace.home, session.id):
            break
        await asyncio.sleep(0.1)
    assert session.status == "cancelled"
    assert not runner_alive(workspace.home, session.id)


async def test_a_config_json_edit_is_taken_in_while_the_board_runs(
    workspace: Workspace, tmp_path: Path
) -> None:
    await ops.create_mission(workspace.db, workspace.project_id, ops.MissionDraft(title="Idle"))
    app = await _board(workspace, tmp_path, "sleep")
    async with app.run_test(size=(140, 40)) as pilot:
        await _until(pilot, lambda: _true(app.board.runtime_host is not None))
        assert app.theme != "textual-light"
        workspace.home.config_file.write_text(
            json.dumps({"theme": "textual-light", "keymap": {"new_mission": "ctrl+n"}})
        )
        await _until(pilot, lambda: _true(app.theme == "textual-light"))
        assert workspace.settings.theme == "textual-light"
        await pilot.press("ctrl+n")  # the key map came in too
        await _until(pilot, lambda: _true(app.screen is not app.board))


async def test_the_log_caption_after_cancel_shows_the_sessions_end(
    workspace: Workspace, tmp_path: Path
) -> None:
    mission = await ops.create_mission(
        workspace.db, workspace.project_id, ops.MissionDraft(title="Cancel me", ready=True)
    )
    app = await _board(workspace, tmp_path, "sleep")
    async with app.run_test(size=(140, 40)) as pilot:
        await _until(pilot, lambda: _true(app.board.runtime_host is not None))
        await _start(workspace, pilot, mission.id)
        await _until(pilot, lambda: _true(_caption(app).endswith("· running")))
        await pilot.press("c")
        await _until(pilot, lambda: _true(isinstance(app.screen, ConfirmScreen)))
        await pilot.press("y")

        async def cancelled() -> bool:
            sessions = await list_sessions(workspace.db, mission_id=mission.id)
            return sessions[0].status == "cancelled"

        await _until(pilot, cancelled)
        await _until(pilot, lambda: _true(_caption(app).endswith("· cancelled")))
        assert _caption(app).startswith("Cancel me — ")
        host = app.board.runtime_host
        await _until(pilot, lambda: _true(host.kept_running() == 0))  # its runner is done too
        await pilot.press("q")  # nothing runs any more: no question
        await _until(pilot, lambda: _true(not app.is_running))


async def test_the_demos_quit_dialog_offers_stop_or_stay() -> None:
    """The demo's sessions run inside it: its quit dialog has no "keep running"."""
    from textual.app import App
    from textual.widgets import Button

    chosen: list[str | None] = []

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(QuitScreen(2, can_keep=False), chosen.append)

    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, QuitScreen)
        assert [b.id for b in dialog.query(Button)] == ["stop", "stay"]
        assert "quitting stops them" in str(dialog.query_one(".dialog-detail").render())
        await pilot.press("k")
        await pilot.pause()
        assert app.screen is dialog and chosen == []
        await pilot.press("s")
        await pilot.pause()
    assert chosen == ["stop"]
