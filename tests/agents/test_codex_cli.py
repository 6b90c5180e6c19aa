"""Codex CLI 0.171.0, for real (the built-in profile), against the Responses stand-in, through
``solo-unicorn work --once``.

One mission: a prompt of over 300 KB arrives intact on standard input; the model's shell call
writes a file and commits it from inside the ``workspace-write`` sandbox (the worktree's git
folders are writable roots); usage counts the reasoning tokens once; the readable log shows the
shell call; the stage is rejected and the next run resumes the same codex thread (``exec
resume``). There the model runs no shell command: one ``exec`` cell (codex's code mode, where
our MCP tools are ``tools.mcp__solo_unicorn__TOOL``) adds a file with ``apply_patch``, reports
the solution and proposes a mission; the file it leaves uncommitted is committed by the runner.
A 429 then marks the profile
rate-limited and the next ``work --once`` skips it. Codex's own retries are off (a
``config.toml`` in the mission's ``CODEX_HOME``), so the 429 costs one request.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.agents.harness import (
    PROPOSAL,
    SOLUTION,
    holds_big_prompt,
    machine,
    openai_env,
    readable_log,
)
from tests.support.model_standin.openai_responses import responses_routes
from tests.support.model_standin.server import Script, Turn, serve

COMMIT = "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'add hello'"
NO_RETRIES = "[model_providers.solo_unicorn]\nrequest_max_retries = 0\nstream_max_retries = 0\n"
#: One ``exec`` cell: a file by apply_patch, then both MCP tools (JSON strings are JavaScript).
NOTES_PATCH = "*** Begin Patch\n*** Add File: notes.txt\n+notes\n*** End Patch\n"
REPORT = f"""await tools.apply_patch({json.dumps(NOTES_PATCH)});
text(await tools.mcp__solo_unicorn__report_solution({{text: {json.dumps(SOLUTION)}}}));
text(await tools.mcp__solo_unicorn__propose_mission({{title: {json.dumps(PROPOSAL)}}}));
"""


def test_codex_commits_records_usage_resumes_and_is_rate_limited(
    tmp_path: Path, codex_bin: Path
) -> None:
    script = Script(
        [
            Turn(
                text="Writing hello.txt.",
                tool_calls=[("exec_command", {"cmd": COMMIT})],
                input_tokens=1200,
                cached_tokens=200,
                output_tokens=300,
                reasoning_tokens=120,
            ),
            Turn(text="All done."),
            Turn(tool_calls=[("exec", REPORT)]),
            Turn(text="Added the notes."),
            Turn(status=429),
        ]
    )
    with serve(responses_routes(script)) as standin:
        box = machine(tmp_path, codex_bin, "codex", **openai_env(standin.url))
        mission = box.add_big_mission()
        codex_home = box.home / "sessions" / "agent-config" / mission["id"] / "codex" / "codex-home"
        codex_home.mkdir(parents=True)
        (codex_home / "config.toml").write_text(NO_RETRIES)

        run = box.cli("work", "--once")
        assert run.returncode == 0, run.stdout + run.stderr
        assert holds_big_prompt(json.dumps(standin.requests[0].body["input"], ensure_ascii=False))
        (first,) = box.sessions()
        assert first["status"] == "completed", first["error_message"]
        # the tool-call turn and the "All done." turn; output includes the reasoning once
        assert (first["input_tokens"], first["output_tokens"]) == (1210, 305)
        assert first["cached_input_tokens"] == 200
        assert first["agent_session_id"]
        branch = box.branch()
        assert box.git("log", "--format=%s", branch).splitlines()[0] == "add hello"
        assert box.git("show", f"{branch}:hello.txt") == "hello"
        readable = readable_log(first)
        assert "▸ shell printf 'hello\\n' > hello.txt && git add hello.txt" in readable
        assert "All done." in readable and '{"type"' not in readable

        box.ok("mission", "reject", mission["id"], "--feedback", "Also write notes.txt.")
        again = box.cli("work", "--once")
        assert again.returncode == 0, again.stdout + again.stderr
        resumed = json.dumps(standin.requests[2].body["input"])
        assert "Also write notes.txt." in resumed and "add hello" in resumed
        second = box.sessions()[1]
        assert second["status"] == "completed", second["error_message"]
        assert f"resumed agent session {first['agent_session_id']}" in second["start_reason"]
        assert second["agent_session_id"] == first["agent_session_id"]
        subject = box.git("log", "-1", "--format=%s", branch)
        assert subject == "Say hello: work left uncommitted by codex"
        assert box.git("show", f"{branch}:notes.txt") == "notes"
        box.assert_reported_by_mcp(mission["id"])
        readable = readable_log(second)
        assert "▸ solo-unicorn.report_solution" in readable
        assert "▸ solo-unicorn.propose_mission" in readable
        assert "▸ shell" not in readable, readable

        box.ok("mission", "reject", mission["id"], "--feedback", "One more thing.")
        limited = box.cli("work", "--once")
        assert limited.returncode == 1, limited.stdout + limited.stderr
        skipped = box.cli("work", "--once")
        assert len(standin.requests) == 5
    assert "rate-limited until" in skipped.stdout, skipped.stdout + skipped.stderr
    third = box.sessions()[2]
    assert "429" in third["error_message"]
    limit = box.assert_rate_limited(mission["id"], "codex")
    assert "429" in limit["rate_limit_reason"]
