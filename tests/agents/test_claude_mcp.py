"""Claude Code 2.1.197 reports through our MCP server, for real, in its safe permission mode.

The Anthropic stand-in answers with calls of ``mcp__solo-unicorn__report_solution`` and
``mcp__solo-unicorn__propose_mission``; claude starts ``solo-unicorn mcp`` from the session's own
``--mcp-config``, runs both tools without a prompt (the built-in profile's ``--allowedTools``
gains our names), and the solution and the proposed mission are on the board. No shell command
is run and nothing is denied. The next model request meets a 429, which claude would retry for
minutes: the profile is rate-limited at once and the mission goes back to the queue without
using a recovery attempt.
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
