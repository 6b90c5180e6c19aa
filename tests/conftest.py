"""Shared fixtures: a temporary home, an open replica, and a fresh PostgreSQL database.

PostgreSQL tests use ``SOLO_UNICORN_TEST_PG_URL`` (default: the local server as user postgres).
Where no server answers they skip, unless ``SOLO_UNICORN_REQUIRE_PG=1`` (set by ``.ci/run``),
which turns a missing server into a failure.
"""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from ulid import ULID

from solo_unicorn_tui.home import Home
from solo_unicorn_tui.workspace import Workspace, open_workspace

ROOT = Path(__file__).resolve().parent.parent

# A test process holds hundreds of thousands of objects (each Pilot test builds a whole app), and
# Python's default thresholds walked all of them in a full collection every ~70k allocations: a
# quarter of the UI tests' CPU. Young collections stay frequent enough to free each test's cycles.
# Only the test processes change: the app and the CLI keep Python's defaults.
gc.set_threshold(50_000, 20, 100)
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_HOW_TO = (
    "PostgreSQL not reachable at {url}: start a server or set SOLO_UNICORN_TEST_PG_URL "
    "to a superuser URL to run these tests"
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    root = tmp_path / "home"
    monkeypatch.setenv("SOLO_UNICORN_HOME", str(root))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.keyring_backend.FileKeyring")
    monkeypatch.setenv("SOLO_UNICORN_TEST_KEYRING", str(tmp_path / "keyring.json"))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    for name in list(os.environ):
        if name.startswith("SOLO_UNICORN_") and name not in (
            "SOLO_UNICORN_HOME",
            "SOLO_UNICORN_TEST_KEYRING",
            "SOLO_UNICORN_TEST_PG_URL",
            "SOLO_UNICORN_REQUIRE_PG",
            "SOLO_UNICORN_AGENT_CLIS",
            "SOLO_UNICORN_REQUIRE_AGENTS",
        ):
            monkeypatch.delenv(name)
    return Home(root)


@pytest.fixture
async def workspace(home: Home) -> AsyncIterator[Workspace]:
    ws = await open_workspace(home)
    try:
        yield ws
    finally:
        await ws.db.close()


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None):
    """Run ``solo-unicorn`` as a user would: a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "solo_unicorn_tui.cli.main", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        input=input,
        timeout=120,
    )


@pytest.fixture
def cli():
    """``solo-unicorn ARGS`` through the console script's entry point, in this process (a Python
    started for each of a test's dozens of calls was most of the CPU of the suite's child
    processes). Tests of start-up, signals, concurrency or real stdin bytes use ``cli_process``."""
    from tests.support.inprocess_cli import run_in_process

    return run_in_process


@pytest.fixture
def cli_process():
    return run_cli


def _pg_base_url() -> str:
    return os.environ.get("SOLO_UNICORN_TEST_PG_URL", DEFAULT_PG_URL)


async def _pg_reachable(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


def _with_database(url: str, name: str) -> str:
    base = url.rsplit("/", 1)[0]
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_server() -> str:
    url = _pg_base_url()
    if not asyncio.run(_pg_reachable(url)):
        message = PG_HOW_TO.format(url=url)
        if os.environ.get("SOLO_UNICORN_REQUIRE_PG") == "1":
            pytest.fail(message + " (SOLO_UNICORN_REQUIRE_PG=1: required here)")
        pytest.skip(message)
    return url


def _create_database(server_url: str) -> tuple[str, str]:
    name = f"su_test_{str(ULID()).lower()}"

    async def create() -> None:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return name, _with_database(server_url, name)


def _drop_database(server_url: str, name: str) -> None:
    async def drop() -> None:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


@pytest.fixture(scope="session")
def pg_session_database(pg_server: str) -> Iterator[str]:
    """One database for the whole test run (plain ``postgresql://`` URL)."""
    name, url = _create_database(pg_server)
    yield url
    _drop_database(pg_server, name)


@pytest.fixture
def pg_database(pg_server: str) -> Iterator[str]:
    """A fresh, empty database for one test (plain ``postgresql://`` URL), dropped after."""
    name, url = _create_database(pg_server)
    yield url
    _drop_database(pg_server, name)


def asyncpg_sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)
