"""The board's project switcher (``p``) adds, renames and archives projects, through the same
domain write path as ``solo-unicorn project …``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input, OptionList, Static

from solo_unicorn_tui.ui.dialogs.confirm import ConfirmScreen
from solo_unicorn_tui.ui.dialogs.project_switcher import ProjectNameScreen, ProjectSwitcher
from solo_unicorn_tui.ui.widgets.board_header import BoardHeader
from storage import projects
from tests.support.board import app_on_db, open_replica, settle


def _names(screen: Any) -> list[str]:
    options = screen.query_one("#project-list", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_the_switcher_adds_renames_and_archives_projects(tmp_path: Path) -> None:
    db, identity = await open_replica(tmp_path / "replica.db")
    try:
        app = app_on_db(db, identity)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("p")
            await settle(pilot)
            switcher = app.screen
            assert isinstance(switcher, ProjectSwitcher)
            assert _names(switcher) == ["● My project"]

            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, ProjectNameScreen)
            await pilot.press("ctrl+s")  # empty: the domain's one line, the form stays
            await settle(pilot)
            assert "name: must not be empty" in str(app.screen.query_one("#form-error").render())
            await pilot.press(*"Website", "enter")
            await settle(pilot)
            assert app.screen is switcher
            assert _names(switcher) == ["● My project", "  Website"]
            assert switcher._highlighted() != identity.project_id  # the new one

            await pilot.press("r")
            await settle(pilot)
            form = app.screen
            assert isinstance(form, ProjectNameScreen)
            form.query_one("#project-name", Input).value = "Web site"
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert _names(switcher) == ["● My project", "  Web site"]

            await pilot.press("x")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await settle(pilot)
            assert _names(switcher) == ["● My project"]
            await pilot.press("x")  # the project on the board is not archived from here
            await settle(pilot)
            assert app.screen is switcher

            await pilot.press("r")
            await settle(pilot)
            app.screen.query_one("#project-name", Input).value = "Home page"
            await pilot.press("ctrl+s")
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
            place = app.board.query_one(BoardHeader).query_one("#header-place", Static)
            assert "project Home page" in str(place.render())  # the header follows a rename
        found = await projects.list_projects(db, identity.organization_id, include_archived=True)
        assert [(p.name, p.status) for p in found] == [
            ("Home page", "active"),
            ("Web site", "archived"),
        ]
    finally:
        await db.close()
