"""The real ``codex`` (built-in profile) through ``solo-unicorn work --once`` and the stand-in."""

from __future__ import annotations

from solo_unicorn_tui.runtime.agents.builtin_openai import CODEX_PROFILE
from tests.agents.cli_paths import require_cli
from tests.agents.openai_harness import CODEX_NO_RETRIES
from tests.agents.work_once import mission, rate_limits, sessions, set_up, worktree
from tests.support.model_standin.openai_responses import responses_routes
from tests.support.model_standin.server import Script, Turn, serve
from tests.support.runtime_fixtures import git

COMMIT = "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'add hello'"


def test_codex_commits_in_its_worktree_and_usage_is_recorded(home, cli, tmp_path):
    codex = require_cli("codex")
    script = Script(
        [
            Turn(
                text="Writing hello.txt.",
                tool_calls=[("exec_command", {"cmd": COMMIT})],
                input_tokens=1200,
                cached_tokens=200,
                output_tokens=300,
                reasoning_tokens=120,
            )
        ]
    )
    with serve(responses_routes(script)) as standin:
        setup = set_up(cli, home, tmp_path, CODEX_PROFILE, codex, standin.url, CODEX_NO_RETRIES)
        result = cli("work", "--once", env=setup.env)
        assert result.returncode == 0, result.stdout + result.stderr
        prompts = [r.body["input"] for r in standin.requests]
    assert setup.mission_id in str(prompts[0])  # the prompt arrived on standard input
    shown = mission(cli, setup.mission_id)
    assert shown["list"] == "review"
    tree = worktree(cli)
    assert git(setup.repo, "log", "--format=%s", tree["branch"]).splitlines()[0] == "add hello"
    assert git(setup.repo, "show", f"{tree['branch']}:hello.txt") == "hello"
    assert not tree["dirty"]
    (first,) = sessions(home)
    # the tool-call turn, then the stand-in's "done" (10 in, 5 out); the output tokens
    # include the 120 reasoning tokens once
    assert (first["input_tokens"], first["output_tokens"]) == (1210, 305)
    assert first["status"] == "completed"
    log = (home.root / "sessions" / f"{first['id']}.log").read_text()
    assert '"type":"command_execution"' in log and "add hello" in log


def test_codex_429_marks_the_profile_rate_limited(home, cli, tmp_path):
    codex = require_cli("codex")
    script = Script([Turn(status=429)])
    with serve(responses_routes(script)) as standin:
        setup = set_up(cli, home, tmp_path, CODEX_PROFILE, codex, standin.url, CODEX_NO_RETRIES)
        result = cli("work", "--once", env=setup.env)
        assert result.returncode == 1
        again = cli("work", "--once", env=setup.env)
        assert len(standin.requests) == 1
    assert "rate-limited until" in again.stdout, again.stdout + again.stderr
    shown = mission(cli, setup.mission_id)
    assert (shown["list"], shown["recovery_attempts"]) == ("todo", 0)
    assert shown["ready"]
    (session,) = sessions(home)
    assert session["status"] == "rate_limited" and "429" in session["error_message"]
    (limit,) = rate_limits(home)
    assert limit["agent_name"] == "codex" and limit["status"] == "rate_limited"
    assert "429" in limit["rate_limit_reason"]
