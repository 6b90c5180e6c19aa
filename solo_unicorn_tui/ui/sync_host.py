"""Background sync on the board when a server is configured: status in the header, live reloads."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from solo_unicorn_tui.secrets import SERVER_PASSWORD, get_secret
from solo_unicorn_tui.ui.widgets.sync_status import SyncStatus as SyncStatusWidget
from solo_unicorn_tui.workspace import Workspace
from sync.service import SyncService, SyncStatus

if TYPE_CHECKING:
    from textual.screen import Screen

#: The header knows local / offline / syncing / synced; a permanent error shows as offline.
STATE_FOR_HEADER = {"disabled": "local", "error": "offline"}


class SyncHost:
    def __init__(
        self, screen: Screen[None], workspace: Workspace, on_change: Callable[[], None]
    ) -> None:
        self.screen = screen
        self._on_change = on_change
        self._last_error = ""
        assert workspace.settings.server_url
        self.service = SyncService(
            workspace.db,
            workspace.settings.server_url,
            get_secret(SERVER_PASSWORD),
            interval_seconds=workspace.settings.sync_interval_seconds,
            on_status=self._status,
            on_change=lambda _count: self._on_change(),
        )

    def _status(self, status: SyncStatus) -> None:
        widgets = self.screen.query(SyncStatusWidget)
        if widgets:
            widget = widgets.first()
            widget.state = STATE_FOR_HEADER.get(status.state, status.state)
            widget.pending = status.pending
            widget.last_synced = status.last_synced_at
            widget.progress = status.progress
        if status.state == "error" and status.message != self._last_error:
            self._last_error = status.message
            self.screen.notify(status.message, title="Sync stopped", severity="error")

    async def run(self) -> None:
        await self.service.run()

    def sync_now(self) -> None:
        self.service.sync_now()

    def stop(self) -> None:
        self.service.stop()
