"""One agent session from claim to result: worktree, prompt, process, record, advance.

:meth:`SessionRunner.claim` takes the mission (so the dispatcher's counts are right before the
next pick); :meth:`SessionRunner.execute` does the rest and never leaves a claim dangling: any
failure ends in a recorded session and a requeued mission.

While the agent runs, the runner holds an exclusive ``flock`` on ``sessions/{id}.lock``; recovery
takes that lock to tell a live runner (another process on this machine) from a dead one.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Protocol

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.github_client import GitHubClient
from solo_unicorn_tui.home import Home
from solo_unicorn_tui.runtime import worktrees as wt
from solo_unicorn_tui.runtime.agent_process import (
    AgentProcess,
    AgentStartError,
    ProcessResult,
    agent_environment,
)
from solo_unicorn_tui.runtime.agent_profiles import AgentProfile
from solo_unicorn_tui.runtime.agents.builtin_openai import prepare_launch, session_folder
from solo_unicorn_tui.runtime.agents.rate_limits import (
    SessionWatch,
    first_rate_limit,
    record_rate_limit,
)
from solo_unicorn_tui.runtime.base_branch import refresh_target
from solo_unicorn_tui.runtime.events import (
    RuntimeEvent,
    SessionEnded,
    SessionOutput,
    SessionStarted,
)
from solo_unicorn_tui.runtime.usage import Usage, UsageParser
from solo_unicorn_tui.runtime.worktree_setup import (
    SetupError,
    copy_included_files,
    include_patterns,
    run_script,
)
from storage import missions as mission_ops
from storage import sessions as session_ops
from storage import worktrees as worktree_ops
from storage.database import Database
from storage.documents import sync_documents_from_worktree
from storage.errors import ConflictError
from storage.ids import new_id
from storage.mission_context import mission_context, render_prompt
from storage.models import Mission
from storage.repositories import RepositoryLink
from storage.sessions import SessionOutcome
from storage.types import utcnow

log = logging.getLogger(__name__)

#: A claim outlives the agent's timeout by this much, then anyone may take the mission again.
LEASE_MARGIN_SECONDS = 300.0


@dataclass
class SessionHandle:
    """A mission being run by this process: what the panel shows and what ``cancel`` reaches."""

    mission_id: str
    mission_title: str
    agent_name: str
    stage: str
    repository_id: str
    started_at: datetime
    session_id: str | None = None
    pid: int | None = None
    log_path: str | None = None
    process: AgentProcess | None = field(default=None, repr=False)
    cancel_reason: str | None = None
    task: asyncio.Task[SessionEnded] | None = field(default=None, repr=False)
    claim_epoch: int | None = None

    def cancel(self, reason: str = "cancelled by the user") -> None:
        self.cancel_reason = reason
        if self.process is not None:
            self.process.cancel(reason)


def lock_path(home: Home, session_id: str) -> Path:
    return home.sessions_dir / f"{session_id}.lock"


def prompt_path(home: Home, session_id: str) -> Path:
    return home.sessions_dir / f"{session_id}.prompt.md"


class ServerClaims(Protocol):
    """Exclusive leased claims on the shared server (``sync.claims.ClaimClient``)."""

    lease_seconds: float

    async def claim(self, mission_id: str) -> int: ...
    async def renew(self, mission_id: str, epoch: int) -> None: ...
    async def release(self, mission_id: str, epoch: int) -> None: ...


def _log_line(log_file: Path, text: str) -> None:
    """A note from the runner itself in the session log, marked so it reads apart from the agent."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as log:
        log.write(f"[solo-unicorn] {text}\n")


def _write_private(path: Path, text: str) -> None:
    """Write a file only this user can read (the prompt may quote private project notes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def _hold_lock(path: Path) -> IO[bytes]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("ab")
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


class SessionRunner:
    def __init__(
        self,
        *,
        db: Database,
        home: Home,
        workspace_dir: Path,
        workstation_id: str,
        max_recovery_attempts: int,
        emit: Callable[[RuntimeEvent], None],
        kill_grace_seconds: float = 5.0,
        claims: ServerClaims | None = None,
        github: Callable[[], GitHubClient] | None = None,
    ) -> None:
        self.db = db
        self.home = home
        self.workspace_dir = workspace_dir
        self.workstation_id = workstation_id
        self.max_recovery_attempts = max_recovery_attempts
        self.emit = emit
        self.kill_grace_seconds = kill_grace_seconds
        self.claims = claims
        self.github = github

    async def claim(
        self, mission: Mission, repo: RepositoryLink, profile: AgentProfile
    ) -> tuple[SessionHandle, Mission]:
        server_epoch = await self.claims.claim(mission.id) if self.claims else None
        try:
            claimed = await session_ops.claim_mission(
                self.db,
                mission.id,
                self.workstation_id,
                lease_seconds=profile.timeout_seconds + LEASE_MARGIN_SECONDS,
                repository_id=repo.id,
                code_agent_name=profile.name,
                server_epoch=server_epoch,
            )
        except BaseException:
            if self.claims is not None and server_epoch is not None:
                await self.claims.release(mission.id, server_epoch)
            raise
        handle = SessionHandle(
            mission_id=claimed.id,
            mission_title=claimed.title,
            agent_name=profile.name,
            stage=claimed.stage,
            repository_id=repo.id,
            started_at=utcnow(),
            claim_epoch=claimed.claim_epoch,
        )
        return handle, claimed

    async def execute(
        self,
        handle: SessionHandle,
        mission: Mission,
        repo: RepositoryLink,
        profile: AgentProfile,
        reason: str,
    ) -> SessionEnded:
        renewer = asyncio.create_task(self._keep_claim(handle)) if self.claims else None
        try:
            return await self._execute(handle, mission, repo, profile, reason)
        except BaseException as error:
            if isinstance(error, UserError):
                detail = str(error)
            elif isinstance(error, asyncio.CancelledError):
                detail = "the runner was stopped while the session ran"
            else:
                detail = f"{type(error).__name__}: {error}"
            if not isinstance(error, UserError | asyncio.CancelledError):
                log.exception("session for %s failed", mission.id)
            with contextlib.suppress(Exception):
                await self._fail_unstarted(handle, mission, detail)
            if isinstance(error, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
                raise
            return self._ended(handle, mission, "failed", None, detail, 0.0)
        finally:
            if renewer is not None:
                renewer.cancel()
            if self.claims is not None and handle.claim_epoch is not None:
                try:
                    await self.claims.release(mission.id, handle.claim_epoch)
                except Exception:
                    log.exception("releasing the server claim on %s failed", mission.id)

    async def _keep_claim(self, handle: SessionHandle) -> None:
        """Renew the server lease while the session runs; stop the agent if the claim is lost."""
        assert self.claims is not None
        while True:
            await asyncio.sleep(self.claims.lease_seconds / 3)
            if handle.claim_epoch is None:
                return
            try:
                await self.claims.renew(handle.mission_id, handle.claim_epoch)
            except ConflictError as error:
                log.warning("%s", error)
                handle.cancel("the claim was lost to another workstation")
                return
            except Exception:
                log.exception("renewing the claim on %s failed", handle.mission_id)

    async def _fail_unstarted(self, handle: SessionHandle, mission: Mission, error: str) -> None:
        if handle.session_id is None:
            await session_ops.fail_before_start(
                self.db, mission.id, error=error, max_recovery_attempts=self.max_recovery_attempts
            )
            return
        current = await session_ops.get_session(self.db, handle.session_id)
        if current.status in session_ops.ACTIVE_STATUSES:
            now = utcnow()
            await session_ops.finish_session(
                self.db,
                handle.session_id,
                SessionOutcome(
                    status="failed",
                    exit_code=None,
                    ended_at=now,
                    duration_seconds=(now - handle.started_at).total_seconds(),
                    end_reason=error,
                    error_type="runner_error",
                    error_message=error,
                ),
                max_recovery_attempts=self.max_recovery_attempts,
            )

    def _ended(
        self,
        handle: SessionHandle,
        mission: Mission,
        status: str,
        exit_code: int | None,
        reason: str,
        duration: float,
    ) -> SessionEnded:
        event = SessionEnded(
            session_id=handle.session_id,
            mission_id=mission.id,
            status=status,
            exit_code=exit_code,
            reason=reason,
            duration_seconds=duration,
            mission_list=mission.list,
            mission_stage=mission.stage,
        )
        self.emit(event)
        return event

    async def _worktree(
        self, mission: Mission, repo: RepositoryLink, log_file: Path
    ) -> tuple[str, wt.WorktreeInfo]:
        """Reuse the mission's worktree, or make one from a freshly fetched target and set it up."""
        assert repo.local is not None
        main_path = Path(repo.local.main_path)
        target = mission.target_branch or repo.local.main_branch or repo.repository.default_branch
        known = await worktree_ops.find_worktree(self.db, repo.local.id, mission.id)
        existing = (Path(known.worktree_path), known.branch) if known else None
        branch_existed = existing is not None and await asyncio.to_thread(
            wt.branch_exists, main_path, existing[1]
        )
        base_ref = target
        if not branch_existed:
            base = await asyncio.to_thread(refresh_target, main_path, target)
            base_ref = base.ref
            _log_line(log_file, base.note or f"branching from {base.ref}")
        info = await asyncio.to_thread(
            wt.ensure_worktree,
            main_path,
            self.workspace_dir,
            repo.name,
            mission.id,
            mission.title,
            base_ref,
            existing,
        )
        if info.created:
            await self._set_up(repo, main_path, info, log_file, branch_existed=branch_existed)
        if known is not None and Path(known.worktree_path).resolve() == info.path:
            await worktree_ops.touch_worktree(self.db, known.id, status="in_use")
            return known.id, info
        if known is not None:
            await worktree_ops.mark_removed(self.db, known.id)
        row = await worktree_ops.record_worktree(
            self.db,
            organization_id=mission.organization_id,
            workstation_repository_id=repo.local.id,
            mission_id=mission.id,
            branch=info.branch,
            base_branch=target,
            worktree_path=str(info.path),
        )
        await worktree_ops.touch_worktree(self.db, row.id, status="in_use")
        return row.id, info

    async def _set_up(
        self,
        repo: RepositoryLink,
        main_path: Path,
        info: wt.WorktreeInfo,
        log_file: Path,
        *,
        branch_existed: bool,
    ) -> None:
        """Copy ignored files in and run the set-up script; undo the worktree if that fails."""
        try:
            patterns = include_patterns(main_path, repo.repository.copy_files)
            copied = await asyncio.to_thread(copy_included_files, main_path, info.path, patterns)
            if copied:
                _log_line(log_file, f"copied into the worktree: {', '.join(copied)}")
            if repo.repository.setup_script:
                await run_script(
                    list(repo.repository.setup_script),
                    info.path,
                    log_file,
                    name="setup_script",
                    env=agent_environment({}, {}),
                )
        except (SetupError, OSError) as error:
            await asyncio.to_thread(
                wt.discard_new_worktree, main_path, info, branch_existed=branch_existed
            )
            raise SetupError(str(error)) from None

    async def _execute(
        self,
        handle: SessionHandle,
        mission: Mission,
        repo: RepositoryLink,
        profile: AgentProfile,
        reason: str,
    ) -> SessionEnded:
        if repo.local is None:
            raise UserError(
                f"repository {repo.name!r} is not linked on this workstation; "
                "run 'solo-unicorn repo add PATH'"
            )
        session_id = new_id("session")
        log_file = self.home.session_log(session_id)
        try:
            worktree_id, info = await self._worktree(mission, repo, log_file)
        except SetupError as error:
            await session_ops.create_session(
                self.db,
                mission,
                code_agent_type=profile.type,
                code_agent_name=profile.name,
                stage=mission.stage,
                worktree_id=None,
                working_directory=None,
                log_path=str(log_file),
                prompt_path=None,
                start_reason=reason,
                session_id=session_id,
            )
            handle.session_id = session_id
            handle.log_path = str(log_file)
            raise UserError(f"worktree set-up failed: {error}") from None
        lock = _hold_lock(lock_path(self.home, session_id))
        try:
            return await self._run_agent(
                handle, mission, profile, reason, session_id, worktree_id, info, lock
            )
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
            lock.close()
            with contextlib.suppress(OSError):
                lock_path(self.home, session_id).unlink()

    async def _run_agent(
        self,
        handle: SessionHandle,
        mission: Mission,
        profile: AgentProfile,
        reason: str,
        session_id: str,
        worktree_id: str,
        info: wt.WorktreeInfo,
        lock: IO[bytes],
    ) -> SessionEnded:
        log_file = self.home.session_log(session_id)
        prompt_file = prompt_path(self.home, session_id)
        prompt = render_prompt(await mission_context(self.db, mission.id), branch=info.branch)
        _write_private(prompt_file, prompt)
        await session_ops.create_session(
            self.db,
            mission,
            code_agent_type=profile.type,
            code_agent_name=profile.name,
            stage=mission.stage,
            worktree_id=worktree_id,
            working_directory=str(info.path),
            log_path=str(log_file),
            prompt_path=str(prompt_file),
            start_reason=reason,
            session_id=session_id,
        )
        handle.session_id = session_id
        handle.log_path = str(log_file)
        base_commit = await asyncio.to_thread(wt.head_commit, info.path)
        usage = UsageParser()
        argv = profile.render_argv(
            {
                "prompt": prompt,
                "prompt_file": str(prompt_file),
                "mission_id": mission.id,
                "worktree": str(info.path),
            }
        )
        env = agent_environment(
            profile.env,
            {
                "SOLO_UNICORN_HOME": str(self.home.root),
                "SOLO_UNICORN_MISSION_ID": mission.id,
                "SOLO_UNICORN_SESSION_ID": session_id,
                "SOLO_UNICORN_STAGE": mission.stage,
                "SOLO_UNICORN_PROMPT_FILE": str(prompt_file),
            },
            profile.pass_env,
        )
        watch = SessionWatch(profile.type)
        launch = await asyncio.to_thread(
            prepare_launch,
            profile,
            argv,
            env,
            worktree=info.path,
            folder=session_folder(self.home.sessions_dir, session_id),
            prompt_file=prompt_file,
        )
        process = AgentProcess(
            launch.argv,
            cwd=info.path,
            env=launch.env,
            log_path=log_file,
            timeout_seconds=profile.timeout_seconds,
            on_output=lambda lines: self._on_output(usage, session_id, mission.id, lines, watch),
            kill_grace_seconds=self.kill_grace_seconds,
            stdin_path=launch.stdin_path,
        )
        if handle.cancel_reason is not None:
            result = None
            error = handle.cancel_reason
        else:
            try:
                pid = await process.start()
            except AgentStartError as start_error:
                result, error = None, str(start_error)
            else:
                # Before any await: if this process dies now, recovery still finds the agent.
                lock.write(f"{pid}\n".encode())
                lock.flush()
                handle.process = process
                watch.process = process
                handle.pid = pid
                try:
                    if handle.cancel_reason is not None:
                        process.cancel(handle.cancel_reason)
                    await session_ops.mark_session_running(self.db, session_id, pid)
                    self.emit(
                        SessionStarted(
                            session_id=session_id,
                            mission_id=mission.id,
                            mission_title=mission.title,
                            agent_name=profile.name,
                            stage=mission.stage,
                            pid=pid,
                            log_path=str(log_file),
                            started_at=utcnow(),
                        )
                    )
                except BaseException:
                    process.kill()  # never leave a started agent unwatched
                    raise
                result = await process.wait()
                error = None
        watch.finish()
        return await self._record(
            handle, mission, worktree_id, info, base_commit, result, error, usage.usage(), watch
        )

    async def _read_documents(self, mission: Mission, worktree: Path) -> None:
        """Bring solution.md and tasks/ the agent wrote back into the mission."""
        try:
            await sync_documents_from_worktree(self.db, mission.id, worktree)
        except Exception:
            log.exception("reading the mission documents of %s failed", mission.id)

    def _on_output(
        self,
        usage: UsageParser,
        session_id: str,
        mission_id: str,
        lines: list[str],
        watch: SessionWatch | None = None,
    ) -> None:
        for line in lines:
            usage.feed(line)
            if watch is not None:
                limited = bool(watch.limits)
                watch.feed(line)
                if watch.limits and not limited and watch.process is not None:
                    # Its own blind retries would only spend the session; the dispatcher
                    # starts the mission again after the reset.
                    watch.process.cancel(f"rate limited: {watch.limits[0].reason}")
        self.emit(SessionOutput(session_id, mission_id, tuple(lines)))

    async def _record(
        self,
        handle: SessionHandle,
        mission: Mission,
        worktree_id: str,
        info: wt.WorktreeInfo,
        base_commit: str,
        result: ProcessResult | None,
        error: str | None,
        usage: Usage,
        watch: SessionWatch | None = None,
    ) -> SessionEnded:
        assert handle.session_id is not None
        files, commits = await asyncio.to_thread(wt.changes_since, info.path, base_commit)
        now = utcnow()
        if result is None:
            cancelled = handle.cancel_reason is not None and error == handle.cancel_reason
            outcome = SessionOutcome(
                status="cancelled" if cancelled else "failed",
                exit_code=None,
                ended_at=now,
                duration_seconds=0.0,
                end_reason=error or "did not start",
                files_changed=files,
                commits_made=commits,
                error_type=None if cancelled else "agent_not_started",
                error_message=error,
            )
        else:
            failed = result.status != "completed"
            tail = "\n".join(result.tail[-5:])
            outcome = SessionOutcome(
                status=result.status,
                exit_code=result.exit_code,
                ended_at=result.ended_at,
                duration_seconds=result.duration_seconds,
                end_reason=result.reason,
                files_changed=files,
                commits_made=commits,
                output_summary="\n".join(result.tail)[-4000:] or None,
                error_type=result.status if failed else None,
                error_message=(f"{result.reason}: {tail}" if tail else result.reason)
                if failed
                else None,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cost_usd=usage.cost_usd,
            )
        limit = first_rate_limit(watch.limits) if watch is not None else None
        if watch is not None and watch.usage is not None and result is not None:
            outcome = replace(
                outcome,
                input_tokens=watch.usage.input_tokens,
                output_tokens=watch.usage.output_tokens,
                cost_usd=watch.usage.cost_usd,
            )
        if limit is not None and handle.cancel_reason is None:
            message = f"rate limited: {limit.reason}"
            outcome = replace(
                outcome,
                status=session_ops.RATE_LIMITED,
                end_reason=message,
                error_type=session_ops.RATE_LIMITED,
                error_message=message,
            )
            await record_rate_limit(
                self.db,
                organization_id=mission.organization_id,
                workstation_id=self.workstation_id,
                profile_name=handle.agent_name,
                profile_type=watch.agent_type if watch else "",
                events=watch.limits if watch else [],
            )
        if outcome.status == session_ops.SUCCESS:
            await self._read_documents(mission, info.path)
        moved = await session_ops.finish_session(
            self.db, handle.session_id, outcome, max_recovery_attempts=self.max_recovery_attempts
        )
        if outcome.status == session_ops.SUCCESS:
            # GitPython fails at import without a git binary; import it only where it is used.
            from solo_unicorn_tui.pr_mode import pull_request_after_stage

            opened = await pull_request_after_stage(
                self.db, moved, mission.stage, info.path, self.github
            )
            if opened is not None:
                moved = await mission_ops.get_mission(self.db, mission.id)
        await worktree_ops.touch_worktree(self.db, worktree_id)
        return self._ended(
            handle,
            moved,
            outcome.status,
            outcome.exit_code,
            outcome.end_reason,
            outcome.duration_seconds,
        )
