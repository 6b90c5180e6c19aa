"""A private PostgreSQL cluster for crash tests: ``initdb`` in a temporary folder, one free port.

The shared server at 127.0.0.1:5432 must never be killed; this one may be, as often as a test
likes: :meth:`PrivateServer.kill` sends SIGKILL to the postmaster *and* every backend (its
process group), as a crashed machine would, and :meth:`PrivateServer.start` brings it back on
the same port (crash recovery runs on start). ``fsync`` is off, for speed: a killed process
loses nothing the OS has (commits stay synchronous, so an acknowledged commit survives).

    server = PrivateServer()              # its own folder under the system temp folder
    server.init(); await server.start()
    url = server.url("postgres")          # trust authentication, superuser postgres
    server.kill(); await server.start()
    server.stop()

Run as root (CI containers), the cluster belongs to the ``postgres`` user (PostgreSQL refuses
to run as root), in a folder of its own that user can reach. Binaries come from
``/usr/lib/postgresql/*/bin`` or ``PATH``.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg

READY_TIMEOUT_S = 30.0


def bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateServer:
    def __init__(self, port: int | None = None) -> None:
        found = bin_dir()
        if found is None:
            raise RuntimeError("no PostgreSQL binaries (initdb) found")
        self.bin = found
        self.root = Path(tempfile.mkdtemp(prefix="su-private-pg-"))
        self.data = self.root / "data"
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._user = "postgres" if os.geteuid() == 0 else None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def init(self) -> None:
        if self._user:
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            user=self._user,
            group=self._user,
        )

    async def start(self) -> float:
        """Start the postmaster; return when it accepts connections (``time.monotonic()``)."""
        self.process = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.root),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=40",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "server.log").open("ab"),
            start_new_session=True,
            user=self._user,
            group=self._user,
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                conn = await asyncpg.connect(self.url(), timeout=2)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.root / "server.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"the private server did not start:\n{log}") from None
                await asyncio.sleep(0.05)
                continue
            await conn.close()
            return time.monotonic()

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend at once (a crash, not a shutdown)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        """A fast shutdown (SIGINT), then SIGKILL if it lingers."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    async def create_database(self, name: str) -> str:
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url(name)
