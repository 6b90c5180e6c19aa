"""First run and live settings: the welcome board, the demo's own home, agents and settings
taken in while the board is open, and choices remembered in config.json."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

from solo_unicorn_tui.cli.board import board_app, demo_environment
from solo_unicorn_tui.home import Home
from solo_unicorn_tui.ui.widgets.welcome_panel import WelcomePanel
from solo_unicorn_tui.workspace import open_workspace
from storage import missions as ops
from storage.sessions import list_sessions
from tests.support.board import settle
from tests.support.runtime_fixtures import agent_argv, link_repo, make_repo
from tests.support.sync_env import upgrade_server


async def _until(pilot: Any, check: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await pilot.pause(0.1)
    raise AssertionError("the board did not get there in time")


def _text(app: Any, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_a_demo_run_leaves_the_users_replica_and_server_alone(
    home: Home, pg_database: str, monkeypatch: Any, tmp_path: Path
) -> None:
    await upgrade_server(pg_database)
    home.root.mkdir(parents=True)
    home.config_file.write_text(json.dumps({"server_url": pg_database}))
    monkeypatch.setenv("SOLO_UNICORN_SERVER_URL", pg_database)
    monkeypatch.setenv("SOLO_UNICORN_DEMO_AGENT_DELAY", "0.05")
    with demo_environment(tmp_path / "demo") as demo_home:
        assert "SOLO_UNICORN_SERVER_URL" not in os.environ
        app = board_app(demo_home, demo=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await _until(pilot, lambda: _true(app.board.runtime_host is not None))
            await settle(pilot)
            assert "DEMO" in _text(app, "#header-demo")
            assert app.board.sync_host is None
            assert app.board.list_for("todo").count > 0
            await pilot.press("L", "space", "s")
            await settle(pilot)
            await _run_the_demo_agent(app, pilot, demo_home)
    assert os.environ["SOLO_UNICORN_SERVER_URL"] == pg_database
    assert not home.replica.exists()
    assert json.loads(home.config_file.read_text()) == {"server_url": pg_database}
    conn = await asyncpg.connect(pg_database)
    try:
        assert await conn.fetchval("SELECT count(*) FROM missions") == 0
        assert await conn.fetchval("SELECT count(*) FROM projects") == 0
    finally:
        await conn.close()


async def _run_the_demo_agent(app: Any, pilot: Any, demo_home: Home) -> None:
    """``r`` in the demo: the demo agent works the stage in a worktree of the sample repository,
    in this process (no detached runner to outlive the demo), with a live log."""
    from storage.worktrees import mission_worktree

    host = app.board.runtime_host
    assert host.runtime.detached is None
    await pilot.press("r")
    mission_id = app.board.acted_on
    assert mission_id is not None

    async def ended() -> bool:
        sessions = await list_sessions(host.runtime.db, mission_id=mission_id)
        return bool(sessions) and sessions[0].status not in ("starting", "active")

    await _until(pilot, ended)
    session = (await list_sessions(host.runtime.db, mission_id=mission_id))[0]
    assert (session.status, session.code_agent_name) == ("completed", "demo-agent")
    log = Path(session.log_path).read_text(encoding="utf-8")
    assert f"✓ {session.stage} done" in log and "committed: " in log
    tree = await mission_worktree(host.runtime.db, mission_id, None)
    assert tree is not None and tree.worktree_path.startswith(str(demo_home.root))
    subjects = subprocess.run(
        ["git", "-C", tree.worktree_path, "log", "--format=%s"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert subjects[-1] == "Sample app" and subjects[0].startswith(f"{session.stage}: ")
    await _until(pilot, lambda: _true("ended" in _text(app, "#log-caption")))


async def _true(value: object) -> bool:
    return bool(value)


async def test_a_fresh_home_opens_the_welcome_board_and_an_agent_added_meanwhile_runs(
    home: Home, tmp_path: Path, cli: Any
) -> None:
    app = board_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await _until(pilot, lambda: _true(app.board.runtime_host is not None))
        await settle(pilot)
        welcome = app.screen.query_one(WelcomePanel)
        assert welcome.has_class("-shown")
        text = _text(app, "#welcome-text")
        assert "solo-unicorn repo add PATH" in text and "solo-unicorn demo" in text
        assert "no agent CLI found on PATH" in text
        # the three steps, done from another terminal and on the board
        ws = await open_workspace(home)
        try:
            await link_repo(ws, make_repo(tmp_path / "app"))
            await ops.create_mission(
                ws.db, ws.project_id, ops.MissionDraft(title="Say hello", ready=True)
            )
        finally:
            await ws.db.close()
        await _until(pilot, lambda: _true(not welcome.has_class("-shown")))
        done = cli("agent", "add", "script", "--default", "--", *agent_argv("commit"))
        assert done.returncode == 0, done.stderr

        async def profile_loaded() -> bool:
            host = app.board.runtime_host
            return host is not None and host.runtime.profiles.default_name == "script"

        await _until(pilot, profile_loaded)
        await settle(pilot)
        await pilot.press("r")
        mission_id = app.board.acted_on
        assert mission_id is not None
        host = app.board.runtime_host
        assert host is not None

        async def ran() -> bool:
            sessions = await list_sessions(host.runtime.db, mission_id=mission_id)
            return bool(sessions) and sessions[0].status == "completed"

        await _until(pilot, ran)
        # the selection stayed on the card it ran, wherever the run took it; the log pane says
        # the session ended and the status line shows the dispatcher and the sessions
        await _until(pilot, lambda: _true("ended" in _text(app, "#log-caption")))
        card = app.board.current.selected_card
        assert card is not None and card.id == mission_id
        assert _text(app, "#status-dispatcher").startswith("dispatcher off")
        await _until(pilot, lambda: _true(_text(app, "#status-sessions") == "0/1 running"))


async def test_theme_and_project_are_remembered_help_shows_remapped_keys(home: Home) -> None:
    from solo_unicorn_tui.ui.dialogs.help import HelpScreen
    from storage.identity import create_project

    ws = await open_workspace(home)
    try:
        other = await create_project(ws.db, ws.identity.organization_id, "Other")
        await ops.create_mission(ws.db, ws.project_id, ops.MissionDraft(title="Stay here"))
    finally:
        await ws.db.close()
    home.config_file.write_text(json.dumps({"keymap": {"new_mission": "ctrl+n"}}))
    app = board_app(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await _until(pilot, lambda: _true(app.board.runtime_host is not None))
        await settle(pilot)
        app.theme = "textual-light"
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = dict((text, keys) for keys, text in app.screen.rows)
        assert rows["New mission"] == "^n"
        await pilot.press("escape", "p")
        await settle(pilot)
        app.screen.dismiss(other.id)
        await settle(pilot)
    saved = json.loads(home.config_file.read_text())
    assert saved == {
        "keymap": {"new_mission": "ctrl+n"},
        "theme": "textual-light",
        "project_id": other.id,
    }
    again = board_app(home)
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert again.theme == "textual-light"
        assert again.board.data.project_id == other.id
