"""The sync state in the header, as reactives the sync helper sets (offline until it exists)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from textual.reactive import reactive
from textual.widgets import Static

SYNC_STATES = ("local", "offline", "syncing", "synced")


class SyncStatus(Static):
    """``state`` is local / offline / syncing / synced; ``pending`` counts unpushed changes."""

    state: reactive[str] = reactive("local")
    pending: reactive[int] = reactive(0)
    last_synced: reactive[datetime | None] = reactive(None)
    progress: reactive[tuple[int, int] | None] = reactive(None)
    """Rows pulled so far and in all, during a large (initial) pull."""

    def __init__(self, *, clock: Callable[[], datetime] | None = None, id: str | None = None):
        super().__init__(id=id)
        self._clock = clock or (lambda: datetime.now(UTC))

    def on_mount(self) -> None:
        self.set_interval(5, self._tick)
        self._tick()

    def _tick(self) -> None:
        self.update(self.describe())

    def watch_state(self) -> None:
        self._tick()

    def watch_pending(self) -> None:
        self._tick()

    def watch_last_synced(self) -> None:
        self._tick()

    def watch_progress(self) -> None:
        self._tick()

    def describe(self) -> str:
        if self.state == "syncing" and self.progress and self.progress[1]:
            done, total = self.progress
            text = f"⟳ syncing {done:,}/{total:,}"
        elif self.state == "syncing":
            text = "⟳ syncing"
        elif self.state == "synced" and self.last_synced is not None:
            seconds = max(0, int((self._clock() - self.last_synced).total_seconds()))
            text = f"✓ synced {seconds} s ago"
        elif self.state == "offline":
            text = "⚠ offline"
        else:
            text = "● local only"
        if self.pending:
            text += f" · {self.pending} pending"
        return text
