"""The board syncs in the background when a server is configured: status and live changes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from solo_unicorn_tui.home import Home
from solo_unicorn_tui.ui.app import SoloUnicornApp
from solo_unicorn_tui.ui.board_data import BoardData, Writer
from solo_unicorn_tui.ui.widgets.sync_status_label import SyncStatusLabel
from solo_unicorn_tui.workspace import open_workspace
from storage import missions as ops
from tests.support.sync_env import open_replica, sync, upgrade_server

pytestmark = pytest.mark.postgres


async def _until(pilot, predicate: Callable[[], bool], timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return
        await pilot.pause(0.1)
    raise AssertionError("the board did not get there in time")


async def test_board_shows_sync_state_and_changes_from_another_workstation(
    home: Home, pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await upgrade_server(pg_database)
    other, other_identity = await open_replica(tmp_path / "other.db", "other")
    await ops.create_mission(
        other, other_identity.project_id, ops.MissionDraft(title="From the other desk")
    )
    await sync(other, pg_database)

    # This workstation joins the team's organization with a first sync, as the CLI does.
    home.ensure()
    joining, _ = await open_replica(home.replica, "mine")
    await sync(joining, pg_database)
    await joining.close()

    monkeypatch.setenv("SOLO_UNICORN_SERVER_URL", pg_database)
    monkeypatch.setenv("SOLO_UNICORN_SYNC_INTERVAL_SECONDS", "60")
    ws = await open_workspace(home)

    async def open_data() -> BoardData:
        writer = Writer(
            ws.db, ws.identity.organization_id, ws.project_id, ws.settings, workspace=ws
        )
        return await BoardData.for_writer(writer)

    app = SoloUnicornApp(open_data)
    async with app.run_test(size=(120, 34)) as pilot:
        board = app.board
        label = app.screen.query_one(SyncStatusLabel)
        await _until(pilot, lambda: label.status.state == "synced")
        await _until(pilot, lambda: board.list_for("todo").count == 1)

        await ops.create_mission(
            other, other_identity.project_id, ops.MissionDraft(title="Pushed while you watch")
        )
        await sync(other, pg_database)
        await _until(pilot, lambda: board.list_for("todo").count == 2)

        await pilot.press("s")
        await _until(pilot, lambda: label.status.state == "synced")
        assert "✓ synced" in str(label.render())
    await asyncio.sleep(0)
    await other.close()
    await ws.db.close()
