"""The mission form names the agent profile that runs the mission (issue 17 item 1): the
workstation's profiles are offered, the project's or workstation's default is named."""

from __future__ import annotations

from textual.widgets import Select

from solo_unicorn_tui.ui.app import SoloUnicornApp
from solo_unicorn_tui.ui.board_data import BoardData, Writer
from solo_unicorn_tui.ui.dialogs.mission_form import MissionFormScreen
from solo_unicorn_tui.workspace import Workspace
from storage import missions as ops
from tests.support.board import quiet, settle
from tests.support.runtime_fixtures import default_profile, script_profile


async def test_the_form_names_an_agent_profile(workspace: Workspace) -> None:
    default_profile(workspace, script_profile("commit", name="planner"), save=True)
    profiles = default_profile(workspace, script_profile("commit", name="coder"))
    profiles.default_name = "planner"
    profiles.save()
    ident = workspace.identity

    async def open_data() -> BoardData:
        return await BoardData.for_writer(
            Writer(workspace.db, ident.organization_id, workspace.project_id, workspace=workspace)
        )

    app = quiet(SoloUnicornApp(open_data))
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, MissionFormScreen)
        await pilot.press(*"Two agents")
        agent = form.query_one("#form-agent", Select)
        labels = [str(prompt) for prompt, _value in agent._options]
        assert labels[0] == "stage or project default (planner)"
        assert {"planner", "coder"} <= set(labels)
        agent.value = "coder"
        await pilot.press("ctrl+s")
        await settle(pilot)
    [made] = [
        m
        for m in await ops.list_missions(workspace.db, workspace.project_id)
        if m.title == "Two agents"
    ]
    assert made.agent_name == "coder"
