"""The runtime facade: everything the board and ``solo-unicorn work`` ask of the local runtime.

Subscribe a listener for :mod:`.events`; run a mission now, cancel it, run the dispatcher once
or in the background, recover after a crash, take a :class:`WorkstationSnapshot` for the panel,
clean old worktrees. All methods run on the caller's asyncio loop; git work goes to threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from solo_unicorn_tui.config import Settings
from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.github_client import GitHubClient, client_from_settings
from solo_unicorn_tui.home import Home
from solo_unicorn_tui.runtime import worktrees as wt
from solo_unicorn_tui.runtime.agent_process import agent_environment
from solo_unicorn_tui.runtime.agent_profiles import AgentProfile, AgentProfiles
from solo_unicorn_tui.runtime.agents.rate_limits import limited_profiles
from solo_unicorn_tui.runtime.disk import disk_usage
from solo_unicorn_tui.runtime.dispatcher import Dispatcher
from solo_unicorn_tui.runtime.events import (
    DispatcherChanged,
    RuntimeEvent,
    RuntimeListener,
    SessionEnded,
)
from solo_unicorn_tui.runtime.notifications import Notifier, notification_for
from solo_unicorn_tui.runtime.recovery import RecoveredSession, recover_sessions
from solo_unicorn_tui.runtime.session_runner import ServerClaims, SessionHandle, SessionRunner
from solo_unicorn_tui.runtime.snapshot import (
    AgentState,
    RunningSession,
    WorkstationSnapshot,
    WorktreeState,
)
from solo_unicorn_tui.runtime.worktree_setup import SetupError, run_script
from storage import missions as mission_ops
from storage import worktrees as worktree_ops
from storage.database import Database
from storage.models import GitWorktree, Mission, Workstation
from storage.repositories import RepositoryLink, default_repository, get_repository
from storage.types import utcnow

if TYPE_CHECKING:
    from solo_unicorn_tui.workspace import Workspace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CleanResult:
    worktree_id: str
    path: str
    branch: str
    removed: bool
    reason: str


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
    ) -> None:
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
        self.runner = SessionRunner(
            db=db,
            home=home,
            workspace_dir=self.workspace_dir,
            workstation_id=workstation_id,
            max_recovery_attempts=settings.max_recovery_attempts,
            emit=self._emit,
            kill_grace_seconds=kill_grace_seconds,
            claims=claims,
            github=self.github_client,
        )
        self.dispatcher = Dispatcher(self, poll_seconds=poll_seconds)
        self.notifier = Notifier(settings.notifications.hook)
        self._notify_tasks: set[asyncio.Task[None]] = set()
        self._last_cleanup: datetime | None = None
        self._last_pr_refresh: datetime | None = None
        self.fallback_interval = fallback_interval
        self._fallback_stop = asyncio.Event()
        self._fallback_task: asyncio.Task[int] | None = None
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
            )
        return cls(
            db=ws.db,
            home=ws.home,
            settings=ws.settings,
            workstation_id=ws.identity.workstation_id,
            project_id=ws.project_id,
            workspace_dir=Path(ws.workspace_dir),
            **options,  # type: ignore[arg-type]
        )

    # --- listeners ---------------------------------------------------------------------------

    def subscribe(self, listener: RuntimeListener) -> RuntimeListener:
        """Call ``listener(event)`` for every runtime event; returns it for :meth:`unsubscribe`."""
        self._listeners.append(listener)
        return listener

    def unsubscribe(self, listener: RuntimeListener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def _emit(self, event: RuntimeEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("runtime listener %r failed on %s", listener, type(event).__name__)

    def _notify_on_end(self, event: RuntimeEvent) -> None:
        if not isinstance(event, SessionEnded):
            return
        notification = notification_for(event, self._titles.pop(event.mission_id, None))
        task = asyncio.create_task(self.notifier.notify(notification))
        self._notify_tasks.add(task)
        task.add_done_callback(self._notify_tasks.discard)

    # --- sessions ----------------------------------------------------------------------------

    def reload_profiles(self) -> None:
        self.profiles = AgentProfiles.load(self.home)

    def profile_for(self, mission: Mission) -> AgentProfile | None:
        if mission.code_agent_name:
            with contextlib.suppress(UserError):
                return self.profiles.get(mission.code_agent_name)
        return self.profiles.default()

    def running(self) -> list[SessionHandle]:
        return list(self._handles.values())

    def is_running(self, mission_id: str) -> bool:
        return mission_id in self._handles

    def running_count(self, profile_name: str) -> int:
        return sum(1 for h in self._handles.values() if h.agent_name == profile_name)

    def tasks(self) -> list[asyncio.Task[SessionEnded]]:
        return [h.task for h in self._handles.values() if h.task is not None]

    async def start(
        self, mission: Mission, repo: RepositoryLink, profile: AgentProfile, *, reason: str
    ) -> SessionHandle:
        """Claim the mission, then run its session in a task; return at once with the handle."""
        handle, claimed = await self.runner.claim(mission, repo, profile)
        self._handles[claimed.id] = handle
        self._titles[claimed.id] = claimed.title
        task = asyncio.create_task(
            self.runner.execute(handle, claimed, repo, profile, reason),
            name=f"session-{claimed.id}",
        )
        handle.task = task
        task.add_done_callback(lambda _t, mid=claimed.id: self._handles.pop(mid, None))
        return handle

    async def run_mission(
        self, mission_id: str, *, profile_name: str | None = None, reason: str = "run now"
    ) -> SessionHandle:
        """Run one mission now (the board's ``r``), ready or not; errors are one-line UserErrors."""
        if self.is_running(mission_id):
            raise UserError("this mission is already running here; cancel it first with 'c'")
        mission = await mission_ops.get_mission(self.db, mission_id)
        if mission.list == "done":
            raise UserError("the mission is done; move it back to Todo to run it again")
        if mission.repository_id:
            repo: RepositoryLink | None = await get_repository(
                self.db, mission.repository_id, self.workstation_id
            )
        else:
            repo = await default_repository(self.db, mission.project_id, self.workstation_id)
        if repo is None or repo.local is None:
            raise UserError("no repository is linked here; run 'solo-unicorn repo add PATH' first")
        profile = self.profiles.get(profile_name) if profile_name else self.profile_for(mission)
        if profile is None:
            raise UserError("no agent profile is available; add one with 'solo-unicorn agent add'")
        return await self.start(mission, repo, profile, reason=reason)

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
        from solo_unicorn_tui.fallback_watch import watch_fallback

        self._fallback_stop.clear()
        self._fallback_task = asyncio.create_task(
            watch_fallback(
                self.db, self.project_id, self._fallback_stop, interval=self.fallback_interval
            ),
            name="fallback-watch",
        )
        self._emit(DispatcherChanged(running=True))

    async def stop_dispatcher(self) -> None:
        if self._dispatch_task is None:
            return
        self.dispatcher.stop()
        self._fallback_stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self._dispatch_task
            if self._fallback_task is not None:
                await self._fallback_task
        self._dispatch_task = None
        self._fallback_task = None
        self._emit(DispatcherChanged(running=False))

    async def shutdown(self, *, cancel_running: bool = True) -> None:
        await self.stop_dispatcher()
        if cancel_running:
            for handle in self.running():
                handle.cancel("the app is shutting down")
        await self.wait_idle()

    async def announce(self, status: str = "online") -> None:
        """Publish this workstation's available agents and status on its replicated row."""
        from storage.workstations import announce_workstation

        agents = [
            {"name": p.name, "type": p.type, "max_concurrency": p.max_concurrency}
            for p in self.profiles.all()
            if p.available
        ]
        await announce_workstation(
            self.db, self.workstation_id, available_code_agents=agents, status=status
        )

    # --- recovery and worktrees --------------------------------------------------------------

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
        """Remove worktrees unused for ``idle_days`` (settings' default; 0 with force = all idle).

        Never one in use by a running session; never one with uncommitted changes or unpushed
        commits unless ``force``.
        """
        days = self.settings.worktree_idle_days if idle_days is None else idle_days
        self._last_cleanup = now or utcnow()
        cutoff = self._last_cleanup - timedelta(days=days)
        running = {h.mission_id for h in self.running()}
        done = await self._done_missions()
        results = []
        for row in await worktree_ops.list_worktrees(self.db, self.workstation_id):
            used = row.last_used_at or row.created_at
            if row.mission_id in running or row.status == "in_use":
                results.append(CleanResult(row.id, row.worktree_path, row.branch, False, "in use"))
                continue
            if used > cutoff and row.mission_id not in done:
                results.append(
                    CleanResult(row.id, row.worktree_path, row.branch, False, "recently used")
                )
                continue
            repo_path = await self._repo_path_of(row.workstation_repository_id)
            try:
                if repo_path is None:
                    raise UserError("its repository is no longer linked here")
                await asyncio.to_thread(
                    wt.check_removable, Path(row.worktree_path), row.base_branch, force=force
                )
                await self._run_cleanup_script(row)
                await asyncio.to_thread(
                    wt.remove_worktree, repo_path, row.worktree_path, row.base_branch, force=force
                )
            except UserError as error:
                results.append(
                    CleanResult(row.id, row.worktree_path, row.branch, False, str(error))
                )
                continue
            await worktree_ops.mark_removed(self.db, row.id)
            results.append(CleanResult(row.id, row.worktree_path, row.branch, True, "removed"))
        return results

    async def clean_if_due(self, every: timedelta = timedelta(hours=1)) -> None:
        """The automatic cleanup: at most once per ``every``, by the configured idle time."""
        now = utcnow()
        if self._last_cleanup is None or now - self._last_cleanup >= every:
            try:
                await self.clean_worktrees(now=now)
            except Exception:
                log.exception("automatic worktree cleanup failed")

    def github_client(self) -> GitHubClient:
        """A GitHub client for PR mode; raises UserError when no token is stored."""
        return client_from_settings(self.settings.github_api_url)

    async def refresh_pull_requests_if_due(self, every: timedelta = timedelta(minutes=5)) -> int:
        """Refresh the state of open pull requests (merged, closed) at most once per ``every``.

        Nothing happens without open pull requests; a missing token or an unreachable GitHub is
        logged and tried again next time. Returns how many were refreshed.
        """
        now = utcnow()
        if self._last_pr_refresh is not None and now - self._last_pr_refresh < every:
            return 0
        self._last_pr_refresh = now
        try:
            # GitPython fails at import without a git binary; import it only where it is used.
            from solo_unicorn_tui.pr_mode import refresh_open_pull_requests

            return await refresh_open_pull_requests(self.db, self.github_client)
        except UserError as error:
            log.warning("pull request refresh skipped: %s", error)
        except Exception:
            log.exception("pull request refresh failed")
        return 0

    async def _done_missions(self) -> set[str]:
        from sqlalchemy import select

        table = Mission.__table__
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(table.c.id).where(table.c.list == "done", table.c.deleted.is_(False))
            )
            return set(rows.scalars())

    async def _run_cleanup_script(self, row: GitWorktree) -> None:
        """Run the repository's ``cleanup_script`` in the worktree before it goes.

        A failing clean-up keeps the worktree (as a UserError the cleanup report shows).
        """
        script = await worktree_ops.cleanup_script_for(self.db, row.workstation_repository_id)
        if not script or not Path(row.worktree_path).is_dir():
            return
        log_file = self.home.logs_dir / f"cleanup-{row.id}.log"
        try:
            await run_script(
                script,
                Path(row.worktree_path),
                log_file,
                name="cleanup_script",
                env=agent_environment({}, {}),
            )
        except SetupError as error:
            raise UserError(f"{error}; worktree kept (log: {log_file})") from None

    async def _repo_path_of(self, workstation_repository_id: str) -> str | None:
        from sqlalchemy import select

        from storage.models import WorkstationRepository

        table = WorkstationRepository.__table__
        async with self.db.read() as conn:
            return (
                await conn.execute(
                    select(table.c.main_path).where(table.c.id == workstation_repository_id)
                )
            ).scalar_one_or_none()

    # --- the panel's picture -----------------------------------------------------------------

    async def snapshot(self, *, with_git_status: bool = True) -> WorkstationSnapshot:
        """A plain picture of this workstation; git status is read in a thread."""
        name = await self._workstation_name()
        default = self.profiles.default()
        from storage.agent_stats import agent_stats

        stats = {row.agent: row for row in await agent_stats(self.db, self.project_id)}
        limits = await limited_profiles(self.db, self.workstation_id)
        agents = tuple(
            AgentState(
                name=p.name,
                type=p.type,
                available=p.available,
                running=self.running_count(p.name),
                max_concurrency=p.max_concurrency,
                is_default=default is not None and p.name == default.name,
                missions_completed=stats[p.name].missions_completed if p.name in stats else 0,
                failure_rate=stats[p.name].failure_rate if p.name in stats else None,
                rate_limited_until=limits[p.name].reset_at if p.name in limits else None,
                rate_limit_reason=limits[p.name].reason if p.name in limits else None,
            )
            for p in self.profiles.all()
        )
        sessions = tuple(
            RunningSession(
                session_id=h.session_id or "",
                mission_id=h.mission_id,
                mission_title=h.mission_title,
                agent_name=h.agent_name,
                stage=h.stage,
                started_at=h.started_at,
                pid=h.pid,
                log_path=h.log_path or "",
            )
            for h in self.running()
        )
        rows = await worktree_ops.list_worktrees(self.db, self.workstation_id)

        def statuses() -> list[wt.WorktreeStatus]:
            return [
                wt.worktree_status(r.worktree_path, r.base_branch)
                if with_git_status
                else wt.WorktreeStatus(True, False, 0, r.branch)
                for r in rows
            ]

        found = await asyncio.to_thread(statuses)
        sizes = (
            await asyncio.to_thread(lambda: [disk_usage(Path(r.worktree_path)) for r in rows])
            if with_git_status
            else [None] * len(rows)
        )
        worktrees = tuple(
            WorktreeState(
                worktree_id=r.id,
                mission_id=r.mission_id,
                branch=r.branch,
                path=r.worktree_path,
                status=r.status if s.exists else "missing",
                dirty=s.dirty,
                unpushed=s.unpushed,
                last_used_at=r.last_used_at,
                created_at=r.created_at,
                size_bytes=size,
            )
            for r, s, size in zip(rows, found, sizes, strict=True)
        )
        return WorkstationSnapshot(
            workstation_id=self.workstation_id,
            workstation_name=name,
            dispatcher_running=self.dispatcher_running,
            taken_at=utcnow(),
            agents=agents,
            sessions=sessions,
            worktrees=worktrees,
        )

    async def _workstation_name(self) -> str:
        from sqlalchemy import select

        table = Workstation.__table__
        async with self.db.read() as conn:
            name = (
                await conn.execute(select(table.c.name).where(table.c.id == self.workstation_id))
            ).scalar_one_or_none()
        return name or self.workstation_id
