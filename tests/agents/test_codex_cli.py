"""Codex CLI 0.171.0, for real (the built-in profile), against the Responses stand-in, through
``solo-unicorn work --once``.

One mission: the prompt arrives on standard input; the model's shell call writes a file and
commits it from inside the ``workspace-write`` sandbox (the worktree's git folders are writable
roots); usage counts the reasoning tokens once; the readable log shows the shell call; the
stage is rejected and the next run resumes the same codex thread (``exec resume``), where what
the agent leaves uncommitted is committed by the runner; a 429 then marks the profile
rate-limited and the next ``work --once`` skips it. Codex's own retries are off (a
``config.toml`` in the mission's ``CODEX_HOME``), so the 429 costs one request.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.agents.harness import machine, readable_log
from tests.support.model_standin.openai_responses import responses_routes
from tests.support.model_standin.server import Script, Turn, serve

COMMIT = "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'add hello'"
NO_RETRIES = "[model_providers.solo_unicorn]\nrequest_max_retries = 0\nstream_max_retries = 0\n"


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
            Turn(tool_calls=[("exec_command", {"cmd": "printf 'notes\\n' > notes.txt"})]),
            Turn(text="Added the notes."),
            Turn(status=429),
        ]
    )
    with serve(responses_routes(script)) as standin:
        box = machine(
            tmp_path,
            codex_bin,
            "codex",
            OPENAI_API_KEY="sk-standin",
            OPENAI_BASE_URL=f"{standin.url}/v1",
        )
        mission = box.ok("mission", "add", "--title", "Say hello", "--ready", "--json")
        codex_home = box.home / "sessions" / "agent-config" / mission["id"] / "codex" / "codex-home"
        codex_home.mkdir(parents=True)
        (codex_home / "config.toml").write_text(NO_RETRIES)

        run = box.cli("work", "--once")
        assert run.returncode == 0, run.stdout + run.stderr
        assert mission["id"] in json.dumps(standin.requests[0].body["input"])
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

        box.ok("mission", "reject", mission["id"], "--feedback", "One more thing.")
        limited = box.cli("work", "--once")
        assert limited.returncode == 1, limited.stdout + limited.stderr
        skipped = box.cli("work", "--once")
        assert len(standin.requests) == 5
    assert "rate-limited until" in skipped.stdout, skipped.stdout + skipped.stderr
    shown = box.ok("mission", "show", mission["id"], "--json")
    assert (shown["list"], shown["recovery_attempts"], shown["ready"]) == ("todo", 0, True)
    third = box.sessions()[2]
    assert third["status"] == "rate_limited" and "429" in third["error_message"]
    (limit,) = box.rate_limits()
    assert limit["agent_name"] == "codex" and limit["status"] == "rate_limited"
    assert "429" in limit["rate_limit_reason"]
