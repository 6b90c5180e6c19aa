"""opencode 1.18.33, for real (the built-in profile), against the Chat Completions stand-in,
through ``solo-unicorn work --once``.

The profile's permissions allow edits and our MCP tools and deny the shell: no request offers
``bash``, and a ``bash`` call the model makes anyway is refused without running.

One mission in two runs. In the first, a prompt of over 300 KB arrives intact; the model reports
by our MCP tools (``solo-unicorn_TOOL``, as opencode names them; no shell command), then meets a
429 naming a one-second reset (opencode's own retries are quick: ``retry-after-ms``), so the
profile is rate-limited and the mission goes back to the queue without using a recovery attempt.
After the reset the next run resumes the same opencode session (``--session``; the prompt is
already in it), its refused bash call leaves nothing, its ``apply_patch`` call (how GPT-5 models
edit in opencode) writes a file that the runner commits, usage is recorded (reasoning and cache
counted once), the readable log shows the calls, and no title request is made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.agents.harness import (
    PROPOSAL,
    SOLUTION,
    holds_big_prompt,
    machine,
    openai_env,
    readable_log,
)
from tests.agents.record_openai import ADD_HELLO
from tests.support.model_standin.chat_completions import chat_routes, rate_limit_body
from tests.support.model_standin.server import Script, Turn, serve

SHELL = "printf 'ran\\n' > shell-ran.txt"


def offered(body: dict[str, Any]) -> set[str]:
    return {tool["function"]["name"] for tool in body.get("tools") or []}


def test_opencode_rate_limited_then_resumes_commits_and_records_usage(
    tmp_path: Path, opencode_bin: Path
) -> None:
    limited = Turn(
        status=429,
        error_body=rate_limit_body("Rate limit reached for requests. Please try again in 1s."),
        headers={"retry-after-ms": "5"},
    )
    report = Turn(
        tool_calls=[
            ("solo-unicorn_report_solution", {"text": SOLUTION}),
            ("solo-unicorn_propose_mission", {"title": PROPOSAL}),
        ]
    )
    script = Script([report] + [limited] * 20)
    with serve(chat_routes(script)) as standin:
        box = machine(tmp_path, opencode_bin, "opencode", **openai_env(standin.url))
        mission = box.add_big_mission()
        first = box.cli("work", "--once")
        assert first.returncode == 1, first.stdout + first.stderr
        assert holds_big_prompt(str(standin.requests[0].body["messages"]))
        tools = offered(standin.requests[0].body)
        assert {"apply_patch", "solo-unicorn_report_solution"} <= tools
        assert "bash" not in tools, tools
        (session,) = box.sessions()
        assert session["status"] == "rate_limited", session["error_message"]
        limit = box.assert_rate_limited(mission["id"], "opencode")
        assert "try again in 1s" in limit["rate_limit_reason"]
        box.assert_reported_by_mcp(mission["id"])
        answers = [m for m in standin.requests[1].body["messages"] if m["role"] == "tool"]
        assert len(answers) == 2 and "stored the solution" in str(answers), answers
        readable = readable_log(session)
        assert "▸ solo-unicorn.report_solution" in readable, readable
        assert "▸ solo-unicorn.propose_mission" in readable
        assert "▸ bash" not in readable

        del script.turns[script.position :]
        script.turns += [
            Turn(tool_calls=[("bash", {"command": SHELL, "description": "try the shell"})]),
            Turn(
                text="Writing hello.txt.",
                tool_calls=[("apply_patch", {"patchText": ADD_HELLO})],
                input_tokens=1000,
                cached_tokens=100,
                output_tokens=60,
                reasoning_tokens=20,
            ),
            Turn(text="All done."),
        ]
        asked = len(standin.requests)
        box.wait_for_reset(limit)
        run = box.cli("work", "--once")
        assert run.returncode == 0, run.stdout + run.stderr
        bodies = [r.body for r in standin.requests[asked:]]
    assert all(b["model"] == "gpt-5.1" and b.get("tools") for b in bodies)  # no title call
    resumed = str(bodies[0]["messages"])
    assert holds_big_prompt(resumed)  # the first run's prompt, from standard input
    assert "did not finish (rate limited" in resumed
    done = box.sessions()[1]
    assert done["status"] == "completed", done["error_message"]
    assert f"resumed agent session {session['agent_session_id']}" in done["start_reason"]
    assert done["agent_session_id"] == session["agent_session_id"]
    # bash: 10 in, 5 out; apply_patch: 1000 in (100 cached), 60 out (20 reasoning); 10 in, 5 out
    assert (done["input_tokens"], done["output_tokens"]) == (1020, 70)
    assert done["cost_usd"] == 0.0
    assert all("bash" not in offered(b) for b in bodies)
    refusal = [m for m in bodies[1]["messages"] if m["role"] == "tool"][-1]
    assert "unavailable tool 'bash'" in refusal["content"], refusal
    branch = box.branch()
    subject = box.git("log", "--format=%s", branch).splitlines()[0]
    assert subject == "Say hello: work left uncommitted by opencode"
    assert box.git("show", f"{branch}:hello.txt") == "hello"
    assert "shell-ran.txt" not in box.git("ls-tree", "-r", "--name-only", branch)
    readable = readable_log(done)
    assert "▸ apply_patch add hello.txt" in readable, readable
    assert "▸ invalid bash" in readable and "▸ bash" not in readable  # refused, not run
    assert "committed 1 file(s) the agent left uncommitted" in readable
    assert "All done." in readable and '{"type"' not in readable
