"""The real ``aider`` (built-in profile) through ``solo-unicorn work --once`` and the stand-in."""

from __future__ import annotations

import json
import re

from solo_unicorn_tui.runtime.agents.builtin_openai import AIDER_PROFILE
from solo_unicorn_tui.runtime.agents.parsers.aider import token_count
from tests.agents.cli_paths import require_cli
from tests.agents.openai_harness import AIDER_WHOLE
from tests.agents.work_once import mission, rate_limits, sessions, set_up, worktree
from tests.support.model_standin.chat_completions import (
    COMMIT_MESSAGE,
    chat_routes,
    rate_limit_body,
    whole_edit,
)
from tests.support.model_standin.server import Script, Turn, serve
from tests.support.runtime_fixtures import git


def test_aider_commits_without_leaving_its_files_and_usage_is_recorded(home, cli, tmp_path):
    aider = require_cli("aider")
    prices = tmp_path / "prices.json"
    prices.write_text(
        json.dumps(
            {
                "openai/gpt-5.1": {
                    "max_input_tokens": 100000,
                    "input_cost_per_token": 0.000002,
                    "output_cost_per_token": 0.00001,
                    "litellm_provider": "openai",
                    "mode": "chat",
                }
            }
        )
    )
    script = Script([Turn(text=whole_edit("hello.txt", "hello\n"))])
    extra = [*AIDER_WHOLE, "--model-metadata-file", str(prices)]
    with serve(chat_routes(script)) as standin:
        setup = set_up(cli, home, tmp_path, AIDER_PROFILE, aider, standin.url, extra)
        result = cli("work", "--once", env=setup.env)
        assert result.returncode == 0, result.stdout + result.stderr
    tree = worktree(cli)
    log = git(setup.repo, "log", "--format=%s", tree["branch"]).splitlines()
    assert log[0] == COMMIT_MESSAGE
    assert git(setup.repo, "show", f"{tree['branch']}:hello.txt") == "hello"
    files = git(setup.repo, "ls-tree", "-r", "--name-only", tree["branch"]).splitlines()
    assert not [f for f in files if f.startswith(".aider")] and ".gitignore" not in files
    assert not tree["dirty"]
    assert git(setup.repo, "status", "--porcelain") == ""
    (first,) = sessions(home)
    said = (home.root / "sessions" / f"{first['id']}.log").read_text()
    counts = re.search(r"Tokens: ([\d.]+)(k?) sent, (\d+) received", said)
    cost = re.search(r"Cost: \$([\d.]+) message", said)
    assert counts is not None and cost is not None, said
    sent = token_count(counts.group(1), counts.group(2))  # aider prints 1.0k for 1000-1049
    assert (first["input_tokens"], first["output_tokens"]) == (sent, int(counts.group(3)))
    cost = cost.group(1)
    assert first["cost_usd"] == float(cost) > 0
    assert mission(cli, setup.mission_id)["list"] == "review"


def test_aider_429_stops_it_and_rate_limits_the_profile(home, cli, tmp_path):
    aider = require_cli("aider")
    limited = Turn(
        status=429, error_body=rate_limit_body("Rate limit reached. Please try again in 90s.")
    )
    script = Script([limited] * 20)
    with serve(chat_routes(script)) as standin:
        setup = set_up(cli, home, tmp_path, AIDER_PROFILE, aider, standin.url, AIDER_WHOLE)
        result = cli("work", "--once", env=setup.env)
        assert result.returncode == 1, result.stdout + result.stderr
        used = script.position
        again = cli("work", "--once", env=setup.env)
        assert script.position == used < 20  # stopped at its first rate limit, not retried on
    assert "rate-limited until" in again.stdout
    shown = mission(cli, setup.mission_id)
    assert (shown["list"], shown["recovery_attempts"]) == ("todo", 0)
    (session,) = sessions(home)
    assert session["status"] == "rate_limited"
    (limit,) = rate_limits(home)
    assert limit["agent_name"] == "aider" and "try again in 90s" in limit["rate_limit_reason"]
