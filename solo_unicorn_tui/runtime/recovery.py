"""Start-up recovery: sessions left active by a runner that is gone are closed and requeued.

A live runner holds ``sessions/{id}.lock`` (see :mod:`.session_runner`); when this process can
take that lock, the runner died (killed, crashed, machine rebooted). Its agent may still be
running, orphaned in its own process group: that group is stopped, since nobody reads its output.
The session is marked failed with the reason, the mission goes back to Todo (a recovery attempt),
and the worktree is kept with whatever the agent left in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
from dataclasses import dataclass

from solo_unicorn_tui.home import Home
from solo_unicorn_tui.runtime.runners import lock_path
from storage import sessions as session_ops
from storage import worktrees as worktree_ops
from storage.database import Database
from storage.sessions import SessionOutcome
from storage.types import utcnow


@dataclass(frozen=True)
class RecoveredSession:
    session_id: str
    mission_id: str
    reason: str


def _recorded_pid(home: Home, session_id: str) -> int | None:
    """The agent's pid as the runner wrote it into its lock file the moment the agent started."""
    try:
        text = lock_path(home, session_id).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def _runner_alive(home: Home, session_id: str) -> bool:
    path = lock_path(home, session_id)
    if not path.exists():
        return False
    with path.open("ab") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    with contextlib.suppress(OSError):
        path.unlink()
    return False


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _stop_orphan(pid: int, grace_seconds: float) -> bool:
    """Stop an orphaned agent's process group; True when there was one to stop."""
    if not _group_alive(pid):
        return False
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = asyncio.get_running_loop().time() + grace_seconds
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
        if not _group_alive(pid):
            return True
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    return True


async def recover_sessions(
    db: Database,
    home: Home,
    workstation_id: str,
    *,
    max_recovery_attempts: int,
    grace_seconds: float = 2.0,
) -> list[RecoveredSession]:
    recovered = []
    active = await session_ops.list_sessions(
        db, workstation_id=workstation_id, statuses=session_ops.ACTIVE_STATUSES, limit=None
    )
    for session in active:
        pid = session.pid or _recorded_pid(home, session.id)
        if _runner_alive(home, session.id):
            continue
        if pid and await _stop_orphan(pid, grace_seconds):
            reason = (
                f"the runner stopped while the agent (pid {pid}) was running; "
                "the orphaned agent was stopped"
            )
        elif pid:
            reason = f"the runner stopped and the agent process (pid {pid}) is gone"
        else:
            reason = "the runner stopped before the agent started"
        now = utcnow()
        started = session.started_at or session.created_at
        await session_ops.finish_session(
            db,
            session.id,
            SessionOutcome(
                status="failed",
                exit_code=None,
                ended_at=now,
                duration_seconds=max(0.0, (now - started).total_seconds()),
                end_reason=reason,
                error_type="recovered",
                error_message=reason,
            ),
            max_recovery_attempts=max_recovery_attempts,
        )
        if session.worktree_id:
            with contextlib.suppress(Exception):
                await worktree_ops.touch_worktree(db, session.worktree_id)
        recovered.append(RecoveredSession(session.id, session.mission_id, reason))
    return recovered
