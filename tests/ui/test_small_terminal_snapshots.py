"""Snapshots at 80x24 of the dialogs and screens a person meets on a small terminal (issue 15),
with frozen ids, time and workstation name."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from solo_unicorn_tui.ui.widgets.session_log_view import SessionLogView
from storage import missions as ops
from storage import projects, questions
from tests.support.board import app_on_path, build_replica, freeze_ids_and_time, open_replica
from tests.support.review import seed_review
from tests.support.small_terminal import SMALL
from tests.ui.test_board_snapshots import keys
from tests.ui.test_metrics_screen import MetricsHost
from tests.ui.test_runtime_ui import LogsHost, _entries, _wait_lines


@pytest.fixture
def replica_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    freeze_ids_and_time(monkeypatch)
    path = tmp_path / "replica.db"
    asyncio.run(build_replica(path))
    return path


@pytest.fixture
def question_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One mission in Review with an agent's question and a person's earlier answer."""
    freeze_ids_and_time(monkeypatch)
    path = tmp_path / "replica.db"

    async def build() -> None:
        db, identity = await open_replica(path)
        try:
            mission = await ops.create_mission(
                db, identity.project_id, ops.MissionDraft(title="Dark mode", ready=True)
            )
            await questions.ask_question(db, mission.id, "Which palette: nord or solarized?")
            await questions.answer_question(db, mission.id, "Nord, with the usual accents.")
            await questions.ask_question(db, mission.id, "Dark by default, or follow the OS?")
            await projects.add_project(db, identity.organization_id, "Website")
        finally:
            await db.close()

    asyncio.run(build())
    return path


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


def test_project_switcher_80x24(snap_compare: Any, replica_path: Path) -> None:
    assert snap_compare(app_on_path(replica_path), terminal_size=SMALL, run_before=keys("p"))


def test_project_defaults_80x24(snap_compare: Any, replica_path: Path) -> None:
    app = app_on_path(replica_path)
    assert snap_compare(app, terminal_size=SMALL, run_before=keys("p", "e"))


def test_help_80x24(snap_compare: Any, replica_path: Path) -> None:
    app = app_on_path(replica_path)
    assert snap_compare(app, terminal_size=SMALL, run_before=keys("question_mark"))


def test_mission_screen_80x24(snap_compare: Any, replica_path: Path) -> None:
    app = app_on_path(replica_path)
    assert snap_compare(app, terminal_size=SMALL, run_before=keys("l", "l", "e", "escape"))


def test_thread_80x24(snap_compare: Any, question_path: Path) -> None:
    app = app_on_path(question_path)
    assert snap_compare(app, terminal_size=SMALL, run_before=keys("l", "l", "t"))


def test_review_screen_80x24(snap_compare: Any, review_path: Path) -> None:
    async def flushed(pilot: Pilot[Any]) -> None:
        log = pilot.app.screen.query(SessionLogView)
        if log:
            log.first().flush()

    app = app_on_path(review_path)
    assert snap_compare(app, terminal_size=SMALL, run_before=keys("l", "l", "v", after=flushed))


def test_metrics_screen_80x24(snap_compare: Any) -> None:
    async def loaded(pilot: Pilot[Any]) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(MetricsHost(), terminal_size=SMALL, run_before=loaded)


def test_session_logs_80x24(snap_compare: Any, tmp_path: Path) -> None:
    async def shown(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        await _wait_lines(pilot, pilot.app.screen.log_view, 5)
        await pilot.pause()

    assert snap_compare(LogsHost(_entries(tmp_path)), terminal_size=SMALL, run_before=shown)


def test_finish_dialog_80x24(snap_compare: Any, replica_path: Path) -> None:
    from solo_unicorn_tui.ui.dialogs.finish import FinishScreen

    async def finish(pilot: Pilot[Any]) -> None:
        branch = "solo-unicorn/000017-review-the-sync-protocol"
        pilot.app.push_screen(FinishScreen("Review the sync protocol", branch, "main", "2 ahead"))

    app = app_on_path(replica_path)
    assert snap_compare(app, terminal_size=SMALL, run_before=keys(after=finish))
