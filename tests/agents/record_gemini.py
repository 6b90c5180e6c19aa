"""Record real Gemini CLI output against the stand-in into ``recordings/``.

    SOLO_UNICORN_AGENT_CLIS=/path/to/agent-clis python -m tests.agents.record_gemini [NAME…]

Gemini runs as its built-in profile does (``--approval-mode auto_edit``: file edits allowed, no
shell tool). ``gemini_edit.jsonl`` is its standard output for a run that writes a file and
edits it; ``gemini_rate_limit.txt`` is standard output and error merged (as the runner reads
them) for a run that meets an exhausted quota, cut off while gemini waits to retry (its first
retry warning).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from solo_unicorn_tui.runtime.agents.builtin import GEMINI
from tests.agents.conftest import find_cli
from tests.agents.openai_harness import Launch, launch_for, make_checkout
from tests.support.model_standin import gemini
from tests.support.model_standin.server import Script, Turn, serve

RECORDINGS = Path(__file__).with_name("recordings")
API_KEY = "g-standin-key"
EXHAUSTED = {
    "error": {
        "code": 429,
        "message": "Resource has been exhausted (e.g. check quota).",
        "status": "RESOURCE_EXHAUSTED",
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}],
    }
}
REPLACE = {
    "file_path": "hello.txt",
    "instruction": "Greet the world.",
    "old_string": "hi\n",
    "new_string": "hi world\n",
}
EDIT_TURNS = [
    Turn(
        text="I will write the file.",
        tool_calls=[("write_file", {"file_path": "hello.txt", "content": "hi\n"})],
        input_tokens=100,
        output_tokens=20,
        cached_tokens=40,
    ),
    Turn(tool_calls=[("replace", REPLACE)], input_tokens=120, output_tokens=10),
    Turn(text="All done.", input_tokens=140, output_tokens=30),
]


def run(launch: Launch, cwd: Path, *, merged: bool, stop_at: str | None) -> tuple[int, list[str]]:
    """Run it as the runner does; only standard output unless ``merged``. With ``stop_at`` the
    run is cut off (its process group killed) after the first line holding that text."""
    assert launch.stdin_path is not None
    lines: list[str] = []
    with launch.stdin_path.open("rb") as stdin:
        process = subprocess.Popen(
            launch.argv,
            cwd=cwd,
            env=launch.env,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merged else subprocess.DEVNULL,
            start_new_session=True,
        )
        assert process.stdout is not None
        for raw in process.stdout:
            lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
            if stop_at and stop_at in lines[-1]:
                os.killpg(process.pid, signal.SIGKILL)
                break
        process.stdout.close()
        code = process.wait(timeout=120)
    return code, lines


def main() -> int:
    cli = find_cli("gemini")
    if cli is None:
        print("set SOLO_UNICORN_AGENT_CLIS (gemini is needed)")
        return 1
    wanted = sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for name, turns, prompt, merged, stop_at in (
            ("gemini_edit.jsonl", EDIT_TURNS, "Please write hello.txt.", False, None),
            (
                "gemini_rate_limit.txt",
                [Turn(status=429, error_body=EXHAUSTED)] * 4,
                "hello",
                True,
                "Retrying after",
            ),
        ):
            if wanted and not any(w in name for w in wanted):
                continue
            checkout = make_checkout(base / name)
            with serve(gemini.routes(Script(turns))) as standin:
                launch = launch_for(
                    GEMINI,
                    cli,
                    checkout,
                    base / name / "session",
                    base_url=standin.url,
                    prompt=prompt,
                    extra_env={"GEMINI_API_KEY": API_KEY, "GOOGLE_GEMINI_BASE_URL": standin.url},
                )
                code, lines = run(launch, checkout.worktree, merged=merged, stop_at=stop_at)
            (RECORDINGS / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
            print(f"{name}: exit {code}, {len(lines)} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
