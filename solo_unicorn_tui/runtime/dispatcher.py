"""The dispatcher: picks the next missions and starts them within every limit.

Next mission = ready, in Todo or Doing, not deleted, not blocked by an unfinished ``blocks``
dependency, not claimed; ordered by priority (highest first), then list order. A mission starts
only when its repository is under ``max_concurrent_missions`` and its agent profile has a free slot
and is not rate-limited (:mod:`.agents.rate_limits`; such a mission waits for the reset, then
starts by itself).
With a sync server configured but unreachable, no mission starts unless offline runs are
allowed (``allow_offline_runs``); the dispatcher says so once (a :class:`DispatcherWaiting`
event and one log line), not on every round.
A mission that failed is not retried at once: within :meth:`Dispatcher.run_once` not at all, and
under :meth:`Dispatcher.run_forever` after a growing delay.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.runtime.agents.rate_limits import limited_profiles
from solo_unicorn_tui.runtime.events import DispatcherWaiting, RuntimeEvent, SessionEnded
from storage import missions as mission_ops
from storage import sessions as session_ops
from storage.errors import ConflictError, NotFoundError
from storage.repositories import list_repositories
from sync.errors import OfflineRunRefusedError

if TYPE_CHECKING:
    from solo_unicorn_tui.runtime.core import Runtime
    from solo_unicorn_tui.runtime.session_runner import SessionHandle
    from storage.models import Mission

log = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 15.0
RETRY_MAX_SECONDS = 600.0
#: Listings in one dispatch round: each claim that finds this replica stale pulls, then lists again.
MAX_RELISTS = 8


class Dispatcher:
    def __init__(self, runtime: Runtime, *, poll_seconds: float = 2.0) -> None:
        self.runtime = runtime
        self.poll_seconds = poll_seconds
        self.not_before: dict[str, float] = {}
        self.failures: dict[str, int] = {}
        self.idle_reason: str | None = None
        #: The waiting reason last said (a DispatcherWaiting event), so it is said once.
        self.said: str | None = None
        self.ended: list[SessionEnded] = []
        self._stop = asyncio.Event()
        runtime.subscribe(self._on_event)

    async def start_available(
        self, skip: set[str] | None = None, *, backoff: bool = True
    ) -> list[SessionHandle]:
        """Start every mission that may start now; return their handles.

        With ``backoff``, a mission that failed recently waits out its retry delay.
        """
        started: list[SessionHandle] = []
        self.idle_reason = None
        for _ in range(MAX_RELISTS):
            if not await self._start_listed(started, skip or set(), backoff=backoff):
                break
        return started

    async def _start_listed(
        self, started: list[SessionHandle], skip: set[str], *, backoff: bool
    ) -> bool:
        """One pass over the dispatchable missions, appending what started to ``started``.

        True when a claim found this replica stale: the claim pulled the server's version, so
        the rest of this listing (read before the pull) may hold missions that already ran
        elsewhere; the caller lists again instead of claiming them on that old view.
        """
        from sync.claims import StaleClaimError  # asyncpg is loaded only when claims are made

        runtime = self.runtime
        now = time.monotonic()
        links = await list_repositories(runtime.db, runtime.project_id, runtime.workstation_id)
        repos = {link.id: link for link in links}
        default = links[0] if links else None
        limited = await limited_profiles(runtime.db, runtime.workstation_id)
        for mission in await session_ops.dispatchable_missions(runtime.db, runtime.project_id):
            if mission.id in skip or (backoff and self.not_before.get(mission.id, 0.0) > now):
                continue
            if runtime.is_running(mission.id):
                continue
            repo = repos.get(mission.repository_id) if mission.repository_id else default
            if repo is None or repo.local is None:
                self.idle_reason = "no repository linked here; run 'solo-unicorn repo add PATH'"
                continue
            limit = repo.repository.max_concurrent_missions or 1
            if await session_ops.running_on_repository(runtime.db, repo.id) >= limit:
                continue
            try:
                profile = await runtime.profile_for(mission)
            except UserError as error:
                self.idle_reason = str(error)
                continue
            if profile is None:
                self.idle_reason = (
                    "no agent profile available; add one with 'solo-unicorn agent add'"
                )
                continue
            if profile.name in limited:
                reset = limited[profile.name].reset_at
                self.idle_reason = (
                    f"agent {profile.name!r} is rate-limited until {reset:%Y-%m-%d %H:%M:%S} UTC"
                )
                continue
            if runtime.running_count(profile.name) >= profile.max_concurrency:
                continue
            if await self._moved_since_listed(mission):
                return True
            try:
                started.append(await runtime.start(mission, repo, profile, reason="dispatched"))
            except OfflineRunRefusedError as error:
                self.idle_reason = str(error)
                self._say(str(error))
                return False  # no other mission may start offline either
            except StaleClaimError:
                return True
            except ConflictError:
                continue
            self.said = None
        return False

    async def _moved_since_listed(self, mission: Mission) -> bool:
        """Whether the mission changed since it was listed (an earlier claim in this pass
        pulled the server's version): claiming it on the new view would re-run a stage that
        already ran elsewhere, so the caller lists again."""
        try:
            now = await mission_ops.get_mission(self.runtime.db, mission.id)
        except NotFoundError:
            return True
        return (now.list, now.stage, now.ready, now.claimed_by_workstation_id) != (
            mission.list,
            mission.stage,
            mission.ready,
            mission.claimed_by_workstation_id,
        )

    def _say(self, reason: str) -> None:
        if reason == self.said:
            return
        self.said = reason
        log.warning("dispatcher waiting: %s", reason)
        self.runtime.emit(DispatcherWaiting(reason))

    def _on_event(self, event: RuntimeEvent) -> None:
        if not isinstance(event, SessionEnded):
            return
        self.ended.append(event)
        if event.status in ("completed", session_ops.RATE_LIMITED):
            self.not_before.pop(event.mission_id, None)
            self.failures.pop(event.mission_id, None)
            return
        count = self.failures[event.mission_id] = self.failures.get(event.mission_id, 0) + 1
        delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (count - 1))
        self.not_before[event.mission_id] = time.monotonic() + delay

    async def run_once(self) -> list[SessionEnded]:
        """Run every dispatchable mission (through all its stages) to completion, then return.

        A mission that fails is not started again in the same run.
        """
        first = len(self.ended)
        while True:
            failed = {e.mission_id for e in self.ended[first:] if e.status != "completed"}
            await self.start_available(skip=failed, backoff=False)
            tasks = self.runtime.tasks()
            if not tasks:
                return self.ended[first:]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)

    async def run_forever(self) -> None:
        """Dispatch until :meth:`stop`; sessions still running at stop keep running."""
        self._stop.clear()
        stop = asyncio.create_task(self._stop.wait())
        try:
            while not self._stop.is_set():
                self.ended.clear()
                try:
                    await self.start_available()
                    await self.runtime.clean_if_due()
                    await self.runtime.refresh_pull_requests_if_due()
                    self.runtime.housekeeping.prune_if_due()
                except Exception:
                    log.exception("dispatch round failed")
                await asyncio.wait(
                    {stop, *self.runtime.tasks()},
                    timeout=self.poll_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
        finally:
            stop.cancel()

    def stop(self) -> None:
        self._stop.set()
