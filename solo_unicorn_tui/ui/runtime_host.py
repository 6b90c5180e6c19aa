"""The agent runtime on the board: run/cancel keys, the dispatcher, the panel and the log pane.

The runtime itself is headless (:mod:`solo_unicorn_tui.runtime`); this class owns one for the
board's lifetime, feeds its snapshots to the workstation panel, follows the selected mission's
latest session in the log pane, and turns notifications into toasts and the terminal bell.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.runtime.core import Runtime
from solo_unicorn_tui.runtime.notifications import Notification
from solo_unicorn_tui.ui.runtime_bridge import RuntimeBridge
from solo_unicorn_tui.ui.widgets.mission_log_pane import MissionLogPane
from solo_unicorn_tui.ui.widgets.workstation_panel import WorkstationPanel
from solo_unicorn_tui.workspace import Workspace
from storage.errors import StorageError
from storage.sessions import list_sessions

if TYPE_CHECKING:
    from textual.screen import Screen

log = logging.getLogger(__name__)

PANEL_SECONDS = 1.0
FOLLOW_SECONDS = 0.3
#: How often the board asks whether the automatic worktree cleanup is due (it runs hourly).
CLEANUP_CHECK_SECONDS = 600.0
SEVERITY = {
    "session_failed": "error",
    "needs_review": "warning",
    "session_completed": "information",
}


class RuntimeHost:
    def __init__(self, screen: Screen[None], workspace: Workspace) -> None:
        self.screen = screen
        self.workspace = workspace
        self.runtime = Runtime.from_workspace(workspace)
        self.bridge: RuntimeBridge | None = None
        self._followed_mission: str | None = None

    async def start(self) -> None:
        recovered = await self.runtime.recover()
        for item in recovered:
            self.screen.notify(item.reason, title="Recovered a session", severity="warning")
        try:
            await self.runtime.announce()
        except StorageError:
            log.exception("announcing the workstation failed")
        self.bridge = RuntimeBridge(self.runtime, self.screen)
        self.runtime.notifier.subscribe(self._notified)
        self.screen.set_interval(PANEL_SECONDS, self.refresh_panel)
        self.screen.set_interval(FOLLOW_SECONDS, self._follow_selection)
        self.screen.set_interval(CLEANUP_CHECK_SECONDS, self.runtime.clean_if_due)
        if self.workspace.settings.dispatch_on_start:
            self.runtime.start_dispatcher()
        await self.refresh_panel()

    def _notified(self, notification: Notification) -> None:
        settings = self.workspace.settings.notifications
        if settings.toast:
            self.screen.notify(
                notification.message,
                title=notification.title,
                severity=SEVERITY.get(notification.kind, "information"),  # type: ignore[arg-type]
            )
        if settings.bell:
            self.screen.app.bell()

    async def refresh_panel(self) -> None:
        panel = self.screen.query(WorkstationPanel)
        if not panel or not panel.first().display:
            return
        try:
            snapshot = await self.runtime.snapshot()
        except Exception:
            log.exception("workstation snapshot failed")
            return
        panel.first().show_snapshot(snapshot)

    async def run(self, mission_id: str) -> None:
        try:
            handle = await self.runtime.run_mission(mission_id)
        except (UserError, StorageError) as error:
            self.screen.notify(str(error), title="Cannot run the mission", severity="error")
            return
        self.screen.notify(f"{handle.agent_name} started on stage {handle.stage}")
        self._followed_mission = None

    def cancel(self, mission_id: str) -> None:
        if not self.runtime.cancel(mission_id):
            self.screen.notify("No session of this mission runs here.", severity="warning")
        else:
            self.screen.notify("Stopping the agent…")

    async def toggle_dispatcher(self) -> None:
        if self.runtime.dispatcher_running:
            await self.runtime.stop_dispatcher()
            self.screen.notify("Dispatcher stopped: missions run only with r.")
        else:
            self.runtime.start_dispatcher()
            self.screen.notify("Dispatcher on: ready missions run by priority.")
        await self.refresh_panel()

    def refollow(self) -> None:
        """Look the selected mission's latest session up again (one started or ended)."""
        self._followed_mission = None

    async def _follow_selection(self) -> None:
        panes = self.screen.query(MissionLogPane)
        current = getattr(self.screen, "current", None)
        card = getattr(current, "selected_card", None)
        if not panes or card is None:
            return
        pane = panes.first()
        if card.id == self._followed_mission and pane.session_id is not None:
            return
        self._followed_mission = card.id
        sessions = await list_sessions(self.workspace.db, mission_id=card.id, limit=1)
        if not sessions or not sessions[0].log_path:
            pane.show_idle(f"{card.title} — no agent session yet (r runs it)")
            return
        session = sessions[0]
        pane.follow_session(
            session.id,
            Path(session.log_path),
            f"{card.title} — {session.stage} · {session.code_agent_name} · {session.status}",
        )

    async def shutdown(self) -> None:
        if self.bridge is not None:
            self.bridge.close()
        await self.runtime.shutdown()
