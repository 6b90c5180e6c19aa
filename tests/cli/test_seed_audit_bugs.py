"""The bugs the seed audit found (issue 17), each with a test that failed before its fix."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from solo_unicorn_tui.cli.work import _printer
from solo_unicorn_tui.home import Home
from solo_unicorn_tui.runtime.events import SessionEnded
from solo_unicorn_tui.workspace import Workspace
from storage import dependencies, documents, fallback
from storage import missions as ops
from storage.errors import ConflictError, NotFoundError, ValidationError
from tests.conftest import run_cli
from tests.support.inprocess_cli import Ran, in_process, one_line_error
from tests.support.sync_env import drop_test_roles, upgrade_server  # noqa: F401  (autouse)

CLI = [sys.executable, "-m", "solo_unicorn_tui.cli.main"]


@pytest.fixture
def cli(home: Home, capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    return in_process(capsys)


@pytest.fixture
def acli(cli: Callable[..., Ran]) -> Callable[..., Awaitable[Ran]]:
    """The in-process CLI from an async test: in a thread, as the command runs its own loop."""
    return lambda *args: asyncio.to_thread(cli, *args)


@pytest.mark.postgres
def test_a_failed_login_saves_no_server_url(home: Home, pg_database: str) -> None:
    done = run_cli(
        "server",
        "login",
        "--url",
        pg_database,
        "--password-stdin",
        input="secret\n",
        env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    )
    assert done.returncode == 1 and "no OS keyring" in done.stderr
    assert not home.config_file.exists() or "server_url" not in home.config_file.read_text()


async def test_id_tails_match_literally_not_as_like_patterns(
    workspace: Workspace, acli: Callable[..., Awaitable[Ran]]
) -> None:
    only = await ops.create_mission(workspace.db, workspace.project_id, ops.MissionDraft(title="x"))
    one_line_error(await acli("mission", "show", "%%%%"), "no mission with id '%%%%'")
    one_line_error(await acli("mission", "delete", "____"), "no mission with id '____'")
    with pytest.raises(NotFoundError):
        await ops.resolve_mission_id(workspace.db, "____")
    assert await ops.resolve_mission_id(workspace.db, only.id[-6:].upper()) == only.id
    assert (await acli("mission", "show", only.id[-6:])).returncode == 0
    assert (await ops.get_mission(workspace.db, only.id)).title == "x"


async def test_deleting_the_blocker_lowers_the_dependency_count(workspace: Workspace) -> None:
    db, project = workspace.db, workspace.project_id
    waiting = await ops.create_mission(db, project, ops.MissionDraft(title="waits"))
    blocker = await ops.create_mission(db, project, ops.MissionDraft(title="blocks"))
    assert (await dependencies.add_dependency(db, waiting.id, blocker.id)).dependency_count == 1
    await ops.delete_mission(db, blocker.id)
    assert (await ops.get_mission(db, waiting.id)).dependency_count == 0


def test_a_tasks_file_keeps_its_done_marks() -> None:
    tasks = documents.split_tasks("- [x] Write the test\n- [ ] Fix it\n- [X] Ship\n- Tell")
    assert [(t["title"], t.get("done", False)) for t in tasks] == [
        ("Write the test", True),
        ("Fix it", False),
        ("Ship", True),
        ("Tell", False),
    ]


async def test_a_multi_line_error_keeps_the_timeline_one_event_a_line(
    workspace: Workspace, acli: Callable[..., Awaitable[Ran]]
) -> None:
    from storage.changes import ChangeWriter
    from storage.sessions import requeue_failed

    db = workspace.db
    mission = await ops.create_mission(db, workspace.project_id, ops.MissionDraft(title="t"))
    async with db.write() as conn:
        await requeue_failed(
            ChangeWriter(db, conn),
            await ops.fetch_mission(conn, mission.id),
            error="Traceback:\n  File x\nBoom",
            status="failed",
            max_recovery_attempts=3,
        )
    shown = await acli("mission", "show", mission.id)
    assert shown.returncode == 0, shown.stderr
    timeline = [line.strip() for line in shown.stdout.split("\n\n")[-1].strip().splitlines()]
    assert len(timeline) == 2 and all(line.startswith("20") for line in timeline), timeline
    assert "Traceback: ⏎ File x ⏎ Boom" in shown.stdout


def test_work_output_keeps_a_space_after_the_status(capsys: pytest.CaptureFixture[str]) -> None:
    show = _printer(quiet=False)
    for status in ("completed", "rate_limited"):
        show(SessionEnded("s", "mission_01ABC", status, 0, "done", 1.0, "review", "plan"))
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["completed", "mission_01ABC"],
        ["rate_limited", "mission_01ABC"],
    ]
    assert lines[0].index("mission_") == lines[1].index("mission_")  # one column


@pytest.mark.postgres
async def test_upgrading_a_server_with_a_newer_schema_is_one_line(
    pg_database: str, acli: Callable[..., Awaitable[Ran]], monkeypatch: pytest.MonkeyPatch
) -> None:
    await upgrade_server(pg_database)
    conn = await asyncpg.connect(pg_database)
    try:
        await conn.execute("UPDATE alembic_version SET version_num = '9999'")
    finally:
        await conn.close()
    monkeypatch.setenv("SOLO_UNICORN_SERVER_URL", pg_database)
    one_line_error(await acli("server", "upgrade"), "9999 is newer than this program knows")


def test_a_deeply_nested_config_is_one_line(home: Home, cli: Callable[..., Ran]) -> None:
    home.ensure()
    home.config_file.write_text("[" * 100_000 + "]" * 100_000)
    one_line_error(cli("mission", "list"), "nested too deeply")


def test_a_port_out_of_range_is_one_line(
    cli: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOLO_UNICORN_SERVER_URL", "postgresql://me@127.0.0.1:99999/db")
    one_line_error(cli("sync"), "port must be a number from 1 to 65535")


def test_undecodable_standard_input_is_named_as_such(home: Home) -> None:
    done = subprocess.run(
        [*CLI, "mission", "add", "--title", "t", "--description-file", "-"],
        input=b"caf\xe9 au lait",
        capture_output=True,
        env=os.environ,
        timeout=120,
    )
    assert done.returncode == 1
    assert b"description: is not valid UTF-8 text" in done.stderr, done.stderr


def test_direction_controls_are_refused_in_titles() -> None:
    from storage import validation

    for control in ("\u202e", "\u2066", "\u200f"):
        with pytest.raises(ValidationError, match="direction control"):
            validation.title(f"invoice{control}fdp.exe")
    assert validation.title("café ☃ 👩‍💻") == "café ☃ 👩‍💻"  # joiners in emoji stay fine


async def test_template_launch_honours_the_weekly_cap(workspace: Workspace) -> None:
    db, project = workspace.db, workspace.project_id
    await fallback.set_config(db, project, weekly_mission_cap=1)
    template = await fallback.add_template(db, project, fallback.TemplateDraft(name="Tidy up"))
    await fallback.launch_template(db, template.id)
    with pytest.raises(ConflictError, match="weekly cap of 1"):
        await fallback.launch_template(db, template.id)
    area = await fallback.fallback_area(db, project)
    assert area.accepted_this_week == 1
