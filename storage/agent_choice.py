"""Which agent profile runs a mission's current stage (seed 002 ``task_agents``, agtx's
one-agent-to-plan, another-to-code).

The first that names one wins: the mission (``missions.agent_name``, a person's choice), its
flow's current stage (``"agent"`` in the stage), the project (``projects.default_agent_name``);
else the workstation's default profile (``code-agents.json``, known only to the runtime). It is
read afresh for every stage, so a changed default takes effect on the next stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.database import Database
from storage.flows import find_stage, resolve_flow
from storage.missions import fetch_mission
from storage.models import Project
from storage.rows import fetch_row

Source = Literal["mission", "stage", "project", "workstation"]


@dataclass(frozen=True)
class AgentChoice:
    name: str | None
    """None: the workstation's default profile."""
    source: Source

    def describe(self) -> str:
        if self.name is None:
            return "the workstation's default agent"
        return f"agent {self.name!r} (from the {self.source})"


async def choose_agent(conn: AsyncConnection, mission: dict[str, Any]) -> AgentChoice:
    if mission.get("agent_name"):
        return AgentChoice(mission["agent_name"], "mission")
    stage = find_stage(await resolve_flow(conn, mission), mission["stage"]) or {}
    if stage.get("agent"):
        return AgentChoice(stage["agent"], "stage")
    project = await fetch_row(conn, Project.__table__, mission["project_id"], "project")
    if project["default_agent_name"]:
        return AgentChoice(project["default_agent_name"], "project")
    return AgentChoice(None, "workstation")


async def agent_for_mission(db: Database, mission_id: str) -> AgentChoice:
    """:func:`choose_agent` in its own read, by mission id."""
    async with db.read() as conn:
        return await choose_agent(conn, await fetch_mission(conn, mission_id))
