"""Names the schema fixes, importable without SQLAlchemy (command-line parsers use them)."""

from __future__ import annotations

MISSION_LISTS = ("todo", "doing", "review", "done")

#: The fields ``mission … --json`` prints, in this order.
MISSION_JSON_FIELDS = (
    "id",
    "project_id",
    "title",
    "description",
    "list",
    "list_order",
    "priority",
    "ready",
    "stage",
    "flow_id",
    "actor_id",
    "agent_name",
    "repository_id",
    "target_branch",
    "agent_session_status",
    "review_status",
    "review_feedback",
    "clarification",
    "solution",
    "tasks",
    "pr_mode",
    "github_pr_url",
    "origin",
    "recovery_attempts",
    "last_error",
    "created_at",
    "updated_at",
)
