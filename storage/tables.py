"""The schema as SQLAlchemy Core tables: the one place columns, defaults and indexes are declared.

The same tables serve the SQLite replica and the PostgreSQL server. :mod:`storage.models` maps
its ORM classes onto these very ``Table`` objects (declarative with ``__table__``), so a new
column or index is added here (and in a migration) and the ORM sees it. Paths that must start
fast (the CLI's inline writes, :meth:`storage.database.Database.open_inline`) use these tables
without importing the ORM at all.

Each table is built the first time it is asked for (``tables.missions``; PEP 562 module
``__getattr__``), so a command that touches four tables builds four. :func:`all_tables` builds
every one (Alembic, ``create_all`` and the migration check need the whole ``metadata``).

Every replicated table carries what sync merges on (:func:`_replicated`): ``organization_id``
(the replication scope), ``col_clocks`` (the hybrid-logical-clock timestamp of the last write to
each column, for per-column last-writer-wins), ``hlc`` (the newest of those), ``site_id`` (the
replica that wrote it) and ``deleted`` (a tombstone; rows are never removed by a replicated
delete). References between rows are plain id columns, not foreign keys (see
:mod:`storage.models`).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from storage.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


def _replicated() -> list[Column]:
    """The sync columns of a replicated table (fresh objects: a column belongs to one table)."""
    return [
        Column("organization_id", String(40), nullable=False, index=True),
        Column("hlc", String(80), nullable=False, default=""),
        Column("site_id", String(40), nullable=False, default=""),
        Column("col_clocks", JSON, nullable=False, default=dict),
        Column("deleted", Boolean, nullable=False, default=False),
        Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
        Column("updated_at", UTCDateTime(), nullable=False, default=utcnow),
    ]


def _organizations() -> Table:
    return Table(
        "organizations",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("name", String(255), nullable=False),
        Column("slug", String(100), nullable=False),
        Column("default_flow_id", String(40)),
        *_replicated(),
    )


def _users() -> Table:
    return Table(
        "users",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("email", String(255)),
        Column("name", String(255), nullable=False),
        Column("timezone", String(50), nullable=False, default="UTC"),
        *_replicated(),
    )


def _workstations() -> Table:
    return Table(
        "workstations",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("name", String(255), nullable=False),
        Column("hostname", String(255)),
        Column("os", String(50)),
        Column("arch", String(50)),
        Column("platform_version", String(200)),
        Column("cli_version", String(20)),
        Column("status", String(16), nullable=False, default="offline"),
        Column("last_seen_at", UTCDateTime()),
        Column("last_heartbeat_at", UTCDateTime()),
        Column("available_code_agents", JSON),
        *_replicated(),
    )


def _projects() -> Table:
    return Table(
        "projects",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("name", String(255), nullable=False),
        Column("slug", String(100), nullable=False),
        Column("description", Text),
        Column("memory", Text),
        Column("default_flow_id", String(40)),
        Column("default_actor_id", String(40)),
        Column("pr_mode_default", String(16), nullable=False, default="disabled"),
        Column("pr_template", Text),
        Column("pr_merge_strategy", String(16), nullable=False, default="squash"),
        Column("pr_delete_branch_after_merge", Boolean, nullable=False, default=True),
        Column("pr_draft", Boolean, nullable=False, default=False),
        Column("status", String(16), nullable=False, default="active"),
        Column("default_agent_name", String(255)),
        *_replicated(),
    )


def _project_repositories() -> Table:
    return Table(
        "project_repositories",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("project_id", String(40), nullable=False, index=True),
        Column("name", String(255), nullable=False),
        Column("github_owner", String(100)),
        Column("github_name", String(100)),
        Column("github_url", Text),
        Column("default_branch", String(255), nullable=False, default="main"),
        Column("pr_branch_prefix", String(50), nullable=False, default="solo-unicorn/"),
        Column("max_concurrent_missions", Integer, nullable=False, default=1),
        Column("copy_files", JSON),
        Column("setup_script", JSON),
        Column("cleanup_script", JSON),
        Column("status", String(16), nullable=False, default="active"),
        *_replicated(),
    )


def _workstation_repositories() -> Table:
    return Table(
        "workstation_repositories",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("workstation_id", String(40), nullable=False, index=True),
        Column("project_repository_id", String(40), nullable=False),
        Column("main_path", Text, nullable=False),
        Column("main_branch", String(255), nullable=False, default="main"),
        Column("workspace_path", Text),
        Column("clone_status", String(16), nullable=False, default="ready"),
        Column("last_synced_at", UTCDateTime()),
        *_replicated(),
        UniqueConstraint("workstation_id", "project_repository_id"),
    )


def _git_worktrees() -> Table:
    return Table(
        "git_worktrees",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("workstation_repository_id", String(40), nullable=False, index=True),
        Column("mission_id", String(40), index=True),
        Column("branch", String(255), nullable=False),
        Column("base_branch", String(255)),
        Column("worktree_path", Text, nullable=False),
        Column("status", String(16), nullable=False, default="creating"),
        Column("error_message", Text),
        Column("last_used_at", UTCDateTime()),
        Column("removed_at", UTCDateTime()),
        *_replicated(),
    )


def _flows() -> Table:
    return Table(
        "flows",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("project_id", String(40), index=True),
        Column("name", String(255), nullable=False),
        Column("description", Text),
        Column("stages", JSON, nullable=False, default=list),
        Column("is_default", Boolean, nullable=False, default=False),
        *_replicated(),
    )


def _actors() -> Table:
    return Table(
        "actors",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("project_id", String(40), index=True),
        Column("name", String(255), nullable=False),
        Column("description", Text),
        Column("system_prompt", Text),
        Column("methodology", Text),
        Column("focus_areas", JSON),
        Column("is_default", Boolean, nullable=False, default=False),
        *_replicated(),
    )


def _missions() -> Table:
    return Table(
        "missions",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("project_id", String(40), nullable=False),
        Column("title", String(500), nullable=False),
        Column("description", Text),
        Column("clarification", Text),
        Column("priority", Integer, nullable=False, default=3),
        Column("list", String(16), nullable=False, default="todo"),
        Column("list_order", Float(precision=53), nullable=False, default=1000.0),
        Column("flow_id", String(40)),
        Column("stage", String(64), nullable=False, default="clarify"),
        Column("requires_review", Boolean, nullable=False, default=False),
        Column("actor_id", String(40)),
        Column("repository_id", String(40), index=True),
        Column("target_branch", String(255)),
        Column("pr_mode", String(16), nullable=False, default="disabled"),
        Column("pr_branch_name", String(255)),
        Column("github_pr_number", Integer),
        Column("github_pr_url", Text),
        Column("ready", Boolean, nullable=False, default=False),
        Column("origin", String(16), nullable=False, default="manual"),
        Column("fallback_item_id", String(40)),
        Column("agent_session_status", String(16), nullable=False, default="inactive"),
        Column("last_code_agent_session_id", String(40)),
        Column("code_agent_name", String(255)),
        Column("solution", Text),
        Column("solution_path", Text),
        Column("tasks", JSON),
        Column("tasks_path", Text),
        Column("tasks_current", Integer, nullable=False, default=0),
        Column("review_status", String(16)),
        Column("review_feedback", Text),
        Column("review_requested_at", UTCDateTime()),
        Column("review_completed_at", UTCDateTime()),
        Column("reviewed_by_user_id", String(40)),
        Column("dependency_count", Integer, nullable=False, default=0),
        Column("recovery_attempts", Integer, nullable=False, default=0),
        Column("last_error", Text),
        Column("claimed_by_workstation_id", String(40)),
        Column("claim_epoch", Integer, nullable=False, default=0),
        Column("claim_expires_at", UTCDateTime()),
        Column("created_by_user_id", String(40)),
        Column("last_event_at", UTCDateTime()),
        Column("completed_at", UTCDateTime()),
        Column("agent_name", String(255)),
        *_replicated(),
        CheckConstraint("list IN ('todo', 'doing', 'review', 'done')", name="list_name"),
        CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),
        Index("ix_missions_board", "project_id", "deleted", "list", "list_order", "id"),
        Index(
            "ix_missions_dispatch",
            *("project_id", "deleted", "ready", "list", "priority", "list_order", "id"),
        ),
        # On the replica also (migration 0011): ix_missions_id_tail on lower(substr(id, -4)),
        # and the triggers that keep mission_list_counts.
        Index("ix_missions_project_completed", "project_id", "completed_at"),
        Index("ix_missions_project_created", "project_id", "created_at"),
    )


def _mission_dependencies() -> Table:
    return Table(
        "mission_dependencies",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("mission_id", String(40), nullable=False, index=True),
        Column("depends_on_mission_id", String(40), nullable=False, index=True),
        Column("dependency_type", String(16), nullable=False, default="blocks"),
        *_replicated(),
    )


def _mission_events() -> Table:
    return Table(
        "mission_events",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("mission_id", String(40), nullable=False),
        Column("kind", String(40), nullable=False),
        Column("origin", String(16), nullable=False, default="user"),
        Column("actor_user_id", String(40)),
        Column("workstation_id", String(40)),
        Column("summary", Text, nullable=False, default=""),
        Column("payload", JSON),
        *_replicated(),
        Index("ix_mission_events_timeline", "mission_id", "hlc"),
    )


def _mission_messages() -> Table:
    return Table(
        "mission_messages",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("mission_id", String(40), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("author_kind", String(16), nullable=False),
        Column("author_user_id", String(40)),
        Column("author_name", String(255), nullable=False, default=""),
        Column("stage", String(64)),
        Column("body", Text, nullable=False),
        Column("parent_message_id", String(40)),
        *_replicated(),
        Index("ix_mission_messages_thread", "mission_id", "created_at"),
    )


def _code_agent_sessions() -> Table:
    return Table(
        "code_agent_sessions",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("mission_id", String(40), nullable=False, index=True),
        Column("workstation_id", String(40), nullable=False, index=True),
        Column("code_agent_type", String(50), nullable=False),
        Column("code_agent_name", String(255)),
        Column("stage", String(64)),
        Column("worktree_id", String(40)),
        Column("working_directory", Text),
        Column("status", String(16), nullable=False, default="starting"),
        Column("pid", Integer),
        Column("claim_epoch", Integer, nullable=False, default=0),
        Column("log_path", Text),
        Column("prompt_path", Text),
        Column("start_reason", Text),
        Column("end_reason", Text),
        Column("output_summary", Text),
        Column("files_changed", JSON),
        Column("commits_made", JSON),
        Column("exit_code", Integer),
        Column("started_at", UTCDateTime()),
        Column("ended_at", UTCDateTime()),
        Column("duration_seconds", Float(precision=53)),
        Column("error_type", String(100)),
        Column("error_message", Text),
        Column("input_tokens", Integer),
        Column("output_tokens", Integer),
        Column("cost_usd", Float(precision=53)),
        Column("cached_input_tokens", Integer),
        Column("agent_session_id", String(255)),
        *_replicated(),
        Index("ix_code_agent_sessions_created", "created_at"),
    )


def _code_agent_rate_limits() -> Table:
    return Table(
        "code_agent_rate_limits",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("workstation_id", String(40), nullable=False, index=True),
        Column("agent_name", String(255), nullable=False),
        Column("agent_type", String(50), nullable=False),
        Column("status", String(16), nullable=False, default="available"),
        Column("rate_limit_reset_at", UTCDateTime()),
        Column("rate_limit_reason", Text),
        *_replicated(),
    )


def _github_pull_requests() -> Table:
    return Table(
        "github_pull_requests",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("mission_id", String(40), nullable=False, index=True),
        Column("project_repository_id", String(40), nullable=False),
        Column("github_pr_number", Integer, nullable=False),
        Column("github_pr_url", Text, nullable=False),
        Column("source_branch", String(255), nullable=False),
        Column("target_branch", String(255), nullable=False),
        Column("title", String(500), nullable=False),
        Column("status", String(16), nullable=False, default="open"),
        Column("review_status", String(32)),
        Column("last_synced_at", UTCDateTime()),
        Column("sync_error", Text),
        Column("mergeable", Boolean),
        Column("mergeable_state", String(50)),
        Column("approved_reviews_count", Integer, nullable=False, default=0),
        Column("changes_requested_count", Integer, nullable=False, default=0),
        Column("checks_status", String(16)),
        Column("head_sha", String(64)),
        Column("etag", String(200)),
        Column("github_merged_at", UTCDateTime()),
        Column("github_closed_at", UTCDateTime()),
        *_replicated(),
        # A card's PR badge reads its mission's newest PR: a range of this index, no sort.
        Index("ix_github_pull_requests_mission_created", "mission_id", "created_at"),
    )


def _github_pr_comments() -> Table:
    return Table(
        "github_pr_comments",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("pull_request_id", String(40), nullable=False, index=True),
        Column("mission_id", String(40), nullable=False),
        Column("github_comment_id", BigInteger, nullable=False),
        Column("kind", String(16), nullable=False),
        Column("author", String(255)),
        Column("path", Text),
        Column("line", Integer),
        Column("body", Text, nullable=False),
        Column("review_state", String(32)),
        Column("github_created_at", UTCDateTime()),
        *_replicated(),
    )


def _mission_fallback_configs() -> Table:
    return Table(
        "mission_fallback_configs",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("project_id", String(40), nullable=False, unique=True),
        Column("backlog_threshold", Integer, nullable=False, default=5),
        Column("check_cadence_minutes", Integer, nullable=False, default=15),
        Column("auto_accept", Boolean, nullable=False, default=False),
        Column("weekly_mission_cap", Integer, nullable=False, default=20),
        Column("monthly_target_hours", Integer, nullable=False, default=120, server_default="120"),
        Column("status", String(16), nullable=False, default="active"),
        Column("snoozed_until", UTCDateTime()),
        Column("last_run_at", UTCDateTime()),
        *_replicated(),
    )


def _mission_fallback_templates() -> Table:
    return Table(
        "mission_fallback_templates",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("project_id", String(40), nullable=False, index=True),
        Column("name", String(255), nullable=False),
        Column("description", Text),
        Column("flow_id", String(40)),
        Column("actor_id", String(40)),
        Column("repository_id", String(40)),
        Column("priority", Integer, nullable=False, default=3),
        Column("estimated_effort_minutes", Integer),
        Column("acceptance_criteria", Text),
        Column("enabled", Boolean, nullable=False, default=True),
        Column("tags", JSON),
        Column("snoozed_until", UTCDateTime()),
        *_replicated(),
    )


def _mission_fallback_runs() -> Table:
    return Table(
        "mission_fallback_runs",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("project_id", String(40), nullable=False, index=True),
        Column("triggered_by", String(16), nullable=False),
        Column("backlog_count_before", Integer),
        Column("backlog_threshold", Integer),
        Column("generated_count", Integer, nullable=False, default=0),
        Column("accepted_count", Integer, nullable=False, default=0),
        Column("discarded_count", Integer, nullable=False, default=0),
        Column("status", String(20), nullable=False, default="awaiting_review"),
        Column("started_at", UTCDateTime()),
        Column("completed_at", UTCDateTime()),
        *_replicated(),
        Index("ix_fallback_runs_project_started", "project_id", "started_at"),
    )


def _mission_fallback_items() -> Table:
    return Table(
        "mission_fallback_items",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("mission_fallback_run_id", String(40), nullable=False, index=True),
        Column("template_id", String(40), nullable=False),
        Column("project_id", String(40), nullable=False),
        Column("title", String(500), nullable=False),
        Column("description", Text),
        Column("priority", Integer),
        Column("estimated_effort_minutes", Integer),
        Column("status", String(16), nullable=False, default="proposed"),
        Column("snoozed_until", UTCDateTime()),
        Column("mission_id", String(40)),
        Column("feedback", Text),
        *_replicated(),
    )


def _sync_outbox() -> Table:
    return Table(
        "sync_outbox",
        metadata,
        Column("change_id", Integer, primary_key=True, autoincrement=True),
        Column("table_name", String(64), nullable=False),
        Column("row_id", String(40), nullable=False),
        Column("organization_id", String(40), nullable=False),
        Column("op", String(8), nullable=False),
        Column("hlc", String(80), nullable=False),
        Column("values", JSON, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
        sqlite_autoincrement=True,
    )


def _mission_list_counts() -> Table:
    """Live missions per project and list: the board's unfiltered counts, one row to read.

    Not replicated: on the replica, triggers on ``missions`` keep it (migration 0011); the
    server has the table but never reads it (the board reads only its replica).
    """
    return Table(
        "mission_list_counts",
        metadata,
        Column("project_id", String, primary_key=True),
        Column("list", String, primary_key=True),
        Column("live", Integer, nullable=False),
    )


def _replica_meta() -> Table:
    return Table(
        "replica_meta",
        metadata,
        Column("key", String(64), primary_key=True),
        Column("value", Text, nullable=False),
    )


_BUILDERS: dict[str, Callable[[], Table]] = {
    "organizations": _organizations,
    "users": _users,
    "workstations": _workstations,
    "projects": _projects,
    "project_repositories": _project_repositories,
    "workstation_repositories": _workstation_repositories,
    "git_worktrees": _git_worktrees,
    "flows": _flows,
    "actors": _actors,
    "missions": _missions,
    "mission_dependencies": _mission_dependencies,
    "mission_events": _mission_events,
    "mission_messages": _mission_messages,
    "code_agent_sessions": _code_agent_sessions,
    "code_agent_rate_limits": _code_agent_rate_limits,
    "github_pull_requests": _github_pull_requests,
    "github_pr_comments": _github_pr_comments,
    "mission_fallback_configs": _mission_fallback_configs,
    "mission_fallback_templates": _mission_fallback_templates,
    "mission_fallback_runs": _mission_fallback_runs,
    "mission_fallback_items": _mission_fallback_items,
    "sync_outbox": _sync_outbox,
    "mission_list_counts": _mission_list_counts,
    "replica_meta": _replica_meta,
}

#: The tables sync replicates, in dependency-free order (the server applies them in this order).
REPLICATED_TABLE_NAMES: tuple[str, ...] = (
    "organizations",
    "users",
    "workstations",
    "projects",
    "project_repositories",
    "workstation_repositories",
    "git_worktrees",
    "flows",
    "actors",
    "missions",
    "mission_dependencies",
    "mission_events",
    "mission_messages",
    "code_agent_sessions",
    "code_agent_rate_limits",
    "github_pull_requests",
    "github_pr_comments",
    "mission_fallback_configs",
    "mission_fallback_templates",
    "mission_fallback_runs",
    "mission_fallback_items",
)


def table(name: str) -> Table:
    """The table ``name``, built on first use."""
    found = metadata.tables.get(name)
    if found is None:
        try:
            builder = _BUILDERS[name]
        except KeyError:
            raise AttributeError(f"storage.tables has no table {name!r}") from None
        found = builder()
    return found


def all_tables() -> MetaData:
    """The metadata with every table built (for Alembic, ``create_all`` and checks)."""
    for name in _BUILDERS:
        table(name)
    return metadata


def __getattr__(name: str) -> Table:
    return table(name)
