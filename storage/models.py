"""The schema: SQLAlchemy 2 typed models, the same on the SQLite replica and the Postgres server.

Every replicated table carries what sync merges on: ``organization_id`` (the replication scope),
``col_clocks`` (the hybrid-logical-clock timestamp of the last write to each column, for
per-column last-writer-wins), ``hlc`` (the newest of those), ``site_id`` (the replica that wrote
it) and ``deleted`` (a tombstone; rows are never removed by a replicated delete).

References between rows are plain id columns, not foreign keys: replicas receive rows in server
order, which need not be the order the referenced rows were created in, and tombstones mean
nothing is ever removed out from under a reference. Domain operations check references.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.names import MISSION_LISTS as MISSION_LISTS
from storage.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonList = list[Any]
JsonDict = dict[str, Any]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime}

    if TYPE_CHECKING:
        # Every model names a ``__tablename__``, so declarative builds a ``Table``; SQLAlchemy
        # types the attribute as the wider ``FromClause``, which lacks insert/update/name.
        __table__: ClassVar[Table]


class Replicated:
    """Columns every replicated table carries for sync (see the module docstring)."""

    organization_id: Mapped[str] = mapped_column(String(40), index=True)
    hlc: Mapped[str] = mapped_column(String(80), default="")
    site_id: Mapped[str] = mapped_column(String(40), default="")
    col_clocks: Mapped[JsonDict] = mapped_column(JSON, default=dict)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Organization(Replicated, Base):
    __tablename__ = "organizations"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(100))
    default_flow_id: Mapped[str | None] = mapped_column(String(40))


class User(Replicated, Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(50), default="UTC")


class Workstation(Replicated, Base):
    __tablename__ = "workstations"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    hostname: Mapped[str | None] = mapped_column(String(255))
    os: Mapped[str | None] = mapped_column(String(50))
    arch: Mapped[str | None] = mapped_column(String(50))
    platform_version: Mapped[str | None] = mapped_column(String(200))
    cli_version: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default="offline")
    last_seen_at: Mapped[datetime | None]
    last_heartbeat_at: Mapped[datetime | None]
    """Written every ``heartbeat_seconds`` while a board or ``work`` process runs here."""
    available_code_agents: Mapped[JsonList | None] = mapped_column(JSON)


class Project(Replicated, Base):
    __tablename__ = "projects"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    memory: Mapped[str | None] = mapped_column(Text)
    default_flow_id: Mapped[str | None] = mapped_column(String(40))
    default_actor_id: Mapped[str | None] = mapped_column(String(40))
    pr_mode_default: Mapped[str] = mapped_column(String(16), default="disabled")
    pr_template: Mapped[str | None] = mapped_column(Text)
    pr_merge_strategy: Mapped[str] = mapped_column(String(16), default="squash")
    pr_delete_branch_after_merge: Mapped[bool] = mapped_column(Boolean, default=True)
    pr_draft: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="active")
    default_agent_name: Mapped[str | None] = mapped_column(String(255))
    """The agent profile the project's stages run with unless a mission or its stage names one."""


class ProjectRepository(Replicated, Base):
    __tablename__ = "project_repositories"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(255))
    github_owner: Mapped[str | None] = mapped_column(String(100))
    github_name: Mapped[str | None] = mapped_column(String(100))
    github_url: Mapped[str | None] = mapped_column(Text)
    default_branch: Mapped[str] = mapped_column(String(255), default="main")
    pr_branch_prefix: Mapped[str] = mapped_column(String(50), default="solo-unicorn/")
    max_concurrent_missions: Mapped[int] = mapped_column(Integer, default=1)
    copy_files: Mapped[JsonList | None] = mapped_column(JSON)
    setup_script: Mapped[JsonList | None] = mapped_column(JSON)
    cleanup_script: Mapped[JsonList | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="active")


class WorkstationRepository(Replicated, Base):
    __tablename__ = "workstation_repositories"
    __table_args__ = (UniqueConstraint("workstation_id", "project_repository_id"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workstation_id: Mapped[str] = mapped_column(String(40), index=True)
    project_repository_id: Mapped[str] = mapped_column(String(40))
    main_path: Mapped[str] = mapped_column(Text)
    main_branch: Mapped[str] = mapped_column(String(255), default="main")
    workspace_path: Mapped[str | None] = mapped_column(Text)
    clone_status: Mapped[str] = mapped_column(String(16), default="ready")
    last_synced_at: Mapped[datetime | None]


class GitWorktree(Replicated, Base):
    __tablename__ = "git_worktrees"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workstation_repository_id: Mapped[str] = mapped_column(String(40), index=True)
    mission_id: Mapped[str | None] = mapped_column(String(40), index=True)
    branch: Mapped[str] = mapped_column(String(255))
    base_branch: Mapped[str | None] = mapped_column(String(255))
    worktree_path: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="creating")
    error_message: Mapped[str | None] = mapped_column(Text)
    last_used_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]


class Flow(Replicated, Base):
    """Ordered stages: ``stages`` is ``[{"name", "requires_review", "instructions"}]``, each with
    an optional ``"agent"`` (the profile that runs that stage)."""

    __tablename__ = "flows"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str | None] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    stages: Mapped[JsonList] = mapped_column(JSON, default=list)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class Actor(Replicated, Base):
    __tablename__ = "actors"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str | None] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    system_prompt: Mapped[str | None] = mapped_column(Text)
    methodology: Mapped[str | None] = mapped_column(Text)
    focus_areas: Mapped[JsonList | None] = mapped_column(JSON)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class Mission(Replicated, Base):
    __tablename__ = "missions"
    __table_args__ = (
        CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),
        CheckConstraint("list IN ('todo', 'doing', 'review', 'done')", name="list_name"),
        Index("ix_missions_board", "project_id", "deleted", "list", "list_order", "id"),
        Index(
            "ix_missions_dispatch",
            *("project_id", "deleted", "ready", "list", "priority", "list_order", "id"),
        ),
        # On the replica also (migration 0011): ix_missions_id_tail on lower(substr(id, -4)),
        # and the triggers that keep MissionListCount.
        Index("ix_missions_project_created", "project_id", "created_at"),
        Index("ix_missions_project_completed", "project_id", "completed_at"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    clarification: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    list: Mapped[str] = mapped_column(String(16), default="todo")
    list_order: Mapped[float] = mapped_column(Float(precision=53), default=1000.0)
    flow_id: Mapped[str | None] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(64), default="clarify")
    requires_review: Mapped[bool] = mapped_column(Boolean, default=False)
    actor_id: Mapped[str | None] = mapped_column(String(40))
    repository_id: Mapped[str | None] = mapped_column(String(40), index=True)
    target_branch: Mapped[str | None] = mapped_column(String(255))
    pr_mode: Mapped[str] = mapped_column(String(16), default="disabled")
    pr_branch_name: Mapped[str | None] = mapped_column(String(255))
    github_pr_number: Mapped[int | None] = mapped_column(Integer)
    github_pr_url: Mapped[str | None] = mapped_column(Text)
    ready: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[str] = mapped_column(String(16), default="manual")
    fallback_item_id: Mapped[str | None] = mapped_column(String(40))
    agent_session_status: Mapped[str] = mapped_column(String(16), default="inactive")
    last_code_agent_session_id: Mapped[str | None] = mapped_column(String(40))
    code_agent_name: Mapped[str | None] = mapped_column(String(255))
    solution: Mapped[str | None] = mapped_column(Text)
    solution_path: Mapped[str | None] = mapped_column(Text)
    tasks: Mapped[JsonList | None] = mapped_column(JSON)
    tasks_path: Mapped[str | None] = mapped_column(Text)
    tasks_current: Mapped[int] = mapped_column(Integer, default=0)
    review_status: Mapped[str | None] = mapped_column(String(16))
    review_feedback: Mapped[str | None] = mapped_column(Text)
    review_requested_at: Mapped[datetime | None]
    review_completed_at: Mapped[datetime | None]
    reviewed_by_user_id: Mapped[str | None] = mapped_column(String(40))
    dependency_count: Mapped[int] = mapped_column(Integer, default=0)
    recovery_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by_workstation_id: Mapped[str | None] = mapped_column(String(40))
    claim_epoch: Mapped[int] = mapped_column(Integer, default=0)
    claim_expires_at: Mapped[datetime | None]
    created_by_user_id: Mapped[str | None] = mapped_column(String(40))
    last_event_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    agent_name: Mapped[str | None] = mapped_column(String(255))
    """The agent profile a person chose for this mission (``code_agent_name`` is the one that
    ran last); see :func:`storage.agent_choice.choose_agent_name`."""


class MissionListCount(Base):
    """Live missions per project and list: the board's unfiltered counts, one row to read.

    Not replicated: on the replica, triggers on ``missions`` keep it (migration 0011); the
    server has the table but never reads it (the board reads only its replica).
    """

    __tablename__ = "mission_list_counts"
    project_id: Mapped[str] = mapped_column(String, primary_key=True)
    list: Mapped[str] = mapped_column(String, primary_key=True)
    live: Mapped[int] = mapped_column(Integer)


class MissionDependency(Replicated, Base):
    __tablename__ = "mission_dependencies"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    mission_id: Mapped[str] = mapped_column(String(40), index=True)
    depends_on_mission_id: Mapped[str] = mapped_column(String(40), index=True)
    dependency_type: Mapped[str] = mapped_column(String(16), default="blocks")


class MissionEvent(Replicated, Base):
    """Append-only timeline: who did what to a mission, when, from where."""

    __tablename__ = "mission_events"
    __table_args__ = (Index("ix_mission_events_timeline", "mission_id", "hlc"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    mission_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    origin: Mapped[str] = mapped_column(String(16), default="user")
    actor_user_id: Mapped[str | None] = mapped_column(String(40))
    workstation_id: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[JsonDict | None] = mapped_column(JSON)


class MissionMessage(Replicated, Base):
    """A mission's thread (seed 003 clarification messages): an agent's question, a person's
    answer. An answer covers the questions before it; ``parent_message_id`` names the last."""

    __tablename__ = "mission_messages"
    __table_args__ = (Index("ix_mission_messages_thread", "mission_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    mission_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    author_kind: Mapped[str] = mapped_column(String(16))
    author_user_id: Mapped[str | None] = mapped_column(String(40))
    author_name: Mapped[str] = mapped_column(String(255), default="")
    stage: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    parent_message_id: Mapped[str | None] = mapped_column(String(40))


class CodeAgentSession(Replicated, Base):
    __tablename__ = "code_agent_sessions"
    __table_args__ = (Index("ix_code_agent_sessions_created", "created_at"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    mission_id: Mapped[str] = mapped_column(String(40), index=True)
    workstation_id: Mapped[str] = mapped_column(String(40), index=True)
    code_agent_type: Mapped[str] = mapped_column(String(50))
    code_agent_name: Mapped[str | None] = mapped_column(String(255))
    stage: Mapped[str | None] = mapped_column(String(64))
    worktree_id: Mapped[str | None] = mapped_column(String(40))
    working_directory: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="starting")
    pid: Mapped[int | None] = mapped_column(Integer)
    claim_epoch: Mapped[int] = mapped_column(Integer, default=0)
    log_path: Mapped[str | None] = mapped_column(Text)
    prompt_path: Mapped[str | None] = mapped_column(Text)
    start_reason: Mapped[str | None] = mapped_column(Text)
    end_reason: Mapped[str | None] = mapped_column(Text)
    output_summary: Mapped[str | None] = mapped_column(Text)
    files_changed: Mapped[JsonList | None] = mapped_column(JSON)
    commits_made: Mapped[JsonList | None] = mapped_column(JSON)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    duration_seconds: Mapped[float | None] = mapped_column(Float(precision=53))
    error_type: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    cost_usd: Mapped[float | None] = mapped_column(Float(precision=53))
    cached_input_tokens: Mapped[int | None] = mapped_column(Integer)
    """Of ``input_tokens``, those read from the provider's cache."""
    agent_session_id: Mapped[str | None] = mapped_column(String(255))
    """The agent CLI's own conversation id (claude/gemini ``session_id``), to resume it."""


class CodeAgentRateLimit(Replicated, Base):
    """A workstation's agent profile that hit a usage or rate limit (seed 002 ``agents``
    status ``rate_limited``), one row per (workstation, profile name), id derived from both."""

    __tablename__ = "code_agent_rate_limits"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workstation_id: Mapped[str] = mapped_column(String(40), index=True)
    agent_name: Mapped[str] = mapped_column(String(255))
    agent_type: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(16), default="available")
    rate_limit_reset_at: Mapped[datetime | None]
    rate_limit_reason: Mapped[str | None] = mapped_column(Text)


class GithubPullRequest(Replicated, Base):
    __tablename__ = "github_pull_requests"
    #: A card's PR badge reads its mission's newest PR: a range of this index, no sort.
    __table_args__ = (Index("ix_github_pull_requests_mission_created", "mission_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    mission_id: Mapped[str] = mapped_column(String(40), index=True)
    project_repository_id: Mapped[str] = mapped_column(String(40))
    github_pr_number: Mapped[int] = mapped_column(Integer)
    github_pr_url: Mapped[str] = mapped_column(Text)
    source_branch: Mapped[str] = mapped_column(String(255))
    target_branch: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="open")
    review_status: Mapped[str | None] = mapped_column(String(32))
    last_synced_at: Mapped[datetime | None]
    sync_error: Mapped[str | None] = mapped_column(Text)
    mergeable: Mapped[bool | None] = mapped_column(Boolean)
    mergeable_state: Mapped[str | None] = mapped_column(String(50))
    approved_reviews_count: Mapped[int] = mapped_column(Integer, default=0)
    changes_requested_count: Mapped[int] = mapped_column(Integer, default=0)
    checks_status: Mapped[str | None] = mapped_column(String(16))
    """``success``, ``failure`` or ``pending`` for the head commit; None when it has none."""
    head_sha: Mapped[str | None] = mapped_column(String(64))
    etag: Mapped[str | None] = mapped_column(String(200))
    """The ETag of GitHub's last answer for the pull request (conditional refreshes)."""
    github_merged_at: Mapped[datetime | None]
    github_closed_at: Mapped[datetime | None]


class GithubPrComment(Replicated, Base):
    """A review comment (``review_comment``: on a file and line), a review's body (``review``)
    or a conversation comment (``comment``) of a pull request; the id is derived from the pull
    request and GitHub's id, so fetching it again writes the same row."""

    __tablename__ = "github_pr_comments"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    pull_request_id: Mapped[str] = mapped_column(String(40), index=True)
    mission_id: Mapped[str] = mapped_column(String(40))
    github_comment_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    author: Mapped[str | None] = mapped_column(String(255))
    path: Mapped[str | None] = mapped_column(Text)
    line: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    review_state: Mapped[str | None] = mapped_column(String(32))
    github_created_at: Mapped[datetime | None]


class MissionFallbackConfig(Replicated, Base):
    __tablename__ = "mission_fallback_configs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(40), unique=True)
    backlog_threshold: Mapped[int] = mapped_column(Integer, default=5)
    check_cadence_minutes: Mapped[int] = mapped_column(Integer, default=15)
    auto_accept: Mapped[bool] = mapped_column(Boolean, default=False)
    weekly_mission_cap: Mapped[int] = mapped_column(Integer, default=20)
    monthly_target_hours: Mapped[int] = mapped_column(Integer, default=120, server_default="120")
    """Estimated effort of fallback missions per calendar month that fallback aims at."""
    status: Mapped[str] = mapped_column(String(16), default="active")
    snoozed_until: Mapped[datetime | None]
    """With status ``snoozed``: no fallback run until then."""
    last_run_at: Mapped[datetime | None]


class MissionFallbackTemplate(Replicated, Base):
    __tablename__ = "mission_fallback_templates"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    flow_id: Mapped[str | None] = mapped_column(String(40))
    actor_id: Mapped[str | None] = mapped_column(String(40))
    repository_id: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer, default=3)
    estimated_effort_minutes: Mapped[int | None] = mapped_column(Integer)
    acceptance_criteria: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    tags: Mapped[JsonList | None] = mapped_column(JSON)
    snoozed_until: Mapped[datetime | None]
    """Runs skip the template until then."""


class MissionFallbackRun(Replicated, Base):
    __tablename__ = "mission_fallback_runs"
    __table_args__ = (Index("ix_fallback_runs_project_started", "project_id", "started_at"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(40), index=True)
    triggered_by: Mapped[str] = mapped_column(String(16))
    backlog_count_before: Mapped[int | None] = mapped_column(Integer)
    backlog_threshold: Mapped[int | None] = mapped_column(Integer)
    generated_count: Mapped[int] = mapped_column(Integer, default=0)
    accepted_count: Mapped[int] = mapped_column(Integer, default=0)
    discarded_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="awaiting_review")
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class MissionFallbackItem(Replicated, Base):
    __tablename__ = "mission_fallback_items"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    mission_fallback_run_id: Mapped[str] = mapped_column(String(40), index=True)
    template_id: Mapped[str] = mapped_column(String(40))
    project_id: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int | None] = mapped_column(Integer)
    estimated_effort_minutes: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    snoozed_until: Mapped[datetime | None]
    """With status ``snoozed``: hidden, and its template skipped by runs, until then."""
    mission_id: Mapped[str | None] = mapped_column(String(40))
    feedback: Mapped[str | None] = mapped_column(Text)


# --- local-only tables: the replica's own bookkeeping, never replicated -------------------------


class OutboxEntry(Base):
    """A local change waiting to be pushed. ``change_id`` numbers this replica's changes 1, 2, 3…"""

    __tablename__ = "sync_outbox"
    # AUTOINCREMENT: never reuse a change_id after the outbox drains (the server would ignore it).
    __table_args__ = {"sqlite_autoincrement": True}
    change_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[str] = mapped_column(String(40))
    organization_id: Mapped[str] = mapped_column(String(40))
    op: Mapped[str] = mapped_column(String(8))
    hlc: Mapped[str] = mapped_column(String(80))
    values: Mapped[JsonDict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReplicaMeta(Base):
    """Key/value facts about this replica: site id, last clock, sync cursor."""

    __tablename__ = "replica_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


REPLICATED_MODELS: tuple[type[Base], ...] = (
    Organization,
    User,
    Workstation,
    Project,
    ProjectRepository,
    WorkstationRepository,
    GitWorktree,
    Flow,
    Actor,
    Mission,
    MissionDependency,
    MissionEvent,
    MissionMessage,
    CodeAgentSession,
    CodeAgentRateLimit,
    GithubPullRequest,
    GithubPrComment,
    MissionFallbackConfig,
    MissionFallbackTemplate,
    MissionFallbackRun,
    MissionFallbackItem,
)
REPLICATED_TABLES = {m.__tablename__: m.__table__ for m in REPLICATED_MODELS}
SYNC_COLUMNS = frozenset({"hlc", "site_id", "col_clocks"})
