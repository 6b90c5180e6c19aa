"""A user's machine for the conformance tests: a home, a linked repository, a one-stage flow
with review, and ``solo-unicorn`` run as a separate process with the agent CLI on PATH."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.runtime_fixtures import make_repo

ROOT = Path(__file__).resolve().parents[2]

#: Project memory and a mission description, both within our limits (100k characters), together
#: a prompt of over 300 KB (far past what one argv item may hold): it must reach each agent
#: intact. Short words: a tokenizer's pair merging is quadratic in a word's length (aider counted
#: one 98k-character word for 53 s).
MEMORY = "MEMORY-START " + "✓✓✓ é " * 16_000 + "MEMORY-END"
DESCRIPTION = "DESCRIPTION-START " + "ü✓ " * 30_000 + "DESCRIPTION-END"
#: What the model stand-in has an agent report through our MCP tools.
SOLUTION = "## Plan\n\n1. Say hello through MCP. ✓"
PROPOSAL = "Follow up: say goodbye"


@dataclass
class Machine:
    home: Path
    repo: Path
    env: dict[str, str]

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """``solo-unicorn ARGS`` as a separate process, as a user runs it."""
        return subprocess.run(
            [sys.executable, "-m", "solo_unicorn_tui.cli.main", *args],
            capture_output=True,
            text=True,
            env=self.env,
            input=input,
            timeout=180,
            cwd=self.repo,
        )

    def ok(self, *args: str, input: str | None = None) -> Any:
        """A set-up or inspection command that must succeed. Without ``input`` it runs in this
        process (with the machine's environment): starting Python for each one made these
        tests slow; ``work`` always runs as its own process (:meth:`cli`)."""
        if input is not None:
            done = self.cli(*args, input=input)
            code, out, err = done.returncode, done.stdout, done.stderr
        else:
            code, out, err = self._in_process(args)
        assert code == 0, f"{args}: {out}\n{err}"
        return json.loads(out) if "--json" in args else out

    def _in_process(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        from solo_unicorn_tui.cli.main import main

        saved, cwd = dict(os.environ), os.getcwd()
        out, err = io.StringIO(), io.StringIO()
        os.environ.clear()
        os.environ.update(self.env)
        try:
            os.chdir(self.repo)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(list(args))
        finally:
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(saved)
        return code, out.getvalue(), err.getvalue()

    def rows(self, sql: str) -> list[dict[str, Any]]:
        db = sqlite3.connect(self.home / "replica.db")
        db.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in db.execute(sql).fetchall()]
        finally:
            db.close()

    def sessions(self) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM code_agent_sessions ORDER BY created_at, started_at")

    def rate_limits(self) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM code_agent_rate_limits")

    def add_big_mission(self, title: str = "Say hello") -> dict[str, Any]:
        """A ready mission whose prompt (memory plus description) is over 300 KB."""
        scratch = self.home.parent
        (scratch / "memory.md").write_text(MEMORY, encoding="utf-8")
        self.ok("memory", "set", "--file", str(scratch / "memory.md"))
        (scratch / "description.md").write_text(DESCRIPTION, encoding="utf-8")
        description = str(scratch / "description.md")
        return self.ok(  # type: ignore[no-any-return]
            "mission",
            "add",
            "--title",
            title,
            "--ready",
            "--description-file",
            description,
            "--json",
        )

    def assert_rate_limited(self, mission_id: str, agent: str) -> dict[str, Any]:
        """The profile is rate-limited and the mission back in Todo, ready, no recovery attempt
        used; returns the rate-limit row."""
        shown = self.ok("mission", "show", mission_id, "--json")
        assert (shown["list"], shown["recovery_attempts"], shown["ready"]) == ("todo", 0, True)
        assert self.sessions()[-1]["status"] == "rate_limited"
        (limit,) = self.rate_limits()
        assert limit["agent_name"] == agent and limit["status"] == "rate_limited"
        return limit

    @staticmethod
    def wait_for_reset(limit: dict[str, Any]) -> None:
        """Sleep until the rate limit's reset time has passed."""
        reset = datetime.fromisoformat(limit["rate_limit_reset_at"]).replace(tzinfo=UTC)
        time.sleep(max(0.0, (reset - datetime.now(UTC)).total_seconds()))

    def assert_reported_by_mcp(self, mission_id: str) -> None:
        """The mission's solution is :data:`SOLUTION` and it proposed :data:`PROPOSAL`: created
        in Todo, not ready, origin agent, linked to it (the MCP tools' work)."""
        (row,) = self.rows(f"SELECT solution FROM missions WHERE id = '{mission_id}'")
        assert row["solution"] == SOLUTION
        (proposed,) = self.rows(
            "SELECT m.id, m.title, m.list, m.ready, m.origin FROM missions m JOIN mission_events e"
            f" ON e.mission_id = '{mission_id}' AND e.kind = 'proposed'"
            " AND json_extract(e.payload, '$.mission_id') = m.id"
        )
        assert (proposed["title"], proposed["list"], proposed["ready"], proposed["origin"]) == (
            PROPOSAL,
            "todo",
            0,
            "agent",
        )

    def branch(self) -> str:
        return self.git("branch", "--list", "solo-unicorn/*", "--format=%(refname:short)")

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=self.repo, check=True, capture_output=True, text=True
        ).stdout.strip()


def machine(tmp_path: Path, agent_cli: Path, agent: str, **env: str) -> Machine:
    """A fresh machine whose PATH has the agent CLI (and nothing else of its install) and whose
    default profile is the built-in ``agent``; ``env`` adds variables (API keys…)."""
    user_home = tmp_path / "user"
    user_home.mkdir()
    agent_bin = tmp_path / "agent-bin"
    agent_bin.mkdir()
    (agent_bin / agent_cli.name).symlink_to(agent_cli)
    (user_home / ".gitconfig").write_text(
        "[user]\n\tname = Agent Tester\n\temail = agent@example.com\n"
        "[commit]\n\tgpgsign = false\n[init]\n\tdefaultBranch = main\n"
    )
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "GEMINI_", "GOOGLE_", "OPENAI_", "CLAUDE_"))
    }
    machine_env = {
        **base,
        "HOME": str(user_home),
        "PATH": f"{agent_bin}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "PYTHONPATH": str(ROOT),
        **env,
    }
    repo = make_repo(tmp_path / "app")
    found = Machine(Path(os.environ["SOLO_UNICORN_HOME"]), repo, machine_env)
    found.home.mkdir(parents=True, exist_ok=True)
    (found.home / "code-agents.json").write_text(json.dumps({"default": agent, "agents": []}))
    found.ok("repo", "add", str(repo), "--name", "app")
    flow = found.ok("flow", "add", "--name", "just-code", "--stages", "code!", "--json")
    found.ok("flow", "default", flow["id"])
    return found


def claude_env(url: str) -> dict[str, str]:
    """What an API-key user of claude sets, pointed at the stand-in."""
    return {"ANTHROPIC_API_KEY": "sk-ant-standin", "ANTHROPIC_BASE_URL": url}


def openai_env(url: str) -> dict[str, str]:
    """What a user of codex, opencode or aider sets, pointed at the stand-in."""
    return {"OPENAI_API_KEY": "sk-standin", "OPENAI_BASE_URL": f"{url}/v1"}


def holds_big_prompt(text: str) -> bool:
    return MEMORY in text and DESCRIPTION in text


def agent_requests(requests: list[Any]) -> list[Any]:
    """The stand-in requests that offer tools: the agent's own loop, not its side requests."""
    return [r for r in requests if isinstance(r.body, dict) and r.body.get("tools")]


def readable_log(session: dict[str, Any]) -> str:
    raw = Path(session["log_path"])
    return raw.with_name(raw.name.removesuffix(".log") + ".readable.txt").read_text()
