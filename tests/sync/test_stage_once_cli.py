"""A stage runs once across the organization: two homes, separate processes, one server.

A runs ``work --once`` to the end and syncs; B has not pulled since and runs ``work --once``:
the server refuses B's claim (its view of the mission is stale), B catches up and runs nothing.
Both at once (``work --once`` or continuous ``work``, no sync running): each stage runs once,
because a run's writes reach the server before its claim is freed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg

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


def _team(cli, tmp_path: Path, pg_database: str) -> tuple[dict[str, str], dict[str, str], str]:  # type: ignore[no-untyped-def]
    """Two members' homes, both synced, both with the repository and a committing agent, and
    one ready mission: (A's env, B's env, mission id)."""
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
    return a, b, mission["id"]


def _work(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "solo_unicorn_tui.cli.main", "work", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def _each_stage_ran_once(cli, a: dict[str, str], b: dict[str, str], mission_id: str) -> None:  # type: ignore[no-untyped-def]
    for env in (a, b, a):
        _ok(cli("sync", env=env))
    for env in (a, b):
        shown = json.loads(_ok(cli("mission", "show", mission_id, "--json", env=env)))
        assert (shown["list"], shown["stage"]) == ("review", "plan")
        kinds = [e["kind"] for e in shown["events"]]
        assert kinds.count("session_completed") == 2, kinds  # clarify and plan, once each


def test_two_workstations_working_at_once_run_each_stage_once(
    cli, home: Home, pg_database: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """``work --once`` on both at the same moment, then continuous ``work`` on both."""
    a, b, first = _team(cli, tmp_path, pg_database)
    workers = [_work("--once", env=env) for env in (a, b)]
    outputs = [w.communicate(timeout=120) for w in workers]
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, out + err
        assert "Traceback" not in err and "unexpected" not in err, err
    assert sum(out.count("completed") for out, _ in outputs) == 2, outputs
    _each_stage_ran_once(cli, a, b, first)

    added = cli("mission", "add", "--title", "Next", "--ready", "--repo", "app", "--json", env=a)
    second = json.loads(_ok(added))["id"]
    _ok(cli("sync", env=a))
    _ok(cli("sync", env=b))
    workers = [_work(env=env) for env in (a, b)]
    try:
        deadline = time.monotonic() + 90
        while _server_list(pg_database, second) != "review":
            assert time.monotonic() < deadline, "the mission never reached review"
            time.sleep(0.3)
        time.sleep(4)  # two more dispatch rounds on each: nobody starts it again
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)
        outputs = [w.communicate(timeout=60) for w in workers]
    for _out, err in outputs:
        assert "Traceback" not in err and "unexpected" not in err, err
    assert sum(out.count("completed") for out, _ in outputs) == 2, outputs
    _each_stage_ran_once(cli, a, b, second)


def _server_list(url: str, mission_id: str) -> str | None:
    async def read() -> str | None:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetchval("SELECT list FROM missions WHERE id = $1", mission_id)
        finally:
            await conn.close()

    return asyncio.run(read())


def test_a_stale_workstation_does_not_rerun_a_finished_mission(
    cli, home: Home, pg_database: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    a, b, mission_id = _team(cli, tmp_path, pg_database)
    mission = {"id": mission_id}

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
