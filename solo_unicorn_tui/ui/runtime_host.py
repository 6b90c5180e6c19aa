"""The agent runtime on the board: run/cancel keys, the dispatcher, the panel and the log pane.

The runtime itself is headless (:mod:`solo_unicorn_tui.runtime`); this class owns one for the
board's lifetime and never touches a widget: it posts a :class:`WorkstationSnapshotChanged` while
the workstation panel is shown, a :class:`FollowedSessionChanged` when the selected mission's
newest session changes, and turns notifications into toasts and the terminal bell. The board
tells it what is selected and whether the panel is shown (two callables), and calls
:meth:`RuntimeHost.refollow` when sessions may have changed.

Nothing here polls the database while the board is idle: the panel's snapshot is taken when
the sidebar is shown and on runtime events (the board calls :meth:`refresh_panel`), the once
a second tick only compares in-memory status, and following the selection does nothing until
the selected card or the sessions change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from solo_unicorn_tui.config import load_settings
from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.runtime.agent_profiles import AgentProfiles
from solo_unicorn_tui.runtime.config_watch import ConfigWatch
from solo_unicorn_tui.runtime.core import Runtime
from solo_unicorn_tui.runtime.notifications import Notification
from solo_unicorn_tui.ui.errors import report_failure
from solo_unicorn_tui.ui.messages import (
    FollowedSessionChanged,
    RuntimeStatusChanged,
    SettingsChanged,
    WorkstationSnapshotChanged,
)
from solo_unicorn_tui.ui.runtime_bridge import RuntimeBridge
from solo_unicorn_tui.workspace import Workspace
from storage.errors import StorageError
from storage.repositories import list_repositories
from storage.sessions import list_sessions
from sync.errors import OfflineRunRefusedError

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel
    from textual.screen import Screen

    from solo_unicorn_tui.runtime.snapshot import RunningSession
    from storage.board_queries import CardRow

log = logging.getLogger(__name__)

PANEL_SECONDS = 1.0
FOLLOW_SECONDS = 0.3
#: How often the board asks whether the automatic worktree cleanup is due (it runs hourly).
CLEANUP_CHECK_SECONDS = 600.0
#: How often code-agents.json and config.json are checked for edits (two ``stat`` calls).
CONFIG_CHECK_SECONDS = 2.0
#: How the log pane's caption names a session's state.
SESSION_STATES = {
    "starting": "starting…",
    "active": "running",
    "completed": "ended",
    "failed": "failed",
    "cancelled": "cancelled",
}
SEVERITY: dict[str, SeverityLevel] = {
    "session_failed": "error",
    "needs_review": "warning",
    "session_completed": "information",
}


class RuntimeHost:
    def __init__(
        self,
        screen: Screen[None],
        workspace: Workspace,
        *,
        selected: Callable[[], CardRow | None],
        panel_shown: Callable[[], bool],
        detached: bool = True,
    ) -> None:
        """``detached``: sessions run in runners of their own, so quitting or a crash of the
        board stops no agent; without (the demo), they run in this process and end with it."""
        self.screen = screen
        self.workspace = workspace
        self._selected = selected
        self._panel_shown = panel_shown
        self.runtime = Runtime.from_workspace(workspace, detached=detached)
        #: Whether leaving the board stops its sessions: only when the quit dialog says so (a
        #: crash, or any other way out, keeps them running in their runners).
        self.stop_on_exit = not detached
        self.bridge: RuntimeBridge | None = None
        self._followed_mission: str | None = None
        self._config = ConfigWatch(workspace.home.agents_file, workspace.home.config_file)
        self._limit = 0
        self._status: tuple[bool, int, int] | None = None
        #: What the log pane was last told (caption, session id, log path): told once.
        self._followed: tuple[str, str | None, str | None] | None = None

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
        self.screen.set_interval(PANEL_SECONDS, self.post_status)
        self.screen.set_interval(CONFIG_CHECK_SECONDS, self.reload_changed_files)
        self.screen.set_interval(FOLLOW_SECONDS, self._follow_selection)
        self.screen.set_interval(CLEANUP_CHECK_SECONDS, self.runtime.clean_if_due)
        if self.workspace.settings.dispatch_on_start:
            self.runtime.start_dispatcher()
        await self.refresh_limit()
        await self.refresh_panel()

    async def refresh_limit(self) -> None:
        """How many sessions may run here: the linked repositories' limits, summed."""
        runtime = self.runtime
        links = await list_repositories(runtime.db, runtime.project_id, runtime.workstation_id)
        self._limit = sum(link.repository.max_concurrent_missions or 1 for link in links)
        self.post_status()

    def post_status(self) -> None:
        """The status line's runtime part, posted only when it changed (it is read from memory)."""
        status = (self.runtime.dispatcher_running, len(self.runtime.running()), self._limit)
        if status != self._status:
            self._status = status
            self.screen.post_message(RuntimeStatusChanged(*status))

    async def reload_changed_files(self) -> None:
        """Take in edits of code-agents.json and config.json made while the board runs."""
        home = self.workspace.home
        for path in self._config.changed():
            try:
                if path == home.agents_file:
                    self.runtime.profiles = AgentProfiles.load(home)
                    self.screen.notify("Agent profiles reloaded from code-agents.json")
                else:
                    settings = load_settings(home)
                    self.workspace.settings = settings
                    self.runtime.notifier.hook = settings.notifications.hook
                    self.screen.post_message(SettingsChanged(settings))
            except UserError as error:
                self.screen.notify(str(error), title="Not reloaded", severity="error")

    def _notified(self, notification: Notification) -> None:
        settings = self.workspace.settings.notifications
        if settings.toast:
            self.screen.notify(
                notification.message,
                title=notification.title,
                severity=SEVERITY.get(notification.kind, "information"),
            )
        if settings.bell:
            self.screen.app.bell()

    async def refresh_panel(self) -> None:
        """Take a snapshot for the panel, only while the sidebar shows it (it reads the DB)."""
        if not self._panel_shown():
            return
        try:
            snapshot = await self.runtime.snapshot()
        except Exception:
            log.exception("workstation snapshot failed")
            return
        self.screen.post_message(WorkstationSnapshotChanged(snapshot))

    async def run(self, mission_id: str, *, offline_ok: bool = False) -> str | None:
        """Run the mission now. Returns the refusal when the server is unreachable and offline
        runs are not allowed: the board asks the user, then calls again with ``offline_ok``."""
        handle = None
        with report_failure(self.screen, title="Cannot run the mission"):
            try:
                handle = await self.runtime.run_mission(mission_id, offline_ok=offline_ok)
            except OfflineRunRefusedError as refused:
                return str(refused)
        if handle is None:
            return None
        self.screen.notify(f"{handle.agent_name} started on stage {handle.stage}")
        self._followed_mission = None
        return None

    async def running_session(self, mission_id: str) -> RunningSession | None:
        """The mission's session running on this workstation: this board's own or another
        runner's (a board that quit and kept it, ``solo-unicorn work``)."""
        from solo_unicorn_tui.runtime.snapshot import session_of_handle, sessions_elsewhere

        for handle in self.runtime.running():
            if handle.mission_id == mission_id:
                return session_of_handle(handle)
        for session in await sessions_elsewhere(self.runtime):
            if session.mission_id == mission_id:
                return session
        return None

    def kept_running(self) -> int:
        """How many sessions this board started that still run (the quit dialog asks)."""
        return len(self.runtime.running())

    def cancel(self, mission_id: str) -> None:
        """Stop the mission's agent: this board's own session, or ask the runner that owns it."""
        from solo_unicorn_tui.runtime.runners import request_cancel

        if not self.runtime.cancel(mission_id):
            request_cancel(self.workspace.home, mission_id, "cancelled from the board")
        self.screen.notify("Stopping the agent…")

    async def finish(self, step: str, mission_id: str) -> str:
        """One step of closing the loop (:mod:`solo_unicorn_tui.runtime.finish`); its notice."""
        from solo_unicorn_tui.runtime import finish

        steps = {
            "merge": finish.merge,
            "push": finish.push_target,
            "pull_request": finish.open_pull_request,
            "clean_up": finish.clean_up,
        }
        return await steps[step](self.runtime, mission_id)

    async def toggle_dispatcher(self) -> None:
        if self.runtime.dispatcher_running:
            await self.runtime.stop_dispatcher()
            self.screen.notify("Dispatcher stopped: missions run only with r.")
        else:
            self.runtime.start_dispatcher()
            self.screen.notify("Dispatcher on: ready missions run by priority.")
        self.post_status()
        await self.refresh_panel()

    def refollow(self) -> None:
        """Look the selected mission's latest session up again (one started, ended or changed)."""
        self._followed_mission = None

    async def _follow_selection(self) -> None:
        """Tell the board which session the log pane shows, when the selection moved on."""
        card = self._selected()
        if card is None or card.id == self._followed_mission:
            return
        self._followed_mission = card.id
        sessions = await list_sessions(self.workspace.db, mission_id=card.id, limit=1)
        session = sessions[0] if sessions else None
        if session is None or not session.log_path:
            followed: tuple[str, str | None, str | None] = (
                f"{card.title} — no agent session yet (r runs it)",
                None,
                None,
            )
        else:
            state = SESSION_STATES.get(session.status, session.status)
            caption = f"{card.title} — {session.stage} · {session.code_agent_name} · {state}"
            followed = (caption, session.id, session.log_path)
        if followed == self._followed:
            return  # the pane already shows it: no message, no new layout of the caption
        self._followed = followed
        caption, session_id, log_path = followed
        self.screen.post_message(
            FollowedSessionChanged(
                caption, session_id, Path(log_path) if log_path is not None else None
            )
        )

    async def shutdown(self) -> None:
        if self.bridge is not None:
            self.bridge.close()
        await self.runtime.shutdown(cancel_running=self.stop_on_exit)
