"""The demo's agent: a small program that works a mission's stage the way a code agent would.

``solo-unicorn demo`` registers it as the command profile ``demo-agent`` (started from an argv
list, never a shell): ``python -m solo_unicorn_tui.cli.demo_agent PROMPT_FILE MISSION_ID``, in
the mission's worktree. It reads the stage from the prompt and, step by step (so the log pane
has something live to show), does what the stage asks: ``clarify`` records a clarification with
``solo-unicorn mission update``, ``plan`` writes ``solution.md`` and ``tasks/N.md`` into the
mission's documents folder, ``code`` (and any other stage) edits a file; each stage commits.
No model is called: it only shows the board's round trip on the demo's sample repository.
Standard library only, so it starts quickly.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

#: Seconds between the agent's steps (the demo's tests set it to 0).
DELAY_ENV = "SOLO_UNICORN_DEMO_AGENT_DELAY"
GIT_IDENTITY = ["-c", "user.name=Demo Agent", "-c", "user.email=demo-agent@example.invalid"]


def _say(text: str) -> None:
    print(text, flush=True)
    time.sleep(float(os.environ.get(DELAY_ENV, "0.4")))


def _commit(message: str) -> None:
    subprocess.run(["git", "add", "-A"], check=True, capture_output=True)
    done = subprocess.run(
        ["git", *GIT_IDENTITY, "commit", "--quiet", "-m", message],
        capture_output=True,
        text=True,
    )
    _say(f"committed: {message}" if done.returncode == 0 else "nothing to commit")


def _title(prompt: str) -> str:
    found = re.search(r"^# (.+)$", prompt, re.M)
    return found.group(1).strip() if found else "the mission"


def clarify(mission_id: str, title: str, docs: Path) -> None:
    _say("reading the mission and the project memory…")
    text = f"Understood: {title}. Done when the tests pass and the change is documented."
    _say("recording the clarification (solo-unicorn mission update --clarification)")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "solo_unicorn_tui.cli.main",
            "mission",
            "update",
            mission_id,
            "--clarification",
            text,
        ],
        check=True,
    )
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "clarification.md").write_text(f"# Clarification\n\n{text}\n", encoding="utf-8")
    _commit(f"clarify: {title}")


def plan(title: str, docs: Path) -> None:
    _say("looking at the repository: README.md, src/app.py")
    tasks = ["Write a failing test", f"Make it pass: {title}", "Document the change"]
    (docs / "tasks").mkdir(parents=True, exist_ok=True)
    _say(f"writing {docs}/solution.md")
    (docs / "solution.md").write_text(
        f"# Solution\n\n{title}: a small change in `src/app.py`, with a test and a note in "
        "the README.\n",
        encoding="utf-8",
    )
    for number, task in enumerate(tasks, start=1):
        _say(f"writing task {number}: {task}")
        (docs / "tasks" / f"{number}.md").write_text(f"# {task}\n", encoding="utf-8")
    _commit(f"plan: {title}")


def code(stage: str, title: str) -> None:
    app = Path("src") / "app.py"
    app.parent.mkdir(parents=True, exist_ok=True)
    _say(f"editing {app}")
    with app.open("a", encoding="utf-8") as out:
        out.write(f"\n\ndef demo_change() -> str:\n    return {title!r}\n")
    _say("running the tests: 3 passed")
    _commit(f"{stage}: {title}")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m solo_unicorn_tui.cli.demo_agent PROMPT_FILE MISSION_ID")
        return 2
    prompt = Path(argv[0]).read_text(encoding="utf-8")
    mission_id = argv[1]
    found = re.search(r"^## Stage: (\S+)", prompt, re.M)
    stage = found.group(1) if found else "code"
    title = _title(prompt)
    docs = Path("solo-unicorn-docs") / "missions" / mission_id
    _say(f"[demo-agent] stage {stage}: {title}")
    if stage == "clarify":
        clarify(mission_id, title, docs)
    elif stage == "plan":
        plan(title, docs)
    else:
        code(stage, title)
    print(f"✓ {stage} done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
