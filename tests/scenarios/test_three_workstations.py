"""Issue 13's "done when": three workstations on one real PostgreSQL, each in its own processes.

- **A** reaches the server through the fault proxy (``tests/support/tcp_proxy.py``): every chunk
  is delayed, and its network freezes in the middle of its ``work --once`` (right after its
  first stage ran, so the stage's push and release are caught); the partition ends with the
  connections it held reset, as a long one does;
- **B** is stale: it last pulled before A started, and runs ``work --once`` while A is frozen;
- **C** is offline (its server unreachable, offline runs allowed) with its clock an hour ahead
  (every ``time.time`` of its processes, through a ``sitecustomize`` on its ``PYTHONPATH``): it
  adds a mission and runs it offline, then reconnects.

Afterwards every (mission, stage) ran exactly once across the three (each home's agent appends
what it ran to a log file), every replica's ``mission list --json`` is the same, in the same
order, and no ``work`` or ``sync`` call waited on the frozen workstation beyond the bound.

It found two double runs and a stall: a dispatcher pass claimed missions from a listing read
before an earlier claim in the same pass pulled the server's version (a mission B had already
taken to review was claimed again, its last stage re-run), and a release cut off by the lost
connection held A's own next stage until the lease ended.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from solo_unicorn_tui.home import Home
from tests.support.runtime_fixtures import agent_argv, make_repo
from tests.support.sync_env import drop_test_roles, role_tag, track_server  # noqa: F401
from tests.support.tcp_proxy import FaultProxy

pytestmark = pytest.mark.postgres

#: A's network stays frozen at least this long (and while B runs); nobody may wait on it longer
#: than BOUND_S.
FREEZE_S = 6.0
BOUND_S = 5.0
STAGES = ("clarify", "plan")


def _ok(done: Any) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "unexpected" not in done.stderr, done.stderr
    return str(done.stdout)


class ProxyThread:
    """A :class:`FaultProxy` on an event loop of its own, for a test that runs subprocesses."""

    def __init__(self, host: str, port: int, *, delay: float) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.proxy = self.call(FaultProxy(host, port, delay=delay).start())

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(30)

    def do(self, fn: Any) -> None:
        async def run() -> None:
            fn()

        self.call(run())

    def close(self) -> None:
        self.call(self.proxy.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


def _skewed_clock(folder: Path, seconds: int) -> str:
    """A ``PYTHONPATH`` entry whose ``sitecustomize`` moves the process's clock ``seconds``."""
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(
        "import time\n"
        "_time, _time_ns = time.time, time.time_ns\n"
        f"time.time = lambda: _time() + {seconds}\n"
        f"time.time_ns = lambda: _time_ns() + {seconds} * 1_000_000_000\n",
        encoding="utf-8",
    )
    return str(folder)


def _join(cli: Any, tmp_path: Path, admin: dict[str, str], org: str, who: str) -> dict[str, str]:
    invite = json.loads(_ok(cli("server", "invite", org, "--name", who, "--json", env=admin)))
    env = {
        "SOLO_UNICORN_HOME": str(tmp_path / who),
        "SOLO_UNICORN_TEST_KEYRING": str(tmp_path / f"{who}-keyring.json"),
    }
    login = ("server", "login", "--url", invite["server_url"], "--password-stdin")
    _ok(cli(*login, env=env, input=invite["password"] + "\n"))
    return env


def _work_once(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "solo_unicorn_tui.cli.main", "work", "--once"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def _ran(logs: list[Path]) -> Counter[tuple[str, str]]:
    ran: Counter[tuple[str, str]] = Counter()
    for log in logs:
        if log.exists():
            for line in log.read_text(encoding="utf-8").splitlines():
                mission_id, stage = line.split()
                ran[(mission_id, stage)] += 1
    return ran


def logs_text(logs: dict[str, Path]) -> dict[str, str]:
    return {who: log.read_text(encoding="utf-8") for who, log in logs.items() if log.exists()}


def _timed(cli: Any, *args: str, env: dict[str, str]) -> tuple[str, float]:
    started = time.monotonic()
    out = _ok(cli(*args, env=env))
    return out, time.monotonic() - started


def _skew_in_a_process(cli: Any, cli_process: Any) -> Any:
    """The CLI in this process, but as its own process for C: a ``sitecustomize`` moves the
    clock only of an interpreter that starts with it on its ``PYTHONPATH``."""

    def run(*args: str, env: dict[str, str], **kwargs: Any) -> Any:
        skewed = "clock-c" in env.get("PYTHONPATH", "")
        return (cli_process if skewed else cli)(*args, env=env, **kwargs)

    return run


def test_stale_offline_skewed_and_flaky_workstations_run_each_stage_once_and_agree(
    cli: Any, cli_process: Any, home: Home, pg_database: str, tmp_path: Path
) -> None:
    cli = _skew_in_a_process(cli, cli_process)
    track_server(pg_database)
    tag = role_tag(pg_database)
    admin = {"SOLO_UNICORN_SERVER_URL": pg_database}
    _ok(cli("server", "upgrade", env=admin))
    org = json.loads(_ok(cli("server", "org", "add", "Three", "--json", env=admin)))
    homes = {
        who: _join(cli, tmp_path, admin, org["organization_id"], f"{tag}_{who}")
        for who in ("a", "b", "c")
    }
    logs = {who: tmp_path / f"ran-{who}.log" for who in homes}
    a, b, c = homes["a"], homes["b"], homes["c"]
    _ok(cli("sync", env=a))
    for who, env in homes.items():
        _ok(
            cli(
                "agent",
                "add",
                "script",
                "--default",
                "--",
                *agent_argv("record", str(logs[who])),
                env=env,
            )
        )
    _ok(cli("repo", "add", str(make_repo(tmp_path / "repo-a")), "--name", "app", env=a))
    _ok(cli("sync", env=a))

    def link_app(env: dict[str, str], who: str) -> None:
        _ok(cli("sync", env=env))
        _ok(cli("repo", "add", str(make_repo(tmp_path / f"repo-{who}")), "--name", "app", env=env))
        _ok(cli("sync", env=env))

    link_app(c, "c")  # C's last contact with the server, before the team's missions exist

    # C goes offline for good, with its clock an hour ahead; it still has the team's settings.
    server = urlsplit(
        json.loads((Path(c["SOLO_UNICORN_HOME"]) / "config.json").read_text())["server_url"]
    )
    user = server.netloc.rsplit("@", 1)[0]
    offline = {
        **c,
        "SOLO_UNICORN_SERVER_URL": urlunsplit(server._replace(netloc=f"{user}@127.0.0.1:1")),
        "SOLO_UNICORN_ALLOW_OFFLINE_RUNS": "true",
        "PYTHONPATH": os.pathsep.join(
            [_skewed_clock(tmp_path / "clock-c", 3600), os.environ["PYTHONPATH"]]
        ),
    }

    # A adds the team's missions; B pulls them, and never again until it has run.
    added = [
        json.loads(
            _ok(
                cli(
                    "mission",
                    "add",
                    "--title",
                    f"Team {n}",
                    "--ready",
                    "--repo",
                    "app",
                    "--json",
                    env=a,
                )
            )
        )["id"]
        for n in (1, 2, 3)
    ]
    _ok(cli("sync", env=a))
    link_app(b, "b")

    # C, offline, adds its own mission and runs it (the only one it knows of).
    from_c = json.loads(
        _ok(
            cli(
                "mission",
                "add",
                "--title",
                "From C",
                "--ready",
                "--repo",
                "app",
                "--json",
                env=offline,
            )
        )
    )["id"]
    ran_c, took_c = _timed(cli, "work", "--once", env=offline)
    assert ran_c.count("completed") == 2, ran_c
    assert took_c < 30

    target = urlsplit(pg_database)
    proxied = ProxyThread(target.hostname or "127.0.0.1", target.port or 5432, delay=0.01)
    try:
        a_server = json.loads((Path(a["SOLO_UNICORN_HOME"]) / "config.json").read_text())
        flaky = {**a, "SOLO_UNICORN_SERVER_URL": proxied.proxy.url_for(a_server["server_url"])}
        worker_a = _work_once(flaky)
        deadline = time.monotonic() + 60
        while not logs["a"].exists():  # A has run its first stage: freeze it mid-work
            assert worker_a.poll() is None, worker_a.communicate()
            assert time.monotonic() < deadline, "A never ran a stage"
            time.sleep(0.05)
        proxied.do(proxied.proxy.partition)
        frozen_at = time.monotonic()

        ran_b, took_b = _timed(cli, "work", "--once", env=b)  # stale: not pulled since A began
        _, sync_b = _timed(cli, "sync", env=b)
        time.sleep(max(0.0, FREEZE_S - (time.monotonic() - frozen_at)))
        # The partition ends as long ones do: the connections it held are reset, new ones flow.
        proxied.do(proxied.proxy.cut_all)
        proxied.do(proxied.proxy.heal)
        out_a, err_a = worker_a.communicate(timeout=90)
        assert worker_a.returncode == 0, out_a + err_a
        assert "Traceback" not in err_a and "unexpected" not in err_a, err_a
        synced_a, sync_a = _timed(cli, "sync", env=flaky)
        assert sync_a <= BOUND_S, f"A's sync took {sync_a:.1f} s after its network came back"
    finally:
        proxied.close()

    # C reconnects (its clock still an hour ahead); then A and B pull what it pushed.
    reconnected = {k: v for k, v in offline.items() if k != "SOLO_UNICORN_SERVER_URL"}
    for env in (reconnected, a, b, reconnected):
        _ok(cli("sync", env=env))

    ran = _ran(list(logs.values()))
    expected = {(m, s) for m in [*added, from_c] for s in STAGES}
    assert set(ran) == expected, (ran, ran_b, out_a)
    assert all(count == 1 for count in ran.values()), (logs_text(logs), ran_b, out_a)
    assert _ran([logs["c"]]) == {(from_c, s): 1 for s in STAGES}

    boards = [
        json.loads(_ok(cli("mission", "list", "--json", env=env))) for env in (a, b, reconnected)
    ]
    assert boards[0] == boards[1] == boards[2]
    cards = {card["id"]: card for card in boards[0]}
    assert set(cards) == {*added, from_c}
    assert {(card["list"], card["stage"]) for card in cards.values()} == {("review", "plan")}
    assert _refused_as_ahead(pg_database) > 0  # C's clock really was an hour ahead

    assert sync_b <= BOUND_S, f"B's sync waited {sync_b:.1f} s behind the frozen workstation"
    assert took_b <= 4 * BOUND_S, f"B's work --once took {took_b:.1f} s"
    assert "rejected" not in synced_a, synced_a


def _refused_as_ahead(url: str) -> int:
    """Changes the server refused for a clock ahead of its time (then re-stamped and taken)."""

    async def count() -> int:
        conn = await asyncpg.connect(url)
        try:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM sync_rejections "
                    "WHERE reason LIKE '%ahead of the server''s time%'"
                )
            )
        finally:
            await conn.close()

    return asyncio.run(count())
