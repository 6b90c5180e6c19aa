"""A project's pull request settings: the PR mode new missions get, the PR template, drafts,
and how the board's "merge PR" merges (strategy, branch deleted afterwards)."""

from __future__ import annotations

from typing import Any

from storage import validation
from storage.changes import ChangeWriter
from storage.database import Database
from storage.errors import ValidationError
from storage.models import Project
from storage.rows import fetch_row

projects = Project.__table__
MERGE_STRATEGIES = ("merge", "squash", "rebase")
TEMPLATE_MAX = 20_000
PR_SETTINGS = frozenset(
    {
        "pr_mode_default",
        "pr_template",
        "pr_draft",
        "pr_merge_strategy",
        "pr_delete_branch_after_merge",
    }
)


def _clean(settings: dict[str, Any]) -> dict[str, Any]:
    unknown = set(settings) - PR_SETTINGS
    if unknown:
        raise ValidationError(", ".join(sorted(unknown)), "is not a pull request setting")
    values = dict(settings)
    if "pr_mode_default" in values:
        values["pr_mode_default"] = validation.pr_mode(values["pr_mode_default"], "--pr-mode")
    if "pr_merge_strategy" in values and values["pr_merge_strategy"] not in MERGE_STRATEGIES:
        raise ValidationError(
            "merge strategy",
            f"{values['pr_merge_strategy']!r}; choose one of {', '.join(MERGE_STRATEGIES)}",
        )
    if "pr_template" in values:
        text = validation.long_text(values["pr_template"], "PR template", TEMPLATE_MAX)
        values["pr_template"] = text if text and text.strip() else None
    for flag in ("pr_draft", "pr_delete_branch_after_merge"):
        if flag in values and not isinstance(values[flag], bool):
            raise ValidationError(flag, "must be true or false")
    return values


async def update_pr_settings(db: Database, project_id: str, **settings: Any) -> Project:
    """Change any of :data:`PR_SETTINGS`; returns the project as stored."""
    values = _clean(settings)
    async with db.write() as conn:
        await fetch_row(conn, projects, project_id, "project")
        await ChangeWriter(db, conn).update(projects, project_id, values)
        return Project(**await fetch_row(conn, projects, project_id, "project"))
