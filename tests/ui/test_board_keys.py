"""Every board key, driven through the real app with Pilot, checked against the replica."""

from __future__ import annotations

from typing import Any

import pytest

from solo_unicorn_tui.ui.dialogs.confirm import ConfirmScreen
from solo_unicorn_tui.ui.dialogs.mission_form import MissionFormScreen
from solo_unicorn_tui.ui.screens.board import BoardScreen
from solo_unicorn_tui.ui.screens.mission import MissionScreen
from storage import missions as ops
from storage.board_queries import LISTS
from storage.database import Database
from storage.errors import NotFoundError
from tests.support.board import app_on_db, settle

SIZE = (120, 40)


def board(app: Any) -> BoardScreen:
    assert isinstance(app.board, BoardScreen)
    return app.board


def selected_title(app: Any) -> str | None:
    card = board(app).current.selected_card
    return card.title if card else None


async def kinds(db: Database, mission_id: str) -> list[str]:
    return [e.kind for e in await ops.list_events(db, mission_id)]


async def test_board_loads_columns_with_counts(replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = board(app)
        counts = {name: screen.list_for(name).count for name in ("todo", "doing", "review", "done")}
        assert counts == {"todo": 3, "doing": 1, "review": 1, "done": 1}
        assert app.ready_seconds is not None
        blocked = [c for c in screen.list_for("todo").rows if c.blocked]
        assert [c.title for c in blocked] == ["Add CSV export"]


async def test_arrows_and_hjkl_move_selection(replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert selected_title(app) == "Write the README"
        await pilot.press("j")
        assert selected_title(app) == "Fix login timeout"
        await pilot.press("down")
        assert selected_title(app) == "Add CSV export"
        await pilot.press("k", "up")
        assert selected_title(app) == "Write the README"
        await pilot.press("l")
        assert selected_title(app) == "Refactor the dispatcher"
        await pilot.press("right", "right")
        assert selected_title(app) == "Ship v0.1"
        await pilot.press("h", "left")
        assert board(app).current.list_name == "doing"
        await pilot.press("end")
        assert selected_title(app) == "Refactor the dispatcher"
        await pilot.press("left", "pagedown")
        assert selected_title(app) == "Add CSV export"
        await pilot.press("pageup")
        assert selected_title(app) == "Write the README"


@pytest.mark.parametrize(
    ("keys", "expected"),
    [(("L",), "doing"), (("shift+right",), "doing"), (("L", "L", "shift+left"), "doing")],
)
async def test_move_card_to_next_list(replica, keys: tuple[str, ...], expected: str) -> None:
    db, identity, ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*keys)
        assert board(app).current.list_name == expected
        assert selected_title(app) == "Write the README"
        await settle(pilot)
        mission = await ops.get_mission(db, ids["Write the README"])
        assert mission.list == expected
        assert "moved" in await kinds(db, mission.id)
        assert board(app).list_for("todo").count == 2
        await pilot.press("H")
        await settle(pilot)
        assert (await ops.get_mission(db, mission.id)).list == "todo"
        assert board(app).current.list_name == "todo"


async def test_move_card_across_all_lists_to_done(replica) -> None:
    db, identity, ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("L", "L", "L")
        await settle(pilot)
        mission = await ops.get_mission(db, ids["Write the README"])
        assert mission.list == "done"
        assert mission.completed_at is not None
        assert (await kinds(db, mission.id)).count("moved") == 3
        assert selected_title(app) == "Write the README"


@pytest.mark.parametrize(("key", "up"), [("J", "K"), ("shift+down", "shift+up")])
async def test_reorder_down_and_up(replica, key: str, up: str) -> None:
    db, identity, ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        todo = await ops.list_missions(db, identity.project_id, "todo")
        assert [m.title for m in todo][:2] == ["Fix login timeout", "Write the README"]
        assert "reordered" in await kinds(db, ids["Write the README"])
        assert selected_title(app) == "Write the README"
        await pilot.press(up)
        await settle(pilot)
        todo = await ops.list_missions(db, identity.project_id, "todo")
        assert todo[0].title == "Write the README"


async def test_space_toggles_ready_and_plus_minus_change_priority(replica) -> None:
    db, identity, ids = replica
    app = app_on_db(db, identity)
    mission_id = ids["Write the README"]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        assert (await ops.get_mission(db, mission_id)).ready is False
        assert "ready" in await kinds(db, mission_id)
        await pilot.press("plus", "plus")
        await settle(pilot)
        assert (await ops.get_mission(db, mission_id)).priority == 5
        await pilot.press("minus")
        await settle(pilot)
        assert (await ops.get_mission(db, mission_id)).priority == 4
        assert board(app).current.selected_card.priority == 4


async def test_delete_asks_first(replica) -> None:
    db, identity, ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        await ops.get_mission(db, ids["Write the README"])
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        with pytest.raises(NotFoundError):
            await ops.get_mission(db, ids["Write the README"])
        assert board(app).list_for("todo").count == 2
        assert "deleted" in await kinds(db, ids["Write the README"])


async def test_new_mission_form_creates_a_mission(replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, MissionFormScreen)
        await pilot.press(*"Try emoji 🚀 and 日本語")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        todo = await ops.list_missions(db, identity.project_id, "todo")
        created = [m for m in todo if m.title.startswith("Try emoji")]
        assert [m.title for m in created] == ["Try emoji 🚀 and 日本語"]
        assert selected_title(app) == "Try emoji 🚀 and 日本語"
        assert await kinds(db, created[0].id) == ["created"]


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "must not be empty"),
        ("x" * 501, "the limit is 500"),
        ("bad\x1bescape", "control characters"),
    ],
)
async def test_new_mission_form_rejects_bad_titles_inline(replica, title: str, message: str):
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        form.query_one("#form-title").value = title
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert message in str(form.query_one("#title-error").render())
        assert len(await ops.list_missions(db, identity.project_id)) == 6


async def test_cancelling_an_edited_form_asks_before_discarding(replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"half typed")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, MissionFormScreen)
        assert app.screen.query_one("#form-title").value == "half typed"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)


async def test_open_and_edit_a_mission(replica) -> None:
    db, identity, ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MissionScreen)
        body = str(app.screen.query_one("#mission-body").render())
        assert "About write the readme." in body
        assert "Timeline" in body and "created" in body
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, MissionFormScreen)
        app.screen.query_one("#form-title").value = "Write the README well"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MissionScreen)
        assert (await ops.get_mission(db, ids["Write the README"])).title == (
            "Write the README well"
        )
        await pilot.press("escape")
        await settle(pilot)
        assert selected_title(app) == "Write the README well"


async def test_e_opens_the_editor_directly(replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, MissionFormScreen)
        assert app.screen.query_one("#form-title").value == "Write the README"


async def test_approve_moves_to_next_stage(replica) -> None:
    db, identity, ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert (await ops.get_mission(db, ids["Write the README"])).list == "todo"
        await pilot.press("l", "l", "a")
        await settle(pilot)
        mission = await ops.get_mission(db, ids["Review the sync protocol"])
        assert (mission.list, mission.stage, mission.review_status) == ("todo", "code", "approved")
        last = (await ops.list_events(db, mission.id))[-1]
        assert (last.kind, last.summary) == ("stage", "approved plan → code")


async def test_reject_asks_for_feedback_and_returns_to_todo(replica) -> None:
    db, identity, ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l", "l", "x")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "must not be empty" in str(app.screen.query_one("#feedback-error").render())
        await pilot.press(*"Split the plan in two")
        await pilot.press("ctrl+s")
        await settle(pilot)
        mission = await ops.get_mission(db, ids["Review the sync protocol"])
        assert (mission.list, mission.review_status) == ("todo", "rejected")
        assert mission.review_feedback == "Split the plan in two"
        assert mission.stage == "plan"
        assert "rejected" in await kinds(db, mission.id)


async def test_filter_by_text_then_escape_clears(replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        await pilot.press(*"login", "enter")
        await settle(pilot)
        assert board(app).list_for("todo").count == 1
        assert board(app).list_for("done").count == 0
        assert selected_title(app) == "Fix login timeout"
        await pilot.press("escape")
        await settle(pilot)
        assert board(app).list_for("todo").count == 3


async def test_filter_narrows_as_you_type_and_jump_finds_an_id_tail(replica) -> None:
    db, identity, ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        async def counts() -> dict[str, int]:
            await settle(pilot)
            return {name: board(app).list_for(name).count for name in LISTS}

        await pilot.press("slash", *"ready p3")
        assert await counts() == {"todo": 1, "doing": 0, "review": 1, "done": 0}
        await pilot.press(*["backspace"] * 8, *"blocked")
        assert await counts() == {"todo": 1, "doing": 0, "review": 0, "done": 0}
        await pilot.press(*["backspace"] * 7, *"stage:plan")
        assert await counts() == {"todo": 1, "doing": 0, "review": 1, "done": 0}
        # description words ("About fix login timeout.") and the tail of an id match too
        await pilot.press(*["backspace"] * 10, *"about timeout")
        assert await counts() == {"todo": 1, "doing": 0, "review": 0, "done": 0}
        await pilot.press(*["backspace"] * 13, *ids["Ship v0.1"][-6:], "enter")
        assert await counts() == {"todo": 0, "doing": 0, "review": 0, "done": 1}
        await pilot.press("escape")
        assert (await counts())["todo"] == 3
        await pilot.press("number_sign", *ids["Refactor the dispatcher"][-5:], "enter")
        await settle(pilot)
        assert selected_title(app) == "Refactor the dispatcher"


async def test_project_switcher(replica) -> None:
    db, identity, _ids = replica
    from storage.identity import create_project

    other = await create_project(db, identity.organization_id, "Another project")
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        options = app.screen.query_one("#project-list")
        options.highlighted = [o.id for o in options.options].index(other.id)
        await pilot.press("enter")
        await settle(pilot)
        assert board(app).data.project_id == other.id
        assert board(app).list_for("todo").count == 0


async def test_help_and_quit(replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        text = str(app.screen.query_one("#help-keys").render())
        assert "Move the card to the next list" in text
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_runtime_keys_say_the_runtime_is_not_connected(replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in ("r", "c", "g", "s"):
            await pilot.press(key)
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert sum("agent runtime is not connected" in m for m in messages) == 3
        assert sum("local only" in m for m in messages) == 1


async def test_workstation_panel_toggles(replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.screen.query_one("#workstation-panel")
        assert not panel.display or not panel.has_class("-shown")
        await pilot.press("w")
        await settle(pilot)
        assert panel.has_class("-shown") and panel.display


async def test_click_selects_a_card(replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.click("#list-todo", offset=(5, 2))
        await settle(pilot)
        assert selected_title(app) == "Fix login timeout"
        await pilot.click("#list-review", offset=(5, 0))
        await settle(pilot)
        assert selected_title(app) == "Review the sync protocol"


async def test_keymap_remaps_a_binding(replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity, keymap={"new_mission": "ctrl+n"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, MissionFormScreen)


async def test_command_palette_runs_board_actions(replica) -> None:
    db, identity, ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Move card to next list")
        await settle(pilot)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert (await ops.get_mission(db, ids["Write the README"])).list == "doing"


async def test_changes_by_another_process_appear_within_a_second(replica, cli) -> None:
    db, identity, _ids = replica
    import os

    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        path = db.engine.url.database
        env = {"SOLO_UNICORN_HOME": os.path.dirname(path)}
        result = cli("mission", "add", "--title", "From another terminal", env=env)
        assert result.returncode == 0, result.stderr
        await pilot.pause(1.0)
        await settle(pilot)
        titles = [c.title for c in board(app).list_for("todo").rows]
        assert "From another terminal" in titles


async def test_header_counts_missions_waiting_for_review(replica) -> None:
    from textual.widgets import Static

    db, identity, ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        review = app.screen.query_one("#status-review", Static)
        assert str(review.render()) == "⚑ 1 to review"
        await ops.move_mission(db, ids["Write the README"], "review")
        for _ in range(40):
            await pilot.pause(0.1)
            await settle(pilot)
            if str(review.render()) == "⚑ 2 to review":
                break
        assert str(review.render()) == "⚑ 2 to review"
