"""Snapshots of the board and its screens, with frozen ids, time and workstation name."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.support.board import app_on_path, build_replica, freeze_ids_and_time, settle


@pytest.fixture
def replica_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    freeze_ids_and_time(monkeypatch)
    path = tmp_path / "replica.db"
    asyncio.run(build_replica(path))
    return path


@pytest.fixture
def empty_replica_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    freeze_ids_and_time(monkeypatch)
    path = tmp_path / "replica.db"
    asyncio.run(build_replica(path, missions=False))
    return path


def keys(*pressed: str, after: Callable[[Pilot[Any]], Awaitable[None]] | None = None):
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)
        if after is not None:
            await after(pilot)
            await settle(pilot)

    return run_before


def test_board_80x24(snap_compare, replica_path: Path) -> None:
    assert snap_compare(app_on_path(replica_path), terminal_size=(80, 24), run_before=keys())


def test_board_160x48(snap_compare, replica_path: Path) -> None:
    app = app_on_path(replica_path)
    assert snap_compare(app, terminal_size=(160, 48), run_before=keys("j", "l"))


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_welcome_board(snap_compare, empty_replica_path: Path, size: tuple[int, int]) -> None:
    app = app_on_path(empty_replica_path)
    assert snap_compare(app, terminal_size=size, run_before=keys())


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_new_mission_form(snap_compare, replica_path: Path, size: tuple[int, int]) -> None:
    app = app_on_path(replica_path)
    # at 80x24 the form scrolls: tab to its last field brings it into view
    pressed = ("n", "ctrl+s", "tab", "tab", "tab", "tab", "tab") if size[1] < 30 else ("n",)
    assert snap_compare(app, terminal_size=size, run_before=keys(*pressed))


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_workstation_panel(snap_compare, replica_path: Path, size: tuple[int, int]) -> None:
    from solo_unicorn_tui.ui.messages import WorkstationSnapshotChanged
    from solo_unicorn_tui.ui.widgets.workstation_panel import WorkstationPanel
    from solo_unicorn_tui.ui.widgets.workstation_sidebar import WorkstationSidebar
    from tests.ui.test_runtime_ui import NOW, fixed_snapshot

    async def show_panel(pilot: Pilot[Any]) -> None:
        board = pilot.app.screen
        board.query_one(WorkstationSidebar).runtime_started()
        board.query_one(WorkstationPanel).clock = lambda: NOW
        board.post_message(WorkstationSnapshotChanged(fixed_snapshot()))

    app = app_on_path(replica_path)
    assert snap_compare(app, terminal_size=size, run_before=keys("w", after=show_panel))


def test_mission_screen(snap_compare, replica_path: Path) -> None:
    app = app_on_path(replica_path)
    # enter on a card in Review opens the review view; e opens the mission (then its editor)
    run = keys("l", "l", "e", "escape")
    assert snap_compare(app, terminal_size=(100, 30), run_before=run)


def test_help_screen(snap_compare, replica_path: Path) -> None:
    app = app_on_path(replica_path)
    assert snap_compare(app, terminal_size=(100, 40), run_before=keys("question_mark"))


def test_filtered_board(snap_compare, replica_path: Path) -> None:
    app = app_on_path(replica_path)
    run = keys("slash", "l", "o", "g", "i", "n")
    assert snap_compare(app, terminal_size=(100, 24), run_before=run)
