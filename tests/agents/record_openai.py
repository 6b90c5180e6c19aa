"""Record real codex/opencode/aider output against the stand-in into ``recordings/``.

    SOLO_UNICORN_AGENT_CLIS=/path/to/agent-clis python -m tests.agents.record_openai

Each recording is what the CLI printed (stdout and stderr merged, as the runner reads it); the
parser tests replay them. The scenarios are the ones the parser tests expect: a turn with
reasoning tokens whose tool call writes and commits a file (opencode: writes it with
``apply_patch``, its shell being denied), and rate limits.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from solo_unicorn_tui.runtime.agents.builtin import AIDER as AIDER_PROFILE
from solo_unicorn_tui.runtime.agents.builtin import CODEX as CODEX_PROFILE
from solo_unicorn_tui.runtime.agents.builtin import OPENCODE as OPENCODE_PROFILE
from tests.agents.conftest import find_cli
from tests.agents.openai_harness import (
    AIDER_WHOLE,
    CODEX_NO_RETRIES,
    launch_for,
    make_checkout,
    run_launch,
)
from tests.support.model_standin.chat_completions import chat_routes, whole_edit
from tests.support.model_standin.openai_responses import responses_routes
from tests.support.model_standin.server import Script, Turn, serve

RECORDINGS = Path(__file__).with_name("recordings")
COMMIT = "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'add hello'"


def codex_turns(worktree: Path) -> list[Turn]:
    return [
        Turn(
            text="I will write hello.txt and commit it.",
            tool_calls=[("exec_command", {"cmd": COMMIT, "workdir": str(worktree)})],
            input_tokens=1200,
            cached_tokens=200,
            output_tokens=300,
            reasoning_tokens=120,
        ),
        Turn(text="Done: hello.txt is committed.", input_tokens=1500, output_tokens=40),
    ]


#: How GPT-5 models edit in opencode (it offers ``apply_patch`` to them, not edit/write).
ADD_HELLO = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch"


def opencode_turns() -> list[Turn]:
    return [
        Turn(
            text="Writing hello.txt.",
            tool_calls=[("apply_patch", {"patchText": ADD_HELLO})],
            input_tokens=1000,
            cached_tokens=100,
            output_tokens=60,
            reasoning_tokens=20,
        ),
        Turn(text="Done: hello.txt is written.", input_tokens=1100, output_tokens=30),
    ]


USAGE_LIMIT = {
    "error": {
        "type": "usage_limit_reached",
        "message": "The usage limit has been reached",
        "plan_type": "plus",
        "resets_at": int(time.time()) + 5400,
    }
}
RATE_LIMIT = {
    "error": {
        "message": "Rate limit reached for requests per min. Please try again in 20s.",
        "type": "rate_limit_exceeded",
        "code": "rate_limit_exceeded",
    }
}


def wanted(name: str) -> bool:
    return not sys.argv[1:] or any(arg in name for arg in sys.argv[1:])


def record(name: str, lines: list[str], code: int) -> None:
    (RECORDINGS / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{name}: exit {code}, {len(lines)} lines")


def main() -> int:
    RECORDINGS.mkdir(exist_ok=True)
    codex, opencode, aider = find_cli("codex"), find_cli("opencode"), find_cli("aider")
    if not (codex and opencode and aider):
        print("set SOLO_UNICORN_AGENT_CLIS (codex, opencode and aider are needed)")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for name, turns in (
            ("codex_commit.jsonl", None),
            ("codex_usage_limit.jsonl", [Turn(status=429, error_body=USAGE_LIMIT)]),
            ("codex_rate_limit.jsonl", [Turn(status=429, error_body=RATE_LIMIT)]),
        ):
            if not wanted(name):
                continue
            checkout = make_checkout(base / name)
            script = Script(turns or codex_turns(checkout.worktree))
            with serve(responses_routes(script)) as standin:
                launch = launch_for(
                    CODEX_PROFILE,
                    codex,
                    checkout,
                    base / name / "session",
                    base_url=standin.url,
                    prompt="Write hello.txt and commit it.",
                    extra_argv=CODEX_NO_RETRIES,
                )
                code, lines = run_launch(launch, checkout.worktree)
            record(name, lines, code)
        for name, turns in (
            ("opencode_commit.jsonl", opencode_turns()),
            (
                "opencode_rate_limit.jsonl",
                [Turn(status=429, error_body=RATE_LIMIT, headers={"retry-after-ms": "5"})] * 8,
            ),
        ):
            if not wanted(name):
                continue
            checkout = make_checkout(base / name)
            with serve(chat_routes(Script(turns))) as standin:
                launch = launch_for(
                    OPENCODE_PROFILE,
                    opencode,
                    checkout,
                    base / name / "session",
                    base_url=standin.url,
                    prompt="Write hello.txt.",
                )
                code, lines = run_launch(launch, checkout.worktree)
            record(name, lines, code)
        prices = base / "prices.json"
        prices.write_text(
            json.dumps(
                {
                    "openai/gpt-5.1": {
                        "max_input_tokens": 100000,
                        "max_output_tokens": 8000,
                        "input_cost_per_token": 0.000002,
                        "output_cost_per_token": 0.00001,
                        "litellm_provider": "openai",
                        "mode": "chat",
                    }
                }
            )
        )
        for name, turns, extra in (
            (
                "aider_commit.txt",
                [Turn(text=whole_edit("hello.txt", "hello\n"), input_tokens=900)],
                ["--model-metadata-file", str(prices), *AIDER_WHOLE],
            ),
            ("aider_rate_limit.txt", [Turn(status=429, error_body=RATE_LIMIT)] * 3, AIDER_WHOLE),
        ):
            if not wanted(name):
                continue
            checkout = make_checkout(base / name)
            with serve(chat_routes(Script(turns))) as standin:
                launch = launch_for(
                    AIDER_PROFILE,
                    aider,
                    checkout,
                    base / name / "session",
                    base_url=standin.url,
                    prompt="Create hello.txt containing hello.",
                    extra_argv=extra,
                )
                started = time.monotonic()
                timeout = 20 if "rate" in name else 120
                try:
                    code, lines = run_launch(launch, checkout.worktree, timeout=timeout)
                except Exception as error:  # the rate-limit run is cut short on purpose
                    out = getattr(error, "output", b"") or b""
                    code, lines = -1, out.decode("utf-8", "replace").splitlines()
                print(f"  ({time.monotonic() - started:.1f}s)")
            record(name, lines, code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
