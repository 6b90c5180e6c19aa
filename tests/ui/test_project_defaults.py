"""A project's defaults are edited from the board's project switcher (``p`` then ``e``), through
the same storage function as ``solo-unicorn project set``: ``project show`` prints them."""

from __future__ import annotations

import json
from typing import Any

from textual.widgets import Input, Select

from solo_unicorn_tui.ui.app import SoloUnicornApp
from solo_unicorn_tui.ui.board_data import BoardData, Writer
from solo_unicorn_tui.ui.dialogs.project_defaults import ProjectDefaultsScreen
from solo_unicorn_tui.ui.dialogs.project_switcher import ProjectSwitcher
from solo_unicorn_tui.workspace import Workspace
from storage import projects
from tests.support.board import quiet, settle
from tests.support.runtime_fixtures import default_profile, script_profile


def _app(workspace: Workspace) -> SoloUnicornApp:
    ident = workspace.identity

    async def open_data() -> BoardData:
        return await BoardData.for_writer(
            Writer(workspace.db, ident.organization_id, workspace.project_id, workspace=workspace)
        )

    return quiet(SoloUnicornApp(open_data))


async def test_the_switcher_sets_a_projects_agent_and_pr_mode(
    workspace: Workspace, cli: Any
) -> None:
    default_profile(workspace, script_profile("commit", name="planner"), save=True)
    default_profile(workspace, script_profile("commit", name="coder"), save=True)
    other = await projects.add_project(workspace.db, workspace.identity.organization_id, "Website")
    app = _app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        switcher = app.screen
        assert isinstance(switcher, ProjectSwitcher)
        switcher.query_one("#project-list").highlighted = list(switcher.names).index(other.id)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ProjectDefaultsScreen)
        agent = form.query_one("#defaults-agent", Select)
        labels = [str(prompt) for prompt, _value in agent._options]
        assert labels[0] == "workstation default (coder)" and {"planner", "coder"} <= set(labels)
        assert form.query_one("#defaults-pr-mode", Select).value == "disabled"

        agent.value = "planner"
        form.query_one("#defaults-pr-mode", Select).value = "enabled"
        assert form.changed() == {"default_agent_name": "planner", "pr_mode_default": "enabled"}
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is switcher

        await pilot.press("e")  # a refused value: storage's one line, the form stays open
        await settle(pilot)
        app.screen.query_one("#defaults-name", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ProjectDefaultsScreen)
        assert "name: must not be empty" in str(app.screen.query_one("#form-error").render())

    shown = cli("project", "show", "Website", "--json")  # the CLI, as a separate process
    assert shown.returncode == 0, shown.stderr
    project = json.loads(shown.stdout)
    assert (project["name"], project["default_agent_name"], project["pr_mode_default"]) == (
        "Website",
        "planner",
        "enabled",
    )
    board_project = await projects.list_projects(workspace.db, workspace.identity.organization_id)
    assert [(p.name, p.default_agent_name) for p in board_project] == [
        ("My project", None),
        ("Website", "planner"),
    ]
