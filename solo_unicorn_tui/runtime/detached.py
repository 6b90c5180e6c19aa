"""Sessions that outlive their starter: each agent runs under its own ``solo-unicorn work``.

The board claims a mission in its own process (so its dispatcher counts it at once), then starts
``solo-unicorn work --claimed MISSION --session-id ID`` in a new session (``setsid``: no
controlling terminal, its own process group, no pipe to the board). That runner — the same
runtime as ``work`` — owns the agent from then on: it holds the session lock, streams the log,
records the result and releases the claim. The board only watches: the session row for the
start and the end, the readable log for the card's activity line. Quitting the board or a
crash of it leaves the runner and its agent running; the next board finds them by their lock.

The runner is started with :class:`subprocess.Popen` and polled, never as an asyncio
subprocess: asyncio kills a child whose transport is closed with the loop, and a thread waiting
on it would hold the interpreter's exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from solo_unicorn_tui.home import Home
from solo_unicorn_tui.runtime.agent_profiles import AgentProfile
from solo_unicorn_tui.runtime.agents.session_events import readable_log_path
from solo_unicorn_tui.runtime.events import (
    RuntimeEvent,
    SessionEnded,
    SessionOutput,
    SessionStarted,
)
from solo_unicorn_tui.runtime.recovery import recover_sessions
from solo_unicorn_tui.runtime.runners import request_cancel
from solo_unicorn_tui.runtime.session_runner import SessionHandle
from storage import missions as mission_ops
from storage import sessions as session_ops
from storage.database import Database
from storage.errors import NotFoundError
from storage.ids import new_id
from storage.models import Mission
from storage.repositories import RepositoryLink
from storage.types import utcnow

POLL_SECONDS = 0.25


def runner_argv(mission_id: str, session_id: str, reason: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "solo_unicorn_tui.cli.main",
        "work",
        "--claimed",
        mission_id,
        "--session-id",
        session_id,
        "--reason",
        reason,
        "--quiet",
    ]


def _last_line(path: Path) -> str | None:
    """The newest non-empty line of a readable log (the card's activity), reading its tail only."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 4096))
            lines = f.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        if line.strip() and not line.startswith("[solo-unicorn]"):
            return line.lstrip("▸ ")[:120]
    return None


class DetachedRunner:
    """Runs :meth:`execute` by starting a runner process and watching it."""

    def __init__(
        self,
        *,
        db: Database,
        home: Home,
        workstation_id: str,
        max_recovery_attempts: int,
        emit: Callable[[RuntimeEvent], None],
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.db = db
        self.home = home
        self.workstation_id = workstation_id
        self.max_recovery_attempts = max_recovery_attempts
        self.emit = emit
        self.poll_seconds = poll_seconds

    def spawn(self, mission_id: str, session_id: str, reason: str) -> subprocess.Popen[bytes]:
        self.home.logs_dir.mkdir(parents=True, exist_ok=True)
        errors = self.home.logs_dir / f"runner-{session_id}.log"
        with errors.open("ab") as err:
            return subprocess.Popen(
                runner_argv(mission_id, session_id, reason),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env={**os.environ, "SOLO_UNICORN_HOME": str(self.home.root)},
                start_new_session=True,
                close_fds=True,
            )

    async def execute(
        self,
        handle: SessionHandle,
        mission: Mission,
        _repo: RepositoryLink,
        _profile: AgentProfile,
        reason: str,
    ) -> SessionEnded:
        session_id = new_id("session")
        handle.planned_session_id = session_id
        handle.on_cancel = lambda why: request_cancel(self.home, mission.id, why)
        if handle.cancel_reason is not None:
            request_cancel(self.home, mission.id, handle.cancel_reason)
        process = await asyncio.to_thread(self.spawn, mission.id, session_id, reason)
        started = False
        readable = readable_log_path(self.home.session_log(session_id))
        while process.poll() is None:
            await asyncio.sleep(self.poll_seconds)
            if not started:
                started = await self._started(handle, mission, session_id)
            elif (line := await asyncio.to_thread(_last_line, readable)) != handle.activity:
                handle.activity = line
                self.emit(SessionOutput(session_id, mission.id, (), (), line))
        return await self._ended(handle, mission, session_id, process.returncode)

    async def _started(self, handle: SessionHandle, mission: Mission, session_id: str) -> bool:
        try:
            session = await session_ops.get_session(self.db, session_id)
        except NotFoundError:
            return False
        handle.session_id = session_id
        handle.log_path = session.log_path
        if session.status != "active" or session.pid is None:
            return session.status not in session_ops.ACTIVE_STATUSES
        handle.pid = session.pid
        self.emit(
            SessionStarted(
                session_id=session_id,
                mission_id=mission.id,
                mission_title=mission.title,
                agent_name=handle.agent_name,
                stage=handle.stage,
                pid=session.pid,
                log_path=session.log_path or "",
                started_at=session.started_at or utcnow(),
            )
        )
        return True

    async def _ended(
        self, handle: SessionHandle, mission: Mission, session_id: str, exit_code: int
    ) -> SessionEnded:
        """Read what the runner recorded; a runner that died first is recovered here."""
        try:
            session = await session_ops.get_session(self.db, session_id)
        except NotFoundError:
            session = None
        if session is None or session.status in session_ops.ACTIVE_STATUSES:
            await recover_sessions(
                self.db,
                self.home,
                self.workstation_id,
                max_recovery_attempts=self.max_recovery_attempts,
            )
            with contextlib.suppress(NotFoundError):
                session = await session_ops.get_session(self.db, session_id)
        current = await mission_ops.get_mission(self.db, mission.id)
        if session is None and current.agent_session_status in session_ops.ACTIVE_STATUSES:
            # It died before it made a session (a claim nobody uses now): free the mission.
            with contextlib.suppress(Exception):
                await session_ops.fail_before_start(
                    self.db,
                    mission.id,
                    error=f"the runner exited with code {exit_code} before the agent started",
                    max_recovery_attempts=self.max_recovery_attempts,
                )
        moved = await mission_ops.get_mission(self.db, mission.id)
        event = SessionEnded(
            session_id=session.id if session else None,
            mission_id=mission.id,
            status=session.status if session else "failed",
            exit_code=session.exit_code if session else None,
            reason=(session.end_reason or session.status)
            if session
            else f"the runner exited with code {exit_code}",
            duration_seconds=(session.duration_seconds or 0.0) if session else 0.0,
            mission_list=moved.list,
            mission_stage=moved.stage,
        )
        self.emit(event)
        return event
