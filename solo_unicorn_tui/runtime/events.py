"""What the runtime tells its listeners (the board, the CLI): plain frozen dataclasses.

Listeners are called on the runtime's event loop, in order, and must return quickly (post a
message, append to a buffer); an exception in one is logged and does not stop the runtime.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SessionStarted:
    session_id: str
    mission_id: str
    mission_title: str
    agent_name: str
    stage: str
    pid: int
    log_path: str
    started_at: datetime


@dataclass(frozen=True)
class SessionOutput:
    """New output lines of a running session (already in its log file).

    ``readable``: the same output as readable lines (parsed agent events); ``activity``: a short
    text of the latest event worth showing on the card, when it changed.
    """

    session_id: str
    mission_id: str
    lines: tuple[str, ...]
    readable: tuple[str, ...] = ()
    activity: str | None = None


@dataclass(frozen=True)
class SessionEnded:
    session_id: str | None
    mission_id: str
    status: str
    exit_code: int | None
    reason: str
    duration_seconds: float
    mission_list: str
    mission_stage: str


@dataclass(frozen=True)
class DispatcherChanged:
    running: bool


@dataclass(frozen=True)
class DispatcherWaiting:
    """The dispatcher starts nothing for this reason (said once, until it changes)."""

    reason: str


RuntimeEvent = SessionStarted | SessionOutput | SessionEnded | DispatcherChanged | DispatcherWaiting
RuntimeListener = Callable[[RuntimeEvent], None]
