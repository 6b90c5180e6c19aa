"""Hostile text: stored in a form every replica and PostgreSQL accept, printed without controls.

An agent (a real subprocess) prints NUL, BEL, escape sequences and invalid UTF-8; the replica
stores it safely, ``mission show`` prints no raw control byte, and it syncs through the real
PostgreSQL server to a second replica, which shows the same state.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from solo_unicorn_tui.cli.safe_text import json_escape, printable
from solo_unicorn_tui.ui.board_data import MissionDetail
from solo_unicorn_tui.ui.screens.mission import render_detail
from solo_unicorn_tui.workspace import Workspace
from storage import missions as ops
from storage.changes import ChangeWriter
from storage.models import MissionEvent, OutboxEntry
from storage.sessions import list_sessions
from storage.validation import storable, storable_text
from tests.support.runtime_fixtures import linked_runtime, make_repo, script_profile
from tests.support.sync_env import mission_row, open_replica, sync, upgrade_server

HOSTILE = "a\x00b\x07c\x1b[31mred\x1b[0m\x1b]0;title\x07\ud800\udfffz\x9b2J\u202eevil"


def _raw_controls(text: str) -> list[str]:
    """Characters a terminal would act on (newline and tab are fine)."""
    return [c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"]


def test_storable_text_replaces_what_postgres_refuses() -> None:
    assert storable_text("ok\ttext\n") == "ok\ttext\n"
    assert storable_text("a\x00b") == "a\ufffdb"
    assert storable_text("x\ud800y\udfff") == "x\ufffdy\ufffd"
    cleaned = storable_text(HOSTILE)
    cleaned.encode("utf-8")  # strict: no surrogates left
    assert "\x00" not in cleaned and "\x1b[31m" in cleaned  # other controls are data, kept
    nested = storable({"k\x00": ["v\x00", {"deep": "\ud83d"}], "n": 3, "t": ("a\x00",)})
    assert nested == {"k\ufffd": ["v\ufffd", {"deep": "\ufffd"}], "n": 3, "t": ["a\ufffd"]}
    assert storable(b"\xff\x00ok") == "\ufffd\ufffdok"


@given(st.text())
def test_storable_text_is_always_encodable_and_nul_free(text: str) -> None:
    out = storable_text(text)
    out.encode("utf-8")
    assert "\x00" not in out and len(out) == len(text)
    assert storable_text(out) == out


def test_printable_neutralises_terminal_controls() -> None:
    shown = printable(HOSTILE)
    assert _raw_controls(shown) == []
    assert "\x1b" not in shown and "\u202e" not in shown
    assert shown == "a\u2400b\u2407cred\ud800\udfffz\ufffd2J\ufffdevil"
    assert printable("line 1\r\nline 2\ttab\rover") == "line 1\nline 2\ttab\u240dover"
    assert printable("a\nb", multiline=False) == "a\u240ab"
    assert printable("plain café ☃ 👩‍💻") == "plain café ☃ 👩‍💻"
    assert printable("\x1b[31") == "31" and printable("\x1bc reset") == " reset"


@given(st.text())
def test_printable_never_leaves_a_control(text: str) -> None:
    assert _raw_controls(printable(text)) == []


def test_json_escape_keeps_the_data_exact() -> None:
    data = {"s": "\x00\x1b\x7f\x9b\u202e\u2028ok"}
    text = json_escape(json.dumps(data, ensure_ascii=False))
    assert _raw_controls(text) == [] and "\u202e" not in text
    assert json.loads(text) == data


async def test_the_write_path_sanitises_every_replicated_value(workspace: Workspace) -> None:
    db = workspace.db
    mission = await ops.create_mission(db, workspace.project_id, ops.MissionDraft(title="t"))
    row = await mission_row(db, mission.id)
    async with db.write() as conn:
        event = await ChangeWriter(db, conn).event(
            row, "agent_output", HOSTILE, origin="agent", payload={"out\x00": ["\x00", HOSTILE]}
        )
    table = MissionEvent.__table__
    async with db.read() as conn:
        stored = (
            (await conn.execute(select(table).where(table.c.id == event["id"]))).mappings().one()
        )
        outbox = (
            (
                await conn.execute(
                    select(OutboxEntry.__table__).where(OutboxEntry.row_id == event["id"])
                )
            )
            .mappings()
            .one()
        )
    assert stored["summary"] == storable_text(HOSTILE)
    assert stored["payload"] == {"out\ufffd": ["\ufffd", storable_text(HOSTILE)]}
    assert "\\u0000" not in json.dumps(outbox["values"]) and "\x00" not in str(outbox["values"])

    # The board's mission screen shows the timeline without the controls.
    detail = MissionDetail(
        mission=await ops.get_mission(db, mission.id),
        events=await ops.list_events(db, mission.id),
    )
    head, body = render_detail(detail)
    assert "evil" in body and _raw_controls(head + body) == [] and "\u202e" not in body


async def _run_hostile_agent(workspace: Workspace, tmp_path: Path) -> str:
    runtime = await linked_runtime(
        workspace, make_repo(tmp_path / "repo"), script_profile("binary-fail"), name="repo"
    )
    draft = ops.MissionDraft(title="Hostile output", ready=True)
    mission_id = (await ops.create_mission(workspace.db, workspace.project_id, draft)).id
    handle = await runtime.run_mission(mission_id)
    assert (await handle.task).status == "failed"
    raw = Path(handle.log_path).read_bytes()
    assert b"\x00\x07bell" in raw and b"\xff" in raw  # the agent really printed them
    return mission_id


async def test_agent_output_with_nul_escapes_and_invalid_utf8(
    workspace: Workspace, tmp_path: Path, cli, pg_database: str
) -> None:
    mission_id = await _run_hostile_agent(workspace, tmp_path)
    mission = await ops.get_mission(workspace.db, mission_id)
    session = (await list_sessions(workspace.db, mission_id=mission_id))[0]
    stored = [mission.last_error or "", session.output_summary or "", session.error_message or ""]
    assert "bell" in stored[0] and "bell" in stored[1]
    for text in stored:
        assert "\x00" not in text
        text.encode("utf-8")
    assert "\x07" in stored[1] and "\ufffd" in stored[1]  # other bytes kept as data

    shown = cli("mission", "show", mission_id)
    assert shown.returncode == 0, shown.stderr
    # The error tail is the end of the agent's output; colour codes never reach the terminal.
    assert "last error: exited with code 3:" in shown.stdout and "[31m" not in shown.stdout
    assert "\u2421" in shown.stdout  # DEL from the agent, shown as a visible picture
    assert _raw_controls(shown.stdout) == [] and "\x1b" not in shown.stdout
    as_json = cli("mission", "show", mission_id, "--json")
    assert _raw_controls(as_json.stdout) == []
    assert json.loads(as_json.stdout)["last_error"] == mission.last_error

    # The server accepts all of it, and a second replica shows the same state.
    await upgrade_server(pg_database)
    report = await sync(workspace.db, pg_database)
    assert report.rejections == []
    other, _ = await open_replica(tmp_path / "b.db", "bob")
    try:
        await sync(other, pg_database)
        there = await ops.get_mission(other, mission_id)
        assert (there.list, there.last_error) == (mission.list, mission.last_error)
        assert await mission_row(other, mission_id) == await mission_row(workspace.db, mission_id)
        other_sessions = await list_sessions(other, mission_id=mission_id)
        assert [s.output_summary for s in other_sessions] == [session.output_summary]
    finally:
        await other.close()


def test_an_error_quoting_hostile_input_is_neutralised(home, cli) -> None:  # type: ignore[no-untyped-def]
    """Error lines go through the same writer (stderr), not only normal output."""
    result = cli("mission", "show", "mission_\x07\x1b[2Jgone\x1bc")
    assert result.returncode != 0 and "gone" in result.stderr, result.stderr
    assert _raw_controls(result.stderr) == []
