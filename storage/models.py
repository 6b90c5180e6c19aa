"""The ORM classes: typed objects mapped onto the Core tables of :mod:`storage.tables`.

Columns, defaults and indexes are declared once, in :mod:`storage.tables`; each class here maps
that ``Table`` (``__table__``) and annotates its columns for type checking only.

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

from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase, Mapped

from storage import tables
from storage.names import MISSION_LISTS as MISSION_LISTS
from storage.tables import NAMING as NAMING

JsonList = list[Any]
JsonDict = dict[str, Any]


class Base(DeclarativeBase):
    metadata = tables.metadata

    if TYPE_CHECKING:
        # Every model maps a ``Table`` of :mod:`storage.tables`; SQLAlchemy types the attribute
        # as the wider ``FromClause``, which lacks insert/update/name.
        __table__: ClassVar[Table]


class Replicated:
    """Columns every replicated table carries for sync (see the module docstring)."""

    organization_id: Mapped[str]
    hlc: Mapped[str]
    site_id: Mapped[str]
    col_clocks: Mapped[JsonDict]
    deleted: Mapped[bool]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Organization(Replicated, Base):
    __tablename__ = "organizations"
    __table__ = tables.organizations
    id: Mapped[str]
    name: Mapped[str]
    slug: Mapped[str]
    default_flow_id: Mapped[str | None]


class User(Replicated, Base):
    __tablename__ = "users"
    __table__ = tables.users
    id: Mapped[str]
    email: Mapped[str | None]
    name: Mapped[str]
    timezone: Mapped[str]


class Workstation(Replicated, Base):
    __tablename__ = "workstations"
    __table__ = tables.workstations
    id: Mapped[str]
    name: Mapped[str]
    hostname: Mapped[str | None]
    os: Mapped[str | None]
    arch: Mapped[str | None]
    platform_version: Mapped[str | None]
    cli_version: Mapped[str | None]
    status: Mapped[str]
    last_seen_at: Mapped[datetime | None]
    last_heartbeat_at: Mapped[datetime | None]
    """Written every ``heartbeat_seconds`` while a board or ``work`` process runs here."""
    available_code_agents: Mapped[JsonList | None]


class Project(Replicated, Base):
    __tablename__ = "projects"
    __table__ = tables.projects
    id: Mapped[str]
    name: Mapped[str]
    slug: Mapped[str]
    description: Mapped[str | None]
    memory: Mapped[str | None]
    default_flow_id: Mapped[str | None]
    default_actor_id: Mapped[str | None]
    pr_mode_default: Mapped[str]
    pr_template: Mapped[str | None]
    pr_merge_strategy: Mapped[str]
    pr_delete_branch_after_merge: Mapped[bool]
    pr_draft: Mapped[bool]
    status: Mapped[str]
    default_agent_name: Mapped[str | None]
    """The agent profile the project's stages run with unless a mission or its stage names one."""


class ProjectRepository(Replicated, Base):
    __tablename__ = "project_repositories"
    __table__ = tables.project_repositories
    id: Mapped[str]
    project_id: Mapped[str]
    name: Mapped[str]
    github_owner: Mapped[str | None]
    github_name: Mapped[str | None]
    github_url: Mapped[str | None]
    default_branch: Mapped[str]
    pr_branch_prefix: Mapped[str]
    max_concurrent_missions: Mapped[int]
    copy_files: Mapped[JsonList | None]
    setup_script: Mapped[JsonList | None]
    cleanup_script: Mapped[JsonList | None]
    status: Mapped[str]


class WorkstationRepository(Replicated, Base):
    __tablename__ = "workstation_repositories"
    __table__ = tables.workstation_repositories
    id: Mapped[str]
    workstation_id: Mapped[str]
    project_repository_id: Mapped[str]
    main_path: Mapped[str]
    main_branch: Mapped[str]
    workspace_path: Mapped[str | None]
    clone_status: Mapped[str]
    last_synced_at: Mapped[datetime | None]


class GitWorktree(Replicated, Base):
    __tablename__ = "git_worktrees"
    __table__ = tables.git_worktrees
    id: Mapped[str]
    workstation_repository_id: Mapped[str]
    mission_id: Mapped[str | None]
    branch: Mapped[str]
    base_branch: Mapped[str | None]
    worktree_path: Mapped[str]
    status: Mapped[str]
    error_message: Mapped[str | None]
    last_used_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]


class Flow(Replicated, Base):
    """Ordered stages: ``stages`` is ``[{"name", "requires_review", "instructions"}]``, each with
    an optional ``"agent"`` (the profile that runs that stage)."""

    __tablename__ = "flows"
    __table__ = tables.flows
    id: Mapped[str]
    project_id: Mapped[str | None]
    name: Mapped[str]
    description: Mapped[str | None]
    stages: Mapped[JsonList]
    is_default: Mapped[bool]


class Actor(Replicated, Base):
    __tablename__ = "actors"
    __table__ = tables.actors
    id: Mapped[str]
    project_id: Mapped[str | None]
    name: Mapped[str]
    description: Mapped[str | None]
    system_prompt: Mapped[str | None]
    methodology: Mapped[str | None]
    focus_areas: Mapped[JsonList | None]
    is_default: Mapped[bool]


class Mission(Replicated, Base):
    __tablename__ = "missions"
    __table__ = tables.missions
    id: Mapped[str]
    project_id: Mapped[str]
    title: Mapped[str]
    description: Mapped[str | None]
    clarification: Mapped[str | None]
    priority: Mapped[int]
    list: Mapped[str]
    list_order: Mapped[float]
    flow_id: Mapped[str | None]
    stage: Mapped[str]
    requires_review: Mapped[bool]
    actor_id: Mapped[str | None]
    repository_id: Mapped[str | None]
    target_branch: Mapped[str | None]
    pr_mode: Mapped[str]
    pr_branch_name: Mapped[str | None]
    github_pr_number: Mapped[int | None]
    github_pr_url: Mapped[str | None]
    ready: Mapped[bool]
    origin: Mapped[str]
    fallback_item_id: Mapped[str | None]
    agent_session_status: Mapped[str]
    last_code_agent_session_id: Mapped[str | None]
    code_agent_name: Mapped[str | None]
    solution: Mapped[str | None]
    solution_path: Mapped[str | None]
    tasks: Mapped[JsonList | None]
    tasks_path: Mapped[str | None]
    tasks_current: Mapped[int]
    review_status: Mapped[str | None]
    review_feedback: Mapped[str | None]
    review_requested_at: Mapped[datetime | None]
    review_completed_at: Mapped[datetime | None]
    reviewed_by_user_id: Mapped[str | None]
    dependency_count: Mapped[int]
    recovery_attempts: Mapped[int]
    last_error: Mapped[str | None]
    claimed_by_workstation_id: Mapped[str | None]
    claim_epoch: Mapped[int]
    claim_expires_at: Mapped[datetime | None]
    created_by_user_id: Mapped[str | None]
    last_event_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    agent_name: Mapped[str | None]
    """The agent profile a person chose for this mission (``code_agent_name`` is the one that
    ran last); see :func:`storage.agent_choice.choose_agent_name`."""


class MissionDependency(Replicated, Base):
    __tablename__ = "mission_dependencies"
    __table__ = tables.mission_dependencies
    id: Mapped[str]
    mission_id: Mapped[str]
    depends_on_mission_id: Mapped[str]
    dependency_type: Mapped[str]


class MissionEvent(Replicated, Base):
    """Append-only timeline: who did what to a mission, when, from where."""

    __tablename__ = "mission_events"
    __table__ = tables.mission_events
    id: Mapped[str]
    mission_id: Mapped[str]
    kind: Mapped[str]
    origin: Mapped[str]
    actor_user_id: Mapped[str | None]
    workstation_id: Mapped[str | None]
    summary: Mapped[str]
    payload: Mapped[JsonDict | None]


class MissionMessage(Replicated, Base):
    """A mission's thread (seed 003 clarification messages): an agent's question, a person's
    answer. An answer covers the questions before it; ``parent_message_id`` names the last."""

    __tablename__ = "mission_messages"
    __table__ = tables.mission_messages
    id: Mapped[str]
    mission_id: Mapped[str]
    kind: Mapped[str]
    author_kind: Mapped[str]
    author_user_id: Mapped[str | None]
    author_name: Mapped[str]
    stage: Mapped[str | None]
    body: Mapped[str]
    parent_message_id: Mapped[str | None]


class CodeAgentSession(Replicated, Base):
    __tablename__ = "code_agent_sessions"
    __table__ = tables.code_agent_sessions
    id: Mapped[str]
    mission_id: Mapped[str]
    workstation_id: Mapped[str]
    code_agent_type: Mapped[str]
    code_agent_name: Mapped[str | None]
    stage: Mapped[str | None]
    worktree_id: Mapped[str | None]
    working_directory: Mapped[str | None]
    status: Mapped[str]
    pid: Mapped[int | None]
    claim_epoch: Mapped[int]
    log_path: Mapped[str | None]
    prompt_path: Mapped[str | None]
    start_reason: Mapped[str | None]
    end_reason: Mapped[str | None]
    output_summary: Mapped[str | None]
    files_changed: Mapped[JsonList | None]
    commits_made: Mapped[JsonList | None]
    exit_code: Mapped[int | None]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    duration_seconds: Mapped[float | None]
    error_type: Mapped[str | None]
    error_message: Mapped[str | None]
    input_tokens: Mapped[int | None]
    output_tokens: Mapped[int | None]
    cost_usd: Mapped[float | None]
    cached_input_tokens: Mapped[int | None]
    """Of ``input_tokens``, those read from the provider's cache."""
    agent_session_id: Mapped[str | None]
    """The agent CLI's own conversation id (claude/gemini ``session_id``), to resume it."""


class CodeAgentRateLimit(Replicated, Base):
    """A workstation's agent profile that hit a usage or rate limit (seed 002 ``agents``
    status ``rate_limited``), one row per (workstation, profile name), id derived from both."""

    __tablename__ = "code_agent_rate_limits"
    __table__ = tables.code_agent_rate_limits
    id: Mapped[str]
    workstation_id: Mapped[str]
    agent_name: Mapped[str]
    agent_type: Mapped[str]
    status: Mapped[str]
    rate_limit_reset_at: Mapped[datetime | None]
    rate_limit_reason: Mapped[str | None]


class GithubPullRequest(Replicated, Base):
    __tablename__ = "github_pull_requests"
    __table__ = tables.github_pull_requests
    id: Mapped[str]
    mission_id: Mapped[str]
    project_repository_id: Mapped[str]
    github_pr_number: Mapped[int]
    github_pr_url: Mapped[str]
    source_branch: Mapped[str]
    target_branch: Mapped[str]
    title: Mapped[str]
    status: Mapped[str]
    review_status: Mapped[str | None]
    last_synced_at: Mapped[datetime | None]
    sync_error: Mapped[str | None]
    mergeable: Mapped[bool | None]
    mergeable_state: Mapped[str | None]
    approved_reviews_count: Mapped[int]
    changes_requested_count: Mapped[int]
    checks_status: Mapped[str | None]
    """``success``, ``failure`` or ``pending`` for the head commit; None when it has none."""
    head_sha: Mapped[str | None]
    etag: Mapped[str | None]
    """The ETag of GitHub's last answer for the pull request (conditional refreshes)."""
    github_merged_at: Mapped[datetime | None]
    github_closed_at: Mapped[datetime | None]


class GithubPrComment(Replicated, Base):
    """A review comment (``review_comment``: on a file and line), a review's body (``review``)
    or a conversation comment (``comment``) of a pull request; the id is derived from the pull
    request and GitHub's id, so fetching it again writes the same row."""

    __tablename__ = "github_pr_comments"
    __table__ = tables.github_pr_comments
    id: Mapped[str]
    pull_request_id: Mapped[str]
    mission_id: Mapped[str]
    github_comment_id: Mapped[int]
    kind: Mapped[str]
    author: Mapped[str | None]
    path: Mapped[str | None]
    line: Mapped[int | None]
    body: Mapped[str]
    review_state: Mapped[str | None]
    github_created_at: Mapped[datetime | None]


class MissionFallbackConfig(Replicated, Base):
    __tablename__ = "mission_fallback_configs"
    __table__ = tables.mission_fallback_configs
    id: Mapped[str]
    project_id: Mapped[str]
    backlog_threshold: Mapped[int]
    check_cadence_minutes: Mapped[int]
    auto_accept: Mapped[bool]
    weekly_mission_cap: Mapped[int]
    monthly_target_hours: Mapped[int]
    """Estimated effort of fallback missions per calendar month that fallback aims at."""
    status: Mapped[str]
    snoozed_until: Mapped[datetime | None]
    """With status ``snoozed``: no fallback run until then."""
    last_run_at: Mapped[datetime | None]


class MissionFallbackTemplate(Replicated, Base):
    __tablename__ = "mission_fallback_templates"
    __table__ = tables.mission_fallback_templates
    id: Mapped[str]
    project_id: Mapped[str]
    name: Mapped[str]
    description: Mapped[str | None]
    flow_id: Mapped[str | None]
    actor_id: Mapped[str | None]
    repository_id: Mapped[str | None]
    priority: Mapped[int]
    estimated_effort_minutes: Mapped[int | None]
    acceptance_criteria: Mapped[str | None]
    enabled: Mapped[bool]
    tags: Mapped[JsonList | None]
    snoozed_until: Mapped[datetime | None]
    """Runs skip the template until then."""


class MissionFallbackRun(Replicated, Base):
    __tablename__ = "mission_fallback_runs"
    __table__ = tables.mission_fallback_runs
    id: Mapped[str]
    project_id: Mapped[str]
    triggered_by: Mapped[str]
    backlog_count_before: Mapped[int | None]
    backlog_threshold: Mapped[int | None]
    generated_count: Mapped[int]
    accepted_count: Mapped[int]
    discarded_count: Mapped[int]
    status: Mapped[str]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class MissionFallbackItem(Replicated, Base):
    __tablename__ = "mission_fallback_items"
    __table__ = tables.mission_fallback_items
    id: Mapped[str]
    mission_fallback_run_id: Mapped[str]
    template_id: Mapped[str]
    project_id: Mapped[str]
    title: Mapped[str]
    description: Mapped[str | None]
    priority: Mapped[int | None]
    estimated_effort_minutes: Mapped[int | None]
    status: Mapped[str]
    snoozed_until: Mapped[datetime | None]
    """With status ``snoozed``: hidden, and its template skipped by runs, until then."""
    mission_id: Mapped[str | None]
    feedback: Mapped[str | None]


# --- local-only tables: the replica's own bookkeeping, never replicated -------------------------


class OutboxEntry(Base):
    """A local change waiting to be pushed. ``change_id`` numbers this replica's changes 1, 2, 3…"""

    __tablename__ = "sync_outbox"
    __table__ = tables.sync_outbox
    # AUTOINCREMENT: never reuse a change_id after the outbox drains (the server would ignore it).
    change_id: Mapped[int]
    table_name: Mapped[str]
    row_id: Mapped[str]
    organization_id: Mapped[str]
    op: Mapped[str]
    hlc: Mapped[str]
    values: Mapped[JsonDict]
    created_at: Mapped[datetime]


class MissionListCount(Base):
    """Live missions per project and list, kept by triggers on the replica (migration 0011)."""

    __tablename__ = "mission_list_counts"
    __table__ = tables.mission_list_counts
    project_id: Mapped[str]
    list: Mapped[str]
    live: Mapped[int]


class ReplicaMeta(Base):
    """Key/value facts about this replica: site id, last clock, sync cursor."""

    __tablename__ = "replica_meta"
    __table__ = tables.replica_meta
    key: Mapped[str]
    value: Mapped[str]


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
