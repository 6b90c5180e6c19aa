"""Claude Code 2.1.197 reports through our MCP server, for real, in its safe permission mode.

The Anthropic stand-in answers with calls of ``mcp__solo-unicorn__report_solution`` and
``mcp__solo-unicorn__propose_mission``; claude starts ``solo-unicorn mcp`` from the session's own
``--mcp-config``, runs both tools without a prompt (the built-in profile's ``--allowedTools``
gains our names), and the solution and the proposed mission are on the board. No shell command
is run and nothing is denied. The next model request meets a 429, which claude would retry for
minutes: the profile is rate-limited at once and the mission goes back to the queue without
using a recovery attempt. A second mission asks its question by ``ask_question`` and parks in
Review for the answer.
"""

from __future__ import annotations

from pathlib import Path

from tests.agents.harness import (
    PROPOSAL,
    SOLUTION,
    agent_requests,
    claude_env,
    machine,
    readable_log,
)
from tests.support.model_standin import anthropic
from tests.support.model_standin.server import Script, Turn, serve

TOOL = "mcp__solo-unicorn__report_solution"
PROPOSE = "mcp__solo-unicorn__propose_mission"


def test_claude_reports_by_mcp_tool_calls_then_is_rate_limited(
    tmp_path: Path, claude_bin: Path
) -> None:
    script = Script(
        [
            Turn(
                text="Recording the plan.",
                tool_calls=[(TOOL, {"text": SOLUTION}), (PROPOSE, {"title": PROPOSAL})],
            ),
            Turn(status=429),
        ]
    )
    with serve(anthropic.routes(script)) as standin:
        box = machine(tmp_path, claude_bin, "claude", **claude_env(standin.url))
        mission = box.ok("mission", "add", "--title", "Plan by MCP", "--ready", "--json")
        run = box.cli("work", "--once")
        assert run.returncode == 1, run.stdout + run.stderr
        requests = agent_requests(standin.requests)

    assert len(requests) == 2  # the 429 is not retried
    offered = {tool["name"] for tool in requests[0].body["tools"]}
    assert TOOL in offered and PROPOSE in offered
    prompt = "\n".join(anthropic.user_texts(requests[0].body))
    assert "`report_solution`" in prompt and "mission update" not in prompt
    # both answers went back to the model as results, not errors (a denial would be one)
    results = [
        block
        for message in requests[1].body["messages"]
        if message["role"] == "user" and isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]
    assert len(results) == 2 and not any(r.get("is_error") for r in results), results

    box.assert_reported_by_mcp(mission["id"])
    (session,) = box.sessions()
    readable = readable_log(session)
    assert "▸ solo-unicorn.report_solution" in readable
    assert "▸ solo-unicorn.propose_mission" in readable
    assert "▸ Bash" not in readable
    limit = box.assert_rate_limited(mission["id"], "claude")
    assert "429" in limit["rate_limit_reason"] and "429" in session["error_message"]
    # the MCP config is the session's own, under sessions/
    assert (box.home / "sessions" / "mcp" / session["id"] / "claude-mcp.json").is_file()


ASK = "mcp__solo-unicorn__ask_question"
QUESTION = "Should the greeting be in English or in French?"


def test_claude_asks_by_mcp_and_the_mission_parks_for_the_answer(
    tmp_path: Path, claude_bin: Path
) -> None:
    """``ask_question`` parks the mission in Review marked ``question``, the question on its
    thread; the session ends normally and the mission stays there for a person."""
    script = Script(
        [
            Turn(text="I need to ask first.", tool_calls=[(ASK, {"question": QUESTION})]),
            Turn(text="Asked; ending the session until the answer comes."),
        ]
    )
    with serve(anthropic.routes(script)) as standin:
        box = machine(tmp_path, claude_bin, "claude", **claude_env(standin.url))
        mission = box.ok("mission", "add", "--title", "Ask by MCP", "--ready", "--json")
        run = box.cli("work", "--once")
        assert run.returncode == 0, run.stdout + run.stderr
        requests = agent_requests(standin.requests)

    assert ASK in {tool["name"] for tool in requests[0].body["tools"]}
    results = [
        block
        for message in requests[1].body["messages"]
        if message["role"] == "user" and isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]
    assert len(results) == 1 and not results[0].get("is_error"), results
    assert "waits in Review" in str(results[0]["content"])
    shown = box.ok("mission", "show", mission["id"], "--json")
    assert (shown["list"], shown["review_status"]) == ("review", "question"), shown
    (asked,) = box.rows(
        f"SELECT kind, body FROM mission_messages WHERE mission_id = '{mission['id']}'"
    )
    assert (asked["kind"], asked["body"]) == ("question", QUESTION)
    (session,) = box.sessions()
    assert session["status"] == "completed", session["error_message"]
    readable = readable_log(session)
    assert "▸ solo-unicorn.ask_question" in readable and "▸ Bash" not in readable
