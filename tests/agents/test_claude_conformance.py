"""Claude Code 2.1.197, for real, against the Anthropic stand-in, through ``solo-unicorn work``.

One mission walks the whole way: a prompt of over 300 KB arrives intact on standard input, the
model's tool calls write a file and commit it with git (allowed by the built-in profile's
allowlist), usage and the agent's session id are recorded, the readable log shows the tool
calls; the stage is rejected with feedback, and the next run resumes the same claude session
with the feedback as the next message (what it leaves uncommitted is committed by the runner).
An error the model API answers with fails the session, not completes it.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.agents.harness import (
    MEMORY,
    agent_requests,
    claude_env,
    holds_big_prompt,
    machine,
    readable_log,
)
from tests.support.model_standin import anthropic
from tests.support.model_standin.server import Script, Turn, serve


def test_claude_mission_commits_records_usage_and_resumes(tmp_path: Path, claude_bin: Path) -> None:
    first = [
        Turn(
            text="I will write the file.",
            tool_calls=[("Write", {"file_path": "{cwd}/hello.txt", "content": "hi\n"})],
            input_tokens=100,
            output_tokens=20,
            cached_tokens=50,
        ),
        Turn(
            tool_calls=[("Bash", {"command": "git add hello.txt", "description": "stage"})],
            input_tokens=120,
            output_tokens=10,
        ),
        Turn(
            tool_calls=[
                ("Bash", {"command": "git commit -m 'add hello'", "description": "commit"})
            ],
            input_tokens=130,
            output_tokens=10,
        ),
        Turn(text="All done.", input_tokens=140, output_tokens=30),
    ]
    second = [
        Turn(
            tool_calls=[("Write", {"file_path": "{cwd}/notes.txt", "content": "newline\n"})],
            input_tokens=300,
            output_tokens=8,
        ),
        Turn(text="Added the notes.", input_tokens=310, output_tokens=4),
    ]
    script = Script(first + second)
    with serve(anthropic.routes(script)) as standin:
        box = machine(tmp_path, claude_bin, "claude", **claude_env(standin.url))
        mission = box.add_big_mission()
        run = box.cli("work", "--once")
        assert run.returncode == 0, run.stdout + run.stderr
        requests = agent_requests(standin.requests)
        assert len(requests) == 4
        prompt = anthropic.user_texts(requests[0].body)
        assert any(holds_big_prompt(text) for text in prompt)
        assert len("\n".join(prompt).encode()) > 300_000

        (session,) = box.sessions()
        assert session["status"] == "completed", session["error_message"]
        assert session["code_agent_name"] == "claude"
        # claude's result line: every request's input (cache reads included) and output
        assert session["input_tokens"] == 100 + 120 + 130 + 140 + 50
        assert session["cached_input_tokens"] == 50
        assert session["output_tokens"] == 20 + 10 + 10 + 30
        result = json.loads(Path(session["log_path"]).read_text().splitlines()[-1])
        assert result["type"] == "result" and session["cost_usd"] == result["total_cost_usd"] > 0
        assert session["agent_session_id"] == result["session_id"]
        branch = box.git("branch", "--list", "solo-unicorn/*", "--format=%(refname:short)")
        assert box.git("log", "--format=%s", branch).splitlines()[0] == "add hello"
        assert box.git("show", f"{branch}:hello.txt") == "hi"
        readable = readable_log(session)
        assert "▸ Write " in readable and "hello.txt" in readable
        assert "▸ Bash git commit -m 'add hello'" in readable
        assert "All done." in readable and '{"type"' not in readable
        assert session["output_summary"] and "All done." in session["output_summary"]

        box.ok("mission", "reject", mission["id"], "--feedback", "Also write notes.txt.")
        again = box.cli("work", "--once")
        assert again.returncode == 0, again.stdout + again.stderr

    requests = agent_requests(standin.requests)
    assert len(requests) == 6
    resumed = requests[4].body["messages"]
    # the same conversation goes on: the first run's tool calls, then the feedback
    assert any(
        block.get("type") == "tool_use" and block.get("name") == "Write"
        for message in resumed
        if message["role"] == "assistant"
        for block in message["content"]
    )
    last = anthropic.user_texts({"messages": [resumed[-1]]})
    assert any("Also write notes.txt." in text for text in last)
    assert not any(MEMORY in text for text in last)
    first_session, second_session = box.sessions()
    assert second_session["status"] == "completed", second_session["error_message"]
    assert (
        f"resumed agent session {first_session['agent_session_id']}"
        in (second_session["start_reason"])
    )
    assert second_session["agent_session_id"] == first_session["agent_session_id"]
    # the agent wrote notes.txt without committing it: the runner committed it on the branch
    branch = box.git("branch", "--list", "solo-unicorn/*", "--format=%(refname:short)")
    subject = box.git("log", "-1", "--format=%s%n%b", branch)
    assert subject.startswith("Say hello: work left uncommitted by claude")
    assert mission["id"] in subject and "stage code" in subject
    assert box.git("show", f"{branch}:notes.txt") == "newline"


def test_claude_api_error_fails_the_session(tmp_path: Path, claude_bin: Path) -> None:
    refusal = Turn(
        status=400,
        error_body={
            "type": "error",
            "error": {"type": "invalid_request_error", "message": "stand-in refuses this"},
        },
    )
    with serve(anthropic.routes(Script([refusal]))) as standin:
        box = machine(tmp_path, claude_bin, "claude", **claude_env(standin.url))
        box.ok("mission", "add", "--title", "Doomed", "--ready")
        run = box.cli("work", "--once")
    assert run.returncode == 1
    (session,) = box.sessions()
    assert session["status"] == "failed"
    assert "stand-in refuses this" in session["error_message"]
    assert "\n" not in session["error_message"].split(": ", 1)[0]
    assert '{"type"' not in session["error_message"]
