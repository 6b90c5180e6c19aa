"""Claude Code 2.1.197 reports through our MCP server, for real, in its safe permission mode.

The Anthropic stand-in answers with a call of ``mcp__solo-unicorn__report_solution``; claude
starts ``solo-unicorn mcp`` from the session's own ``--mcp-config``, runs the tool without a
prompt (the built-in profile's ``--allowedTools`` gains our names), and after ``work --once``
the mission's solution holds the text. No shell command is run and nothing is denied.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.agents.harness import machine, readable_log
from tests.support.model_standin import anthropic
from tests.support.model_standin.server import Script, Turn, serve

TOOL = "mcp__solo-unicorn__report_solution"
SOLUTION = "## Plan\n\n1. Say hello through MCP. ✓"


def _agent_requests(requests):  # type: ignore[no-untyped-def]
    return [r for r in requests if isinstance(r.body, dict) and r.body.get("tools")]


def test_claude_reports_its_solution_by_mcp_tool_call(tmp_path: Path, claude_bin: Path) -> None:
    script = Script(
        [
            Turn(text="Recording the plan.", tool_calls=[(TOOL, {"text": SOLUTION})]),
            Turn(text="Plan recorded."),
        ]
    )
    with serve(anthropic.routes(script)) as standin:
        box = machine(
            tmp_path,
            claude_bin,
            "claude",
            ANTHROPIC_API_KEY="sk-ant-standin",
            ANTHROPIC_BASE_URL=standin.url,
        )
        mission = box.ok("mission", "add", "--title", "Plan by MCP", "--ready", "--json")
        run = box.cli("work", "--once")
        assert run.returncode == 0, run.stdout + run.stderr
        requests = _agent_requests(standin.requests)

    assert len(requests) == 2
    offered = {tool["name"] for tool in requests[0].body["tools"]}
    assert TOOL in offered and "mcp__solo-unicorn__propose_mission" in offered
    prompt = "\n".join(anthropic.user_texts(requests[0].body))
    assert "`report_solution`" in prompt and "mission update" not in prompt
    # the tool's answer went back to the model as a result, not an error
    results = [
        block
        for message in requests[1].body["messages"]
        if message["role"] == "user" and isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]
    assert len(results) == 1 and not results[0].get("is_error"), results

    (session,) = box.sessions()
    assert session["status"] == "completed", session["error_message"]
    result = json.loads(Path(session["log_path"]).read_text().splitlines()[-1])
    assert result["type"] == "result" and result.get("permission_denials") == []
    (row,) = box.rows(f"SELECT solution FROM missions WHERE id = '{mission['id']}'")
    assert row["solution"] == SOLUTION
    readable = readable_log(session)
    assert "▸ solo-unicorn.report_solution" in readable
    assert "▸ Bash" not in readable
    # the MCP config is the session's own, under sessions/
    assert (box.home / "sessions" / "mcp" / session["id"] / "claude-mcp.json").is_file()
