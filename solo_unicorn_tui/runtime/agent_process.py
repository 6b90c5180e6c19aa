"""One agent process: started from an argv list in its own process group, output streamed.

stdout and stderr are merged (their interleaving is what a person wants to read), read in bounded
chunks and split into lines; a line longer than :data:`MAX_LINE_BYTES` is cut into pieces, so an
agent printing megabytes without a newline costs a fixed amount of memory. Lines go to the session
log file as they arrive and to a callback. Timeout and cancel stop the whole process group:
SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from solo_unicorn_tui.errors import UserError

MAX_LINE_BYTES = 64 * 1024
READ_CHUNK = 64 * 1024
TAIL_LINES = 20

#: Variables an agent inherits from this process; everything else is left behind.
SAFE_ENV_NAMES = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "TERM",
    "COLORTERM",
    "TMPDIR",
    "TZ",
    "SOLO_UNICORN_HOME",
)
_SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|TOKEN|SECRET|PASSPHRASE|CREDENTIAL|API_?KEY|PRIVATE_?KEY", re.IGNORECASE
)


def looks_secret(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def agent_environment(
    profile_env: Mapping[str, str],
    extra: Mapping[str, str] | None = None,
    pass_env: Sequence[str] = (),
) -> dict[str, str]:
    """A minimal environment: safe base variables, the profile's env, then ``extra``.

    Nothing that looks like a secret passes unless the profile names it in ``pass_env``:
    secrets live in the keyring and reach an agent only when its profile asks for them.
    """
    env = {name: os.environ[name] for name in SAFE_ENV_NAMES if name in os.environ}
    env.setdefault("PATH", os.defpath)
    for source in (profile_env, extra or {}):
        env.update({k: str(v) for k, v in source.items() if not looks_secret(k)})
    env.update({name: os.environ[name] for name in pass_env if name in os.environ})
    return env


class LineSplitter:
    """Bytes in, complete lines out; a partial line never grows past ``limit`` bytes.

    Lines longer than ``limit`` come out in ``limit``-sized pieces; a trailing ``\\r`` is dropped.
    """

    def __init__(self, limit: int = MAX_LINE_BYTES) -> None:
        self.limit = limit
        self._partial = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        if not chunk:
            return []
        limit = self.limit
        parts = chunk.split(b"\n")
        parts[0] = self._partial + parts[0]
        tail = parts.pop()
        if b"\r" in chunk:
            parts = [p[:-1] if p.endswith(b"\r") else p for p in parts]
        if parts and max(map(len, parts)) > limit:
            bounded: list[bytes] = []
            for part in parts:
                if len(part) <= limit:
                    bounded.append(part)
                else:
                    bounded.extend(part[i : i + limit] for i in range(0, len(part), limit))
            parts = bounded
        while len(tail) >= limit:
            parts.append(tail[:limit])
            tail = tail[limit:]
        self._partial = tail
        return parts

    def flush(self) -> list[bytes]:
        if not self._partial:
            return []
        line, self._partial = self._partial, b""
        return [line]


@dataclass(frozen=True)
class ProcessResult:
    status: str
    """completed (exit 0), failed (non-zero exit), timeout or cancelled."""
    exit_code: int | None
    reason: str
    started_at: datetime
    ended_at: datetime
    duration_seconds: float
    tail: tuple[str, ...]
    bytes_out: int


class AgentStartError(UserError):
    """The agent program could not be started (not found, not executable)."""


OutputCallback = Callable[[list[str]], None]


class AgentProcess:
    """Run one agent; :meth:`start` then :meth:`wait`; :meth:`cancel` from anywhere on the loop."""

    def __init__(
        self,
        argv: list[str],
        *,
        cwd: Path,
        env: dict[str, str],
        log_path: Path,
        timeout_seconds: float,
        on_output: OutputCallback | None = None,
        kill_grace_seconds: float = 5.0,
        stdin_path: Path | None = None,
    ) -> None:
        self.argv = argv
        self.stdin_path = stdin_path
        """A file given to the agent as its standard input (the prompt); else /dev/null."""
        self.cwd = cwd
        self.env = env
        self.log_path = log_path
        self.timeout_seconds = timeout_seconds
        self.on_output = on_output
        self.kill_grace_seconds = kill_grace_seconds
        self.process: asyncio.subprocess.Process | None = None
        self._cancelled = asyncio.Event()
        self._cancel_reason = "cancelled"
        self._tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._bytes = 0
        self._started_at = datetime.now(UTC)
        self._t0 = time.monotonic()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    async def start(self) -> int:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            stdin = self.stdin_path.open("rb") if self.stdin_path else None
        except OSError as error:
            raise AgentStartError(
                f"cannot give the prompt file {self.stdin_path} to the agent: {error.strerror}"
            ) from None
        try:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv,
                cwd=str(self.cwd),
                env=self.env,
                stdin=stdin if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise AgentStartError(
                f"agent program {self.argv[0]!r} was not found; install it or fix the profile "
                "with 'solo-unicorn agent add'"
            ) from None
        except PermissionError:
            raise AgentStartError(
                f"agent program {self.argv[0]!r} is not executable; check its permissions"
            ) from None
        finally:
            if stdin is not None:
                stdin.close()
        self._started_at = datetime.now(UTC)
        self._t0 = time.monotonic()
        return self.process.pid

    def cancel(self, reason: str = "cancelled") -> None:
        self._cancel_reason = reason
        self._cancelled.set()

    async def wait(self) -> ProcessResult:
        assert self.process is not None, "start() first"
        process = self.process
        pump = asyncio.create_task(self._pump())
        exited = asyncio.create_task(process.wait())
        cancelled = asyncio.create_task(self._cancelled.wait())
        try:
            done, _ = await asyncio.wait(
                {exited, cancelled},
                timeout=self.timeout_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
            status = reason = None
            if exited not in done:
                if cancelled in done:
                    status, reason = "cancelled", self._cancel_reason
                else:
                    status = "timeout"
                    reason = f"timed out after {self.timeout_seconds:g} s"
                await self._stop_group(exited)
            exit_code = await exited
            # Leftover children in the group would keep the pipe open: stop them too.
            self._signal_group(signal.SIGKILL)
            try:
                await asyncio.wait_for(asyncio.shield(pump), timeout=5.0)
            except TimeoutError:
                pump.cancel()
        except asyncio.CancelledError:
            # Whoever awaited us is gone (app exit): never leave the agent running unwatched.
            self._signal_group(signal.SIGKILL)
            pump.cancel()
            raise
        finally:
            cancelled.cancel()
            if not exited.done():
                exited.cancel()
        if status is None:
            status = "completed" if exit_code == 0 else "failed"
            reason = "exited with code 0" if exit_code == 0 else f"exited with code {exit_code}"
        return ProcessResult(
            status=status,
            exit_code=exit_code,
            reason=reason or status,
            started_at=self._started_at,
            ended_at=datetime.now(UTC),
            duration_seconds=time.monotonic() - self._t0,
            tail=tuple(self._tail),
            bytes_out=self._bytes,
        )

    def kill(self) -> None:
        """Kill the agent's whole process group now (no grace period)."""
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, sig: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)

    async def _stop_group(self, exited: asyncio.Task[int]) -> None:
        self._signal_group(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(exited), timeout=self.kill_grace_seconds)
        except TimeoutError:
            self._signal_group(signal.SIGKILL)

    async def _pump(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        stream = self.process.stdout
        splitter = LineSplitter()
        fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "ab") as log:
            while True:
                chunk = await stream.read(READ_CHUNK)
                lines = splitter.feed(chunk) if chunk else splitter.flush()
                if lines:
                    payload = b"\n".join(lines) + b"\n"
                    # Disk writes can block for a while under load: keep them off the loop.
                    await asyncio.to_thread(_append, log, payload)
                    self._emit(payload)
                if not chunk:
                    break

    def _emit(self, payload: bytes) -> None:
        self._bytes += len(payload)
        text = payload.decode("utf-8", errors="replace").split("\n")[:-1]
        self._tail.extend(t[:500] for t in text[-TAIL_LINES:])
        if self.on_output is not None:
            self.on_output(text)


def _append(log: IO[bytes], payload: bytes) -> None:
    log.write(payload)
    log.flush()
