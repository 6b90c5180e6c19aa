"""How the board starts: a read-only view first, the writer in the background; the demo data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from solo_unicorn_tui.cli.board import board_app
from solo_unicorn_tui.cli.demo import seed_demo
from solo_unicorn_tui.home import Home
from solo_unicorn_tui.ui.board_data import BoardData
from storage import missions as ops
from storage.board_queries import LISTS
from storage.models import MISSION_LISTS
from tests.support.board import build_replica, open_replica, settle

ROOT = Path(__file__).resolve().parents[2]


def test_board_lists_match_the_schema() -> None:
    assert LISTS == MISSION_LISTS


def test_the_app_imports_without_sqlalchemy() -> None:
    """The first cards need no SQLAlchemy/Alembic/pydantic: they are imported after."""
    code = (
        "import sys, solo_unicorn_tui.ui.app, solo_unicorn_tui.cli.board;"
        "heavy = [m for m in ('sqlalchemy', 'alembic', 'pydantic') if m in sys.modules];"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


async def test_board_opens_read_only_then_writes_once_connected(home: Home) -> None:
    ids = await build_replica(home.replica)
    app = board_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        data = app.board.data
        assert isinstance(data, BoardData)
        assert data.connected
        assert app.board.list_for("todo").count == 3
        await pilot.press("L")
        await settle(pilot)
    db, _identity = await open_replica(home.replica)
    try:
        assert (await ops.get_mission(db, ids["Write the README"])).list == "doing"
    finally:
        await db.close()


async def test_board_on_a_new_home_creates_the_replica(home: Home) -> None:
    app = board_app(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.board.data.connected
        assert all(app.board.list_for(name).count == 0 for name in LISTS)
    assert home.replica.exists()


async def test_demo_data_is_consistent(workspace) -> None:
    """Projects, blocked and review cards; every session, log and PR a card claims exists."""
    from storage.pull_requests import pull_request_for_mission
    from storage.sessions import list_sessions

    project_id = await seed_demo(workspace.db, workspace.identity, home_root=workspace.home.root)
    missions = await ops.list_missions(workspace.db)
    assert len({m.project_id for m in missions}) >= 3
    first = [m for m in missions if m.project_id == project_id]
    assert {m.list for m in missions} == set(LISTS)
    assert any(m.ready for m in first) and any(not m.ready for m in first)
    assert any(m.github_pr_number for m in missions)
    for mission in missions:
        sessions = await list_sessions(workspace.db, mission_id=mission.id)
        if mission.agent_session_status != "inactive":
            (session,) = sessions
            assert session.status == mission.agent_session_status != "active"
            assert mission.last_code_agent_session_id == session.id
            assert Path(session.log_path or "").read_text().startswith("[demo]")
        else:
            assert sessions == [] and mission.list == "todo"
        if mission.github_pr_number:
            pr = await pull_request_for_mission(workspace.db, mission.id)
            assert pr is not None and pr.github_pr_number == mission.github_pr_number
    from storage.board_queries import card_window, sqlalchemy_runner

    async with workspace.db.read() as conn:
        run = sqlalchemy_runner(conn)
        cards = [
            card for name in LISTS for card in await card_window(run, project_id, name, 0, 100)
        ]
    assert any(card.blocked for card in cards)


def test_board_command_is_registered(cli) -> None:
    done = cli("board", "--help")
    assert done.returncode == 0 and "--demo-if-empty" not in done.stdout
    done = cli("demo", "--help")
    assert done.returncode == 0


def test_opening_the_board_from_the_cli_loads_no_other_command_group() -> None:
    code = (
        "import sys; from solo_unicorn_tui.cli import main;"
        "assert main._command_of([]) == 'board';"
        "assert main._command_of(['demo']) == 'demo';"
        "assert main._command_of(['mission', 'list']) == 'mission';"
        "assert main._command_of(['--help']) is None;"
        "main.build_parser('board');"
        "heavy = [m for m in ('sqlalchemy', 'alembic', 'pydantic') if m in sys.modules];"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
