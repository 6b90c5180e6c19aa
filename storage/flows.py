"""Flows: ordered stages a mission walks through, one agent session per stage.

A flow's ``stages`` is ``[{"name", "requires_review", "opens_pull_request", "instructions"}]``.
``opens_pull_request`` marks the stage after which a PR-mode mission pushes its branch and opens
its pull request; a stage stored without the key (flows made before it existed) opens it when it
is named ``code``, the rule it replaces. A mission names its flow
(``missions.flow_id``), else it follows its project's default flow, else the built-in
clarify → plan → code flow. Moving a mission along its flow is :mod:`storage.review`.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import validation
from storage.changes import ChangeWriter
from storage.database import Database
from storage.errors import NotFoundError, ValidationError
from storage.flow_rows import DEFAULT_FLOW_STAGES, resolve_flow_row
from storage.missions import fetch_mission
from storage.models import Flow, Project
from storage.rows import fetch_row, resolve_row_id

flows = Flow.__table__
projects = Project.__table__

STAGE_NAME_MAX = 64
INSTRUCTIONS_MAX = 20_000
MAX_STAGES = 20
_STAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def validate_stages(stages: object) -> list[dict[str, Any]]:
    """Check and normalise a stage list; each problem names the stage and the fix."""
    if not isinstance(stages, list) or not stages:
        raise ValidationError("stages", "a flow needs at least one stage")
    if len(stages) > MAX_STAGES:
        raise ValidationError("stages", f"{len(stages)} stages; the limit is {MAX_STAGES}")
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, stage in enumerate(stages, start=1):
        if isinstance(stage, str):
            stage = {"name": stage}
        if not isinstance(stage, dict):
            raise ValidationError(f"stage {position}", "must be an object with a name")
        raw_name = stage.get("name")
        if not isinstance(raw_name, str) or not raw_name.strip():
            raise ValidationError(f"stage {position}", "name must not be empty")
        name = raw_name.strip().lower()
        if len(name) > STAGE_NAME_MAX or not _STAGE_NAME.match(name):
            raise ValidationError(
                f"stage {position}",
                f"name {raw_name!r} must be lowercase letters, digits, '-' or '_' "
                f"(at most {STAGE_NAME_MAX})",
            )
        if name in seen:
            raise ValidationError(f"stage {position}", f"name {name!r} is used twice")
        seen.add(name)
        instructions = validation.long_text(
            stage.get("instructions") or "", f"stage {name} instructions", INSTRUCTIONS_MAX
        )
        review = stage.get("requires_review", False)
        if not isinstance(review, bool):
            raise ValidationError(f"stage {name}", "requires_review must be true or false")
        entry: dict[str, Any] = {"name": name, "requires_review": review}
        if "opens_pull_request" in stage:
            if not isinstance(stage["opens_pull_request"], bool):
                raise ValidationError(f"stage {name}", "opens_pull_request must be true or false")
            entry["opens_pull_request"] = stage["opens_pull_request"]
        entry["instructions"] = instructions
        agent = validation.agent_name(stage.get("agent"), f"stage {name} agent")
        if agent is not None:
            entry["agent"] = agent
        cleaned.append(entry)
    return cleaned


def opens_pull_request(stage: dict[str, Any] | None) -> bool:
    """Whether a PR-mode mission opens its pull request after this stage."""
    if stage is None:
        return False
    return bool(stage.get("opens_pull_request", stage.get("name") == "code"))


def parse_stage_spec(spec: str) -> list[dict[str, Any]]:
    """Parse the CLI's short form ``clarify,plan@claude!,code!+`` (``!`` = requires review,
    ``+`` = opens the pull request, without any ``+`` the stage named ``code`` opens it;
    ``@NAME`` = the agent profile that runs the stage)."""
    stages = []
    marked = "+" in spec
    for part in spec.split(","):
        part = part.strip()
        flags = part[len(part.rstrip("!+")) :]
        name, _, agent = part.rstrip("!+").partition("@")
        stage: dict[str, Any] = {"name": name.strip(), "requires_review": "!" in flags}
        if agent.strip():
            stage["agent"] = agent.strip()
        if marked:
            stage["opens_pull_request"] = "+" in flags
        stages.append(stage)
    return validate_stages(stages)


async def stage_opens_pull_request(db: Database, mission_id: str, stage: str) -> bool:
    """Whether the mission's flow opens the pull request after ``stage``."""
    async with db.read() as conn:
        flow = await resolve_flow(conn, await fetch_mission(conn, mission_id))
    return opens_pull_request(find_stage(flow, stage))


def stage_names(flow: Flow) -> list[str]:
    return [stage["name"] for stage in flow.stages]


def find_stage(flow: Flow, stage: str) -> dict[str, Any] | None:
    return next((s for s in flow.stages if s["name"] == stage), None)


def stage_after(flow: Flow, stage: str) -> str | None:
    """The stage that follows ``stage``, or None after the last one.

    A stage the flow does not know (the flow was edited under a running mission) counts as the
    last, so the mission finishes rather than looping.
    """
    names = stage_names(flow)
    if stage not in names:
        return None
    index = names.index(stage)
    return names[index + 1] if index + 1 < len(names) else None


def builtin_flow() -> Flow:
    """The clarify → plan → code flow, for missions whose project has no flow at all."""
    return Flow(id=None, name="Clarify → plan → code", stages=DEFAULT_FLOW_STAGES)


async def resolve_flow(conn: AsyncConnection, mission: dict[str, Any]) -> Flow:
    """The flow a mission follows: its own, else its project's default, else the built-in."""
    row = await conn.run_sync(resolve_flow_row, mission)
    return Flow(**row) if row is not None else builtin_flow()


async def list_flows(db: Database, project_id: str) -> list[Flow]:
    """The project's flows and the organization-wide ones (no project)."""
    async with db.read() as conn:
        project = await fetch_row(conn, projects, project_id, "project")
        query = (
            select(flows)
            .where(
                flows.c.organization_id == project["organization_id"],
                flows.c.deleted.is_(False),
                or_(flows.c.project_id == project_id, flows.c.project_id.is_(None)),
            )
            .order_by(flows.c.name, flows.c.id)
        )
        return [Flow(**dict(row)) for row in (await conn.execute(query)).mappings()]


async def get_flow(db: Database, flow_id: str) -> Flow:
    async with db.read() as conn:
        return Flow(**await fetch_row(conn, flows, flow_id, "flow"))


async def resolve_flow_id(db: Database, ident: str) -> str:
    return await resolve_row_id(db, flows, ident, "flow")


async def add_flow(
    db: Database,
    project_id: str,
    name: str,
    stages: list[dict[str, Any]],
    *,
    description: str | None = None,
) -> Flow:
    values = {
        "name": validation.title(name, "name", validation.NAME_MAX),
        "stages": validate_stages(stages),
        "description": validation.long_text(description, "description"),
    }
    async with db.write() as conn:
        project = await fetch_row(conn, projects, project_id, "project")
        row = await ChangeWriter(db, conn).insert(
            flows,
            {**values, "organization_id": project["organization_id"], "project_id": project_id},
        )
    return await get_flow(db, row["id"])


async def edit_flow(
    db: Database,
    flow_id: str,
    *,
    name: str | None = None,
    stages: list[dict[str, Any]] | None = None,
    description: str | None = None,
) -> Flow:
    """Change a flow. Missions already in a stage the new list drops finish after that stage."""
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = validation.title(name, "name", validation.NAME_MAX)
    if stages is not None:
        values["stages"] = validate_stages(stages)
    if description is not None:
        values["description"] = validation.long_text(description, "description")
    async with db.write() as conn:
        await fetch_row(conn, flows, flow_id, "flow")
        if values:
            await ChangeWriter(db, conn).update(flows, flow_id, values)
    return await get_flow(db, flow_id)


async def set_default_flow(db: Database, project_id: str, flow_id: str) -> Project:
    """Make ``flow_id`` the flow new missions of the project follow."""
    async with db.write() as conn:
        project = await fetch_row(conn, projects, project_id, "project")
        flow = await fetch_row(conn, flows, flow_id, "flow")
        if flow["project_id"] not in (None, project_id):
            raise NotFoundError("flow", flow_id)
        await ChangeWriter(db, conn).update(projects, project["id"], {"default_flow_id": flow_id})
        return Project(**await fetch_row(conn, projects, project_id, "project"))


async def flow_for_mission(db: Database, mission_id: str) -> Flow:
    """:func:`resolve_flow` in its own read, by mission id."""
    async with db.read() as conn:
        return await resolve_flow(conn, await fetch_mission(conn, mission_id))
