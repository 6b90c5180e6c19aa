"""A plain picture of this workstation for its panel: no database, no git, no Textual."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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

    @property
    def worktrees_size_bytes(self) -> int:
        return sum(w.size_bytes or 0 for w in self.worktrees)
