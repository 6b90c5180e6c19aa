"""The real ``opencode`` (built-in profile) through ``solo-unicorn work --once``, stand-in model."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from solo_unicorn_tui.runtime.agents.builtin_openai import OPENCODE_PROFILE
from tests.agents.cli_paths import require_cli
from tests.agents.work_once import mission, rate_limits, sessions, set_up, worktree
from tests.support.model_standin.chat_completions import chat_routes, rate_limit_body
from tests.support.model_standin.server import Script, Turn, serve
from tests.support.runtime_fixtures import git

COMMIT = "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'add hello'"


def test_opencode_commits_and_usage_is_recorded(home, cli, tmp_path):
    opencode = require_cli("opencode")
    turn = Turn(
        text="Writing hello.txt.",
        tool_calls=[("bash", {"command": COMMIT, "description": "write and commit"})],
        input_tokens=1000,
        cached_tokens=100,
        output_tokens=60,
        reasoning_tokens=20,
    )
    with serve(chat_routes(Script([turn]))) as standin:
        setup = set_up(cli, home, tmp_path, OPENCODE_PROFILE, opencode, standin.url)
        result = cli("work", "--once", env=setup.env)
        assert result.returncode == 0, result.stdout + result.stderr
        bodies = [r.body for r in standin.requests]
    assert all(b["model"] == "gpt-5.1" for b in bodies)
    assert not any(b.get("tools") == [] or not b.get("tools") for b in bodies)  # no title call
    assert setup.mission_id in str(bodies[0]["messages"])  # the prompt, from standard input
    tree = worktree(cli)
    assert git(setup.repo, "log", "--format=%s", tree["branch"]).splitlines()[0] == "add hello"
    assert not tree["dirty"]
    assert mission(cli, setup.mission_id)["list"] == "review"
    (first,) = sessions(home)
    # step 1: 1000 in (100 cached), 60 out (20 reasoning); step 2 the stand-in's 10 in, 5 out
    assert (first["input_tokens"], first["output_tokens"]) == (1010, 65)
    assert first["cost_usd"] == 0.0


def test_opencode_429_rate_limits_then_resumes_after_the_reset(home, cli, tmp_path):
    opencode = require_cli("opencode")
    limited = Turn(
        status=429,
        error_body=rate_limit_body("Rate limit reached for requests. Please try again in 15s."),
        headers={"retry-after-ms": "5"},  # opencode retries by itself first; keep those quick
    )
    script = Script([limited] * 6)
    with serve(chat_routes(script)) as standin:
        setup = set_up(cli, home, tmp_path, OPENCODE_PROFILE, opencode, standin.url)
        first = cli("work", "--once", env=setup.env)
        assert first.returncode == 1, first.stdout + first.stderr
        assert script.position == 6
        (limit,) = rate_limits(home)
        reset = datetime.fromisoformat(limit["rate_limit_reset_at"]).replace(tzinfo=UTC)
        shown = mission(cli, setup.mission_id)
        assert (shown["list"], shown["recovery_attempts"], shown["ready"]) == ("todo", 0, True)
        skipped = cli("work", "--once", env=setup.env)
        assert "rate-limited until" in skipped.stdout and script.position == 6
        while datetime.now(UTC) < reset:  # the reset the agent named
            time.sleep(0.2)
        resumed = cli("work", "--once", env=setup.env)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert mission(cli, setup.mission_id)["list"] == "review"
    assert [s["status"] for s in sessions(home)] == ["rate_limited", "completed"]
