"""aider 0.86.2, for real (the built-in profile), against the Chat Completions stand-in, through
``solo-unicorn work --once``.

The first run's request carries a prompt of over 300 KB intact (from ``--message-file``) and
meets a 429 naming a one-second reset: the runner stops aider at its first rate
limit (it would retry by itself), the profile is rate-limited and the mission requeued without
using a recovery attempt. After the reset, aider's edit is applied and committed by aider, with
nothing of aider's (``.aider*``, ``.gitignore``) left in the worktree or on the branch; usage and
cost are what aider printed; the readable log shows the edit and the commit. aider has no
conversation to resume: its built-in profile has resume off. The stand-in answers in aider's
"whole" edit format and prices the model, set in the user's ``~/.aider.conf.yml``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from solo_unicorn_tui.runtime.agents.parsers.aider import token_count
from tests.agents.harness import holds_big_prompt, machine, openai_env, readable_log
from tests.support.model_standin.chat_completions import (
    COMMIT_MESSAGE,
    chat_routes,
    rate_limit_body,
    whole_edit,
)
from tests.support.model_standin.server import Script, Turn, serve

PRICES = {
    "openai/gpt-5.1": {
        "max_input_tokens": 1_000_000,
        "input_cost_per_token": 0.000002,
        "output_cost_per_token": 0.00001,
        "litellm_provider": "openai",
        "mode": "chat",
    }
}


def test_aider_rate_limited_then_commits_without_its_files(tmp_path: Path, aider_bin: Path) -> None:
    limited = Turn(
        status=429, error_body=rate_limit_body("Rate limit reached. Please try again in 1s.")
    )
    script = Script([limited] * 20)
    with serve(chat_routes(script)) as standin:
        box = machine(tmp_path, aider_bin, "aider", **openai_env(standin.url))
        prices = tmp_path / "prices.json"
        prices.write_text(json.dumps(PRICES))
        (Path(box.env["HOME"]) / ".aider.conf.yml").write_text(
            f"edit-format: whole\nmodel-metadata-file: {prices}\n"
        )
        mission = box.add_big_mission()
        first = box.cli("work", "--once")
        assert first.returncode == 1, first.stdout + first.stderr
        assert holds_big_prompt(str(standin.requests[0].body["messages"]))
        assert script.position < 20  # stopped at its first rate limit, not left retrying
        limit = box.assert_rate_limited(mission["id"], "aider")
        assert "try again in 1s" in limit["rate_limit_reason"]

        del script.turns[script.position :]
        script.turns.append(Turn(text=whole_edit("hello.txt", "hello\n")))
        box.wait_for_reset(limit)
        run = box.cli("work", "--once")
        assert run.returncode == 0, run.stdout + run.stderr

    done = box.sessions()[1]
    assert done["status"] == "completed", done["error_message"]
    assert "resumed" not in done["start_reason"]
    branch = box.branch()
    assert box.git("log", "--format=%s", branch).splitlines()[0] == COMMIT_MESSAGE
    assert box.git("show", f"{branch}:hello.txt") == "hello"
    files = box.git("ls-tree", "-r", "--name-only", branch).splitlines()
    assert not [f for f in files if f.startswith(".aider")] and ".gitignore" not in files
    (tree,) = box.ok("worktree", "list", "--json")
    assert not tree["dirty"]
    said = Path(done["log_path"]).read_text()
    counts = re.search(r"Tokens: ([\d.]+)(k?) sent, (\d+) received", said)
    cost = re.search(r"Cost: \$([\d.]+) message", said)
    assert counts is not None and cost is not None, said
    sent = token_count(counts.group(1), counts.group(2))  # aider prints 1.0k for 1000-1049
    assert (done["input_tokens"], done["output_tokens"]) == (sent, int(counts.group(3)))
    assert done["cost_usd"] == float(cost.group(1)) > 0
    readable = readable_log(done)
    assert "▸ edit hello.txt" in readable and "▸ git commit " in readable
    assert COMMIT_MESSAGE in readable
