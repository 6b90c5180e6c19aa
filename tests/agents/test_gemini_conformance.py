"""Gemini CLI 0.61.0, for real, against the Gemini stand-in, through ``solo-unicorn work``.

The API key comes from ``agent login gemini`` (the keyring) and reaches only that process;
gemini gets its own settings folder under ``sessions/`` (API-key auth, telemetry off), never
the user's ``~/.gemini``. Gemini runs in ``--approval-mode auto_edit``: no request offers the
shell tool. A prompt of over 300 KB arrives intact on standard input; the model's tool calls
write a file and edit it (``write_file``, ``replace``, no prompt), and the runner commits what it
left; usage (its router's request included) and the session
id are recorded; the readable log shows the tool calls; a rejected stage resumes the session.
There the model reports by our MCP tools (``mcp_solo-unicorn_TOOL``, as gemini names them; no
shell command) and then meets a 429: the solution and the proposed mission are on the board,
the profile is rate-limited and the mission back in the queue, no recovery attempt used.
"""

from __future__ import annotations

from pathlib import Path

from tests.agents.harness import (
    MEMORY,
    PROPOSAL,
    SOLUTION,
    agent_requests,
    holds_big_prompt,
    machine,
    readable_log,
)
from tests.support.model_standin import gemini
from tests.support.model_standin.server import Script, Turn, serve

#: What Gemini's API answers when a quota is exhausted (gemini would retry it for minutes).
EXHAUSTED = {
    "error": {
        "code": 429,
        "message": "Resource has been exhausted (e.g. check quota).",
        "status": "RESOURCE_EXHAUSTED",
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}],
    }
}


def test_gemini_mission_commits_records_usage_and_resumes(tmp_path: Path, gemini_bin: Path) -> None:
    turns = [
        Turn(
            text="I will write the file.",
            tool_calls=[("write_file", {"file_path": "hello.txt", "content": "hi\n"})],
            input_tokens=100,
            output_tokens=20,
            cached_tokens=40,
        ),
        Turn(
            tool_calls=[
                (
                    "replace",
                    {
                        "file_path": "hello.txt",
                        "instruction": "Greet the world, not just anyone.",
                        "old_string": "hi\n",
                        "new_string": "hi world\n",
                    },
                )
            ],
            input_tokens=120,
            output_tokens=10,
        ),
        Turn(text="All done.", input_tokens=140, output_tokens=30),
        Turn(
            tool_calls=[
                ("mcp_solo-unicorn_report_solution", {"text": SOLUTION}),
                ("mcp_solo-unicorn_propose_mission", {"title": PROPOSAL}),
            ]
        ),
        Turn(status=429, error_body=EXHAUSTED),
    ]
    with serve(gemini.routes(Script(turns))) as standin:
        box = machine(tmp_path, gemini_bin, "gemini", GOOGLE_GEMINI_BASE_URL=standin.url)
        box.ok("agent", "login", "gemini", input="g-standin-key\n")
        mission = box.add_big_mission()
        run = box.cli("work", "--once")
        assert run.returncode == 0, run.stdout + run.stderr
        requests = agent_requests(standin.requests)
        assert len(requests) == 3
        assert all(r.headers.get("x-goog-api-key") == "g-standin-key" for r in requests)
        offered = gemini.offered_tools(requests[0].body)
        assert {"write_file", "replace", "mcp_solo-unicorn_report_solution"} <= set(offered)
        assert "run_shell_command" not in offered, offered
        prompt = gemini.user_texts(requests[0].body)
        assert any(holds_big_prompt(text) for text in prompt)

        (session,) = box.sessions()
        assert session["status"] == "completed", session["error_message"]
        router = 1  # the stand-in answers gemini's tool-less router request with 1 in / 1 out
        assert session["input_tokens"] == 100 + 120 + 140 + router
        assert session["output_tokens"] == 20 + 10 + 30 + router
        assert session["cached_input_tokens"] == 40
        assert session["cost_usd"] is None  # gemini reports no cost
        assert session["agent_session_id"]
        branch = box.git("branch", "--list", "solo-unicorn/*", "--format=%(refname:short)")
        subject = box.git("log", "--format=%s", branch).splitlines()[0]
        assert subject == "Say hello: work left uncommitted by gemini"
        assert box.git("show", f"{branch}:hello.txt") == "hi world"
        readable = readable_log(session)
        assert "▸ write_file hello.txt" in readable
        assert "▸ replace hello.txt" in readable
        assert "run_shell_command" not in readable
        assert "committed 1 file(s) the agent left uncommitted" in Path(
            session["log_path"]
        ).read_text(encoding="utf-8")
        assert "All done." in readable and '{"type"' not in readable
        settings = Path(session["log_path"]).parent / "agent-config" / mission["id"] / "gemini"
        assert (settings / ".gemini" / "settings.json").exists()
        assert not (Path(box.env["HOME"]) / ".gemini").exists()

        box.ok("mission", "reject", mission["id"], "--feedback", "Say it louder.")
        again = box.cli("work", "--once")
        assert again.returncode == 1, again.stdout + again.stderr

    requests = agent_requests(standin.requests)
    assert len(requests) == 5  # the resumed turn, then the 429 (gemini's own retries stopped)
    texts = gemini.user_texts(requests[3].body)
    assert "Say it louder." in texts[-1]
    assert any(MEMORY in text for text in texts[:-1])  # the earlier conversation goes on
    first, second = box.sessions()
    assert f"resumed agent session {first['agent_session_id']}" in second["start_reason"]
    assert second["agent_session_id"] == first["agent_session_id"]
    # The resumed session reported by MCP tool calls, ran no shell command, then met the 429.
    answers = [
        part["functionResponse"]
        for content in requests[4].body["contents"]
        for part in content.get("parts", [])
        if "functionResponse" in part
    ]
    assert [a["name"] for a in answers][-2:] == [
        "mcp_solo-unicorn_report_solution",
        "mcp_solo-unicorn_propose_mission",
    ]
    assert "error" not in str(answers[-2:]).lower(), answers
    box.assert_reported_by_mcp(mission["id"])
    readable = readable_log(second)
    assert "▸ solo-unicorn.report_solution" in readable, readable
    assert "▸ solo-unicorn.propose_mission" in readable
    assert "run_shell_command" not in readable and "rate limited" in readable
    assert all("run_shell_command" not in gemini.offered_tools(r.body) for r in requests)
    limit = box.assert_rate_limited(mission["id"], "gemini")
    assert "Resource has been exhausted" in limit["rate_limit_reason"]
