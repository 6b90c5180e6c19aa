"""Blocked by… (``b``): adding and removing a mission's blockers through the real app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from solo_unicorn_tui.ui.dialogs.dependencies import DependenciesScreen
from solo_unicorn_tui.ui.screens.board import BoardScreen
from solo_unicorn_tui.ui.screens.mission import MissionScreen
from storage import dependencies as deps
from storage.database import Database
from storage.identity import Identity
from storage.ids import short_id
from storage.models import MissionDependency
from tests.support.board import app_on_db, settle

SIZE = (160, 40)
Replica = tuple[Database, Identity, dict[str, str]]


async def blocker_titles(db: Database, mission_id: str) -> list[str]:
    return [m.title for m in await deps.dependencies(db, mission_id)]


async def dependency_rows(db: Database) -> int:
    table = MissionDependency.__table__
    async with db.read() as conn:
        return (
            await conn.execute(select(func.count()).select_from(table).where(~table.c.deleted))
        ).scalar_one()


def options(app: Any, selector: str) -> list[str]:
    found = app.screen.query_one(selector)
    return [str(found.get_option_at_index(i).prompt) for i in range(found.option_count)]


def message(app: Any) -> str:
    return str(app.screen.query_one("#dependency-error").render())


async def open_dialog(pilot: Any, *keys: str) -> DependenciesScreen:
    await settle(pilot)
    await pilot.press(*keys, "b")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DependenciesScreen)
    return screen


async def test_add_a_blocker_by_title(replica: Replica) -> None:
    db, identity, ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await open_dialog(pilot)  # "Write the README"
        assert options(app, "#blocker-list") == ["It waits for no mission."]
        # Unfinished missions of the project, not itself, not Done.
        assert options(app, "#candidate-list") == [
            "Fix login timeout  todo · P5 · #" + short_id(ids["Fix login timeout"]),
            "Refactor the dispatcher  doing · P4 · #" + short_id(ids["Refactor the dispatcher"]),
            "Review the sync protocol  review · P3 · #" + short_id(ids["Review the sync protocol"]),
            "Add CSV export  todo · P2 · #" + short_id(ids["Add CSV export"]),
        ]
        await pilot.press(*"SYNC")
        await settle(pilot)
        assert [o.split("  ")[0] for o in options(app, "#candidate-list")] == [
            "Review the sync protocol"
        ]
        await pilot.press("enter")
        await settle(pilot)
        assert await blocker_titles(db, ids["Write the README"]) == ["Review the sync protocol"]
        assert message(app) == "Now waits for “Review the sync protocol”."
        assert options(app, "#blocker-list")[0].startswith("⛔ Review the sync protocol  review")
        assert "Review the sync protocol" not in " ".join(options(app, "#candidate-list"))
        await pilot.press("escape")
        await settle(pilot)
        board = app.screen
        assert isinstance(board, BoardScreen)
        card = board.list_for("todo").card(0)
        assert card is not None and card.title == "Write the README" and card.blocked
        rendered = "".join(s.text for s in board.list_for("todo").render_line(1))
        assert "⊘ blocked" in rendered


async def test_add_a_blocker_by_id_suffix_with_arrows(replica: Replica) -> None:
    db, identity, ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await open_dialog(pilot, "right", "right", "right")  # "Ship v0.1", in Done
        # Highest priority first: Fix login timeout, Refactor the dispatcher, Write the README
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert await blocker_titles(db, ids["Ship v0.1"]) == ["Write the README"]
        suffix = short_id(ids["Fix login timeout"])
        await pilot.press(*suffix)
        await settle(pilot)
        assert [o.split("  ")[0] for o in options(app, "#candidate-list")] == ["Fix login timeout"]
        await pilot.press("enter")
        await settle(pilot)
        assert sorted(await blocker_titles(db, ids["Ship v0.1"])) == [
            "Fix login timeout",
            "Write the README",
        ]


async def test_nothing_matching_is_an_inline_error(replica: Replica) -> None:
    db, identity, ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await open_dialog(pilot)
        await pilot.press(*"zzz")
        await settle(pilot)
        assert options(app, "#candidate-list") == ["No unfinished mission matches “zzz”."]
        await pilot.press("enter")
        await settle(pilot)
        assert message(app) == "No unfinished mission matches “zzz”."
        assert await blocker_titles(db, ids["Write the README"]) == []


async def test_a_cycle_is_refused_with_its_message_and_nothing_written(replica: Replica) -> None:
    db, identity, ids = replica
    before = await dependency_rows(db)
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        # "Add CSV export" waits on "Refactor the dispatcher": the other way round is a cycle.
        await open_dialog(pilot, "l")
        await pilot.press(*"CSV", "enter")
        await settle(pilot)
        shown = message(app)
        assert shown.startswith("that dependency would make a cycle")
        assert "\n" not in shown
        assert isinstance(app.screen, DependenciesScreen)
        assert options(app, "#blocker-list") == ["It waits for no mission."]
        await pilot.press("escape")
        await settle(pilot)
    assert await blocker_titles(db, ids["Refactor the dispatcher"]) == []
    assert await dependency_rows(db) == before


async def test_remove_a_blocker_with_d_or_delete(replica: Replica) -> None:
    db, identity, ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await open_dialog(pilot, "j", "j")  # "Add CSV export"
        assert options(app, "#blocker-list")[0].startswith("⛔ Refactor the dispatcher  doing")
        await pilot.press("d")  # typed into the search, not a removal
        await settle(pilot)
        assert app.screen.query_one("#blocker-search").value == "d"
        assert await blocker_titles(db, ids["Add CSV export"]) == ["Refactor the dispatcher"]
        await pilot.press("shift+tab", "delete")
        await settle(pilot)
        assert await blocker_titles(db, ids["Add CSV export"]) == []
        assert message(app) == "No longer waits for “Refactor the dispatcher”."
        assert options(app, "#blocker-list") == ["It waits for no mission."]
        await pilot.press("escape")
        await settle(pilot)
        card = app.screen.list_for("todo").card(2)
        assert card is not None and card.title == "Add CSV export" and not card.blocked


async def test_finished_blockers_are_listed_as_no_longer_blocking(replica: Replica) -> None:
    db, identity, ids = replica
    await deps.add_dependency(db, ids["Write the README"], ids["Ship v0.1"])
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await open_dialog(pilot)
        assert options(app, "#blocker-list") == [
            f"✓ Ship v0.1  done · #{short_id(ids['Ship v0.1'])} · finished, no longer blocks"
        ]
        await pilot.press("shift+tab", "d")
        await settle(pilot)
        assert await blocker_titles(db, ids["Write the README"]) == []


async def test_mission_screen_shows_what_blocks_it(replica: Replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "enter")
        await settle(pilot)
        assert isinstance(app.screen, MissionScreen)
        head = str(app.screen.query_one("#mission-head").render())
        assert "Blocked by\n  ⛔ Refactor the dispatcher (doing)" in head


async def test_candidates_query(replica: Replica) -> None:
    from storage import board_queries as q
    from storage import missions as ops
    from storage.board_queries import sqlalchemy_runner

    db, identity, ids = replica
    await ops.create_mission(db, identity.project_id, ops.MissionDraft(title="100% done_ish"))
    await ops.delete_mission(db, ids["Fix login timeout"])

    async def titles(mission_id: str, text: str = "") -> list[str]:
        async with db.read() as conn:
            rows = await q.dependency_candidates(
                sqlalchemy_runner(conn), identity.project_id, mission_id, text
            )
        return [row.title for row in rows]

    # Not itself, not Done ("Ship v0.1"), not deleted, not what it already waits on.
    assert await titles(ids["Add CSV export"]) == [
        "Write the README",
        "Review the sync protocol",
        "100% done_ish",
    ]
    assert await titles(ids["Add CSV export"], "%") == ["100% done_ish"]  # LIKE is escaped
    assert await titles(ids["Add CSV export"], "_") == ["100% done_ish"]
    assert await titles(ids["Add CSV export"], "readme") == ["Write the README"]
    suffix = ids["Write the README"][-5:].lower()
    assert await titles(ids["Add CSV export"], suffix) == ["Write the README"]
    assert await titles(ids["Add CSV export"], ids["Write the README"][-12:-6]) == []


def test_blocked_by_dialog_snapshot(snap_compare, tmp_path: Path, monkeypatch) -> None:
    import asyncio

    from tests.support.board import app_on_path, build_replica, freeze_ids_and_time

    freeze_ids_and_time(monkeypatch)
    path = tmp_path / "replica.db"
    asyncio.run(build_replica(path))

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        for key in ("j", "j", "b", "r", "e"):  # "Add CSV export", search "re"
            await pilot.press(key)
            await settle(pilot)

    app = app_on_path(path)
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
