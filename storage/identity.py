"""Who and where this replica is: its organization, user, workstation and default project.

Created on first run through the same write path as everything else, and remembered in
``replica_meta`` so later runs find them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from storage import validation
from storage.changes import ChangeWriter
from storage.database import Database, get_meta, set_meta
from storage.errors import NotFoundError
from storage.flow_rows import DEFAULT_FLOW_STAGES as DEFAULT_FLOW_STAGES
from storage.models import Actor, Flow, Organization, Project, User, Workstation


@dataclass(frozen=True)
class Identity:
    organization_id: str
    user_id: str
    workstation_id: str
    project_id: str


@dataclass(frozen=True)
class Machine:
    user_name: str
    hostname: str
    os: str
    arch: str
    platform_version: str
    cli_version: str


def slugify(text: str, limit: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].strip("-") or "item"


async def ensure_identity(db: Database, machine: Machine) -> Identity:
    """Return this replica's identity, creating org, user, workstation and project on first run."""
    async with db.write() as conn:
        known = {
            key: await get_meta(conn, key)
            for key in ("organization_id", "user_id", "workstation_id", "project_id")
        }
        if all(known.values()):  # every value is a str here, which mypy cannot see
            identity = Identity(**known)  # type: ignore[arg-type]
        else:
            writer = ChangeWriter(db, conn)
            org = await writer.insert(
                Organization.__table__,
                {
                    "organization_id": "",
                    "name": f"{machine.user_name}'s organization",
                    "slug": slugify(machine.user_name),
                },
            )
            org_id = org["id"]
            await conn.execute(
                Organization.__table__.update()
                .where(Organization.id == org_id)
                .values(organization_id=org_id)
            )
            user = await writer.insert(
                User.__table__, {"organization_id": org_id, "name": machine.user_name}
            )
            ws = await writer.insert(
                Workstation.__table__,
                {
                    "organization_id": org_id,
                    "name": machine.hostname,
                    "hostname": machine.hostname,
                    "os": machine.os,
                    "arch": machine.arch,
                    "platform_version": machine.platform_version,
                    "cli_version": machine.cli_version,
                    "status": "online",
                },
            )
            project_id = await _create_project(writer, org_id, "My project")
            identity = Identity(org_id, user["id"], ws["id"], project_id)
            for key, value in identity.__dict__.items():
                await set_meta(conn, key, value)
    db.user_id = identity.user_id
    db.workstation_id = identity.workstation_id
    return identity


async def _create_project(writer: ChangeWriter, org_id: str, name: str) -> str:
    flow = await writer.insert(
        Flow.__table__,
        {
            "organization_id": org_id,
            "name": "Clarify → plan → code",
            "stages": DEFAULT_FLOW_STAGES,
            "is_default": True,
        },
    )
    actor = await writer.insert(
        Actor.__table__,
        {
            "organization_id": org_id,
            "name": "Engineer",
            "description": "A careful senior engineer.",
            "system_prompt": "You are a careful senior software engineer. Keep changes small, "
            "tested and explained.",
            "methodology": "Understand, plan, implement in small steps, test, commit.",
            "focus_areas": ["correctness", "tests"],
            "is_default": True,
        },
    )
    project = await writer.insert(
        Project.__table__,
        {
            "organization_id": org_id,
            "name": name,
            "slug": slugify(name),
            "default_flow_id": flow["id"],
            "default_actor_id": actor["id"],
        },
    )
    await writer.update(Flow.__table__, flow["id"], {"project_id": project["id"]})
    await writer.update(Actor.__table__, actor["id"], {"project_id": project["id"]})
    return project["id"]


async def create_project(db: Database, organization_id: str, name: str) -> Project:
    name = validation.title(name, "name", validation.NAME_MAX)
    async with db.write() as conn:
        project_id = await _create_project(ChangeWriter(db, conn), organization_id, name)
    return await get_project(db, project_id)


async def get_project(db: Database, project_id: str) -> Project:
    table = Project.__table__
    async with db.read() as conn:
        row = (
            (await conn.execute(select(table).where(table.c.id == project_id)))
            .mappings()
            .one_or_none()
        )
    if row is None or row["deleted"]:
        raise NotFoundError("project", project_id)
    return Project(**dict(row))
