"""A tiny code agent for tests: ``script_agent.py MODE PROMPT_FILE MISSION_ID [ARG]``.

Modes: commit (edit a file and commit it), dirty (edit without committing), fail (exit 3),
record LOG (like commit, then appends ``MISSION STAGE`` to the file LOG: which stages ran where),
stubborn (ignores SIGTERM), sleep (a grandchild in the same process group, its pid written to ARG),
flood BYTES (no newline), binary (control bytes and ANSI colours; binary-fail: the same, then
exit 3), env (print the environment), claude-json (a recorded Claude Code JSON result with usage
and cost), ask (ask ARG as a question with ``solo-unicorn mission ask`` unless the prompt holds
an answer already; then commit like ``commit``), ask-doc (the same, with a question.md document).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    mode, prompt_file, mission_id = sys.argv[1:4]
    extra = sys.argv[4] if len(sys.argv) > 4 else ""
    prompt = Path(prompt_file).read_text(encoding="utf-8")
    print(f"agent: mode={mode} mission={mission_id}", flush=True)
    print(f"agent: prompt has {len(prompt.splitlines())} lines", flush=True)
    stage = os.environ.get("SOLO_UNICORN_STAGE", "?")
    if mode == "ask-doc" and "**Answer**" not in prompt:
        folder = Path("solo-unicorn-docs/missions") / mission_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "question.md").write_text(extra + "\n", encoding="utf-8")
        print("agent: wrote question.md", flush=True)
        return 0
    if mode == "ask" and "**Answer**" not in prompt:
        cli = [sys.executable, "-m", "solo_unicorn_tui.cli.main", "mission", "ask", mission_id]
        subprocess.run([*cli, "--question", extra], check=True)
        print("agent: asked", flush=True)
        return 0
    if mode in ("commit", "dirty", "ask", "ask-doc"):
        session = os.environ.get("SOLO_UNICORN_SESSION_ID", "")
        Path("agent-output.txt").write_text(f"{mission_id} {stage} {session}\n", encoding="utf-8")
        if mode in ("commit", "ask", "ask-doc"):
            subprocess.run(["git", "add", "agent-output.txt"], check=True)
            subprocess.run(
                ["git", "commit", "-q", "-m", f"agent: {stage} for {mission_id}"], check=True
            )
        print("agent: done", flush=True)
        return 0
    if mode == "record":
        session = os.environ.get("SOLO_UNICORN_SESSION_ID", "")
        Path("agent-output.txt").write_text(f"{mission_id} {stage} {session}\n", encoding="utf-8")
        subprocess.run(["git", "add", "agent-output.txt"], check=True)
        subprocess.run(
            ["git", "commit", "-q", "-m", f"agent: {stage} for {mission_id}"], check=True
        )
        with open(extra, "a", encoding="utf-8") as log:  # one short O_APPEND write per line
            log.write(f"{mission_id} {stage}\n")
        print("agent: recorded", flush=True)
        return 0
    if mode == "fail":
        print("agent: something went wrong", file=sys.stderr, flush=True)
        return 3
    if mode == "sleep":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        if extra:
            Path(extra).write_text(str(child.pid), encoding="utf-8")
        print("agent: sleeping", flush=True)
        time.sleep(float(os.environ.get("AGENT_SLEEP", "600")))
        return 0
    if mode == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("agent: ignoring SIGTERM", flush=True)
        time.sleep(600)
        return 0
    if mode == "flood":
        out = sys.stdout.buffer
        block = b"x" * 65536
        remaining = int(extra or 10 * 1024 * 1024)
        while remaining > 0:
            out.write(block[: min(remaining, len(block))])
            remaining -= len(block)
        out.flush()
        return 0
    if mode in ("binary", "binary-fail"):
        out = sys.stdout.buffer
        out.write(b"\x1b[31mred text\x1b[0m and \x1b[1;32mbold green\x1b[0m\n")
        out.write(bytes(range(256)) + b"\n")
        out.write(b"\x00\x07bell\x08\x1b]0;title\x07 after osc\n")
        out.write("unicode: caf\u00e9 \u2603\n".encode())
        out.flush()
        return 3 if mode == "binary-fail" else 0
    if mode == "claude-json":
        # A recorded Claude Code ``--output-format json`` result, as the last line of output.
        print(
            '{"type":"result","subtype":"success","is_error":false,"duration_ms":8123,'
            '"num_turns":4,"result":"Done.","session_id":"5b0e9d7a-0c51-4d0e-8f7e-2d8f0b7f6a10",'
            '"total_cost_usd":0.0421,"usage":{"input_tokens":512,"cache_creation_input_tokens":'
            '2048,"cache_read_input_tokens":10240,"output_tokens":733}}',
            flush=True,
        )
        return 0
    if mode == "env":
        for key in sorted(os.environ):
            print(f"env {key}={os.environ[key]}")
        return 0
    print(f"unknown mode {mode}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
