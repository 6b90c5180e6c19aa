"""Projects of the organization: add, list, rename, archive, and set their defaults.

A project's defaults apply to its missions that name none of their own: the flow, the actor,
the agent profile (:mod:`storage.agent_choice`) and the PR mode. Archiving hides a project from
lists and switchers; its rows stay (and sync), and :func:`archive_project` with
``archived=False`` makes it active again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage import validation
from storage.changes import ChangeWriter
from storage.database import Database
from storage.errors import ConflictError, NotFoundError, ValidationError
from storage.identity import create_project as add_project
from storage.identity import get_project, slugify
from storage.models import Actor, Flow, Project
from storage.rows import fetch_row

projects = Project.__table__
PR_MODES = ("disabled", "enabled", "auto")
__all__ = ["add_project", "archive_project", "list_projects", "rename_project", "set_project"]
STATUSES = ("active", "archived")


async def list_projects(
    db: Database, organization_id: str, *, include_archived: bool = False
) -> list[Project]:
    query = select(projects).where(
        projects.c.organization_id == organization_id, projects.c.deleted.is_(False)
    )
    if not include_archived:
        query = query.where(projects.c.status != "archived")
    async with db.read() as conn:
        rows = (await conn.execute(query.order_by(projects.c.name, projects.c.id))).mappings()
        return [Project(**dict(row)) for row in rows]


async def rename_project(db: Database, project_id: str, name: str) -> Project:
    name = validation.title(name, "name", validation.NAME_MAX)
    async with db.write() as conn:
        await fetch_row(conn, projects, project_id, "project")
        await ChangeWriter(db, conn).update(
            projects, project_id, {"name": name, "slug": slugify(name)}
        )
    return await get_project(db, project_id)


async def archive_project(
    db: Database, project_id: str, *, archived: bool = True, keep_one: bool = True
) -> Project:
    """Archive (or with ``archived=False`` restore) a project; the last active one stays."""
    async with db.write() as conn:
        project = await fetch_row(conn, projects, project_id, "project")
        if archived and keep_one and project["status"] != "archived":
            others = (
                await conn.execute(
                    select(projects.c.id).where(
                        projects.c.organization_id == project["organization_id"],
                        projects.c.deleted.is_(False),
                        projects.c.status != "archived",
                        projects.c.id != project_id,
                    )
                )
            ).first()
            if others is None:
                raise ConflictError(
                    f"project {project['name']!r} is the only active project; add another "
                    "before archiving it"
                )
        await ChangeWriter(db, conn).update(
            projects, project_id, {"status": "archived" if archived else "active"}
        )
    return await get_project(db, project_id)


async def _check_owned(conn: Any, table: Any, row_id: str, project_id: str, kind: str) -> None:
    row = await fetch_row(conn, table, row_id, kind)
    if row["project_id"] not in (None, project_id):
        raise NotFoundError(kind, row_id)


async def set_project(db: Database, project_id: str, **fields: Any) -> Project:
    """Set ``name``, ``default_flow_id``, ``default_actor_id``, ``default_agent_name``,
    ``pr_mode_default`` (None clears the agent; the flow and actor must be this project's or
    the organization's)."""
    known = {"name", "default_flow_id", "default_actor_id", "default_agent_name", "pr_mode_default"}
    unknown = set(fields) - known
    if unknown:
        raise ValidationError(", ".join(sorted(unknown)), "is not a project setting")
    values: dict[str, Any] = {}
    if "name" in fields:
        values["name"] = validation.title(fields["name"], "name", validation.NAME_MAX)
        values["slug"] = slugify(values["name"])
    if "default_agent_name" in fields:
        values["default_agent_name"] = validation.agent_name(
            fields["default_agent_name"], "default agent"
        )
    if "pr_mode_default" in fields:
        if fields["pr_mode_default"] not in PR_MODES:
            raise ValidationError(
                "PR mode",
                f"unknown mode {fields['pr_mode_default']!r}; choose one of {', '.join(PR_MODES)}",
            )
        values["pr_mode_default"] = fields["pr_mode_default"]
    async with db.write() as conn:
        await fetch_row(conn, projects, project_id, "project")
        if fields.get("default_flow_id"):
            await _check_owned(conn, Flow.__table__, fields["default_flow_id"], project_id, "flow")
            values["default_flow_id"] = fields["default_flow_id"]
        if fields.get("default_actor_id"):
            await _check_owned(
                conn, Actor.__table__, fields["default_actor_id"], project_id, "actor"
            )
            values["default_actor_id"] = fields["default_actor_id"]
        if values:
            await ChangeWriter(db, conn).update(projects, project_id, values)
    return await get_project(db, project_id)
