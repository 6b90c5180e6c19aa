"""Run a real OpenAI-family CLI (codex, opencode, aider) the way its built-in profile does,
without the runner: for ``python -m tests.agents.record_openai``, which refreshes the parser
tests' recordings.

The argv and environment come from the profile (rendered, then :func:`prepare_launch`), the
model is the local stand-in, the worktree a real linked git worktree.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from solo_unicorn_tui.runtime.agent_process import agent_environment
from solo_unicorn_tui.runtime.agent_profiles import AgentProfile
from solo_unicorn_tui.runtime.agents.launch import prepare_launch
from tests.support.runtime_fixtures import git, make_repo

API_KEY = "sk-standin-test"
#: Test-only options: no retries, so a scripted 429 ends the run at once.
CODEX_NO_RETRIES = [
    "-c",
    "model_providers.solo_unicorn.request_max_retries=0",
    "-c",
    "model_providers.solo_unicorn.stream_max_retries=0",
]

#: aider picks "diff" for models it knows; the stand-in answers in the "whole" format.
AIDER_WHOLE = ["--edit-format", "whole"]


@dataclass
class Launch:
    argv: list[str]
    env: dict[str, str]
    stdin_path: Path | None = None


@dataclass
class Checkout:
    main: Path
    worktree: Path
    branch: str
    home: Path


def make_checkout(base: Path, branch: str = "solo-unicorn/m1-test") -> Checkout:
    """A repository with one commit and a linked worktree on ``branch``; a HOME with a git
    identity (the agents commit as it)."""
    home = base / "home"
    home.mkdir(parents=True)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Agent\n\temail = agent@example.com\n[commit]\n\tgpgsign = false\n"
    )
    main = make_repo(base / "repo")
    worktree = base / "worktree"
    git(main, "worktree", "add", "-q", "-b", branch, str(worktree))
    return Checkout(main, worktree, branch, home)


def launch_for(
    profile: AgentProfile,
    cli: Path,
    checkout: Checkout,
    session_dir: Path,
    *,
    base_url: str,
    prompt: str,
    extra_argv: list[str] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Launch:
    session_dir.mkdir(parents=True, exist_ok=True)
    prompt_file = session_dir / "prompt.md"
    prompt_file.write_text(prompt, encoding="utf-8")
    argv = profile.render_argv(
        {
            "prompt": prompt,
            "prompt_file": str(prompt_file),
            "mission_id": "mission_test",
            "worktree": str(checkout.worktree),
        }
    )
    argv[0] = str(cli)
    if extra_argv:
        at = len(argv) - 1 if argv[-1] == "-" else len(argv)
        argv[at:at] = extra_argv
    env = agent_environment(profile.env, {"HOME": str(checkout.home)})
    env.update({"OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": f"{base_url}/v1"})
    env.update(extra_env or {})
    argv, env = prepare_launch(
        profile, argv, env, worktree=checkout.worktree, config_dir=session_dir / "agent"
    )
    return Launch(argv, env, prompt_file if profile.prompt_stdin else None)


def run_launch(launch: Launch, cwd: Path, timeout: float = 120) -> tuple[int, list[str]]:
    """Run it as the runner does (stdout and stderr merged); return exit code and lines."""
    stdin = launch.stdin_path.open("rb") if launch.stdin_path else subprocess.DEVNULL
    try:
        done = subprocess.run(
            launch.argv,
            cwd=cwd,
            env=launch.env,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    finally:
        if not isinstance(stdin, int):
            stdin.close()
    return done.returncode, done.stdout.decode("utf-8", "replace").splitlines()
