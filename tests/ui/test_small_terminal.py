"""Every screen and dialog is usable at 80x24 (issue 15, small terminals): each field or button
Tab reaches is on screen whole when it has the focus, dialogs fit, and the footer keeps the
keys that leave (``? Help`` and ``q Quit`` on the board, Back/Close elsewhere)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.widgets import OptionList

from solo_unicorn_tui.ui.app import SoloUnicornApp
from solo_unicorn_tui.ui.board_data import BoardData, Writer
from solo_unicorn_tui.ui.dialogs.actor_form import ActorFormScreen
from solo_unicorn_tui.ui.dialogs.confirm import ConfirmScreen
from solo_unicorn_tui.ui.dialogs.dependencies import DependenciesScreen
from solo_unicorn_tui.ui.dialogs.feedback import FeedbackScreen
from solo_unicorn_tui.ui.dialogs.flow_forms import NewFlowScreen, StageFormScreen
from solo_unicorn_tui.ui.dialogs.help import HelpScreen
from solo_unicorn_tui.ui.dialogs.mission_form import MissionFormScreen
from solo_unicorn_tui.ui.dialogs.project_defaults import ProjectDefaultsScreen
from solo_unicorn_tui.ui.dialogs.project_switcher import ProjectNameScreen, ProjectSwitcher
from solo_unicorn_tui.ui.dialogs.repo_settings import RepoSettingsScreen
from solo_unicorn_tui.ui.dialogs.thread import ThreadScreen
from solo_unicorn_tui.ui.screens.metrics import MetricsScreen
from solo_unicorn_tui.ui.screens.mission import MissionScreen
from solo_unicorn_tui.ui.screens.review import ReviewScreen
from solo_unicorn_tui.ui.screens.session_logs import SessionEntry, SessionLogsScreen
from solo_unicorn_tui.workspace import Workspace
from storage import projects, questions
from tests.support.board import app_on_db, open_replica, quiet, settle
from tests.support.review import seed_review
from tests.support.runtime_fixtures import link_repo, make_repo
from tests.support.small_terminal import (
    SMALL,
    assert_footer_keeps,
    assert_inside,
    assert_shown,
    tab_through,
)
from tests.ui.conftest import Replica


async def _open(pilot: Any, *keys: str) -> Any:
    await settle(pilot)
    await pilot.press(*keys)
    await settle(pilot)
    return pilot.app.screen


async def test_the_board_keeps_help_and_quit_in_its_footer(replica: Replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert_footer_keeps(app.screen, "Help", "Quit")
        await _open(pilot, "slash")  # the filter line, focused, is on screen
        assert app.focused is not None
        assert_shown(app.screen, app.focused)
        await _open(pilot, "escape")  # while typing, ? and q are letters; after, keys again
        assert_footer_keeps(app.screen, "Help", "Quit")


async def test_the_project_switcher_and_its_dialogs_fit(replica: Replica) -> None:
    db, identity, _ids = replica
    for n in range(20):  # more projects than the list has lines: it scrolls
        await projects.add_project(db, identity.organization_id, f"Project {n:02}")
    app = app_on_db(db, identity)
    async with app.run_test(size=SMALL) as pilot:
        switcher = await _open(pilot, "p")
        assert isinstance(switcher, ProjectSwitcher)
        assert_inside(switcher, ".dialog")
        options = switcher.query_one("#project-list", OptionList)
        assert_shown(switcher, options)
        await pilot.press("end")
        await settle(pilot)
        assert options.highlighted == options.option_count - 1
        assert options.scroll_y > 0  # the last project scrolled into view

        form = await _open(pilot, "e")
        assert isinstance(form, ProjectDefaultsScreen)
        assert_inside(form, ".dialog")
        await tab_through(pilot)
        await _open(pilot, "escape")

        form = await _open(pilot, "n")
        assert isinstance(form, ProjectNameScreen)
        assert_inside(form, ".dialog")
        await tab_through(pilot)


async def test_the_mission_form_scrolls_every_field_into_view(replica: Replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SMALL) as pilot:
        form = await _open(pilot, "ctrl+n")
        if not isinstance(form, MissionFormScreen):
            form = await _open(pilot, "n")
        assert isinstance(form, MissionFormScreen)
        assert_inside(form, ".dialog")
        await tab_through(pilot)


async def test_the_flow_and_stage_dialogs_fit(replica: Replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SMALL) as pilot:
        settings = await _open(pilot, "S")
        assert_footer_keeps(settings, "Back")
        await tab_through(pilot)
        form = await _open(pilot, "n")
        assert isinstance(form, NewFlowScreen)
        assert_inside(form, ".dialog")
        await tab_through(pilot)
        await _open(pilot, "escape")

        settings.query_one("#stage-list", OptionList).focus()
        form = await _open(pilot, "enter")
        assert isinstance(form, StageFormScreen)
        assert_inside(form, ".dialog")
        await tab_through(pilot)


async def test_the_actor_dialog_fits(replica: Replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SMALL) as pilot:
        await _open(pilot, "S", "2")
        form = await _open(pilot, "n")
        assert isinstance(form, ActorFormScreen)
        assert_inside(form, ".dialog")
        await tab_through(pilot)


async def test_the_repository_dialog_fits(workspace: Workspace, tmp_path: Path) -> None:
    await link_repo(workspace, make_repo(tmp_path / "app"))
    ident = workspace.identity

    async def open_data() -> BoardData:
        return await BoardData.for_writer(
            Writer(workspace.db, ident.organization_id, workspace.project_id, workspace=workspace)
        )

    app = quiet(SoloUnicornApp(open_data))
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        for _ in range(100):
            if app.board.runtime_host is not None:
                break
            await pilot.pause(0.05)
        form = await _open(pilot, "R")
        assert isinstance(form, RepoSettingsScreen)
        assert_inside(form, ".dialog")
        await tab_through(pilot)


async def test_help_fits_and_scrolls_to_its_last_key(replica: Replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SMALL) as pilot:
        help_screen = await _open(pilot, "question_mark")
        assert isinstance(help_screen, HelpScreen)
        assert_inside(help_screen, ".dialog")
        await tab_through(pilot)
        scroll = help_screen.query_one("VerticalScroll")
        await pilot.press("end")
        await settle(pilot)
        assert scroll.max_scroll_y > 0 and scroll.scroll_y == scroll.max_scroll_y


async def test_the_mission_screen_and_its_thread_fit(tmp_path: Path) -> None:
    db, identity = await open_replica(tmp_path / "replica.db")
    try:
        from storage import missions as ops

        mission = await ops.create_mission(
            db, identity.project_id, ops.MissionDraft(title="Dark mode", ready=True)
        )
        await questions.ask_question(db, mission.id, "Which palette: nord or solarized?")
        await questions.answer_question(db, mission.id, "Nord, with the usual accents.")
        await questions.ask_question(db, mission.id, "Dark by default, or follow the OS?")
        app = app_on_db(db, identity)
        async with app.run_test(size=SMALL) as pilot:
            await settle(pilot)
            await app.push_screen(MissionScreen(app.board.data, mission.id))
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, MissionScreen)
            assert_footer_keeps(screen, "Back", "Thread")
            await tab_through(pilot, settle=settle)
            thread = await _open(pilot, "t")
            assert isinstance(thread, ThreadScreen)
            assert_inside(thread, ".dialog")
            scroll = thread.query_one("#thread-scroll")
            assert scroll.max_scroll_y > 0 and scroll.scroll_y == scroll.max_scroll_y  # newest
            await tab_through(pilot)
    finally:
        await db.close()


async def test_the_review_screen_fits(tmp_path: Path) -> None:
    db, identity = await open_replica(tmp_path / "replica.db")
    try:
        await seed_review(db, identity, tmp_path)
        app = app_on_db(db, identity)
        async with app.run_test(size=SMALL) as pilot:
            screen = await _open(pilot, "l", "l", "v")
            assert isinstance(screen, ReviewScreen)
            assert_footer_keeps(screen, "Approve", "Reject", "Close")
            for tab in ("1", "2", "3", "4", "5"):
                await _open(pilot, tab)
                pane = screen.query_one("#review-tabs").active_pane
                assert pane is not None
                assert_shown(screen, pane)
                if app.focused is not None:
                    assert_shown(screen, app.focused)
    finally:
        await db.close()


async def test_the_metrics_screen_fits(replica: Replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SMALL) as pilot:
        screen = await _open(pilot, "M")
        assert isinstance(screen, MetricsScreen)
        assert_footer_keeps(screen, "Back")
        await tab_through(pilot, settle=settle)


class _LogsHost(App[None]):
    def __init__(self, entries: list[SessionEntry]) -> None:
        super().__init__()
        self.entries = entries

    async def load(self) -> list[SessionEntry]:
        return self.entries

    def on_mount(self) -> None:
        self.push_screen(SessionLogsScreen(self.load))


async def test_the_session_logs_screen_fits(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    log = tmp_path / "s1.log"
    log.write_text("".join(f"line {n}\n" for n in range(60)))
    entries = [
        SessionEntry(
            f"session_0{n}",
            f"mission_{n}",
            f"Mission number {n} with a long title",
            "script",
            "plan",
            "completed",
            datetime(2026, 1, 2, 9, n, tzinfo=UTC),
            str(log),
        )
        for n in range(10)
    ]
    app = _LogsHost(entries)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause(0.3)  # the log view tails its file: its worker never completes
        screen = app.screen
        assert isinstance(screen, SessionLogsScreen)
        assert_footer_keeps(screen, "Back", "Search")
        await tab_through(pilot)


async def test_the_edit_form_blockers_delete_and_reject_dialogs_fit(tmp_path: Path) -> None:
    db, identity = await open_replica(tmp_path / "replica.db")
    try:
        await seed_review(db, identity, tmp_path)
        app = app_on_db(db, identity)
        async with app.run_test(size=SMALL) as pilot:
            for keys, kind in (
                (("e",), MissionFormScreen),
                (("b",), DependenciesScreen),
                (("d",), ConfirmScreen),
                (("l", "l", "x"), FeedbackScreen),
            ):
                dialog = await _open(pilot, *keys)
                assert isinstance(dialog, kind), keys
                assert_inside(dialog, ".dialog")
                await tab_through(pilot)
                await _open(pilot, "escape")
                if isinstance(app.screen, MissionScreen):  # e edits on the mission screen
                    await _open(pilot, "escape")
                assert app.screen is app.board
    finally:
        await db.close()


async def test_the_finish_dialog_fits(replica: Replica) -> None:
    from solo_unicorn_tui.ui.dialogs.finish import FinishScreen

    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        branch = "solo-unicorn/000017-review-the-sync-protocol"
        app.push_screen(FinishScreen("Review the sync protocol", branch, "main", "2 ahead"))
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, FinishScreen)
        assert_inside(dialog, ".dialog")
        await tab_through(pilot)
