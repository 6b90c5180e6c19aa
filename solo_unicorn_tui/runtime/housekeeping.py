"""Housekeeping beside the sessions: old worktrees, open pull requests, retention, Fallback.

:class:`Housekeeping` belongs to a :class:`~solo_unicorn_tui.runtime.core.Runtime`; the
dispatcher asks it every round (:meth:`~Housekeeping.clean_if_due`,
:meth:`~Housekeeping.refresh_pull_requests_if_due`, :meth:`~Housekeeping.prune_if_due`), each
doing its work at most once per period,
and the Fallback watch runs in the background while the dispatcher does.

The Fallback check is cheap when nothing is due (one indexed COUNT, see
``bench/fallback_backlog.py``), so the watch simply asks every ``interval`` seconds;
``run_fallback_check`` itself honours the project's cadence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from solo_unicorn_tui.config import Settings
from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.home import Home
from solo_unicorn_tui.runtime import worktrees as wt
from solo_unicorn_tui.runtime.agent_process import agent_environment
from solo_unicorn_tui.runtime.fallback_report import write_run_report
from solo_unicorn_tui.runtime.github.client import GitHubClient
from solo_unicorn_tui.runtime.retention import collect_garbage
from solo_unicorn_tui.runtime.worktree_setup import SetupError, run_script
from storage import worktrees as worktree_ops
from storage.database import Database
from storage.errors import StorageError
from storage.fallback import FallbackCheck, run_fallback_check
from storage.missions import done_mission_ids
from storage.models import GitWorktree
from storage.repositories import checkout_path
from storage.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CleanResult:
    worktree_id: str
    path: str
    branch: str
    removed: bool
    reason: str


class Housekeeping:
    """Worktree cleanup, pull request refresh and the Fallback watch of one workstation."""

    def __init__(
        self,
        *,
        db: Database,
        home: Home,
        settings: Settings,
        workstation_id: str,
        in_use: Callable[[], set[str]],
        github: Callable[[], GitHubClient],
    ) -> None:
        """``in_use`` names the missions with a running session; ``github`` makes a client."""
        self.db = db
        self.home = home
        self.settings = settings
        self.workstation_id = workstation_id
        self._in_use = in_use
        self._github = github
        self._last_cleanup: datetime | None = None
        self._last_pr_refresh: datetime | None = None
        self._last_prune: datetime | None = None
        self._prune_task: asyncio.Task[None] | None = None
        self._fallback_stop = asyncio.Event()
        self._fallback_task: asyncio.Task[int] | None = None

    # --- worktrees ---------------------------------------------------------------------------

    async def clean_worktrees(
        self, *, force: bool = False, idle_days: float | None = None, now: datetime | None = None
    ) -> list[CleanResult]:
        """Remove worktrees unused for ``idle_days`` (settings' default; 0 with force = all idle).

        Never one in use by a running session; never one with uncommitted changes or unpushed
        commits unless ``force``. A done mission's worktree goes however recently it was used.
        """
        days = self.settings.worktree_idle_days if idle_days is None else idle_days
        self._last_cleanup = now or utcnow()
        cutoff = self._last_cleanup - timedelta(days=days)
        running = self._in_use()
        done = await done_mission_ids(self.db)
        results = []
        for row in await worktree_ops.list_worktrees(self.db, self.workstation_id):
            used = row.last_used_at or row.created_at
            if row.mission_id in running or row.status == "in_use":
                results.append(_kept(row, "in use"))
            elif used > cutoff and row.mission_id not in done:
                results.append(_kept(row, "recently used"))
            else:
                results.append(await self._remove(row, force=force))
        return results

    async def clean_if_due(self, every: timedelta = timedelta(hours=1)) -> None:
        """The automatic cleanup: at most once per ``every``, by the configured idle time."""
        now = utcnow()
        if self._last_cleanup is None or now - self._last_cleanup >= every:
            try:
                await self.clean_worktrees(now=now)
            except Exception:
                log.exception("automatic worktree cleanup failed")

    async def clean_mission_worktree(self, row: GitWorktree) -> CleanResult:
        """Remove one mission's worktree now (the board's clean-up after a merge): never while
        a session uses it, never when it holds uncommitted or unmerged work."""
        if row.mission_id in self._in_use():
            return _kept(row, "a session is using it")
        return await self._remove(row, force=False)

    async def _remove(self, row: GitWorktree, *, force: bool) -> CleanResult:
        """Run the clean-up script and remove the worktree; a refusal keeps it, with why."""
        repo_path = await checkout_path(self.db, row.workstation_repository_id)
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
            return _kept(row, str(error))
        await worktree_ops.mark_removed(self.db, row.id)
        return CleanResult(row.id, row.worktree_path, row.branch, True, "removed")

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

    # --- pull requests -----------------------------------------------------------------------

    async def refresh_pull_requests_if_due(self, every: timedelta = timedelta(minutes=5)) -> int:
        """Refresh open pull requests (state, reviews, comments) at most once per ``every``.

        Nothing happens without open pull requests; a missing token or an unreachable GitHub is
        logged and tried again next time. Returns how many were refreshed.
        """
        now = utcnow()
        if self._last_pr_refresh is not None and now - self._last_pr_refresh < every:
            return 0
        self._last_pr_refresh = now
        try:
            # GitPython fails at import without a git binary; import it only where it is used.
            from solo_unicorn_tui.runtime.github.pr_refresh import refresh_open_pull_requests

            report = await refresh_open_pull_requests(self.db, self._github)
            if report.rate_limited:
                log.warning("pull request refresh stopped: %s", report.rate_limited)
            return report.refreshed
        except UserError as error:
            log.warning("pull request refresh skipped: %s", error)
        except Exception:
            log.exception("pull request refresh failed")
        return 0

    # --- retention ---------------------------------------------------------------------------

    def prune_if_due(self, every: timedelta = timedelta(hours=6)) -> asyncio.Task[None] | None:
        """Start ``solo-unicorn gc`` in the background at most once per ``every`` (the first
        time on the first round): a first prune of a long history takes a while, and the
        dispatcher keeps dispatching meanwhile. Returns the task when one started."""
        now = utcnow()
        if self._last_prune is not None and now - self._last_prune < every:
            return None
        if self._prune_task is not None and not self._prune_task.done():
            return None
        self._last_prune = now
        self._prune_task = asyncio.create_task(self._prune(now), name="prune")
        return self._prune_task

    async def _prune(self, now: datetime) -> None:
        try:
            report = await collect_garbage(
                self.db, self.home, self.settings, self.workstation_id, now=now
            )
        except Exception:
            log.exception("automatic pruning failed")
            return
        if (
            report.sessions
            or report.session_logs
            or report.fallback_runs
            or report.tombstones
            or report.app_logs
        ):
            log.info("pruned: %s", report.to_json())

    async def stop_pruning(self) -> None:
        """Stop a prune under way (what it committed stays: it writes in small batches)."""
        task, self._prune_task = self._prune_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- Mission Fallback --------------------------------------------------------------------

    def start_fallback_watch(self, project_id: str, interval: float) -> None:
        """Check the project's Fallback every ``interval`` seconds until stopped."""
        if self._fallback_task is not None and not self._fallback_task.done():
            return
        self._fallback_stop.clear()
        self._fallback_task = asyncio.create_task(
            watch_fallback(
                self.db, project_id, self._fallback_stop, interval=interval, on_run=self._reported
            ),
            name="fallback-watch",
        )

    async def _reported(self, check: FallbackCheck) -> None:
        """Each run's report goes into the repository (``solo-unicorn-docs/fallback/``)."""
        if check.run is not None:
            await write_run_report(self.db, check.run.id, self.workstation_id)

    async def stop_fallback_watch(self) -> None:
        self._fallback_stop.set()
        task, self._fallback_task = self._fallback_task, None
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _kept(row: GitWorktree, reason: str) -> CleanResult:
    return CleanResult(row.id, row.worktree_path, row.branch, False, reason)


async def watch_fallback(
    db: Database,
    project_id: str,
    stop: asyncio.Event,
    *,
    interval: float = 60.0,
    clock: Callable[[], datetime] = utcnow,
    on_run: Callable[[FallbackCheck], Awaitable[None]] | None = None,
) -> int:
    """Check until ``stop`` is set; return how many runs were made. ``on_run`` hears of each."""
    runs = 0
    while not stop.is_set():
        try:
            result = await run_fallback_check(db, project_id, now=clock())
        except StorageError as error:
            log.warning("fallback check failed: %s", error)
        else:
            if result.run is not None:
                runs += 1
                log.info("fallback run %s: %s", result.run.id, result.reason)
                if on_run is not None:
                    await on_run(result)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
    return runs
