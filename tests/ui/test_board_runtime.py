"""The board drives the runtime: r runs the selected mission, c cancels, D dispatches, g logs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from solo_unicorn_tui.ui.app import SoloUnicornApp
from solo_unicorn_tui.ui.board_data import BoardData, Writer
from solo_unicorn_tui.ui.dialogs.confirm import ConfirmScreen
from solo_unicorn_tui.ui.screens.mission import render_detail
from solo_unicorn_tui.ui.screens.session_logs import SessionLogsScreen
from solo_unicorn_tui.ui.widgets.mission_log_pane import MissionLogPane
from solo_unicorn_tui.ui.widgets.workstation_panel import WorkstationPanel
from solo_unicorn_tui.workspace import Workspace
from storage import missions as ops
from storage.sessions import list_sessions
from tests.support.runtime_fixtures import (
    default_profile,
    git,
    link_repo,
    make_repo,
    script_profile,
)


async def _until(pilot, predicate: Callable[[], object], timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if await predicate():  # type: ignore[misc]
            return
        await pilot.pause(0.1)
    raise AssertionError("the board did not get there in time")


async def _board(workspace: Workspace, tmp_path: Path, mode: str) -> SoloUnicornApp:
    await link_repo(workspace, make_repo(tmp_path / "app"))
    default_profile(workspace, script_profile(mode, env={"AGENT_SLEEP": "60"}), save=True)

    async def open_data() -> BoardData:
        writer = Writer(
            workspace.db,
            workspace.identity.organization_id,
            workspace.project_id,
            workspace.settings,
            workspace=workspace,
        )
        return await BoardData.for_writer(writer)

    return SoloUnicornApp(open_data)


async def test_r_runs_the_selected_mission_and_the_log_pane_follows_it(
    workspace: Workspace, tmp_path: Path
) -> None:
    mission = await ops.create_mission(
        workspace.db, workspace.project_id, ops.MissionDraft(title="Say hello", ready=True)
    )
    app = await _board(workspace, tmp_path, "commit")
    async with app.run_test(size=(140, 40)) as pilot:
        board = app.board
        await _until(pilot, lambda: _true(board.runtime_host is not None))
        await pilot.press("r")

        async def ran() -> bool:
            sessions = await list_sessions(workspace.db, mission_id=mission.id)
            return bool(sessions) and sessions[0].status == "completed"

        await _until(pilot, ran)
        assert (await ops.get_mission(workspace.db, mission.id)).stage == "plan"

        def followed() -> bool:
            # The selection stays on the card that was run, in whichever list it landed.
            card = board.current.selected_card
            return card is not None and card.id == mission.id

        await _until(pilot, lambda: _true(followed()))
        pane = app.screen.query_one(MissionLogPane)
        await _until(pilot, lambda: _true(pane.session_id is not None))
        await _until(pilot, lambda: _true(any("agent: done" in x for x in pane.view.lines())))

        detail = await board.data.detail(mission.id)
        assert detail.branch and detail.branch.startswith("solo-unicorn/")
        assert (detail.behind, detail.sessions, detail.input_tokens) == (0, 1, None)
        assert detail.ahead is not None and detail.ahead >= 1, "the agent's commit is not merged"
        repo = tmp_path / "app"
        (repo / "NEWS.md").write_text("newer work on main\n")
        git(repo, "add", "NEWS.md")
        git(repo, "commit", "-qm", "news")
        detail = await board.data.detail(mission.id)
        head, _body = render_detail(detail)
        assert (
            "not merged, 1 commit(s) behind" in head
            and "tokens unknown" in head
            and "cost unknown" in head
        )
        (entry,) = detail.session_entries
        assert f"{entry.stage} · script · completed · usage unknown" in head
        detail.session_entries = [
            replace(
                entry,
                input_tokens=12_800,
                cached_input_tokens=10_240,
                output_tokens=733,
                cost_usd=0.0421,
            )
        ]
        head, _body = render_detail(detail)
        assert "12,800 in (10,240 cached) / 733 out · $0.04" in head

        await pilot.press("w")
        panel = app.screen.query_one(WorkstationPanel)
        await _until(pilot, lambda: _true(panel.snapshot is not None and panel.snapshot.worktrees))
        assert panel.snapshot is not None
        script = next(a for a in panel.snapshot.agents if a.name == "script")
        assert (script.missions_completed, script.failure_rate) == (0, 0.0)

        await pilot.press("g")
        await _until(pilot, lambda: _true(isinstance(app.screen, SessionLogsScreen)))


async def test_c_cancels_and_capital_d_toggles_the_dispatcher(
    workspace: Workspace, tmp_path: Path
) -> None:
    mission = await ops.create_mission(
        workspace.db, workspace.project_id, ops.MissionDraft(title="Sleep on it", ready=True)
    )
    app = await _board(workspace, tmp_path, "sleep")
    async with app.run_test(size=(140, 40)) as pilot:
        board = app.board
        await _until(pilot, lambda: _true(board.runtime_host is not None))
        host = board.runtime_host
        assert host is not None
        await pilot.press("D")
        await _until(pilot, lambda: _true(host.runtime.is_running(mission.id)))
        await pilot.press("l")
        await _until(pilot, lambda: _true(board.current.selected_card is not None))
        await pilot.press("c")
        await _until(pilot, lambda: _true(isinstance(app.screen, ConfirmScreen)))
        await pilot.press("y")

        async def cancelled() -> bool:
            sessions = await list_sessions(workspace.db, mission_id=mission.id)
            return bool(sessions) and sessions[0].status == "cancelled"

        await _until(pilot, cancelled)
        await pilot.press("D")
        await _until(pilot, lambda: _true(not host.runtime.dispatcher_running))


async def _true(value: object) -> bool:
    return bool(value)


async def test_capital_r_edits_the_repository_worktree_setup(
    workspace: Workspace, tmp_path: Path
) -> None:
    from textual.widgets import Input, Static

    from solo_unicorn_tui.ui.dialogs.repo_settings import RepoSettingsScreen
    from storage.repositories import list_repositories

    app = await _board(workspace, tmp_path, "commit")
    async with app.run_test(size=(140, 40)) as pilot:
        board = app.board
        await _until(pilot, lambda: _true(board.runtime_host is not None))
        await pilot.press("R")
        await _until(pilot, lambda: _true(isinstance(app.screen, RepoSettingsScreen)))
        screen = app.screen
        screen.query_one("#copy-files", Input).value = ".env config/*.local"
        screen.query_one("#setup-script", Input).value = "npm ci --prefer-offline 'a b'"
        screen.query_one("#cleanup-script", Input).value = "echo 'unclosed"
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = screen.query_one("#repo-settings-error", Static)
        assert "clean-up command" in str(error.render())
        screen.query_one("#cleanup-script", Input).value = ""
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: _true(not isinstance(app.screen, RepoSettingsScreen)))
    (link,) = await list_repositories(
        workspace.db, workspace.project_id, workspace.identity.workstation_id
    )
    assert link.repository.copy_files == [".env", "config/*.local"]
    assert link.repository.setup_script == ["npm", "ci", "--prefer-offline", "a b"]
    assert link.repository.cleanup_script is None


async def test_the_runtime_host_posts_only_what_changed(workspace: Workspace) -> None:
    """The panel's snapshot is taken only while the sidebar shows it; the log pane's session is
    looked up again only when the selection moves or the board says sessions changed, and
    posted only when what the pane shows would change."""
    from textual.app import App

    from solo_unicorn_tui.ui.messages import FollowedSessionChanged, WorkstationSnapshotChanged
    from solo_unicorn_tui.ui.runtime_host import RuntimeHost
    from storage.board_queries import CardRow

    mission = await ops.create_mission(
        workspace.db, workspace.project_id, ops.MissionDraft(title="Never ran")
    )
    card = CardRow(mission.id, mission.title, 3, "clarify", False, "idle", None, None, 1.0, False)
    shown = [False]
    posted: list[object] = []
    app: App[None] = App()
    async with app.run_test(message_hook=posted.append) as pilot:
        host = RuntimeHost(
            app.screen, workspace, selected=lambda: card, panel_shown=lambda: shown[0]
        )
        snapshots = 0
        take = host.runtime.snapshot

        async def counted():  # type: ignore[no-untyped-def]
            nonlocal snapshots
            snapshots += 1
            return await take()

        host.runtime.snapshot = counted  # type: ignore[method-assign]

        def of(kind: type) -> list[object]:
            # each message is seen twice: on the screen it was posted to, then on the app
            return list({id(m): m for m in posted if isinstance(m, kind)}.values())

        await host.refresh_panel()
        await pilot.pause()
        assert (snapshots, of(WorkstationSnapshotChanged)) == (0, [])
        shown[0] = True
        await host.refresh_panel()
        await pilot.pause()
        assert snapshots == 1 and len(of(WorkstationSnapshotChanged)) == 1

        for _ in range(3):
            await host._follow_selection()
        await pilot.pause()
        assert [(m.caption, m.session_id) for m in of(FollowedSessionChanged)] == [
            ("Never ran — no agent session yet (r runs it)", None)
        ]
        host.refollow()  # looked up again, but nothing changed: the pane is not told again
        await host._follow_selection()
        await pilot.pause()
        assert len(of(FollowedSessionChanged)) == 1
        card.title = "Renamed"
        host.refollow()
        await host._follow_selection()
        await pilot.pause()
        assert [m.caption for m in of(FollowedSessionChanged)][-1] == (
            "Renamed — no agent session yet (r runs it)"
        )
        await host.shutdown()


def _card_lines(board) -> list[str]:  # type: ignore[no-untyped-def]
    lines: list[str] = []
    for column in board._columns():
        mission_list = column.mission_list
        width = mission_list.scrollable_content_region.width
        for y in range(mission_list.scrollable_content_region.height):
            strip = mission_list.render_line(y)
            assert strip.cell_length == width
            lines.append(strip.text)
    return lines


async def test_the_card_shows_the_running_agents_latest_activity_until_it_ends(
    workspace: Workspace, tmp_path: Path
) -> None:
    mission = await ops.create_mission(
        workspace.db, workspace.project_id, ops.MissionDraft(title="Sleep on it", ready=True)
    )
    app = await _board(workspace, tmp_path, "sleep")
    async with app.run_test(size=(140, 40)) as pilot:
        board = app.board
        await _until(pilot, lambda: _true(board.runtime_host is not None))
        host = board.runtime_host
        assert host is not None
        await pilot.press("r")

        async def shown() -> bool:
            return any("▸ agent: sl" in line for line in _card_lines(board))

        await _until(pilot, shown)
        (line,) = [line for line in _card_lines(board) if "▸ agent: sl" in line]
        # the column is narrower than the whole text: cut with an ellipsis, never wrapped
        assert "▸ agent: sleeping" in line or line.rstrip().endswith("…")
        # the selection went along with the card it ran, into Doing (c acts on it)
        selected = board.current.selected_card
        assert board.current.list_name == "doing" and selected and selected.id == mission.id
        await pilot.press("c")
        await _until(pilot, lambda: _true(isinstance(app.screen, ConfirmScreen)))
        await pilot.press("y")

        async def cleared() -> bool:
            sessions = await list_sessions(workspace.db, mission_id=mission.id)
            ended = bool(sessions) and sessions[0].status == "cancelled"
            return ended and not any("▸" in line for line in _card_lines(board))

        await _until(pilot, cleared)


async def test_r_with_the_server_unreachable_asks_before_running_offline(
    home, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from solo_unicorn_tui.ui.dialogs.confirm import ConfirmScreen
    from solo_unicorn_tui.workspace import open_workspace

    monkeypatch.setenv("SOLO_UNICORN_SERVER_URL", "postgresql://member@127.0.0.1:1/board")
    workspace = await open_workspace(home)
    try:
        mission = await ops.create_mission(
            workspace.db, workspace.project_id, ops.MissionDraft(title="Team job", ready=True)
        )
        app = await _board(workspace, tmp_path, "commit")
        async with app.run_test(size=(140, 40)) as pilot:
            board = app.board
            await _until(pilot, lambda: _true(board.runtime_host is not None))
            await pilot.press("r")
            await _until(pilot, lambda: _true(isinstance(app.screen, ConfirmScreen)))
            assert "unreachable" in str(app.screen.question)
            await pilot.press("n")  # wait for the server: nothing runs
            await _until(pilot, lambda: _true(not isinstance(app.screen, ConfirmScreen)))
            await pilot.pause(0.3)
            assert await list_sessions(workspace.db, mission_id=mission.id) == []
            await pilot.press("r")
            await _until(pilot, lambda: _true(isinstance(app.screen, ConfirmScreen)))
            await pilot.press("y")  # run offline anyway

            async def ran() -> bool:
                sessions = await list_sessions(workspace.db, mission_id=mission.id)
                return bool(sessions) and sessions[0].status == "completed"

            await _until(pilot, ran)
    finally:
        await workspace.db.close()
