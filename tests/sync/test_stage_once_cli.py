"""A stage runs once across the organization: two homes, separate processes, one server.

A runs ``work --once`` to the end and syncs; B has not pulled since and runs ``work --once``:
the server refuses B's claim (its view of the mission is stale), B catches up and runs nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from solo_unicorn_tui.home import Home
from tests.support.runtime_fixtures import agent_argv, make_repo
from tests.support.sync_env import drop_test_roles, role_tag, track_server  # noqa: F401


def _ok(done) -> str:  # type: ignore[no-untyped-def]
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _member(cli, tmp_path: Path, admin: dict[str, str], org: str, who: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    invite = json.loads(_ok(cli("server", "invite", org, "--name", who, "--json", env=admin)))
    env = {
        "SOLO_UNICORN_HOME": str(tmp_path / who),
        "SOLO_UNICORN_TEST_KEYRING": str(tmp_path / f"{who}-keyring.json"),
    }
    _ok(
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


def test_a_stale_workstation_does_not_rerun_a_finished_mission(
    cli, home: Home, pg_database: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    track_server(pg_database)
    tag = role_tag(pg_database)
    admin = {"SOLO_UNICORN_SERVER_URL": pg_database}
    _ok(cli("server", "upgrade", env=admin))
    org = json.loads(_ok(cli("server", "org", "add", "Once", "--json", env=admin)))
    a = _member(cli, tmp_path, admin, org["organization_id"], f"{tag}_a")
    b = _member(cli, tmp_path, admin, org["organization_id"], f"{tag}_b")
    _ok(cli("sync", env=a))
    _ok(cli("repo", "add", str(make_repo(tmp_path / "repo-a")), "--name", "app", env=a))
    for env in (a, b):
        _ok(cli("agent", "add", "script", "--default", "--", *agent_argv("commit"), env=env))
    mission = json.loads(
        _ok(
            cli(
                "mission",
                "add",
                "--title",
                "Only once",
                "--ready",
                "--repo",
                "app",
                "--json",
                env=a,
            )
        )
    )
    _ok(cli("sync", env=a))
    _ok(cli("sync", env=b))
    _ok(cli("repo", "add", str(make_repo(tmp_path / "repo-b")), "--name", "app", env=b))
    _ok(cli("sync", env=b))
    _ok(cli("sync", env=a))

    ran = _ok(cli("work", "--once", env=a))
    assert "completed" in ran
    pushed = _ok(cli("sync", env=a))
    assert "rejected" not in pushed
    theirs = json.loads(_ok(cli("mission", "show", mission["id"], "--json", env=a)))
    assert (theirs["list"], theirs["stage"]) == ("review", "plan")

    stale = cli("work", "--once", env=b)  # B has not pulled since A's run
    assert stale.returncode == 0, stale.stderr
    assert "started" not in stale.stdout
    assert "Traceback" not in stale.stderr, stale.stderr
    shown = json.loads(_ok(cli("mission", "show", mission["id"], "--json", env=b)))
    assert (shown["list"], shown["stage"]) == ("review", "plan")  # caught up with A's run
    assert [e["kind"] for e in shown["events"]].count("session_completed") == 2
