"""Agents outlive the board: q keeps them running in their own runner, and the next board shows
the session live (the log pane tails it, the panel lists it) and cancels it."""

from __future__ import annotations

import os
from pathlib import Path

from solo_unicorn_tui.runtime.runners import runner_alive
from solo_unicorn_tui.ui.dialogs.confirm import ConfirmScreen
from solo_unicorn_tui.ui.dialogs.quit import QuitScreen
from solo_unicorn_tui.ui.widgets.mission_log_pane import MissionLogPane
from solo_unicorn_tui.ui.widgets.workstation_panel import WorkstationPanel
from solo_unicorn_tui.workspace import Workspace
from storage import missions as ops
from storage.sessions import get_session, list_sessions
from tests.runtime.test_sessions import _assert_gone
from tests.ui.test_board_runtime import _board, _true, _until


async def test_a_kept_session_runs_on_and_the_next_board_shows_and_cancels_it(
    workspace: Workspace, tmp_path: Path
) -> None:
    mission = await ops.create_mission(
        workspace.db, workspace.project_id, ops.MissionDraft(title="Keep at it", ready=True)
    )
    first = await _board(workspace, tmp_path, "sleep")
    async with first.run_test(size=(140, 40)) as pilot:
        board = first.board
        await _until(pilot, lambda: _true(board.runtime_host is not None))
        await pilot.press("r")

        async def active() -> bool:
            sessions = await list_sessions(workspace.db, mission_id=mission.id)
            return bool(sessions) and sessions[0].status == "active"

        await _until(pilot, active)
        await pilot.press("q")
        await _until(pilot, lambda: _true(isinstance(first.screen, QuitScreen)))
        await pilot.press("escape")  # stay
        await _until(pilot, lambda: _true(first.screen is board and first.is_running))
        await pilot.press("q")
        await _until(pilot, lambda: _true(isinstance(first.screen, QuitScreen)))
        await pilot.press("k")
    (session,) = await list_sessions(workspace.db, mission_id=mission.id)
    assert session.pid is not None
    assert session.status == "active", "the agent runs on"
    os.killpg(session.pid, 0)  # its process group is alive
    assert runner_alive(workspace.home, session.id), "its runner outlived the board"

    second = await _board(workspace, tmp_path / "again", "sleep")
    async with second.run_test(size=(140, 40)) as pilot:
        board = second.board
        await _until(pilot, lambda: _true(board.runtime_host is not None))
        await pilot.press("l")  # the running mission is in Doing
        pane = second.screen.query_one(MissionLogPane)
        await _until(pilot, lambda: _true(pane.session_id == session.id))
        await _until(pilot, lambda: _true(any("agent: sleeping" in x for x in pane.view.lines())))
        await pilot.press("w")
        panel = second.screen.query_one(WorkstationPanel)
        await _until(
            pilot,
            lambda: _true(
                panel.snapshot is not None
                and [s.session_id for s in panel.snapshot.sessions] == [session.id]
            ),
        )
        await pilot.press("c")
        await _until(pilot, lambda: _true(isinstance(second.screen, ConfirmScreen)))
        await pilot.press("y")

        async def cancelled() -> bool:
            return (await get_session(workspace.db, session.id)).status == "cancelled"

        await _until(pilot, cancelled)
    await _assert_gone(session.pid)
    assert (await ops.get_mission(workspace.db, mission.id)).agent_session_status == "cancelled"
