"""Background sync on the board when a server is configured: it posts, the board shows.

Every status the service reports reaches the board screen as a :class:`SyncStatusChanged`
(the header's label shows it), rows that arrived as a :class:`BoardChanged` (the board reloads);
a permanent error also raises one toast, once per distinct message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from solo_unicorn_tui.secrets import SERVER_PASSWORD, get_secret
from solo_unicorn_tui.ui.messages import BoardChanged, SyncStatusChanged
from solo_unicorn_tui.workspace import Workspace
from sync.service import SyncService
from sync.status import SyncStatus

if TYPE_CHECKING:
    from textual.screen import Screen


class SyncHost:
    def __init__(self, screen: Screen[None], workspace: Workspace) -> None:
        self.screen = screen
        self._last_error = ""
        assert workspace.settings.server_url
        self.service = SyncService(
            workspace.db,
            workspace.settings.server_url,
            get_secret(SERVER_PASSWORD),
            interval_seconds=workspace.settings.sync_interval_seconds,
            on_status=self._status,
            on_change=lambda _count: self.screen.post_message(BoardChanged()),
        )

    def _status(self, status: SyncStatus) -> None:
        self.screen.post_message(SyncStatusChanged(status))
        if status.state == "error" and status.message != self._last_error:
            self._last_error = status.message
            self.screen.notify(status.message, title="Sync stopped", severity="error")

    async def run(self) -> None:
        await self.service.run()

    def sync_now(self) -> None:
        self.service.sync_now()

    def stop(self) -> None:
        self.service.stop()
