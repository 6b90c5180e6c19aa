"""opencode 1.18.33, for real (the built-in profile), against the Chat Completions stand-in,
through ``solo-unicorn work --once``.

One mission in two runs. In the first, a prompt of over 300 KB arrives intact; the model reports
by our MCP tools (``solo-unicorn_TOOL``, as opencode names them; no shell command), then meets a
429 naming a one-second reset (opencode's own retries are quick: ``retry-after-ms``), so the
profile is rate-limited and the mission goes back to the queue without using a recovery attempt.
After the reset the next run resumes the same opencode session (``--session``; the prompt is
already in it), its bash call writes and commits a file, usage is recorded (reasoning and cache
counted once), the readable log shows the call, and no title request is made.
"""

from __future__ import annotations

from pathlib import Path

from tests.agents.harness import (
    PROPOSAL,
    SOLUTION,
    holds_big_prompt,
    machine,
    openai_env,
    readable_log,
)
from tests.support.model_standin.chat_completions import chat_routes, rate_limit_body
from tests.support.model_standin.server import Script, Turn, serve

COMMIT = "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'add hello'"


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
            Turn(
                text="Writing hello.txt.",
                tool_calls=[("bash", {"command": COMMIT, "description": "write and commit"})],
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
    # step 1: 1000 in (100 cached), 60 out (20 reasoning); step 2: 10 in, 5 out
    assert (done["input_tokens"], done["output_tokens"]) == (1010, 65)
    assert done["cost_usd"] == 0.0
    branch = box.branch()
    assert box.git("log", "--format=%s", branch).splitlines()[0] == "add hello"
    readable = readable_log(done)
    assert "▸ bash " in readable and "git commit -q -m 'add hello'" in readable
    assert "All done." in readable and '{"type"' not in readable
