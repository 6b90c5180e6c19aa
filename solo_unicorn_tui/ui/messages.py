"""Messages the board's screens and hosts exchange: hosts post, the board screen calls down.

The sync and runtime hosts run beside the UI (harlequin's workers post ``DatabaseConnected``
the same way): they never touch a widget, they post one of these to the board screen, which
hands the news to the widget that shows it. Status floods merge: a newer status replaces an
older one still in the queue (``can_replace``, as in toolong's messages).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from solo_unicorn_tui.runtime.events import RuntimeEvent
    from solo_unicorn_tui.runtime.snapshot import WorkstationSnapshot
    from sync.status import SyncStatus


class BoardChanged(Message):
    """Missions changed (here or in another process): reload, keeping ``follow`` selected."""

    def __init__(self, follow: str | None = None) -> None:
        super().__init__()
        self.follow = follow


class ReplicaChanged(Message):
    """Another process committed to the replica (the board noticed): a screen open over the
    board reloads what it shows."""


class BoardReady(Message):
    """The first cards are on screen: the board is interactive."""


@dataclass
class SyncStatusChanged(Message):
    """The sync service reported a new status (for the header)."""

    status: SyncStatus

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SyncStatusChanged)


@dataclass
class WorkstationSnapshotChanged(Message):
    """A fresh picture of this workstation: agents, running sessions, worktrees (the panel)."""

    snapshot: WorkstationSnapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, WorkstationSnapshotChanged)


@dataclass
class FollowedSessionChanged(Message):
    """The log pane's session: the selected mission's newest one, or none (``session_id`` None).

    ``caption`` is the pane's one-line title either way.
    """

    caption: str
    session_id: str | None = None
    log_path: Path | None = None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FollowedSessionChanged)


@dataclass
class RuntimeStatusChanged(Message):
    """What the status line says about the runtime: dispatcher on/off, sessions and limit."""

    dispatcher: bool
    running: int
    limit: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RuntimeStatusChanged)


@dataclass
class SettingsChanged(Message):
    """config.json was edited while the board runs: theme, key map and the rest, validated."""

    settings: Any


@dataclass
class RuntimeEventMessage(Message):
    """A runtime event (SessionStarted, SessionEnded, DispatcherChanged) for the UI."""

    event: RuntimeEvent


@dataclass
class SessionActivityChanged(Message):
    """A running session's latest activity for its mission's card; ``activity`` None clears it.

    Newer news of the same mission replaces older news still in the queue.
    """

    mission_id: str
    activity: str | None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SessionActivityChanged) and message.mission_id == self.mission_id
