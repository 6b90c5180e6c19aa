"""``solo-unicorn mcp`` over stdio with the SDK's own client: each tool round-trips into storage,
bad arguments are tool errors (and the server keeps serving), and nothing outside the bound
project and mission can be touched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from mcp.types import CallToolResult

from solo_unicorn_tui.mcp.wiring import TOOL_NAMES
from storage import documents
from storage import missions as ops
from tests.mcp.conftest import Board, connect


def _text(result: CallToolResult) -> str:
    assert len(result.content) == 1, result
    return result.content[0].text  # type: ignore[union-attr]


def _ok(result: CallToolResult) -> str:
    assert not result.is_error, _text(result)
    return _text(result)


def _data(result: CallToolResult) -> Any:
    return json.loads(_ok(result))


def _refused(result: CallToolResult, *fragments: str) -> str:
    assert result.is_error, result
    message = _text(result)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


async def test_each_tool_round_trips_into_storage(board: Board) -> None:
    db, mission = board.ws.db, board.mission
    async with connect(board.home, "--mission", mission.id) as server:
        call = server.session.call_tool
        listed = await server.session.list_tools()
        assert sorted(t.name for t in listed.tools) == sorted(TOOL_NAMES)

        context = _ok(await call("mission_context", {}))
        for expected in (
            mission.id,
            "Add dark mode",
            "Users want a dark theme.",
            "Use tabs, not spaces.",  # project memory
            "Stage: clarify",
            "Pick the palette",  # what blocks it
            "report_solution",  # the tools paragraph, not the shell command
        ):
            assert expected in context, expected
        assert "mission update" not in context

        assert "stored the solution" in _ok(
            await call("report_solution", {"text": "# Plan\n\nA toggle in settings."})
        )
        assert (await ops.get_mission(db, mission.id)).solution == "# Plan\n\nA toggle in settings."

        _ok(await call("report_tasks", {"tasks": "# Add the toggle\n\nin settings\n\n# Test it"}))
        tasks = (await ops.get_mission(db, mission.id)).tasks
        assert [(t["number"], t["title"]) for t in tasks] == [(1, "Add the toggle"), (2, "Test it")]
        assert "2 tasks" in _ok(
            await call(
                "report_tasks", {"tasks": ["Write CSS", {"title": "Docs", "text": "update"}]}
            )
        )
        tasks = (await ops.get_mission(db, mission.id)).tasks
        assert [t["title"] for t in tasks] == ["Write CSS", "Docs"]

        _ok(await call("report_clarification", {"text": "Dark mode for the board only."}))
        stored = await ops.get_mission(db, mission.id)
        assert stored.clarification == "Dark mode for the board only."
        events = await ops.list_events(db, mission.id)
        documents_events = [e for e in events if e.kind == "documents"]
        assert len(documents_events) == 4
        assert {e.origin for e in documents_events} == {"agent"}

        proposed = _data(
            await call(
                "propose_mission",
                {"title": "Dark mode for the log screen", "description": "Later.", "priority": 2},
            )
        )
        follow_up = await ops.get_mission(db, proposed["id"])
        assert (follow_up.list, follow_up.ready, follow_up.origin) == ("todo", False, "agent")
        assert (follow_up.project_id, follow_up.priority) == (mission.project_id, 2)
        assert follow_up.description == "Later."
        created = (await ops.list_events(db, follow_up.id))[0]
        assert (created.kind, created.origin) == ("created", "agent")
        assert created.payload == {"proposed_by": mission.id}
        link = [e for e in await ops.list_events(db, mission.id) if e.kind == "proposed"]
        assert [(e.origin, e.payload) for e in link] == [("agent", {"mission_id": follow_up.id})]

        context = _ok(await call("mission_context", {}))
        assert "A toggle in settings." in context and "Write CSS" in context

        first = _data(await call("list_missions", {"limit": 2}))
        assert first["project"] == "My project" and len(first["missions"]) == 2
        second = _data(await call("list_missions", {"limit": 2, "after": first["next_after"]}))
        assert second["next_after"] is None
        paged = [m["id"] for m in first["missions"] + second["missions"]]
        expected = [m.id for m in await ops.list_missions(db, mission.project_id, "todo")]
        assert sorted(paged) == sorted(expected) and len(paged) == 4
        assert board.foreign.id not in paged
        assert _data(await call("list_missions", {"list": "doing"}))["missions"] == []

        shown = _data(await call("show_mission", {"mission_id": board.sibling.id[-8:]}))
        assert (shown["id"], shown["title"]) == (board.sibling.id, "Fix the footer")
        shown = _data(await call("show_mission", {"mission_id": mission.id}))
        assert shown["blocked_by"] == [board.blocker.id]
        assert "proposed" in [e["kind"] for e in shown["events"]]

        resources = await server.session.list_resources()
        uris = {r.name: str(r.uri) for r in resources.resources}
        assert set(uris) == {"solution", "tasks"}
        solution = await server.session.read_resource(uris["solution"])
        assert solution.contents[0].text == "# Plan\n\nA toggle in settings."  # type: ignore[union-attr]
        tasks_doc = await server.session.read_resource(uris["tasks"])
        assert "## Task 2\n\n# Docs\n\nupdate" in tasks_doc.contents[0].text  # type: ignore[union-attr]

        assert server.errors() == ""


async def test_bad_arguments_are_one_line_tool_errors_and_the_server_keeps_serving(
    board: Board,
) -> None:
    db, mission = board.ws.db, board.mission
    async with connect(board.home, "--mission", mission.id) as server:
        call = server.session.call_tool
        _refused(await call("report_solution", {}), "text", "Field required")
        _refused(await call("report_solution", {"text": 42}), "text")
        _refused(await call("report_solution", {"text": "   "}), "solution: must not be empty")
        too_long = "x" * (documents.DOC_MAX_CHARS + 1)
        # The CLI's limit and words (storage.validation.long_text).
        _refused(
            await call("report_solution", {"text": too_long}), "solution: is 100,001 characters"
        )
        _refused(await call("report_clarification", {"text": "a\x00b"}), "control characters")
        _refused(await call("report_tasks", {"tasks": ""}), "tasks: the tasks file is empty")
        _refused(await call("report_tasks", {"tasks": [{"text": "no title"}, 3]}), "tasks")
        _refused(await call("report_tasks", {"tasks": "[not json"}), "tasks: not valid JSON")
        _refused(
            await call("propose_mission", {"title": "x", "priority": 9}),
            "priority: 9 is out of range; use 1 (lowest) to 5 (highest)",
        )
        _refused(await call("propose_mission", {"title": "two\nlines"}), "title: contains control")
        _refused(await call("propose_mission", {"title": " "}), "title: must not be empty")
        _refused(await call("list_missions", {"limit": 0}), "limit: 0 is out of range")
        _refused(await call("list_missions", {"list": "later"}), "list")
        _refused(await call("list_missions", {"after": "nope"}), "after: 'nope' is not a mission")
        _refused(await call("show_mission", {"mission_id": "zzzzzz"}), "no mission 'zzzzzz'")
        _refused(await call("no_such_tool", {}), "no_such_tool")
        _refused(await call("ask_question", {"question": "  "}), "question: must not be empty")
        _refused(await call("ask_question", {}), "question", "Field required")

        # Still serving, and nothing was written by the refused calls.
        _ok(await call("report_solution", {"text": "still here"}))
        stored = await ops.get_mission(db, mission.id)
        assert (stored.solution, stored.tasks, stored.clarification) == ("still here", None, None)
        todo = await ops.list_missions(db, mission.project_id, "todo")
        assert len(todo) == 3
        assert "Traceback" not in server.errors()


async def test_ask_question_parks_the_mission_and_the_answer_reaches_its_context(
    board: Board,
) -> None:
    from storage import questions

    db, mission = board.ws.db, board.mission
    async with connect(board.home, "--mission", mission.id) as server:
        call = server.session.call_tool
        assert "waits in Review" in _ok(
            await call("ask_question", {"question": "Which palette: solarized or nord?"})
        )
        parked = await ops.get_mission(db, mission.id)
        assert (parked.list, parked.review_status, parked.stage) == (
            "review",
            "question",
            "clarify",
        )
        [asked] = await questions.thread(db, mission.id)
        assert (asked.kind, asked.author_kind, asked.body) == (
            "question",
            "agent",
            "Which palette: solarized or nord?",
        )
        event = (await ops.list_events(db, mission.id))[-1]
        assert (event.kind, event.origin) == ("question", "agent")

        await questions.answer_question(db, mission.id, "Nord, please.")
        context = _ok(await call("mission_context", {}))
        assert "Which palette: solarized or nord?" in context and "> Nord, please." in context
    answered = await ops.get_mission(db, mission.id)
    assert (answered.list, answered.review_status, answered.stage) == (
        "todo",
        "answered",
        "clarify",
    )


async def test_other_projects_and_other_missions_are_refused(board: Board) -> None:
    db, mission, foreign = board.ws.db, board.mission, board.foreign
    async with connect(board.home, "--mission", mission.id) as server:
        call = server.session.call_tool
        for tool, arguments in (
            ("show_mission", {"mission_id": foreign.id}),
            ("mission_context", {"mission_id": foreign.id}),
            ("report_solution", {"text": "mine now", "mission_id": foreign.id}),
            ("propose_mission", {"title": "spam", "mission_id": foreign.id}),
            ("ask_question", {"question": "yours?", "mission_id": foreign.id}),
        ):
            message = _refused(await call(tool, arguments), "My project")
            assert "Secret" not in message
        for tool, arguments in (
            ("report_solution", {"text": "sibling plan", "mission_id": board.sibling.id}),
            ("report_tasks", {"tasks": "- one", "mission_id": board.sibling.id}),
            ("report_clarification", {"text": "x", "mission_id": board.sibling.id}),
            ("propose_mission", {"title": "via sibling", "mission_id": board.sibling.id}),
            ("ask_question", {"question": "via sibling", "mission_id": board.sibling.id}),
        ):
            _refused(await call(tool, arguments), "only", mission.id, board.sibling.id)
        # Naming its own mission is fine; reading a sibling is fine.
        _ok(await call("report_solution", {"text": "own", "mission_id": mission.id}))
        _ok(await call("mission_context", {"mission_id": board.sibling.id}))

    assert (await ops.get_mission(db, foreign.id)).solution is None
    sibling = await ops.get_mission(db, board.sibling.id)
    assert (sibling.solution, sibling.tasks, sibling.clarification) == (None, None, None)
    assert [m.title for m in await ops.list_missions(db, foreign.project_id)] == ["Secret plan"]
    assert len(await ops.list_missions(db, mission.project_id)) == 3


async def test_a_server_without_a_mission_serves_its_project_only(board: Board) -> None:
    db = board.ws.db
    async with connect(board.home) as server:
        call = server.session.call_tool
        assert (await server.session.list_resources()).resources == []
        _refused(await call("report_solution", {"text": "x"}), "not bound to a mission")
        _refused(await call("mission_context", {}), "not bound to a mission")
        _ok(await call("report_solution", {"text": "named", "mission_id": board.sibling.id}))
        _refused(await call("report_solution", {"text": "x", "mission_id": board.foreign.id}))
        assert len(_data(await call("list_missions", {}))["missions"]) == 3
    assert (await ops.get_mission(db, board.sibling.id)).solution == "named"
    assert (await ops.get_mission(db, board.foreign.id)).solution is None


def test_a_missing_mission_stops_the_server_with_one_line(board: Board) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "solo_unicorn_tui.cli.main", "mcp", "--mission", "nope"],
        capture_output=True,
        text=True,
        input="",
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "solo-unicorn: error: no mission with id 'nope' "
        "(list them with 'solo-unicorn mission list')"
    ]


def test_the_mission_comes_from_the_session_environment(board: Board) -> None:
    """The runner sets SOLO_UNICORN_MISSION_ID for agents; without --mission it binds to it.

    Spoken by hand, line by line, to see that stdout carries nothing but protocol messages, and
    that the handshake and the resource list import no SQLAlchemy (with the ORM it costs more
    than the SDK; the tools import it in the background after ``tools/list``).
    """
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "0"},
        },
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "solo_unicorn_tui.cli.main", "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "SOLO_UNICORN_MISSION_ID": board.mission.id,
            "PYTHONPROFILEIMPORTTIME": "1",
        },
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        server.stdin.write(json.dumps(initialize) + "\n")
        server.stdin.flush()
        first = json.loads(server.stdout.readline())
        assert first["id"] == 1 and first["result"]["serverInfo"]["name"] == "solo-unicorn"
        for message in (
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "resources/list"},
        ):
            server.stdin.write(json.dumps(message) + "\n")
        server.stdin.flush()
        second = json.loads(server.stdout.readline())
        server.stdin.close()
        assert server.wait(timeout=60) == 0
        assert server.stdout.read() == ""
        assert server.stderr is not None
        errors = server.stderr.read().splitlines()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert [line for line in errors if not line.startswith("import time:")] == []
    imported = {line.rsplit("|", 1)[1].strip() for line in errors[1:]}
    assert "solo_unicorn_tui.mcp.server" in imported
    assert not [m for m in imported if m.split(".")[0] in ("sqlalchemy", "alembic")]
    assert second["id"] == 2
    uris = [r["uri"] for r in second["result"]["resources"]]
    assert uris == [
        f"solo-unicorn://missions/{board.mission.id}/solution",
        f"solo-unicorn://missions/{board.mission.id}/tasks",
    ]
