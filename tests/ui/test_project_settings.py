"""The project settings screen (S): flows and their stages, actors, memory; and the mission
form's flow and actor choices. Driven with Pilot, checked against the replica."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox, Input, OptionList, Select, Static, TextArea

from solo_unicorn_tui.ui.dialogs.actor_form import ActorFormScreen
from solo_unicorn_tui.ui.dialogs.confirm import ConfirmScreen
from solo_unicorn_tui.ui.dialogs.flow_forms import NewFlowScreen, StageFormScreen
from solo_unicorn_tui.ui.dialogs.mission_form import MissionFormScreen
from solo_unicorn_tui.ui.screens.project_settings import ProjectSettingsScreen
from storage import actors, flows, memory
from storage import missions as ops
from storage.database import Database
from storage.identity import Identity, get_project
from tests.support.board import (
    app_on_db,
    app_on_path,
    build_replica,
    freeze_ids_and_time,
    open_replica,
    settle,
)

SIZE = (120, 40)


def settings_screen(app: Any) -> ProjectSettingsScreen:
    assert isinstance(app.screen, ProjectSettingsScreen)
    return app.screen


async def open_settings(pilot: Any) -> ProjectSettingsScreen:
    await settle(pilot)
    await pilot.press("S")
    await settle(pilot)
    return settings_screen(pilot.app)


async def type_into(pilot: Any, selector: str, text: str) -> None:
    """Replace a field's text the way a user would: clear it, then type."""
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    await pilot.pause()
    if isinstance(widget, Input):
        widget.value = ""
    else:
        widget.select_all()
        await pilot.press("delete")
    await pilot.press(*text)
    await pilot.pause()


def stage_names(flow: Any) -> list[str]:
    return [s["name"] for s in flow.stages]


async def project_flow(db: Database, identity: Identity, name: str) -> Any:
    found = [f for f in await flows.list_flows(db, identity.project_id) if f.name == name]
    assert len(found) == 1, found
    return found[0]


async def test_add_a_flow_edit_reorder_and_make_it_default(replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        assert screen.query_one("#flow-list", OptionList).option_count == 1

        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NewFlowScreen)
        await type_into(pilot, "#flow-name", "Bug fix")
        await type_into(pilot, "#flow-stages", "triage,fix!")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ProjectSettingsScreen)
        flow = await project_flow(db, identity, "Bug fix")
        assert stage_names(flow) == ["triage", "fix"]
        assert [s["requires_review"] for s in flow.stages] == [False, True]
        assert screen.current_flow() is not None and screen.current_flow().id == flow.id

        # Edit the first stage: instructions and review flag, in the modal form.
        screen.query_one("#stage-list", OptionList).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, StageFormScreen)
        await type_into(pilot, "#stage-instructions", "Reproduce the bug first.")
        await type_into(pilot, "#stage-agent", "codex")  # the profile that runs this stage
        app.screen.query_one("#stage-review", Checkbox).focus()
        await pilot.press("space")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ProjectSettingsScreen)
        flow = await flows.get_flow(db, flow.id)
        assert flow.stages[0] == {
            "name": "triage",
            "requires_review": True,
            "instructions": "Reproduce the bug first.",
            "agent": "codex",
        }

        # Add a stage after the first one, then move it down below "fix".
        await pilot.press("a")
        await settle(pilot)
        await type_into(pilot, "#stage-name", "verify")
        await pilot.press("ctrl+s")
        await settle(pilot)
        flow = await flows.get_flow(db, flow.id)
        assert stage_names(flow) == ["triage", "verify", "fix"]
        assert screen.stage_index() == 1
        await pilot.press("J")
        await settle(pilot)
        flow = await flows.get_flow(db, flow.id)
        assert stage_names(flow) == ["triage", "fix", "verify"]
        assert screen.stage_index() == 2
        await pilot.press("K", "K")
        await settle(pilot)
        flow = await flows.get_flow(db, flow.id)
        assert stage_names(flow) == ["verify", "triage", "fix"]
        # The instructions moved with their stage.
        assert flow.stages[1]["instructions"] == "Reproduce the bug first."

        # Delete a stage (asks first).
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        flow = await flows.get_flow(db, flow.id)
        assert stage_names(flow) == ["triage", "fix"]

        await pilot.press("asterisk")
        await settle(pilot)
        assert (await get_project(db, identity.project_id)).default_flow_id == flow.id
        prompts = [str(o.prompt) for o in screen.query_one("#flow-list", OptionList).options]
        assert [p.split("\n")[0].startswith("[b $accent]★") for p in prompts] == [True, False]

        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.board


async def test_deleting_the_last_stage_shows_the_error_and_writes_nothing(replica) -> None:
    db, identity, _ids = replica
    flow = await flows.add_flow(db, identity.project_id, "Solo", flows.parse_stage_spec("code!"))
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        titles = [f.name for f in screen.settings.flows]
        screen.query_one("#flow-list", OptionList).highlighted = titles.index("Solo")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert "stages: a flow needs at least one stage" in messages
        assert stage_names(await flows.get_flow(db, flow.id)) == ["code"]
        assert stage_names(screen.current_flow()) == ["code"]


async def test_a_bad_stage_name_keeps_the_form_open_with_the_text(replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        before = (await project_flow(db, identity, "Clarify → plan → code")).stages
        screen_before = app.screen
        screen_before.query_one("#stage-list", OptionList).focus()
        await pilot.press("e")
        await settle(pilot)
        await type_into(pilot, "#stage-name", "Plan It")
        await type_into(pilot, "#stage-instructions", "Keep this text.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, StageFormScreen)
        error = str(form.query_one("#form-error", Static).render())
        assert "must be lowercase letters" in error and "\n" not in error.strip()
        assert form.query_one("#stage-instructions", TextArea).text == "Keep this text."
        assert (await project_flow(db, identity, "Clarify → plan → code")).stages == before


async def test_a_bad_stage_spec_keeps_the_new_flow_form_open(replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_into(pilot, "#flow-name", "Twice")
        await type_into(pilot, "#flow-stages", "plan,plan!")
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewFlowScreen)
        error = str(form.query_one("#form-error", Static).render())
        assert error == "✗ stage 2: name 'plan' is used twice"
        assert form.values() == {"name": "Twice", "stages": "plan,plan!"}
        assert [f.name for f in await flows.list_flows(db, identity.project_id)] == [
            "Clarify → plan → code"
        ]


async def test_add_and_edit_an_actor_and_make_it_default(replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert screen.active_tab == "actors"
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ActorFormScreen)
        await type_into(pilot, "#actor-name", "Reviewer")
        await type_into(pilot, "#actor-prompt", "You review code.")
        await type_into(pilot, "#actor-focus", "security, naming")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ProjectSettingsScreen)
        found = {a.name: a for a in await actors.list_actors(db, identity.project_id)}
        reviewer = found["Reviewer"]
        assert reviewer.system_prompt == "You review code."
        assert reviewer.focus_areas == ["security", "naming"]
        assert screen.current_actor().id == reviewer.id

        await pilot.press("e")
        await settle(pilot)
        await type_into(pilot, "#actor-methodology", "Read the diff twice.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        reviewer = await actors.get_actor(db, reviewer.id)
        assert reviewer.methodology == "Read the diff twice."
        assert reviewer.system_prompt == "You review code."

        await pilot.press("asterisk")
        await settle(pilot)
        assert (await get_project(db, identity.project_id)).default_actor_id == reviewer.id
        detail = str(screen.query_one("#actor-detail", Static).render())
        assert "Read the diff twice." in detail and "(project default)" in detail


async def test_edit_and_save_memory_and_ask_before_losing_changes(replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press(*"Use uv.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert await memory.get_memory(db, identity.project_id) == "Use uv."
        assert "memory saved" in [n.message for n in app._notifications]

        await pilot.press("enter", *"Not saved")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#memory-text", TextArea).text == "Use uv.\nNot saved"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is app.board
        assert await memory.get_memory(db, identity.project_id) == "Use uv."


async def test_mission_form_names_an_actor_and_a_flow(replica) -> None:
    db, identity, _ids = replica
    reviewer = await actors.add_actor(db, identity.project_id, "Reviewer")
    quick = await flows.add_flow(db, identity.project_id, "Quick", flows.parse_stage_spec("code!"))
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, MissionFormScreen)
        await pilot.press(*"Audit auth")
        actor_select = form.query_one("#form-actor", Select)
        labels = [str(prompt) for prompt, _value in actor_select._options]
        assert labels[0] == "project default (Engineer)" and "Reviewer" in labels
        actor_select.focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press(*["down"] * labels.index("Reviewer"), "enter")
        await pilot.pause()
        assert actor_select.value == reviewer.id
        flow_select = form.query_one("#form-flow", Select)
        flow_select.focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert flow_select.value == quick.id
        await pilot.press("ctrl+s")
        await settle(pilot)
        created = [
            m for m in await ops.list_missions(db, identity.project_id) if m.title == "Audit auth"
        ]
        assert len(created) == 1
        assert created[0].actor_id == reviewer.id
        assert created[0].flow_id == quick.id
        # It starts in its flow's first stage.
        assert created[0].stage == "code"

        # Edit it (the board selects the new card) back to the project's default actor.
        mission_id = created[0].id
        assert app.board.current.selected_card.id == mission_id
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, MissionFormScreen)
        assert form.query_one("#form-actor", Select).value == reviewer.id
        form.query_one("#form-actor", Select).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        edited = await ops.get_mission(db, mission_id)
        assert edited.actor_id is None and edited.flow_id == quick.id


@pytest.fixture
def replica_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    freeze_ids_and_time(monkeypatch)
    path = tmp_path / "replica.db"
    asyncio.run(build_replica(path))

    async def extras() -> None:
        db, identity = await open_replica(path)
        try:
            await flows.add_flow(
                db,
                identity.project_id,
                "Bug fix",
                [
                    {"name": "triage", "requires_review": False, "instructions": "Reproduce it."},
                    {"name": "fix", "requires_review": True, "instructions": "Fix and test."},
                ],
            )
            await actors.add_actor(
                db,
                identity.project_id,
                "Reviewer",
                system_prompt="You review code for security.",
                focus_areas=["security"],
            )
        finally:
            await db.close()

    asyncio.run(extras())
    return path


def run_keys(*pressed: str):
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return run_before


def test_flows_tab_snapshot(snap_compare, replica_path: Path) -> None:
    app = app_on_path(replica_path)
    assert snap_compare(app, terminal_size=(110, 30), run_before=run_keys("S", "down"))


def test_actors_tab_snapshot(snap_compare, replica_path: Path) -> None:
    app = app_on_path(replica_path)
    assert snap_compare(app, terminal_size=(110, 30), run_before=run_keys("S", "2"))
