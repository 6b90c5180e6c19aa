"""Which flow a mission follows, answered on a synchronous Core connection.

:func:`storage.flows.resolve_flow` (async, ORM objects) and the mission write path
(:mod:`storage.mission_rows`) both come here, so the rule lives in one place.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from storage import tables

DEFAULT_FLOW_STAGES: list[dict[str, Any]] = [
    {
        "name": "clarify",
        "requires_review": False,
        "instructions": "Restate the mission in your own words, list open questions and "
        "assumptions, and write the clarified requirements.",
    },
    {
        "name": "plan",
        "requires_review": True,
        "instructions": "Write solution.md describing the approach and split the work into "
        "numbered task files under tasks/.",
    },
    {
        "name": "code",
        "requires_review": True,
        "opens_pull_request": True,
        "instructions": "Implement the tasks, run the tests, and commit your work on this branch.",
    },
]


def resolve_flow_row(conn: Connection, mission: dict[str, Any]) -> dict[str, Any] | None:
    """The flow row a mission follows: its own, else its project's default; None: the built-in."""
    projects, flows = tables.projects, tables.flows
    candidates = [mission.get("flow_id")]
    project = conn.execute(
        select(projects.c.default_flow_id).where(projects.c.id == mission["project_id"])
    ).one_or_none()
    if project is not None:
        candidates.append(project[0])
    for flow_id in candidates:
        if not flow_id:
            continue
        row = (
            conn.execute(select(flows).where(flows.c.id == flow_id, flows.c.deleted.is_(False)))
            .mappings()
            .one_or_none()
        )
        if row is not None and row["stages"]:
            return dict(row)
    return None


def stage_names_row(conn: Connection, project_id: str, flow_id: str | None) -> list[str]:
    """The stages a mission with ``flow_id`` in ``project_id`` walks."""
    flow = resolve_flow_row(conn, {"flow_id": flow_id, "project_id": project_id})
    stages = flow["stages"] if flow is not None else DEFAULT_FLOW_STAGES
    return [stage["name"] for stage in stages]
