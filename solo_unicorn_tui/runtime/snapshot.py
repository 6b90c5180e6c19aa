"""A plain picture of this workstation for its panel, and :func:`take_snapshot` to take one.

The picture's types import nothing heavy (the panel widget imports them); :func:`take_snapshot`
imports storage and git where it runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from solo_unicorn_tui.runtime.core import Runtime
    from solo_unicorn_tui.runtime.session_runner import SessionHandle
    from solo_unicorn_tui.runtime.worktrees import WorktreeStatus
    from storage.agent_state import AgentRateLimit
    from storage.agent_stats import AgentStats
    from storage.models import GitWorktree
    from storage.workstations import TeamWorkstation


@dataclass(frozen=True)
class AgentState:
    name: str
    type: str
    available: bool
    running: int
    max_concurrency: int
    is_default: bool = False
    missions_completed: int = 0
    failure_rate: float | None = None
    """Share of this profile's finished sessions that failed (None: none finished yet)."""
    version: str | None = None
    """The installed CLI's version (None: not found, or it prints none)."""
    rate_limited_until: datetime | None = None
    """The profile hit a usage or rate limit; the dispatcher skips it until then."""
    rate_limit_reason: str | None = None

    @property
    def busy(self) -> bool:
        return self.running >= self.max_concurrency


@dataclass(frozen=True)
class RunningSession:
    session_id: str
    mission_id: str
    mission_title: str
    agent_name: str
    stage: str
    started_at: datetime
    pid: int | None
    log_path: str
    activity: str | None = None
    """The agent's latest activity (a short text of its newest event)."""


@dataclass(frozen=True)
class WorktreeState:
    worktree_id: str
    mission_id: str | None
    branch: str
    path: str
    status: str
    dirty: bool
    unpushed: int
    last_used_at: datetime | None
    created_at: datetime | None = None
    size_bytes: int | None = None


@dataclass(frozen=True)
class WorkstationSnapshot:
    workstation_id: str
    workstation_name: str
    dispatcher_running: bool
    taken_at: datetime
    agents: tuple[AgentState, ...] = field(default_factory=tuple)
    sessions: tuple[RunningSession, ...] = field(default_factory=tuple)
    worktrees: tuple[WorktreeState, ...] = field(default_factory=tuple)
    team: tuple[TeamWorkstation, ...] = field(default_factory=tuple)
    """Every workstation of the organization (this one first), online or not."""

    @property
    def worktrees_size_bytes(self) -> int:
        return sum(w.size_bytes or 0 for w in self.worktrees)


async def take_snapshot(runtime: Runtime, *, with_git_status: bool = True) -> WorkstationSnapshot:
    """The picture of ``runtime``'s workstation; git status and sizes are read in a thread."""
    from solo_unicorn_tui.runtime.agents.rate_limits import limited_profiles
    from storage.agent_stats import agent_stats
    from storage.types import utcnow
    from storage.workstations import team_workstations, workstation_name
    from storage.worktrees import list_worktrees

    name = await workstation_name(runtime.db, runtime.workstation_id)
    stats = {row.agent: row for row in await agent_stats(runtime.db, runtime.project_id)}
    rows = await list_worktrees(runtime.db, runtime.workstation_id)
    probed = await asyncio.to_thread(_probe_worktrees, rows, with_git_status)
    versions = await asyncio.to_thread(_cli_versions, runtime)
    limits = await limited_profiles(runtime.db, runtime.workstation_id)
    offline_after = timedelta(minutes=runtime.settings.workstation_offline_minutes)
    team = await team_workstations(runtime.db, runtime.workstation_id, offline_after=offline_after)
    return WorkstationSnapshot(
        workstation_id=runtime.workstation_id,
        workstation_name=name or runtime.workstation_id,
        dispatcher_running=runtime.dispatcher_running,
        taken_at=utcnow(),
        agents=_agent_states(runtime, stats, versions, limits),
        sessions=tuple(session_of_handle(h) for h in runtime.running())
        + tuple(await sessions_elsewhere(runtime)),
        worktrees=tuple(
            _worktree_state(r, s, size) for r, (s, size) in zip(rows, probed, strict=True)
        ),
        team=tuple(team),
    )


async def sessions_elsewhere(runtime: Runtime) -> list[RunningSession]:
    """Sessions on this workstation that another live runner owns (a board that quit and kept
    them, ``solo-unicorn work``): shown, followed and cancellable like this process's own."""
    from solo_unicorn_tui.runtime.runners import runner_alive
    from storage import missions as mission_ops
    from storage import sessions as session_ops
    from storage.errors import NotFoundError

    own = {h.session_id for h in runtime.running()} | {
        h.planned_session_id for h in runtime.running()
    }
    found = []
    for session in await session_ops.list_sessions(
        runtime.db,
        workstation_id=runtime.workstation_id,
        statuses=session_ops.ACTIVE_STATUSES,
        limit=None,
    ):
        if session.id in own or not runner_alive(runtime.home, session.id):
            continue
        try:
            title = (await mission_ops.get_mission(runtime.db, session.mission_id)).title
        except NotFoundError:
            continue
        found.append(
            RunningSession(
                session_id=session.id,
                mission_id=session.mission_id,
                mission_title=title,
                agent_name=session.code_agent_name or session.code_agent_type or "agent",
                stage=session.stage or "",
                started_at=session.started_at or session.created_at,
                pid=session.pid,
                log_path=session.log_path or "",
            )
        )
    return found


def _cli_versions(runtime: Runtime) -> dict[str, str | None]:
    """Each detected agent CLI's version (cached on disk, so ``--version`` runs once)."""
    from solo_unicorn_tui.runtime.agents import versions

    return versions.detect_versions(runtime.profiles.all(), versions.cache_file(runtime.home.root))


def _agent_states(
    runtime: Runtime,
    stats: dict[str, AgentStats],
    versions: dict[str, str | None],
    limits: Mapping[str, AgentRateLimit],
) -> tuple[AgentState, ...]:
    default = runtime.profiles.default()
    return tuple(
        AgentState(
            name=p.name,
            type=p.type,
            available=p.available,
            running=runtime.running_count(p.name),
            max_concurrency=p.max_concurrency,
            is_default=default is not None and p.name == default.name,
            missions_completed=stats[p.name].missions_completed if p.name in stats else 0,
            failure_rate=stats[p.name].failure_rate if p.name in stats else None,
            version=versions.get(p.name),
            rate_limited_until=limits[p.name].reset_at if p.name in limits else None,
            rate_limit_reason=limits[p.name].reason if p.name in limits else None,
        )
        for p in runtime.profiles.all()
    )


def session_of_handle(handle: SessionHandle) -> RunningSession:
    return RunningSession(
        session_id=handle.session_id or "",
        mission_id=handle.mission_id,
        mission_title=handle.mission_title,
        agent_name=handle.agent_name,
        stage=handle.stage,
        started_at=handle.started_at,
        pid=handle.pid,
        log_path=handle.log_path or "",
        activity=handle.activity,
    )


def _probe_worktrees(
    rows: list[GitWorktree], with_git_status: bool
) -> list[tuple[WorktreeStatus, int | None]]:
    """Each worktree's git status and size on disk (neither read without ``with_git_status``)."""
    from solo_unicorn_tui.runtime import worktrees as wt
    from solo_unicorn_tui.runtime.disk import disk_usage

    if not with_git_status:
        return [(wt.WorktreeStatus(True, False, 0, r.branch), None) for r in rows]
    return [
        (wt.worktree_status(r.worktree_path, r.base_branch), disk_usage(Path(r.worktree_path)))
        for r in rows
    ]


def _worktree_state(row: GitWorktree, status: WorktreeStatus, size: int | None) -> WorktreeState:
    return WorktreeState(
        worktree_id=row.id,
        mission_id=row.mission_id,
        branch=row.branch,
        path=row.worktree_path,
        status=row.status if status.exists else "missing",
        dirty=status.dirty,
        unpushed=status.unpushed,
        last_used_at=row.last_used_at,
        created_at=row.created_at,
        size_bytes=size,
    )
