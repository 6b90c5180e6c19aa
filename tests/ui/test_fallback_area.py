"""Todo's Fallback area from the keyboard: launch templates, accept/discard proposals, check now."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from solo_unicorn_tui.ui.screens.board import BoardScreen
from solo_unicorn_tui.ui.widgets.fallback_panel import FallbackPanel, FallbackRows
from storage import fallback
from storage import missions as ops
from storage.database import Database
from storage.identity import Identity
from tests.support.board import (
    FIXED_NOW,
    app_on_db,
    app_on_path,
    freeze_ids_and_time,
    open_replica,
    seed_board,
    settle,
)

SIZE = (120, 40)


async def seed_fallback(db: Database, identity: Identity, *, propose: bool) -> None:
    """Three templates (one disabled), threshold 3; with ``propose``, a check's proposals.

    The seeded board has one ready mission in Todo, so a check proposes two.
    """
    pid = identity.project_id
    for draft in (
        fallback.TemplateDraft("Raise test coverage", priority=5, estimated_effort_minutes=45),
        fallback.TemplateDraft("Tidy docs", priority=2, estimated_effort_minutes=90),
        fallback.TemplateDraft("Old chores", priority=1, enabled=False),
    ):
        await fallback.add_template(db, pid, draft)
    await fallback.set_config(db, pid, backlog_threshold=3, weekly_mission_cap=5)
    if propose:
        check = await fallback.run_fallback_check(db, pid, triggered_by="manual")
        assert [i.title for i in check.items] == ["Raise test coverage", "Tidy docs"]


@pytest.fixture
async def replica(tmp_path: Path) -> AsyncIterator[tuple[Database, Identity]]:
    db, identity = await open_replica(tmp_path / "replica.db")
    await seed_board(db, identity)
    try:
        yield db, identity
    finally:
        await db.close()


def board(app: Any) -> BoardScreen:
    assert isinstance(app.board, BoardScreen)
    return app.board


def rows(app: Any) -> FallbackRows:
    return board(app).query_one(FallbackRows)


def selected(app: Any) -> tuple[str, str] | None:
    row = rows(app).selected_row
    return (row.kind, row.title) if row else None


def notices(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


async def fallback_missions(db: Database, identity: Identity) -> list[ops.Mission]:
    return [m for m in await ops.list_missions(db, identity.project_id) if m.origin == "fallback"]


async def press(pilot: Pilot[Any], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def test_f_enters_and_leaves_the_area(replica) -> None:
    db, identity = replica
    await seed_fallback(db, identity, propose=True)
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        area = board(app).query_one(FallbackPanel)
        compact = area.outer_size.height
        assert not area.has_focus_within
        await press(pilot, "f")
        assert rows(app).has_focus
        assert area.outer_size.height > compact
        assert selected(app) == ("template", "Raise test coverage")
        # Focused, long rows wrap ("◆ P5 Raise test coverage · 45m" is wider than the column).
        assert rows(app).virtual_size.height > rows(app).option_count
        # j/k and arrows skip the disabled "Proposals" heading.
        await press(pilot, "j", "j", "j")
        assert selected(app) == ("proposal", "Raise test coverage")
        await press(pilot, "k", "up")
        assert selected(app) == ("template", "Tidy docs")
        # The card behind the area is out of reach: d and space do nothing to it, and the
        # footer offers the area's keys, not the card keys.
        card = board(app).current.selected_card
        ready = card.ready
        await press(pilot, "d", "space")
        assert app.screen is board(app) and board(app).current.selected_card.ready == ready
        footer = {b.binding.description for b in app.screen.active_bindings.values() if b.enabled}
        assert {"Discard", "Help", "Quit"} <= footer and not {"Run", "Move"} & footer
        await press(pilot, "escape")
        assert app.focused is None and area.outer_size.height == compact
        assert rows(app).virtual_size.height == rows(app).option_count  # one line a row again
        # Board keys work on the cards again; f toggles back in and out.
        await press(pilot, "j")
        assert board(app).current.selected_card.title == "Fix login timeout"
        await press(pilot, "f", "f")
        assert app.focused is None


async def test_the_area_grows_with_focus_on_a_short_terminal(replica) -> None:
    db, identity = replica
    await seed_fallback(db, identity, propose=True)
    app = app_on_db(db, identity)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        area = board(app).query_one(FallbackPanel)
        assert area.outer_size.height == 3
        await press(pilot, "f")
        assert area.outer_size.height >= 9  # status, three templates, heading, two proposals


async def test_enter_launches_a_template_and_keeps_it(replica) -> None:
    db, identity = replica
    await seed_fallback(db, identity, propose=False)
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        todo = board(app).list_for("todo")
        assert todo.count == 3
        await press(pilot, "f", "enter")
        [mission] = await fallback_missions(db, identity)
        assert (mission.title, mission.list, mission.priority) == ("Raise test coverage", "todo", 5)
        assert [t.name for t in await fallback.list_templates(db, identity.project_id)] == [
            "Raise test coverage",
            "Tidy docs",
            "Old chores",
        ]
        assert todo.count == 4
        assert "Raise test coverage" in [c.title for c in todo.rows]
        assert any("Launched “Raise test coverage”" in n for n in notices(app))
        # Still in the area, on the same template; the status counts the launched mission.
        assert rows(app).has_focus and selected(app) == ("template", "Raise test coverage")
        status = str(board(app).query_one("#fallback-status").render())
        assert "backlog 2/3" in status and "week 1/5" in status


async def test_a_disabled_template_is_not_launched(replica) -> None:
    db, identity = replica
    await seed_fallback(db, identity, propose=False)
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "f", "end")
        assert selected(app) == ("template", "Old chores")
        await press(pilot, "enter")
        assert any("'Old chores' is disabled" in n for n in notices(app))
        assert await fallback_missions(db, identity) == []
        assert board(app).list_for("todo").count == 3


async def test_accept_and_discard_proposals(replica) -> None:
    db, identity = replica
    await seed_fallback(db, identity, propose=True)
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "f", "j", "j", "j")
        assert selected(app) == ("proposal", "Raise test coverage")
        await press(pilot, "a")
        [mission] = await fallback_missions(db, identity)
        assert mission.title == "Raise test coverage" and mission.fallback_item_id
        assert board(app).list_for("todo").count == 4
        assert any("Accepted “Raise test coverage”" in n for n in notices(app))
        # The accepted proposal left the area; the cursor moved to the one left.
        assert selected(app) == ("proposal", "Tidy docs")
        assert len(rows(app).rows) == 4
        await press(pilot, "x")
        [item] = await fallback.list_items(db, identity.project_id, status="discarded")
        assert item.title == "Tidy docs"
        assert await fallback.list_items(db, identity.project_id, status="proposed") == []
        assert len(await fallback_missions(db, identity)) == 1
        assert [r.kind for r in rows(app).rows.values()] == ["template"] * 3
        assert any("Discarded “Tidy docs”" in n for n in notices(app))
        # x and a on a template do nothing but say so.
        await press(pilot, "x", "a")
        assert any("Only proposals can be discarded" in n for n in notices(app))
        assert len(await fallback.list_templates(db, identity.project_id)) == 3


async def test_enter_on_a_proposal_accepts_it(replica) -> None:
    db, identity = replica
    await seed_fallback(db, identity, propose=True)
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "f", "end", "enter")
        [mission] = await fallback_missions(db, identity)
        assert mission.title == "Tidy docs"
        [accepted] = await fallback.list_items(db, identity.project_id, status="accepted")
        assert accepted.mission_id == mission.id


async def test_c_runs_the_check_and_reports_it(replica) -> None:
    db, identity = replica
    await seed_fallback(db, identity, propose=False)
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "last never" in str(board(app).query_one("#fallback-status").render())
        await press(pilot, "f", "c")
        assert any("Fallback check: backlog 1 below 3: proposed 2" in n for n in notices(app))
        proposals = [r.title for r in rows(app).rows.values() if r.kind == "proposal"]
        assert proposals == ["Raise test coverage", "Tidy docs"]
        assert "last never" not in str(board(app).query_one("#fallback-status").render())
        # Proposals waiting cover what the backlog lacks: a second check proposes nothing.
        await press(pilot, "c")
        assert any("enough proposals are waiting" in n for n in notices(app))
        assert len(await fallback.list_items(db, identity.project_id)) == 2


async def test_c_with_a_full_backlog_proposes_nothing(replica) -> None:
    db, identity = replica
    await seed_fallback(db, identity, propose=False)
    await fallback.set_config(db, identity.project_id, backlog_threshold=1)
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "f", "c")
        assert any("backlog 1 is not below the threshold 1" in n for n in notices(app))
        assert await fallback.list_runs(db, identity.project_id) == []


async def test_weekly_cap_reached_shows_the_error_and_writes_nothing(replica) -> None:
    db, identity = replica
    await seed_fallback(db, identity, propose=True)
    pid = identity.project_id
    first = (await fallback.list_templates(db, pid))[0]
    await fallback.launch_template(db, first.id)
    await fallback.set_config(db, pid, weekly_mission_cap=1)
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "week 1/1" in str(board(app).query_one("#fallback-status").render())
        await press(pilot, "f", "j", "j", "j")
        assert selected(app) == ("proposal", "Raise test coverage")
        await press(pilot, "enter")
        [error] = [n for n in notices(app) if "weekly cap" in n]
        assert "\n" not in error and "weekly cap of 1 fallback missions is reached" in error
        assert len(await fallback_missions(db, identity)) == 1
        assert len(await fallback.list_items(db, pid, status="proposed")) == 2
        assert selected(app) == ("proposal", "Raise test coverage")
        assert board(app).list_for("todo").count == 4


async def test_changes_elsewhere_reach_the_area(replica) -> None:
    db, identity = replica
    await seed_fallback(db, identity, propose=False)
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert [r.title for r in rows(app).rows.values()] == [
            "Raise test coverage",
            "Tidy docs",
            "Old chores",
        ]
        await fallback.add_template(
            db, identity.project_id, fallback.TemplateDraft("Update dependencies", priority=4)
        )
        for _ in range(40):
            await pilot.pause(0.1)
            if len(rows(app).rows) == 4:
                break
        await settle(pilot)
        titles = [r.title for r in rows(app).rows.values()]
        assert titles[1] == "Update dependencies"


# --- snapshot -----------------------------------------------------------------------------


@pytest.fixture
def fallback_replica_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    freeze_ids_and_time(monkeypatch)
    # The last run's time and this week's count come from the fallback module's clock.
    monkeypatch.setattr("storage.fallback.utcnow", lambda: FIXED_NOW)
    path = tmp_path / "replica.db"

    async def build() -> None:
        db, identity = await open_replica(path)
        try:
            await seed_board(db, identity)
            await seed_fallback(db, identity, propose=True)
            proposals = await fallback.list_items(db, identity.project_id, status="proposed")
            await fallback.accept_item(db, proposals[1].id)
        finally:
            await db.close()

    asyncio.run(build())
    return path


def test_fallback_area_focused(snap_compare, fallback_replica_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await press(pilot, "f", "j", "j", "j")

    app = app_on_path(fallback_replica_path)
    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)
