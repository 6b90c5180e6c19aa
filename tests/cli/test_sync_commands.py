"""``solo-unicorn server …`` and ``solo-unicorn sync …`` as a user runs them (subprocesses)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from solo_unicorn_tui.home import Home


def test_two_homes_share_a_board_through_the_server(
    cli, home: Home, pg_database: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    server = {"SOLO_UNICORN_SERVER_URL": pg_database}
    other = {**server, "SOLO_UNICORN_HOME": str(tmp_path / "b")}
    done = cli("server", "upgrade", env=server)
    assert done.returncode == 0, done.stderr
    assert "upgraded from nothing to schema" in done.stdout
    assert cli("mission", "add", "--title", "Shared card", env=server).returncode == 0
    first = cli("sync", env=server)
    assert first.returncode == 0, first.stderr
    joined = cli("sync", env=other)
    assert joined.returncode == 0, joined.stderr
    assert "joined organization" in joined.stdout
    assert "pulled" in joined.stderr  # progress lines
    listing = cli("mission", "list", "--json", env=other)
    assert [m["title"] for m in json.loads(listing.stdout)] == ["Shared card"]
    status = json.loads(cli("sync", "status", "--json", env=other).stdout)
    assert status["pending"] == 0 and status["cursor"] > 0 and status["last_sync_at"]
    assert status["server_url"] == pg_database


def test_sync_reports_unreachable_server_in_one_line(cli, home: Home) -> None:  # type: ignore[no-untyped-def]
    done = cli("sync", env={"SOLO_UNICORN_SERVER_URL": "postgresql://me@127.0.0.1:1/board"})
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("solo-unicorn: error: cannot reach the sync server")
    assert "Traceback" not in done.stderr
    status = json.loads(cli("sync", "status", "--json").stdout)  # the error, and when
    assert status["last_error"].startswith("cannot reach the sync server")
    assert status["last_error_at"] and status["last_sync_at"] is None


def test_sync_reports_refused_credentials(cli, home: Home, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    url = pg_database.replace("postgres@", "nobody_here@", 1)
    done = cli("sync", env={"SOLO_UNICORN_SERVER_URL": url, "SOLO_UNICORN_SERVER_PASSWORD": "x"})
    assert done.returncode == 1
    assert "rejected the credentials" in done.stderr and "server login" in done.stderr
    assert "x@" not in done.stderr


def test_sync_without_server_says_how_to_configure(cli, home: Home) -> None:  # type: ignore[no-untyped-def]
    done = cli("sync")
    assert done.returncode == 1
    assert "server login" in done.stderr


def test_status_never_shows_a_password(cli, home: Home, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    login = cli("server", "login", "--url", pg_database, "--password-stdin", input="s3cret\n")
    assert login.returncode == 0, login.stderr
    assert "keyring" in login.stdout
    status = cli("sync", "status", "--json")
    assert "s3cret" not in status.stdout
    assert json.loads(status.stdout)["server_url"] == pg_database
    assert "s3cret" not in home.config_file.read_text()


def test_sync_watch_stays_connected_and_stops_on_sigterm(home: Home, pg_database: str, cli) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "SOLO_UNICORN_SERVER_URL": pg_database}
    assert cli("server", "upgrade", env={"SOLO_UNICORN_SERVER_URL": pg_database}).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "solo_unicorn_tui.cli.main", "sync", "--watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 20
        line = ""
        while time.monotonic() < deadline and not line.startswith("synced"):
            line = proc.stdout.readline().strip()
        assert line.startswith("synced")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
