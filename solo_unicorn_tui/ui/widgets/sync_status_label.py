"""The sync state in the header: one reactive :class:`~sync.status.SyncStatus`, shown as its
own :meth:`~sync.status.SyncStatus.describe` says (local only until a sync service reports).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from textual.reactive import reactive
from textual.widgets import Static

from sync.status import SyncStatus

#: How often "synced N s ago" is brought up to date.
TICK_SECONDS = 5.0


class SyncStatusLabel(Static):
    status: reactive[SyncStatus] = reactive(lambda: SyncStatus("disabled"))

    def __init__(self, *, clock: Callable[[], datetime] | None = None, id: str | None = None):
        super().__init__(id=id)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._shown: str | None = None

    def on_mount(self) -> None:
        self.set_interval(TICK_SECONDS, self._show)
        self._show()

    def watch_status(self) -> None:
        self._show()

    def _show(self) -> None:
        # The tick re-reads the clock; unchanged text is not re-rendered (an update re-lays
        # out the screen and repaints every column: an idle board must write nothing).
        text = self.status.describe(self._clock())
        if text != self._shown:
            self._shown = text
            self.update(text)
