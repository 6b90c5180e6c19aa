"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-23 10:17:45.886511
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "actors",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("system_prompt", sa.Text(), nullable=True),
        sa.Column("methodology", sa.Text(), nullable=True),
        sa.Column("focus_areas", sa.JSON(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actors")),
    )
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_actors_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_actors_project_id"), ["project_id"], unique=False)

    op.create_table(
        "code_agent_sessions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("mission_id", sa.String(length=40), nullable=False),
        sa.Column("workstation_id", sa.String(length=40), nullable=False),
        sa.Column("code_agent_type", sa.String(length=50), nullable=False),
        sa.Column("code_agent_name", sa.String(length=255), nullable=True),
        sa.Column("stage", sa.String(length=64), nullable=True),
        sa.Column("worktree_id", sa.String(length=40), nullable=True),
        sa.Column("working_directory", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("claim_epoch", sa.Integer(), nullable=False),
        sa.Column("log_path", sa.Text(), nullable=True),
        sa.Column("prompt_path", sa.Text(), nullable=True),
        sa.Column("start_reason", sa.Text(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("output_summary", sa.Text(), nullable=True),
        sa.Column("files_changed", sa.JSON(), nullable=True),
        sa.Column("commits_made", sa.JSON(), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Float(precision=53), nullable=True),
        sa.Column("error_type", sa.String(length=100), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("cost_usd", sa.Float(precision=53), nullable=True),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_agent_sessions")),
    )
    with op.batch_alter_table("code_agent_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_code_agent_sessions_mission_id"), ["mission_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_code_agent_sessions_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_code_agent_sessions_workstation_id"), ["workstation_id"], unique=False
        )

    op.create_table(
        "flows",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flows")),
    )
    with op.batch_alter_table("flows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_flows_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_flows_project_id"), ["project_id"], unique=False)

    op.create_table(
        "git_worktrees",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workstation_repository_id", sa.String(length=40), nullable=False),
        sa.Column("mission_id", sa.String(length=40), nullable=True),
        sa.Column("branch", sa.String(length=255), nullable=False),
        sa.Column("base_branch", sa.String(length=255), nullable=True),
        sa.Column("worktree_path", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("last_used_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_git_worktrees")),
    )
    with op.batch_alter_table("git_worktrees", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_git_worktrees_mission_id"), ["mission_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_git_worktrees_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_git_worktrees_workstation_repository_id"),
            ["workstation_repository_id"],
            unique=False,
        )

    op.create_table(
        "github_pull_requests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("mission_id", sa.String(length=40), nullable=False),
        sa.Column("project_repository_id", sa.String(length=40), nullable=False),
        sa.Column("github_pr_number", sa.Integer(), nullable=False),
        sa.Column("github_pr_url", sa.Text(), nullable=False),
        sa.Column("source_branch", sa.String(length=255), nullable=False),
        sa.Column("target_branch", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("review_status", sa.String(length=32), nullable=True),
        sa.Column("last_synced_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sync_error", sa.Text(), nullable=True),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_github_pull_requests")),
    )
    with op.batch_alter_table("github_pull_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_github_pull_requests_mission_id"), ["mission_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_github_pull_requests_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "mission_dependencies",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("mission_id", sa.String(length=40), nullable=False),
        sa.Column("depends_on_mission_id", sa.String(length=40), nullable=False),
        sa.Column("dependency_type", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mission_dependencies")),
    )
    with op.batch_alter_table("mission_dependencies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mission_dependencies_depends_on_mission_id"),
            ["depends_on_mission_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_mission_dependencies_mission_id"), ["mission_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mission_dependencies_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "mission_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("mission_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("actor_user_id", sa.String(length=40), nullable=True),
        sa.Column("workstation_id", sa.String(length=40), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mission_events")),
    )
    with op.batch_alter_table("mission_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mission_events_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index("ix_mission_events_timeline", ["mission_id", "hlc"], unique=False)

    op.create_table(
        "mission_fallback_configs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("backlog_threshold", sa.Integer(), nullable=False),
        sa.Column("check_cadence_minutes", sa.Integer(), nullable=False),
        sa.Column("auto_accept", sa.Boolean(), nullable=False),
        sa.Column("weekly_mission_cap", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_run_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mission_fallback_configs")),
        sa.UniqueConstraint("project_id", name=op.f("uq_mission_fallback_configs_project_id")),
    )
    with op.batch_alter_table("mission_fallback_configs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mission_fallback_configs_organization_id"),
            ["organization_id"],
            unique=False,
        )

    op.create_table(
        "mission_fallback_items",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("mission_fallback_run_id", sa.String(length=40), nullable=False),
        sa.Column("template_id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("estimated_effort_minutes", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mission_id", sa.String(length=40), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mission_fallback_items")),
    )
    with op.batch_alter_table("mission_fallback_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mission_fallback_items_mission_fallback_run_id"),
            ["mission_fallback_run_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_mission_fallback_items_organization_id"),
            ["organization_id"],
            unique=False,
        )

    op.create_table(
        "mission_fallback_runs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("triggered_by", sa.String(length=16), nullable=False),
        sa.Column("backlog_count_before", sa.Integer(), nullable=True),
        sa.Column("backlog_threshold", sa.Integer(), nullable=True),
        sa.Column("generated_count", sa.Integer(), nullable=False),
        sa.Column("accepted_count", sa.Integer(), nullable=False),
        sa.Column("discarded_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mission_fallback_runs")),
    )
    with op.batch_alter_table("mission_fallback_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mission_fallback_runs_organization_id"),
            ["organization_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_mission_fallback_runs_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "mission_fallback_templates",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("flow_id", sa.String(length=40), nullable=True),
        sa.Column("actor_id", sa.String(length=40), nullable=True),
        sa.Column("repository_id", sa.String(length=40), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("estimated_effort_minutes", sa.Integer(), nullable=True),
        sa.Column("acceptance_criteria", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mission_fallback_templates")),
    )
    with op.batch_alter_table("mission_fallback_templates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mission_fallback_templates_organization_id"),
            ["organization_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_mission_fallback_templates_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "missions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("clarification", sa.Text(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("list", sa.String(length=16), nullable=False),
        sa.Column("list_order", sa.Float(precision=53), nullable=False),
        sa.Column("flow_id", sa.String(length=40), nullable=True),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("requires_review", sa.Boolean(), nullable=False),
        sa.Column("actor_id", sa.String(length=40), nullable=True),
        sa.Column("repository_id", sa.String(length=40), nullable=True),
        sa.Column("target_branch", sa.String(length=255), nullable=True),
        sa.Column("pr_mode", sa.String(length=16), nullable=False),
        sa.Column("pr_branch_name", sa.String(length=255), nullable=True),
        sa.Column("github_pr_number", sa.Integer(), nullable=True),
        sa.Column("github_pr_url", sa.Text(), nullable=True),
        sa.Column("ready", sa.Boolean(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("fallback_item_id", sa.String(length=40), nullable=True),
        sa.Column("agent_session_status", sa.String(length=16), nullable=False),
        sa.Column("last_code_agent_session_id", sa.String(length=40), nullable=True),
        sa.Column("code_agent_name", sa.String(length=255), nullable=True),
        sa.Column("solution", sa.Text(), nullable=True),
        sa.Column("solution_path", sa.Text(), nullable=True),
        sa.Column("tasks", sa.JSON(), nullable=True),
        sa.Column("tasks_path", sa.Text(), nullable=True),
        sa.Column("tasks_current", sa.Integer(), nullable=False),
        sa.Column("review_status", sa.String(length=16), nullable=True),
        sa.Column("review_feedback", sa.Text(), nullable=True),
        sa.Column("review_requested_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_completed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_user_id", sa.String(length=40), nullable=True),
        sa.Column("dependency_count", sa.Integer(), nullable=False),
        sa.Column("recovery_attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by_workstation_id", sa.String(length=40), nullable=True),
        sa.Column("claim_epoch", sa.Integer(), nullable=False),
        sa.Column("claim_expires_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_user_id", sa.String(length=40), nullable=True),
        sa.Column("last_event_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "list IN ('todo', 'doing', 'review', 'done')", name=op.f("ck_missions_list_name")
        ),
        sa.CheckConstraint("priority BETWEEN 1 AND 5", name=op.f("ck_missions_priority_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missions")),
    )
    with op.batch_alter_table("missions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_missions_board", ["project_id", "deleted", "list", "list_order"], unique=False
        )
        batch_op.create_index(
            "ix_missions_dispatch", ["deleted", "ready", "list", "priority"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_missions_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_missions_repository_id"), ["repository_id"], unique=False
        )

    op.create_table(
        "organizations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("default_flow_id", sa.String(length=40), nullable=True),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organizations_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "project_repositories",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("github_owner", sa.String(length=100), nullable=True),
        sa.Column("github_name", sa.String(length=100), nullable=True),
        sa.Column("github_url", sa.Text(), nullable=True),
        sa.Column("default_branch", sa.String(length=255), nullable=False),
        sa.Column("pr_branch_prefix", sa.String(length=50), nullable=False),
        sa.Column("max_concurrent_missions", sa.Integer(), nullable=False),
        sa.Column("copy_files", sa.JSON(), nullable=True),
        sa.Column("setup_script", sa.JSON(), nullable=True),
        sa.Column("cleanup_script", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_repositories")),
    )
    with op.batch_alter_table("project_repositories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_repositories_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_project_repositories_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("memory", sa.Text(), nullable=True),
        sa.Column("default_flow_id", sa.String(length=40), nullable=True),
        sa.Column("default_actor_id", sa.String(length=40), nullable=True),
        sa.Column("pr_mode_default", sa.String(length=16), nullable=False),
        sa.Column("pr_template", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_projects_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "replica_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_replica_meta")),
    )
    op.create_table(
        "sync_outbox",
        sa.Column("change_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("change_id", name=op.f("pk_sync_outbox")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("timezone", sa.String(length=50), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_users_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "workstation_repositories",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workstation_id", sa.String(length=40), nullable=False),
        sa.Column("project_repository_id", sa.String(length=40), nullable=False),
        sa.Column("main_path", sa.Text(), nullable=False),
        sa.Column("main_branch", sa.String(length=255), nullable=False),
        sa.Column("workspace_path", sa.Text(), nullable=True),
        sa.Column("clone_status", sa.String(length=16), nullable=False),
        sa.Column("last_synced_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workstation_repositories")),
        sa.UniqueConstraint(
            "workstation_id",
            "project_repository_id",
            name=op.f("uq_workstation_repositories_workstation_id"),
        ),
    )
    with op.batch_alter_table("workstation_repositories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workstation_repositories_organization_id"),
            ["organization_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_workstation_repositories_workstation_id"),
            ["workstation_id"],
            unique=False,
        )

    op.create_table(
        "workstations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=True),
        sa.Column("os", sa.String(length=50), nullable=True),
        sa.Column("arch", sa.String(length=50), nullable=True),
        sa.Column("platform_version", sa.String(length=200), nullable=True),
        sa.Column("cli_version", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_seen_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("available_code_agents", sa.JSON(), nullable=True),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workstations")),
    )
    with op.batch_alter_table("workstations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workstations_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("workstations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workstations_organization_id"))

    op.drop_table("workstations")
    with op.batch_alter_table("workstation_repositories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workstation_repositories_workstation_id"))
        batch_op.drop_index(batch_op.f("ix_workstation_repositories_organization_id"))

    op.drop_table("workstation_repositories")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_organization_id"))

    op.drop_table("users")
    op.drop_table("sync_outbox")
    op.drop_table("replica_meta")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_organization_id"))

    op.drop_table("projects")
    with op.batch_alter_table("project_repositories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_repositories_project_id"))
        batch_op.drop_index(batch_op.f("ix_project_repositories_organization_id"))

    op.drop_table("project_repositories")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_organization_id"))

    op.drop_table("organizations")
    with op.batch_alter_table("missions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_missions_repository_id"))
        batch_op.drop_index(batch_op.f("ix_missions_organization_id"))
        batch_op.drop_index("ix_missions_dispatch")
        batch_op.drop_index("ix_missions_board")

    op.drop_table("missions")
    with op.batch_alter_table("mission_fallback_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mission_fallback_templates_project_id"))
        batch_op.drop_index(batch_op.f("ix_mission_fallback_templates_organization_id"))

    op.drop_table("mission_fallback_templates")
    with op.batch_alter_table("mission_fallback_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mission_fallback_runs_project_id"))
        batch_op.drop_index(batch_op.f("ix_mission_fallback_runs_organization_id"))

    op.drop_table("mission_fallback_runs")
    with op.batch_alter_table("mission_fallback_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mission_fallback_items_organization_id"))
        batch_op.drop_index(batch_op.f("ix_mission_fallback_items_mission_fallback_run_id"))

    op.drop_table("mission_fallback_items")
    with op.batch_alter_table("mission_fallback_configs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mission_fallback_configs_organization_id"))

    op.drop_table("mission_fallback_configs")
    with op.batch_alter_table("mission_events", schema=None) as batch_op:
        batch_op.drop_index("ix_mission_events_timeline")
        batch_op.drop_index(batch_op.f("ix_mission_events_organization_id"))

    op.drop_table("mission_events")
    with op.batch_alter_table("mission_dependencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mission_dependencies_organization_id"))
        batch_op.drop_index(batch_op.f("ix_mission_dependencies_mission_id"))
        batch_op.drop_index(batch_op.f("ix_mission_dependencies_depends_on_mission_id"))

    op.drop_table("mission_dependencies")
    with op.batch_alter_table("github_pull_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_github_pull_requests_organization_id"))
        batch_op.drop_index(batch_op.f("ix_github_pull_requests_mission_id"))

    op.drop_table("github_pull_requests")
    with op.batch_alter_table("git_worktrees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_git_worktrees_workstation_repository_id"))
        batch_op.drop_index(batch_op.f("ix_git_worktrees_organization_id"))
        batch_op.drop_index(batch_op.f("ix_git_worktrees_mission_id"))

    op.drop_table("git_worktrees")
    with op.batch_alter_table("flows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flows_project_id"))
        batch_op.drop_index(batch_op.f("ix_flows_organization_id"))

    op.drop_table("flows")
    with op.batch_alter_table("code_agent_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_code_agent_sessions_workstation_id"))
        batch_op.drop_index(batch_op.f("ix_code_agent_sessions_organization_id"))
        batch_op.drop_index(batch_op.f("ix_code_agent_sessions_mission_id"))

    op.drop_table("code_agent_sessions")
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actors_project_id"))
        batch_op.drop_index(batch_op.f("ix_actors_organization_id"))

    op.drop_table("actors")
