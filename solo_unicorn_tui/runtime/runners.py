"""Which runner owns a session on this machine, and how another process asks it to stop.

A runner (the board's detached runner, ``solo-unicorn work``) holds ``sessions/{id}.lock``
while its agent runs. Any process can tell whether that runner is alive without disturbing it
(:func:`runner_alive`) and ask it to cancel a mission's session by writing
``sessions/{mission_id}.cancel`` (:func:`request_cancel`); every :class:`~.core.Runtime` looks
for requests on the missions it runs (:func:`take_request`) and stops the agent the ordinary way,
so the owner records the session as cancelled, releases the claim and commits nothing half-done.

Why a request file and not a signal: the owner may run several sessions (``work`` with a
dispatcher), so signalling the runner cannot name one; signalling the agent's process group
would make the owner record a failure (exit -15) instead of a cancel, and a pid read from a row
can be reused by an unrelated process once the agent is gone. The file names the mission, costs
a ``stat`` per running session a few times a second, and outlives any process that writes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from solo_unicorn_tui.home import Home


def lock_path(home: Home, session_id: str) -> Path:
    return home.sessions_dir / f"{session_id}.lock"


def request_path(home: Home, mission_id: str) -> Path:
    return home.sessions_dir / f"{mission_id}.cancel"


def runner_alive(home: Home, session_id: str) -> bool:
    """True while a process holds the session's lock (its runner); never removes the file."""
    path = lock_path(home, session_id)
    try:
        handle = path.open("rb")
    except OSError:
        return False
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


def request_cancel(home: Home, mission_id: str, reason: str) -> None:
    """Ask whichever runner runs ``mission_id`` here to stop its agent with ``reason``."""
    path = request_path(home, mission_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(reason)


def take_request(home: Home, mission_id: str) -> str | None:
    """The reason of a pending cancel request for ``mission_id`` (removed), or None."""
    path = request_path(home, mission_id)
    try:
        reason = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    with contextlib.suppress(OSError):
        path.unlink()
    return reason or "cancelled by the user"


def clear_request(home: Home, mission_id: str) -> None:
    """Drop a request left over from an earlier run (a new session starts clean)."""
    with contextlib.suppress(OSError):
        request_path(home, mission_id).unlink()
