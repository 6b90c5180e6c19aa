"""Team members as separate homes driven through the CLI, each logged in to one server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def ok(done: Any) -> str:
    """The output of a CLI run that must succeed (its output in the failure message)."""
    assert done.returncode == 0, done.stdout + done.stderr
    return str(done.stdout)


def member_home(
    cli: Any, tmp_path: Path, admin: dict[str, str], org: str, who: str
) -> dict[str, str]:
    """Invite ``who`` to ``org`` and log a fresh home in with it; returns its environment."""
    invite = json.loads(ok(cli("server", "invite", org, "--name", who, "--json", env=admin)))
    env = {
        "SOLO_UNICORN_HOME": str(tmp_path / who),
        "SOLO_UNICORN_TEST_KEYRING": str(tmp_path / f"{who}-keyring.json"),
    }
    ok(
        cli(
            "server",
            "login",
            "--url",
            invite["server_url"],
            "--password-stdin",
            env=env,
            input=invite["password"] + "\n",
        )
    )
    return env
