"""The runtime facade: everything the board and ``solo-unicorn work`` ask of the local runtime.

Subscribe a listener for :mod:`.events`; run a mission now, cancel it, run the dispatcher once
or in the background, recover after a crash. Worktree cleanup, pull request refresh and the
Fallback watch are :mod:`.housekeeping`; the panel's picture is :mod:`.snapshot`. All methods run
on the caller's asyncio loop; git work goes to threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from solo_unicorn_tui.config import Settings
from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.home import Home
from solo_unicorn_tui.runtime.agent_profiles import AgentProfile, AgentProfiles
from solo_unicorn_tui.runtime.detached import DetachedRunner
from solo_unicorn_tui.runtime.dispatcher import Dispatcher
from solo_unicorn_tui.runtime.events import (
    DispatcherChanged,
    RuntimeEvent,
    RuntimeListener,
    SessionEnded,
)
from solo_unicorn_tui.runtime.github.client import GitHubClient, client_from_settings
from solo_unicorn_tui.runtime.housekeeping import CleanResult, Housekeeping
from solo_unicorn_tui.runtime.notifications import Notifier, notification_for
from solo_unicorn_tui.runtime.recovery import RecoveredSession, recover_sessions
from solo_unicorn_tui.runtime.runners import clear_request, take_request
from solo_unicorn_tui.runtime.session_runner import ServerClaims, SessionHandle, SessionRunner
from solo_unicorn_tui.runtime.snapshot import WorkstationSnapshot, take_snapshot
from storage import missions as mission_ops
from storage.database import Database
from storage.models import Mission
from storage.repositories import RepositoryLink, default_repository, get_repository

if TYPE_CHECKING:
    from solo_unicorn_tui.workspace import Workspace

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self,
        *,
        db: Database,
        home: Home,
        settings: Settings,
        workstation_id: str,
        project_id: str,
        workspace_dir: Path,
        profiles: AgentProfiles | None = None,
        kill_grace_seconds: float = 5.0,
        poll_seconds: float = 2.0,
        claims: ServerClaims | None = None,
        fallback_interval: float = 60.0,
        detached: bool = False,
    ) -> None:
        """``detached``: every session runs in its own ``solo-unicorn work`` process that
        outlives this one (the board); otherwise sessions run in this process (``work``)."""
        self.db = db
        self.home = home
        self.settings = settings
        self.workstation_id = workstation_id
        self.project_id = project_id
        self.workspace_dir = Path(workspace_dir)
        self.profiles = profiles or AgentProfiles.load(home)
        self._listeners: list[RuntimeListener] = []
        self._handles: dict[str, SessionHandle] = {}
        self._titles: dict[str, str] = {}
        self._dispatch_task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self.runner = SessionRunner(
            db=db,
            home=home,
            workspace_dir=self.workspace_dir,
            workstation_id=workstation_id,
            max_recovery_attempts=settings.max_recovery_attempts,
            emit=self.emit,
            kill_grace_seconds=kill_grace_seconds,
            claims=claims,
            github=self.github_client,
        )
        self.detached: DetachedRunner | None = (
            DetachedRunner(
                db=db,
                home=home,
                workstation_id=workstation_id,
                max_recovery_attempts=settings.max_recovery_attempts,
                emit=self.emit,
            )
            if detached
            else None
        )
        self._cancel_watch: asyncio.Task[None] | None = None
        self.dispatcher = Dispatcher(self, poll_seconds=poll_seconds)
        self.notifier = Notifier(settings.notifications.hook)
        self._notify_tasks: set[asyncio.Task[None]] = set()
        #: Whether a session's end is announced here (a detached runner leaves it to the board
        #: that started it while that board still watches).
        self.notify_when: Callable[[], bool] = lambda: True
        self.fallback_interval = fallback_interval
        self.housekeeping = Housekeeping(
            db=db,
            home=home,
            settings=settings,
            workstation_id=workstation_id,
            in_use=lambda: {h.mission_id for h in self.running()},
            github=self.github_client,
        )
        self.subscribe(self._notify_on_end)

    @classmethod
    def from_workspace(cls, ws: Workspace, **options: object) -> Runtime:
        """A runtime on this workspace; with a server configured, claims are taken there."""
        if ws.settings.server_url and "claims" not in options:
            from solo_unicorn_tui.secrets import SERVER_PASSWORD, get_secret
            from sync.claims import ClaimClient

            options["claims"] = ClaimClient(
                ws.db,
                ws.settings.server_url,
                get_secret(SERVER_PASSWORD),
                ws.identity.organization_id,
                ws.identity.workstation_id,
                allow_offline=ws.settings.allow_offline_runs,
            )
        return cls(
            db=ws.db,
            home=ws.home,
            settings=ws.settings,
            workstation_id=ws.identity.workstation_id,
            project_id=ws.project_id,
            workspace_dir=Path(ws.workspace_dir),
            **options,  # type: ignore[arg-type]  # the constructor's own keywords (claims, runner…)
        )

    # --- listeners ---------------------------------------------------------------------------

    def subscribe(self, listener: RuntimeListener) -> RuntimeListener:
        """Call ``listener(event)`` for every runtime event; returns it for :meth:`unsubscribe`."""
        self._listeners.append(listener)
        return listener

    def unsubscribe(self, listener: RuntimeListener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def emit(self, event: RuntimeEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("runtime listener %r failed on %s", listener, type(event).__name__)

    def _notify_on_end(self, event: RuntimeEvent) -> None:
        if not isinstance(event, SessionEnded) or not self.notify_when():
            return
        notification = notification_for(event, self._titles.pop(event.mission_id, None))
        task = asyncio.create_task(self.notifier.notify(notification))
        self._notify_tasks.add(task)
        task.add_done_callback(self._notify_tasks.discard)

    # --- sessions ----------------------------------------------------------------------------

    async def profile_for(self, mission: Mission) -> AgentProfile | None:
        """The profile for the mission's current stage (:mod:`storage.agent_choice`), None when
        no profile is available; a named profile this workstation lacks is a UserError."""
        from storage.agent_choice import agent_for_mission

        choice = await agent_for_mission(self.db, mission.id)
        if choice.name is None:
            return self.profiles.default()
        try:
            return self.profiles.get(choice.name)
        except UserError:
            raise UserError(
                f"the mission asks for {choice.describe()}, which this workstation does not "
                "have; add it with 'solo-unicorn agent add' or change the mission's agent"
            ) from None

    def running(self) -> list[SessionHandle]:
        return list(self._handles.values())

    def is_running(self, mission_id: str) -> bool:
        return mission_id in self._handles

    def running_count(self, profile_name: str) -> int:
        return sum(1 for h in self._handles.values() if h.agent_name == profile_name)

    def tasks(self) -> list[asyncio.Task[SessionEnded]]:
        return [h.task for h in self._handles.values() if h.task is not None]

    async def start(
        self,
        mission: Mission,
        repo: RepositoryLink,
        profile: AgentProfile,
        *,
        reason: str,
        offline_ok: bool = False,
    ) -> SessionHandle:
        """Claim the mission, then run its session in a task; return at once with the handle.

        Raises :class:`sync.errors.OfflineRunRefusedError` when the server is unreachable and
        offline runs are not allowed (``offline_ok``: the user confirmed this one)."""
        handle, claimed = await self.runner.claim(mission, repo, profile, offline_ok=offline_ok)
        clear_request(self.home, claimed.id)
        execute = self.detached.execute if self.detached else self.runner.execute
        self._track(handle, claimed.title, execute(handle, claimed, repo, profile, reason))
        return handle

    def _track(
        self, handle: SessionHandle, title: str, work: Coroutine[object, object, SessionEnded]
    ) -> None:
        mission_id = handle.mission_id
        self._handles[mission_id] = handle
        self._titles[mission_id] = title
        task = asyncio.create_task(work, name=f"session-{mission_id}")
        handle.task = task
        task.add_done_callback(lambda _t: self._handles.pop(mission_id, None))
        if self._cancel_watch is None or self._cancel_watch.done():
            self._cancel_watch = asyncio.create_task(self._watch_cancel_requests())

    async def _watch_cancel_requests(self, every: float = 0.25) -> None:
        """Honour cancel requests other processes leave for the sessions this process runs."""
        while self._handles:
            for mission_id, handle in list(self._handles.items()):
                if not handle.detached and (reason := take_request(self.home, mission_id)):
                    handle.cancel(reason)
            await asyncio.sleep(every)

    async def run_claimed(
        self, mission_id: str, *, session_id: str | None = None, reason: str = "run now"
    ) -> SessionEnded:
        """Run the session of a mission this workstation has claimed already (a detached
        runner: its starter claimed it and named the session)."""
        mission = await mission_ops.get_mission(self.db, mission_id)
        if mission.claimed_by_workstation_id != self.workstation_id:
            raise UserError(f"mission {mission_id} is not claimed by this workstation")
        repo = await self._repository(mission)
        profile = self.profiles.get(mission.code_agent_name) if mission.code_agent_name else None
        if profile is None:
            raise UserError(f"mission {mission_id} names no agent profile to run")
        handle = SessionHandle.for_claimed(mission, profile.name, repo.id)
        handle.planned_session_id = session_id
        self._track(
            handle, mission.title, self.runner.execute(handle, mission, repo, profile, reason)
        )
        assert handle.task is not None
        return await handle.task

    async def _repository(self, mission: Mission) -> RepositoryLink:
        if mission.repository_id:
            repo: RepositoryLink | None = await get_repository(
                self.db, mission.repository_id, self.workstation_id
            )
        else:
            repo = await default_repository(self.db, mission.project_id, self.workstation_id)
        if repo is None or repo.local is None:
            raise UserError("no repository is linked here; run 'solo-unicorn repo add PATH' first")
        return repo

    async def run_mission(
        self,
        mission_id: str,
        *,
        profile_name: str | None = None,
        reason: str = "run now",
        offline_ok: bool = False,
    ) -> SessionHandle:
        """Run one mission now (the board's ``r``), ready or not; errors are one-line UserErrors.

        When the server's mission had moved on (this replica was stale), the claim pulled it:
        decide once more on the caught-up mission."""
        from sync.claims import StaleClaimError

        try:
            return await self._run_mission(mission_id, profile_name, reason, offline_ok)
        except StaleClaimError:
            return await self._run_mission(mission_id, profile_name, reason, offline_ok)

    async def _run_mission(
        self, mission_id: str, profile_name: str | None, reason: str, offline_ok: bool
    ) -> SessionHandle:
        if self.is_running(mission_id):
            raise UserError("this mission is already running here; cancel it first with 'c'")
        mission = await mission_ops.get_mission(self.db, mission_id)
        if mission.list == "done":
            raise UserError("the mission is done; move it back to Todo to run it again")
        repo = await self._repository(mission)
        profile: AgentProfile | None
        if profile_name:
            profile = self.profiles.get(profile_name)
        else:
            profile = await self.profile_for(mission)
        if profile is None:
            raise UserError("no agent profile is available; add one with 'solo-unicorn agent add'")
        return await self.start(mission, repo, profile, reason=reason, offline_ok=offline_ok)

    def cancel(self, mission_id: str, reason: str = "cancelled by the user") -> bool:
        """Stop the mission's running session (its whole process group); False when none."""
        handle = self._handles.get(mission_id)
        if handle is None:
            return False
        handle.cancel(reason)
        return True

    async def wait_idle(self) -> None:
        while tasks := self.tasks():
            await asyncio.wait(tasks)
        if self._notify_tasks:
            await asyncio.wait(list(self._notify_tasks))

    # --- dispatcher --------------------------------------------------------------------------

    async def run_once(self) -> list[SessionEnded]:
        return await self.dispatcher.run_once()

    @property
    def dispatcher_running(self) -> bool:
        return self._dispatch_task is not None and not self._dispatch_task.done()

    def start_dispatcher(self) -> None:
        if self.dispatcher_running:
            return
        self._dispatch_task = asyncio.create_task(self.dispatcher.run_forever(), name="dispatcher")
        # Mission Fallback refills a low backlog while missions are being dispatched.
        self.housekeeping.start_fallback_watch(self.project_id, self.fallback_interval)
        self.emit(DispatcherChanged(running=True))

    async def stop_dispatcher(self) -> None:
        if self._dispatch_task is None:
            return
        self.dispatcher.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await self._dispatch_task
        await self.housekeeping.stop_fallback_watch()
        await self.housekeeping.stop_pruning()
        self._dispatch_task = None
        self.emit(DispatcherChanged(running=False))

    async def shutdown(self, *, cancel_running: bool = True) -> None:
        """Stop the dispatcher; cancel running sessions, or keep them: a detached session's
        runner carries on alone (only watching it stops); one in this process cannot."""
        await self.stop_dispatcher()
        for handle in self.running():
            if cancel_running or not handle.detached:
                handle.cancel("the app is shutting down")
            elif handle.task is not None:
                handle.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.wait_idle()
        if self._cancel_watch is not None:
            self._cancel_watch.cancel()
        await self.go_offline()

    # --- presence ------------------------------------------------------------------------------

    async def announce(self, status: str = "online") -> None:
        """Publish this workstation's available agents and status on its replicated row.

        Online, it then heartbeats every ``heartbeat_seconds`` until :meth:`go_offline` (which
        :meth:`shutdown` calls), so other workstations see it online while this process lives.
        """
        from storage.workstations import announce_workstation

        agents = [
            {"name": p.name, "type": p.type, "max_concurrency": p.max_concurrency}
            for p in self.profiles.all()
            if p.available
        ]
        await announce_workstation(
            self.db, self.workstation_id, available_code_agents=agents, status=status
        )
        if status == "online" and (self._heartbeat_task is None or self._heartbeat_task.done()):
            self._heartbeat_task = asyncio.create_task(self._heartbeat(), name="heartbeat")

    async def _heartbeat(self) -> None:
        from storage.workstations import heartbeat

        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            try:
                await heartbeat(self.db, self.workstation_id)
            except Exception:
                log.exception("workstation heartbeat failed")

    async def go_offline(self) -> None:
        """Stop heartbeating and mark this workstation offline (only if it announced itself)."""
        from storage.workstations import mark_offline

        task, self._heartbeat_task = self._heartbeat_task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        try:
            await mark_offline(self.db, self.workstation_id)
        except Exception:
            log.exception("marking the workstation offline failed")

    # --- recovery and housekeeping --------------------------------------------------------------

    async def recover(self) -> list[RecoveredSession]:
        return await recover_sessions(
            self.db,
            self.home,
            self.workstation_id,
            max_recovery_attempts=self.settings.max_recovery_attempts,
        )

    async def clean_worktrees(
        self, *, force: bool = False, idle_days: float | None = None, now: datetime | None = None
    ) -> list[CleanResult]:
        """:meth:`Housekeeping.clean_worktrees` (``solo-unicorn worktree clean``)."""
        return await self.housekeeping.clean_worktrees(force=force, idle_days=idle_days, now=now)

    async def clean_if_due(self, every: timedelta = timedelta(hours=1)) -> None:
        await self.housekeeping.clean_if_due(every)

    async def refresh_pull_requests_if_due(self, every: timedelta = timedelta(minutes=5)) -> int:
        return await self.housekeeping.refresh_pull_requests_if_due(every)

    def github_client(self) -> GitHubClient:
        """A GitHub client for PR mode; raises UserError when no token is stored."""
        return client_from_settings(self.settings.github_api_url)

    # --- the panel's picture -----------------------------------------------------------------

    async def snapshot(self, *, with_git_status: bool = True) -> WorkstationSnapshot:
        """A plain picture of this workstation (:func:`.snapshot.take_snapshot`)."""
        return await take_snapshot(self, with_git_status=with_git_status)
