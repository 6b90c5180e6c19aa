"""The welcome board is for a replica that never held a mission; any later empty board (the
last mission deleted, a new project) says so in one line instead."""

from __future__ import annotations

import json
from typing import Any

from solo_unicorn_tui.cli.board import board_app
from solo_unicorn_tui.home import Home
from solo_unicorn_tui.ui.widgets.empty_hint import EmptyHint
from solo_unicorn_tui.ui.widgets.welcome_panel import WelcomePanel
from solo_unicorn_tui.workspace import open_workspace
from storage import missions as ops
from storage.identity import create_project
from tests.support.board import settle


def _shown(app: Any) -> tuple[bool, bool, str]:
    """(welcome shown, hint shown, hint text)."""
    screen = app.screen
    hint = screen.query_one(EmptyHint)
    welcome = screen.query_one(WelcomePanel)
    return welcome.has_class("-shown"), hint.has_class("-shown"), str(hint.render())


async def test_a_fresh_home_gets_the_welcome_board_and_no_hint(home: Home) -> None:
    app = board_app(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        welcome, hint, _text = _shown(app)
        assert welcome and not hint
        assert not app.screen.query_one("#columns").display


async def test_the_last_mission_deleted_leaves_a_one_line_hint(home: Home) -> None:
    ws = await open_workspace(home)
    try:
        await ops.create_mission(ws.db, ws.project_id, ops.MissionDraft(title="Only one"))
    finally:
        await ws.db.close()
    app = board_app(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert _shown(app)[:2] == (False, False)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.board.list_for("todo").count == 0
        welcome, hint, text = _shown(app)
        assert not welcome and hint
        assert text == "no missions — n to add one"
        assert app.screen.query_one("#columns").display
        await pilot.press("n")  # the key it names opens the form
        await settle(pilot)
        assert app.screen.id != "board"


async def test_a_new_project_of_a_used_replica_shows_the_hint_with_the_key_in_force(
    home: Home,
) -> None:
    ws = await open_workspace(home)
    try:
        await ops.create_mission(ws.db, ws.project_id, ops.MissionDraft(title="Elsewhere"))
        empty = await create_project(ws.db, ws.identity.organization_id, "Empty")
    finally:
        await ws.db.close()
    home.config_file.write_text(
        json.dumps({"project_id": empty.id, "keymap": {"new_mission": "ctrl+n"}})
    )
    app = board_app(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.board.data.project_id == empty.id
        welcome, hint, text = _shown(app)
        assert not welcome and hint
        assert text == "no missions — ^n to add one"


async def test_a_fresh_home_shows_the_welcome_board_before_the_replica_is_made(
    home: Home,
) -> None:
    import asyncio

    app = board_app(home)
    opened = asyncio.Event()
    open_data = app._open_data

    async def held_back() -> Any:
        await opened.wait()
        return await open_data()

    app._open_data = held_back
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert not home.replica.exists() and app.board.data is None
        assert _shown(app)[:2] == (True, False)
        assert "Three steps to a first run" in str(app.screen.query_one("#welcome-text").render())
        opened.set()
        await settle(pilot)
        assert home.replica.exists() and app.board.data is not None
        assert _shown(app)[:2] == (True, False)
