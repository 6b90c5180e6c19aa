"""One agent session from claim to result: worktree, prompt, process, record, advance.

:meth:`SessionRunner.claim` takes the mission (so the dispatcher's counts are right before the
next pick); :meth:`SessionRunner.execute` does the rest and never leaves a claim dangling: any
failure ends in a recorded session and a requeued mission.

While the agent runs, the runner holds an exclusive ``flock`` on ``sessions/{id}.lock``; recovery
takes that lock to tell a live runner (another process on this machine) from a dead one.

The agent's output goes through its type's parser (``runtime.agents.parsers``) into typed events:
usage, the agent's own session id (to resume that conversation after a rejection or a failure),
errors (an agent that reports one fails the session whatever its exit code), and readable lines
(``sessions/{id}.readable.txt``). The prompt goes on standard input when the profile says so.
After the agent ends, what it left uncommitted is committed on the mission branch.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Protocol

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.home import Home
from solo_unicorn_tui.mcp.wiring import tools_prompt
from solo_unicorn_tui.runtime import worktrees as wt
from solo_unicorn_tui.runtime.agent_process import (
    AgentProcess,
    AgentStartError,
    ArgumentsTooLong,
    ProcessResult,
    agent_environment,
)
from solo_unicorn_tui.runtime.agent_profiles import AgentProfile
from solo_unicorn_tui.runtime.agents.credentials import api_key_environment
from solo_unicorn_tui.runtime.agents.launch import (
    LaunchError,
    add_session_mcp,
    agent_config_dir,
    prepare_launch,
)
from solo_unicorn_tui.runtime.agents.parsers import parser_for
from solo_unicorn_tui.runtime.agents.rate_limits import record_rate_limit
from solo_unicorn_tui.runtime.agents.session_events import SessionEvents, append_readable
from solo_unicorn_tui.runtime.base_branch import refresh_target
from solo_unicorn_tui.runtime.events import (
    RuntimeEvent,
    SessionEnded,
    SessionOutput,
    SessionStarted,
)
from solo_unicorn_tui.runtime.github.client import GitHubClient
from solo_unicorn_tui.runtime.runners import lock_path
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
from storage.mission_context import commit_note, mission_context, render_prompt
from storage.models import CodeAgentSession, Mission
from storage.questions import ANSWERED, QUESTION, ask_from_document
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
    activity: str | None = None
    """A short text of the agent's latest event while it runs."""
    planned_session_id: str | None = None
    """The id the session will get (a detached runner is told it, so its starter can find it)."""
    on_cancel: Callable[[str], None] | None = field(default=None, repr=False)
    """How to stop a session whose agent another process runs (a detached runner)."""

    @classmethod
    def for_claimed(cls, mission: Mission, agent_name: str, repository_id: str) -> SessionHandle:
        """The handle of a mission this workstation has just claimed (its epoch fences writes)."""
        return cls(
            mission_id=mission.id,
            mission_title=mission.title,
            agent_name=agent_name,
            stage=mission.stage,
            repository_id=repository_id,
            started_at=utcnow(),
            claim_epoch=mission.claim_epoch,
        )

    @property
    def detached(self) -> bool:
        return self.on_cancel is not None

    def cancel(self, reason: str = "cancelled by the user") -> None:
        self.cancel_reason = reason
        if self.on_cancel is not None:
            self.on_cancel(reason)
        if self.process is not None:
            self.process.cancel(reason)


def prompt_path(home: Home, session_id: str) -> Path:
    return home.sessions_dir / f"{session_id}.prompt.md"


class ServerClaims(Protocol):
    """Exclusive leased claims on the shared server (``sync.claims.ClaimClient``)."""

    lease_seconds: float

    async def claim(self, mission_id: str, *, offline_ok: bool = False) -> int: ...
    def renew_interval(self, mission_id: str) -> float: ...
    async def renew(self, mission_id: str, epoch: int) -> int: ...
    async def release(self, mission_id: str, epoch: int, *, push: bool = False) -> None: ...


def _log_line(log_file: Path, text: str) -> None:
    """A note from the runner itself in the session log (raw and readable), marked so it reads
    apart from the agent."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as log:
        log.write(f"[solo-unicorn] {text}\n")
    append_readable(log_file, [f"[solo-unicorn] {text}"])


def _git(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=path, capture_output=True, text=True, timeout=120, check=False
    )


def commit_leftovers(path: Path, message: str) -> str | None:
    """Commit everything uncommitted in the worktree (ignored files stay out).

    Returns a note for the log: what was committed, or why nothing could be; None when the
    worktree was clean.
    """
    status = _git(path, "status", "--porcelain")
    if status.returncode != 0 or not status.stdout.strip():
        return None
    count = len(status.stdout.splitlines())
    added = _git(path, "add", "-A")
    if added.returncode != 0:
        return f"could not stage the leftover changes: {added.stderr.strip()[:300]}"
    identity: list[str] = []
    if not _git(path, "config", "user.email").stdout.strip():
        identity = ["-c", "user.name=solo-unicorn", "-c", "user.email=solo-unicorn@localhost"]
    done = _git(path, *identity, "commit", "-q", "--no-verify", "-m", message)
    if done.returncode != 0:
        return f"could not commit the leftover changes: {done.stderr.strip()[:300]}"
    return f"committed {count} file(s) the agent left uncommitted"


@dataclass(frozen=True)
class Resume:
    """Continue the agent's previous conversation: its id and the next message."""

    agent_session_id: str
    message: str
    reason: str


def resume_plan(
    mission: Mission, profile: AgentProfile, previous: CodeAgentSession | None
) -> Resume | None:
    """Resume when the mission's newest session ran this stage with this profile, recorded the
    agent's session id, and was rejected by a reviewer, failed, or was stopped by a rate limit."""
    if previous is None or not profile.can_resume or not previous.agent_session_id:
        return None
    if mission.review_status == ANSWERED:
        return None  # a fresh prompt carries the question and its answer
    if previous.stage != mission.stage or previous.code_agent_name != profile.name:
        return None
    if previous.status == session_ops.SUCCESS:
        if mission.review_status != "rejected" or not mission.review_feedback:
            return None
        return Resume(
            previous.agent_session_id,
            f"A reviewer sent your work on the {mission.stage} stage back with this feedback:"
            f"\n\n{mission.review_feedback}\n\nAddress it in this worktree "
            f"({commit_note(profile.commit_leftovers)}), and record the results the same way "
            "as before.",
            "rejected with feedback",
        )
    if previous.status in ("failed", "timeout", session_ops.RATE_LIMITED):
        why = previous.error_message or previous.end_reason or previous.status
        return Resume(
            previous.agent_session_id,
            f"Your previous run on the {mission.stage} stage did not finish ({why[:1000]}). "
            f"Continue from where you stopped ({commit_note(profile.commit_leftovers)}), and "
            "record the results the same way as before.",
            f"retry after {previous.status}",
        )
    return None


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
        self,
        mission: Mission,
        repo: RepositoryLink,
        profile: AgentProfile,
        *,
        offline_ok: bool = False,
    ) -> tuple[SessionHandle, Mission]:
        """Claim on the server (when configured), then locally; ``offline_ok``: the user
        confirmed this run although the server is unreachable."""
        server_epoch = (
            await self.claims.claim(mission.id, offline_ok=offline_ok) if self.claims else None
        )
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
        return SessionHandle.for_claimed(claimed, profile.name, repo.id), claimed

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
                    await self.claims.release(mission.id, handle.claim_epoch, push=True)
                except Exception:
                    log.exception("releasing the server claim on %s failed", mission.id)

    async def _keep_claim(self, handle: SessionHandle) -> None:
        """Renew the server lease while the session runs; stop the agent if the claim is lost."""
        assert self.claims is not None
        while True:
            await asyncio.sleep(self.claims.renew_interval(handle.mission_id))
            if handle.claim_epoch is None:
                return
            try:
                handle.claim_epoch = await self.claims.renew(handle.mission_id, handle.claim_epoch)
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
        known = await worktree_ops.mission_worktree(self.db, mission.id, self.workstation_id)
        if known is not None and known.workstation_repository_id != repo.local.id:
            known = None
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
        session_id = handle.planned_session_id or new_id("session")
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
        previous = await session_ops.list_sessions(self.db, mission_id=mission.id, limit=1)
        resume = resume_plan(mission, profile, previous[0] if previous else None)
        if resume is not None:
            prompt = resume.message
            reason = f"{reason}; resumed agent session {resume.agent_session_id} ({resume.reason})"
        else:
            prompt = render_prompt(
                await mission_context(self.db, mission.id),
                branch=info.branch,
                tools_note=tools_prompt() if profile.gets_mcp else None,
                leftovers_committed=profile.commit_leftovers,
            )
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
        if resume is not None:
            _log_line(log_file, f"resuming agent session {resume.agent_session_id}")
        base_commit = await asyncio.to_thread(wt.head_commit, info.path)
        events = SessionEvents(parser_for(profile.type), log_file)
        argv = profile.render_argv(
            {
                "prompt": prompt,
                "prompt_file": str(prompt_file),
                "mission_id": mission.id,
                "worktree": str(info.path),
            },
            agent_session_id=resume.agent_session_id if resume else None,
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
        env.update(await asyncio.to_thread(api_key_environment, profile))
        launch_error: str | None = None
        config_dir = agent_config_dir(self.home.sessions_dir, mission.id, profile.type)
        try:
            argv, env = await asyncio.to_thread(
                prepare_launch, profile, argv, env, worktree=info.path, config_dir=config_dir
            )
            argv, env = await asyncio.to_thread(
                add_session_mcp,
                profile,
                argv,
                env,
                home=self.home,
                session_id=session_id,
                mission_id=mission.id,
                config_dir=config_dir,
            )
        except (LaunchError, OSError) as prepare_error:
            launch_error = f"cannot prepare {profile.name!r} for this worktree: {prepare_error}"
        process = AgentProcess(
            argv,
            cwd=info.path,
            env=env,
            log_path=log_file,
            timeout_seconds=profile.timeout_seconds,
            on_output=lambda lines: self._on_output(events, handle, session_id, mission.id, lines),
            kill_grace_seconds=self.kill_grace_seconds,
            stdin_data=prompt.encode("utf-8") if profile.prompt_stdin else None,
        )
        retryable = True
        error: str | None
        if handle.cancel_reason is not None:
            result = None
            error = handle.cancel_reason
        elif launch_error is not None:
            result, error = None, launch_error
        else:
            try:
                pid = await process.start()
            except AgentStartError as start_error:
                result, error = None, str(start_error)
                # An argv the system refuses fails the same way every time: do not retry it.
                retryable = not isinstance(start_error, ArgumentsTooLong)
            else:
                # Before any await: if this process dies now, recovery still finds the agent.
                lock.write(f"{pid}\n".encode())
                lock.flush()
                handle.process = process
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
        tail = events.finish()
        if tail:
            self.emit(SessionOutput(session_id, mission.id, (), tuple(tail)))
        if result is not None and result.status != "cancelled" and profile.commit_leftovers:
            note = await asyncio.to_thread(
                commit_leftovers,
                info.path,
                f"{mission.title}: work left uncommitted by {profile.name}\n\n"
                f"Mission {mission.id}, stage {mission.stage}, session {session_id}.",
            )
            if note:
                _log_line(log_file, note)
        return await self._record(
            handle,
            mission,
            worktree_id,
            info,
            base_commit,
            result,
            error,
            events,
            retryable,
            profile.type,
        )

    async def _read_documents(self, mission: Mission, worktree: Path) -> None:
        """Bring solution.md and tasks/ the agent wrote back into the mission."""
        try:
            await sync_documents_from_worktree(self.db, mission.id, worktree)
            await ask_from_document(self.db, mission.id, worktree)
        except Exception:
            log.exception("reading the mission documents of %s failed", mission.id)

    def _on_output(
        self,
        events: SessionEvents,
        handle: SessionHandle,
        session_id: str,
        mission_id: str,
        lines: list[str],
    ) -> None:
        before = events.latest
        limited = events.rate_limited is not None
        readable = events.feed(lines)
        if events.rate_limited is not None and not limited and handle.process is not None:
            # The agent's own blind retries would only spend the session; the dispatcher starts
            # the mission again after the reset.
            handle.process.cancel(f"rate limited: {events.rate_limited.reason}")
        activity = events.latest if events.latest != before else None
        if activity is not None:
            handle.activity = activity
        self.emit(SessionOutput(session_id, mission_id, tuple(lines), tuple(readable), activity))

    async def _record(
        self,
        handle: SessionHandle,
        mission: Mission,
        worktree_id: str,
        info: wt.WorktreeInfo,
        base_commit: str,
        result: ProcessResult | None,
        error: str | None,
        events: SessionEvents,
        retryable: bool = True,
        agent_type: str = "command",
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
            status, reason, error_type = result.status, result.reason, result.status
            agent_error = events.error
            if status == "completed" and events.failed:
                status, error_type = "failed", "agent_error"
                reason = f"the agent reported an error ({result.reason})"
            limit = events.rate_limited if handle.cancel_reason is None else None
            if limit is not None:
                status = error_type = session_ops.RATE_LIMITED
                reason = f"rate limited: {limit.reason}"
            failed = status != "completed"
            lines = list(events.tail)
            tail = "" if limit is not None else agent_error or "\n".join(lines[-5:])
            usage = events.usage
            outcome = SessionOutcome(
                status=status,
                exit_code=result.exit_code,
                ended_at=result.ended_at,
                duration_seconds=result.duration_seconds,
                end_reason=reason,
                files_changed=files,
                commits_made=commits,
                output_summary="\n".join(lines[-20:])[-4000:] or None,
                error_type=error_type if failed else None,
                error_message=(f"{reason}: {tail}" if tail else reason) if failed else None,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cost_usd=usage.cost_usd,
                cached_input_tokens=usage.cached_input_tokens,
                agent_session_id=events.agent_session_id,
            )
        if outcome.status == session_ops.RATE_LIMITED and events.rate_limited is not None:
            await record_rate_limit(
                self.db,
                organization_id=mission.organization_id,
                workstation_id=self.workstation_id,
                profile_name=handle.agent_name,
                profile_type=agent_type,
                events=[events.rate_limited],
            )
        if outcome.status == session_ops.SUCCESS:
            await self._read_documents(mission, info.path)
        moved = await session_ops.finish_session(
            self.db,
            handle.session_id,
            outcome,
            max_recovery_attempts=self.max_recovery_attempts if retryable else 0,
        )
        if outcome.status == session_ops.SUCCESS and moved.review_status != QUESTION:
            # GitPython fails at import without a git binary; import it only where it is used.
            from solo_unicorn_tui.runtime.github.pr_mode import pull_request_after_stage

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
