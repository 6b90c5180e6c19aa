"""The review view on a real replica, a real git repository and worktree, and a session log."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from solo_unicorn_tui.ui.dialogs.feedback import FeedbackScreen
from solo_unicorn_tui.ui.screens.board import BOARD_KEYS, BoardScreen
from solo_unicorn_tui.ui.screens.mission import MissionScreen
from solo_unicorn_tui.ui.screens.review import ReviewScreen
from solo_unicorn_tui.ui.widgets.diff_view import DiffView, clean_line
from solo_unicorn_tui.ui.widgets.session_log_view import SessionLogView
from storage import missions as ops
from storage.database import Database
from storage.identity import Identity
from tests.support.board import (
    app_on_db,
    app_on_path,
    freeze_ids_and_time,
    open_replica,
    settle,
)
from tests.support.review import BRANCH, FEEDBACK, MISSION, ReviewSeed, seed_review

SIZE = (110, 34)
Replica = tuple[Database, Identity, ReviewSeed]


@pytest.fixture
async def replica(tmp_path: Path) -> AsyncIterator[Replica]:
    db, identity = await open_replica(tmp_path / "replica.db")
    seed = await seed_review(db, identity, tmp_path)
    try:
        yield db, identity, seed
    finally:
        await db.close()


def shown(app: Any, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def line_text(view: Any, y: int) -> str:
    return "".join(segment.text for segment in view.render_line(y)).rstrip()


async def open_review(pilot: Pilot[Any], *keys: str) -> ReviewScreen:
    await settle(pilot)
    await pilot.press(*keys)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReviewScreen)
    return screen


async def test_v_shows_solution_tasks_diff_and_log(replica: Replica) -> None:
    db, identity, _seed = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot, "l", "l", "v")
        head = shown(app, "#review-head")
        assert MISSION in head and "stage plan · review pending · rejected 1× before" in head
        assert f"branch {BRANCH} → main" in head
        assert f"Previous feedback: {FEEDBACK}" in head
        # A plan is reviewed: the view opens on the solution.
        assert screen.query_one("#review-tabs").active == "solution"
        assert "batches of 500" in screen.query_one("#review-solution").source

        await pilot.press("2")
        tasks = shown(app, "#review-tasks")
        assert "3 tasks · 1 done" in tasks
        assert "· 1. Batch the outbox" in tasks and "✓ 2. Pull since the cursor" in tasks
        assert "Send at most 500 rows per request." in tasks

        await pilot.press("3")
        assert screen.query_one("#review-tabs").active == "diff"
        assert app.focused is screen.query_one(DiffView)
        note = shown(app, "#review-diff-note")
        assert f"{BRANCH} → main: 2 files changed, 4 insertions(+), 1 deletion(-)" in note
        lines = list(screen.query_one(DiffView).lines)
        assert "-    return 3" in lines and "+    return retry(3)" in lines
        assert "+Batches of 500." in lines
        assert any(line.startswith(" sync.py") for line in lines)  # the stat comes first

        await pilot.press("4")
        await pilot.pause(0.1)
        log = screen.query_one(SessionLogView)
        log.flush()
        assert "plan written to solution.md" in log.lines()
        rendered = [line_text(log, y) for y in range(log.line_count)]
        assert "binary \ufffd\ufffd\ufffd bytes" in rendered  # NUL and invalid UTF-8
        assert "reading the outbox" in rendered  # the title escape is gone
        assert not any("\x1b" in line or "\x00" in line for line in rendered)
        assert "session.log" in shown(app, "#review-log-note")

        await pilot.press("tab")
        assert screen.query_one("#review-tabs").active == "pr"
        assert "No pull request for this mission" in shown(app, "#review-pr")
        await pilot.press("tab")
        assert screen.query_one("#review-tabs").active == "solution"
        await pilot.press("shift+tab", "shift+tab")
        assert screen.query_one("#review-tabs").active == "log"
        await pilot.press("escape")
        assert isinstance(app.screen, BoardScreen)


async def test_enter_in_review_opens_the_review_view_and_elsewhere_the_mission(
    replica: Replica,
) -> None:
    db, identity, _seed = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot, "l", "l", "enter")
        await pilot.press("q")
        await settle(pilot)
        await pilot.press("l", "enter")  # Done: the plain mission screen
        await settle(pilot)
        assert isinstance(app.screen, MissionScreen)
        await pilot.press("escape", "h", "e")  # e still edits a mission in Review
        await settle(pilot)
        assert isinstance(app.screen_stack[-2], MissionScreen)


async def test_mission_screen_opens_the_review_view_with_v(replica: Replica) -> None:
    db, identity, seed = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l", "l", "e", "escape")
        await settle(pilot)
        assert isinstance(app.screen, MissionScreen)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("a")
        await settle(pilot)
        # The decision closes the review view and the mission screen; the board writes it.
        assert isinstance(app.screen, BoardScreen)
        mission = await ops.get_mission(db, seed.mission_id)
        assert (mission.list, mission.stage) == ("todo", "code")


async def test_approve_moves_the_mission_and_the_board_selects_it(replica: Replica) -> None:
    db, identity, seed = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot, "l", "l", "v")
        await pilot.press("a")
        await settle(pilot)
        board = app.screen
        assert isinstance(board, BoardScreen)
        mission = await ops.get_mission(db, seed.mission_id)
        assert (mission.list, mission.stage, mission.review_status) == ("todo", "code", "approved")
        last = (await ops.list_events(db, mission.id))[-1]
        assert (last.kind, last.summary) == ("stage", "approved plan → code")
        assert board.current.list_name == "todo"
        assert board.current.selected_card is not None
        assert board.current.selected_card.id == seed.mission_id
        assert board.list_for("review").count == 0


async def test_reject_asks_for_feedback_and_stores_it(replica: Replica) -> None:
    db, identity, seed = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot, "l", "l", "v")
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, FeedbackScreen)
        await pilot.press("escape")  # cancelling keeps the review view open
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press(*"Handle a 409 from the server")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        mission = await ops.get_mission(db, seed.mission_id)
        assert (mission.list, mission.stage, mission.review_status) == ("todo", "plan", "rejected")
        assert mission.review_feedback == "Handle a 409 from the server"
        assert app.screen.current.selected_card.id == seed.mission_id


async def test_only_a_mission_in_review_can_be_decided(replica: Replica) -> None:
    db, identity, seed = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot, "v")  # "Write the README", in Todo
        assert "No worktree for this mission on this workstation" in shown(app, "#review-head")
        assert "nothing to diff" in shown(app, "#review-diff-note")
        assert "No session of this mission ran" in shown(app, "#review-log-note")
        assert "No tasks yet" in shown(app, "#review-tasks")
        await pilot.press("a", "x")
        await settle(pilot)
        assert app.screen is screen
        messages = [n.message for n in app._notifications]
        assert "Only missions in Review can be approved." in messages
        assert "Only missions in Review can be rejected." in messages
        mission = await ops.get_mission(db, seed.ids["Write the README"])
        assert (mission.list, mission.review_status) == ("todo", None)


async def test_a_worktree_that_is_gone_is_one_line_in_the_diff_tab(replica: Replica) -> None:
    db, identity, seed = replica
    shutil.rmtree(seed.worktree)
    seed.log.unlink()
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot, "l", "l", "v")
        note = shown(app, "#review-diff-note")
        assert note.startswith("Cannot show the diff:") and "is not a git worktree" in note
        assert "\n" not in note.strip()
        assert screen.query_one(DiffView).line_count == 0
        assert "is empty or gone" in shown(app, "#review-log-note")
        # The rest is still there, and the decision still works.
        assert "batches of 500" in screen.query_one("#review-solution").source
        await pilot.press("a")
        await settle(pilot)
        assert (await ops.get_mission(db, seed.mission_id)).list == "todo"


async def test_a_mission_that_cannot_be_loaded_shows_an_error(replica: Replica) -> None:
    db, identity, _seed = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # e.g. deleted by someone else while its card was still on screen here
        await app.push_screen(ReviewScreen(app.board.data, "mission_gone"))
        await settle(pilot)
        head = shown(app, "#review-head")
        assert head == (
            "Cannot load the review: no mission with id 'mission_gone' "
            "(list them with 'solo-unicorn mission list')"
        )
        await pilot.press("a")
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, BoardScreen)


async def test_a_200k_diff_loads_and_scrolls(tmp_path: Path) -> None:
    big = "".join(f"line {n:06d} " + "x" * 60 + "\n" for n in range(4_000))
    huge_line = "y" * 50_000 + "\n"
    db, identity = await open_replica(tmp_path / "replica.db")
    try:
        seed = await seed_review(
            db,
            identity,
            tmp_path,
            branch_files={"z_big.txt": big, "minified.js": huge_line, "esc.txt": "\x1b[31mred\n"},
        )
        app = app_on_db(db, identity)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_review(pilot, "l", "l", "v")
            started = time.perf_counter()
            await pilot.press("3")
            view = screen.query_one(DiffView)
            assert view.line_count > 2_000
            assert view.lines[-1].startswith("… the diff is longer")
            assert "cut at 200,000 characters" in shown(app, "#review-diff-note")
            long_line = next(line for line in view.lines if line.startswith("+yyy"))
            assert long_line.endswith("… (+49,001 chars)")
            assert "+\ufffd[31mred" in view.lines
            await pilot.press("end")
            await pilot.pause()
            assert view.scroll_y == view.max_scroll_y > 1_900
            visible = [line_text(view, y) for y in range(view.size.height)]
            assert [line for line in visible if line][-1].startswith("… the diff is longer")
            await pilot.press("home", "pagedown", "pagedown")
            await pilot.pause()
            assert time.perf_counter() - started < 5
        del seed
    finally:
        await db.close()


def test_clean_line_caps_and_shows_control_characters() -> None:
    assert clean_line("+a\tb\r") == "+a  b"
    assert clean_line("-\x1b[2Jboom\x07") == "-\ufffd[2Jboom\ufffd"
    assert clean_line("z" * 1_005) == "z" * 1_000 + " … (+5 chars)"


def test_board_keys_v_and_b_are_bound_once() -> None:
    keys = [k for keys, _a, _t, _l in BOARD_KEYS for k in keys.split(",")]
    assert keys.count("v") == 1 and keys.count("b") == 1
    actions = {action: keys for keys, action, _t, _l in BOARD_KEYS}
    assert actions["review_mission"] == "v" and actions["blockers"] == "b"


# --- snapshots -------------------------------------------------------------------------------


@pytest.fixture
def review_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    freeze_ids_and_time(monkeypatch)
    path = tmp_path / "replica.db"

    async def build() -> None:
        db, identity = await open_replica(path)
        try:
            await seed_review(db, identity, tmp_path)
        finally:
            await db.close()

    asyncio.run(build())
    return path


def review_keys(*pressed: str):
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in ("l", "l", "v", *pressed):
            await pilot.press(key)
            await settle(pilot)
        log = pilot.app.screen.query(SessionLogView)
        if log:
            log.first().flush()
        await settle(pilot)

    return run_before


def test_review_view_solution_snapshot(snap_compare, review_path: Path) -> None:
    app = app_on_path(review_path)
    assert snap_compare(app, terminal_size=(100, 30), run_before=review_keys())


def test_review_view_diff_snapshot(snap_compare, review_path: Path) -> None:
    app = app_on_path(review_path)
    assert snap_compare(app, terminal_size=(100, 34), run_before=review_keys("3"))


async def test_only_a_live_worktree_of_this_workstation_is_reviewed(replica: Replica) -> None:
    from storage.worktrees import mark_removed, mission_worktree

    db, identity, seed = replica
    tree = await mission_worktree(db, seed.mission_id, identity.workstation_id)
    assert tree is not None and tree.worktree_path == str(seed.worktree)
    assert await mission_worktree(db, seed.mission_id, "ws_elsewhere") is None
    await mark_removed(db, tree.id)
    assert await mission_worktree(db, seed.mission_id, identity.workstation_id) is None
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot, "l", "l", "v")
        assert "nothing to diff" in shown(app, "#review-diff-note")
        assert "session.log" in shown(app, "#review-log-note")  # the log is still here


async def test_code_under_review_opens_on_the_diff(replica: Replica) -> None:
    from storage import review as review_ops

    db, identity, seed = replica
    await review_ops.approve_mission(db, seed.mission_id)
    mission = await review_ops.finish_stage(db, seed.mission_id)
    assert (mission.list, mission.stage) == ("review", "code")
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot, "l", "l", "enter")
        assert screen.query_one("#review-tabs").active == "diff"
        assert app.focused is screen.query_one(DiffView)
        assert "Previous feedback" not in shown(app, "#review-head")  # approving cleared it
        await pilot.press("pagedown", "1")
        assert screen.query_one("#review-tabs").active == "solution"


def test_documents_keep_emoji_and_lose_control_characters() -> None:
    from solo_unicorn_tui.ui.screens.review import _printable

    assert (
        _printable("👩\u200d💻 done\tok\n\x1b[31m\x00") == "👩\u200d💻 done\tok\n\ufffd[31m\ufffd"
    )
