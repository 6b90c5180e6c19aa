"""Actors: the persona an agent takes on (system prompt, methodology, focus areas).

A mission names its actor (``missions.actor_id``), else it gets its project's default actor.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import validation
from storage.changes import ChangeWriter
from storage.database import Database
from storage.errors import NotFoundError, ValidationError
from storage.missions import fetch_mission
from storage.models import Actor, Project
from storage.rows import fetch_row, resolve_row_id

actors = Actor.__table__
projects = Project.__table__

PROMPT_MAX = 20_000
FOCUS_AREA_MAX = 100
MAX_FOCUS_AREAS = 20


def _focus_areas(value: object) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [part for part in value.split(",")]
    if not isinstance(value, list):
        raise ValidationError("focus_areas", "must be a list of short phrases")
    areas = []
    for item in value:
        if not isinstance(item, str):
            raise ValidationError("focus_areas", "must be a list of short phrases")
        item = item.strip()
        if item:
            areas.append(validation.title(item, "focus area", FOCUS_AREA_MAX))
    if len(areas) > MAX_FOCUS_AREAS:
        raise ValidationError("focus_areas", f"{len(areas)} given; the limit is {MAX_FOCUS_AREAS}")
    return areas


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    known = {"name", "description", "system_prompt", "methodology", "focus_areas"}
    unknown = set(fields) - known
    if unknown:
        raise ValidationError(", ".join(sorted(unknown)), "is not an actor field")
    cleaned: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "name":
            cleaned[key] = validation.title(value, "name", validation.NAME_MAX)
        elif key == "focus_areas":
            cleaned[key] = _focus_areas(value)
        else:
            cleaned[key] = validation.long_text(value, key, PROMPT_MAX)
    return cleaned


async def list_actors(db: Database, project_id: str) -> list[Actor]:
    """The project's actors and the organization-wide ones (no project)."""
    async with db.read() as conn:
        project = await fetch_row(conn, projects, project_id, "project")
        query = (
            select(actors)
            .where(
                actors.c.organization_id == project["organization_id"],
                actors.c.deleted.is_(False),
                or_(actors.c.project_id == project_id, actors.c.project_id.is_(None)),
            )
            .order_by(actors.c.name, actors.c.id)
        )
        return [Actor(**dict(row)) for row in (await conn.execute(query)).mappings()]


async def get_actor(db: Database, actor_id: str) -> Actor:
    async with db.read() as conn:
        return Actor(**await fetch_row(conn, actors, actor_id, "actor"))


async def resolve_actor_id(db: Database, ident: str) -> str:
    return await resolve_row_id(db, actors, ident, "actor")


async def add_actor(db: Database, project_id: str, name: str, **fields: Any) -> Actor:
    """Create an actor; ``fields``: description, system_prompt, methodology, focus_areas."""
    values = _clean({"name": name, **fields})
    async with db.write() as conn:
        project = await fetch_row(conn, projects, project_id, "project")
        row = await ChangeWriter(db, conn).insert(
            actors,
            {**values, "organization_id": project["organization_id"], "project_id": project_id},
        )
    return await get_actor(db, row["id"])


async def edit_actor(db: Database, actor_id: str, **fields: Any) -> Actor:
    values = _clean(fields)
    async with db.write() as conn:
        await fetch_row(conn, actors, actor_id, "actor")
        if values:
            await ChangeWriter(db, conn).update(actors, actor_id, values)
    return await get_actor(db, actor_id)


async def set_default_actor(db: Database, project_id: str, actor_id: str) -> Project:
    async with db.write() as conn:
        await fetch_row(conn, projects, project_id, "project")
        actor = await fetch_row(conn, actors, actor_id, "actor")
        if actor["project_id"] not in (None, project_id):
            raise NotFoundError("actor", actor_id)
        await ChangeWriter(db, conn).update(projects, project_id, {"default_actor_id": actor_id})
        return Project(**await fetch_row(conn, projects, project_id, "project"))


async def resolve_actor(conn: AsyncConnection, mission: dict[str, Any]) -> Actor | None:
    """The mission's actor, else its project's default actor; None when neither exists."""
    candidates = [mission.get("actor_id")]
    project = (
        (await conn.execute(select(projects).where(projects.c.id == mission["project_id"])))
        .mappings()
        .one_or_none()
    )
    if project is not None:
        candidates.append(project["default_actor_id"])
    for actor_id in candidates:
        if not actor_id:
            continue
        row = (
            (
                await conn.execute(
                    select(actors).where(actors.c.id == actor_id, actors.c.deleted.is_(False))
                )
            )
            .mappings()
            .one_or_none()
        )
        if row is not None:
            return Actor(**dict(row))
    return None


async def actor_for_mission(db: Database, mission_id: str) -> Actor | None:
    """:func:`resolve_actor` in its own read, by mission id."""
    async with db.read() as conn:
        return await resolve_actor(conn, await fetch_mission(conn, mission_id))
