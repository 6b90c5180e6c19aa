"""The mission write path's core: create, update and move a mission on a synchronous connection.

Each function runs inside an open write transaction (a :class:`storage.change_rows.RowWriter`)
and commits nothing itself. :mod:`storage.missions` runs them through
``AsyncConnection.run_sync`` for the board, the runtime and the MCP server; the CLI's inline
writes (:func:`solo_unicorn_tui.cli.quick.run_write`) run them on
:meth:`storage.database.Database.open_inline`'s connection. One implementation, so a mission
written either way has the same row, event and outbox entries. Nothing here imports the ORM.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, func, select

from storage import tables, validation
from storage.change_rows import ClaimFence, RowWriter, get_meta
from storage.codec import encode_row, encode_value
from storage.errors import NotFoundError, ValidationError
from storage.flow_rows import stage_names_row
from storage.names import MISSION_JSON_FIELDS
from storage.rows import resolve_row_id_sync
from storage.types import utcnow

ORDER_STEP = 1000.0
MIN_ORDER_GAP = 1e-6
#: A replica's appends land at ``highest + ORDER_STEP + its site offset`` (an offset below this):
#: two replicas appending to the same list offline pick different floats.
SITE_OFFSET_SPAN = 64.0
_SITE_OFFSET_STEPS = 2**32

Origin = Literal["user", "agent", "system", "sync", "fallback"]

#: Fields a person (board, CLI) may set directly with :func:`update_mission_row`.
EDITABLE_FIELDS = frozenset(
    {
        "title",
        "description",
        "clarification",
        "priority",
        "ready",
        "stage",
        "flow_id",
        "actor_id",
        "agent_name",
        "repository_id",
        "target_branch",
        "pr_mode",
        "solution",
        "solution_path",
        "tasks",
        "tasks_path",
        "tasks_current",
        "review_feedback",
    }
)
#: Fields only the runtime sets (sessions, claims, review state), through the same write path.
RUNTIME_FIELDS = frozenset(
    {
        "agent_session_status",
        "last_code_agent_session_id",
        "code_agent_name",
        "review_status",
        "review_requested_at",
        "review_completed_at",
        "reviewed_by_user_id",
        "recovery_attempts",
        "last_error",
        "claimed_by_workstation_id",
        "claim_epoch",
        "claim_expires_at",
        "pr_branch_name",
        "github_pr_number",
        "github_pr_url",
        "requires_review",
        "dependency_count",
        "completed_at",
    }
)


@dataclass(frozen=True)
class MissionDraft:
    """What a person supplies to create a mission."""

    title: str
    description: str | None = None
    priority: int = 3
    ready: bool = False
    list: str = "todo"
    repository_id: str | None = None
    flow_id: str | None = None
    actor_id: str | None = None
    agent_name: str | None = None
    stage: str | None = None
    target_branch: str | None = None
    pr_mode: str | None = None
    """None: the project's ``pr_mode_default``."""
    origin: str = "manual"
    fallback_item_id: str | None = None


def clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(fields)
    if "title" in cleaned:
        cleaned["title"] = validation.title(cleaned["title"])
    for key in ("description", "clarification", "solution", "review_feedback"):
        if key in cleaned:
            cleaned[key] = validation.long_text(cleaned[key], key)
    if "priority" in cleaned:
        cleaned["priority"] = validation.priority(cleaned["priority"])
    if "list" in cleaned:
        cleaned["list"] = validation.list_name(cleaned["list"])
    if "pr_mode" in cleaned:
        cleaned["pr_mode"] = validation.pr_mode(cleaned["pr_mode"])
    if "ready" in cleaned:
        cleaned["ready"] = bool(cleaned["ready"])
    if "agent_name" in cleaned:
        cleaned["agent_name"] = validation.agent_name(cleaned["agent_name"])
    if cleaned.get("target_branch") is not None:
        cleaned["target_branch"] = validation.branch_name(cleaned["target_branch"])
    return cleaned


def fetch_mission_row(conn: Connection, mission_id: str) -> dict[str, Any]:
    """The live mission row as a dict, or :class:`NotFoundError`."""
    missions = tables.missions
    row = (
        conn.execute(
            select(missions).where(missions.c.id == mission_id, missions.c.deleted.is_(False))
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFoundError("mission", mission_id)
    return dict(row)


def resolve_mission_row_id(conn: Connection, ident: str) -> str:
    """Accept a full id, or a unique suffix of at least four characters (as shown on cards)."""
    return resolve_row_id_sync(conn, tables.missions, ident, "mission")


def site_order_offset(site_id: str) -> float:
    """A fixed fraction of :data:`SITE_OFFSET_SPAN` derived from the replica's site id.

    Every replica computes "the end of the list" from what it has seen, so two replicas that
    append while apart would otherwise choose the same ``list_order``; the offset keeps their
    positions apart (ties that remain are broken by id in every query that orders missions).
    The offset is a multiple of 2**-26, so adding it to an order below 2**27 (over 100,000
    missions of :data:`ORDER_STEP`) loses no precision.
    """
    digest = hashlib.sha256(site_id.encode()).digest()
    step = int.from_bytes(digest[:8], "big") % _SITE_OFFSET_STEPS
    return (1 + step) * SITE_OFFSET_SPAN / _SITE_OFFSET_STEPS


def end_of_list_row(conn: Connection, project_id: str, list_name: str) -> float:
    """A ``list_order`` that puts a mission at the end of ``list_name``."""
    missions = tables.missions
    site_id = get_meta(conn, "site_id") or ""
    highest = conn.execute(
        select(func.max(missions.c.list_order)).where(
            missions.c.project_id == project_id,
            missions.c.list == list_name,
            missions.c.deleted.is_(False),
        )
    ).scalar_one_or_none()
    return (highest or 0.0) + ORDER_STEP + site_order_offset(site_id)


def insert_mission_row(
    writer: RowWriter,
    project: dict[str, Any],
    draft: MissionDraft,
    *,
    origin: Origin = "user",
    summary: str | None = None,
    payload: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Create a mission (and its ``created`` event) inside an open write transaction.

    The one insert path: creating a mission and Mission Fallback both come here, so every new
    mission has its fields validated the same way and starts at the first stage of the flow it
    will walk (:func:`storage.flow_rows.resolve_flow_row`) unless the draft names a stage.
    ``now`` stamps ``created_at`` so callers with an injected clock (Mission Fallback's weekly
    cap counts missions created this week) see consistent times.
    """
    fields = clean_fields(
        {
            "title": draft.title,
            "description": draft.description,
            "priority": draft.priority,
            "ready": draft.ready,
            "list": draft.list,
            "target_branch": draft.target_branch,
            "pr_mode": draft.pr_mode or project["pr_mode_default"] or "disabled",
        }
    )
    conn = writer.conn
    flow_id = draft.flow_id or project["default_flow_id"]
    stamp = now or utcnow()
    row = writer.insert(
        tables.missions,
        {
            **fields,
            "organization_id": project["organization_id"],
            "project_id": project["id"],
            "list_order": end_of_list_row(conn, project["id"], fields["list"]),
            "repository_id": draft.repository_id,
            "flow_id": flow_id,
            "actor_id": draft.actor_id,
            "agent_name": validation.agent_name(draft.agent_name),
            "stage": draft.stage or stage_names_row(conn, project["id"], flow_id)[0],
            "origin": draft.origin,
            "fallback_item_id": draft.fallback_item_id,
            "created_by_user_id": writer.db.user_id if origin == "user" else None,
            "last_event_at": stamp,
            "created_at": stamp,
            "updated_at": stamp,
        },
    )
    writer.event(
        row, "created", summary or f"created in {row['list']}", origin=origin, payload=payload
    )
    return row


def create_mission_row(
    writer: RowWriter, project_id: str, draft: MissionDraft, *, origin: Origin = "user"
) -> dict[str, Any]:
    """Create a mission in ``project_id``; return it as stored."""
    projects = tables.projects
    project = (
        writer.conn.execute(select(projects).where(projects.c.id == project_id))
        .mappings()
        .one_or_none()
    )
    if project is None or project["deleted"]:
        raise NotFoundError("project", project_id)
    row = insert_mission_row(writer, dict(project), draft, origin=origin)
    return fetch_mission_row(writer.conn, row["id"])


def _describe(changed: dict[str, Any]) -> str:
    shown = [k for k in changed if k != "updated_at"]
    return "changed " + ", ".join(shown)


def apply_update_row(
    writer: RowWriter,
    current: dict[str, Any],
    fields: dict[str, Any],
    *,
    kind: str = "updated",
    summary: str | None = None,
    origin: Origin = "user",
) -> dict[str, Any]:
    """Update a mission inside an open write transaction and log one event for it.

    An agent's write (origin ``agent``: its documents, questions and reports, by MCP or the
    CLI) on a mission this workstation holds carries the claim's fence, so a run whose claim
    was taken over cannot change the mission on the server after the fact.
    """
    if origin == "agent" and writer.fence is None:
        fence = ClaimFence.of(
            current["id"], current.get("claim_epoch"), current.get("claimed_by_workstation_id")
        )
        if fence is not None and fence.workstation_id == writer.db.workstation_id:
            writer = RowWriter(writer.db, writer.conn, fence=fence)
    changed = writer.update(tables.missions, current["id"], {**fields, "last_event_at": utcnow()})
    meaningful = {k: v for k, v in changed.items() if k not in ("last_event_at", "updated_at")}
    if meaningful:
        before = {k: current.get(k) for k in meaningful}
        writer.event(
            current,
            kind,
            summary or _describe(meaningful),
            origin=origin,
            payload={"before": encode_row(before), "after": encode_row(meaningful)},
        )
    return changed


def update_mission_row(
    writer: RowWriter, mission_id: str, fields: dict[str, Any], *, origin: Origin = "user"
) -> dict[str, Any]:
    """Set a person's or the runtime's fields on a mission; return it as stored."""
    unknown = set(fields) - EDITABLE_FIELDS - RUNTIME_FIELDS
    if unknown:
        raise ValidationError(", ".join(sorted(unknown)), "is not a field you can update")
    fields = clean_fields(fields)
    conn = writer.conn
    current = fetch_mission_row(conn, mission_id)
    if "flow_id" in fields and "stage" not in fields and fields["flow_id"] != current["flow_id"]:
        # A stage the new flow does not have would end the mission after it: start over.
        names = stage_names_row(conn, current["project_id"], fields["flow_id"])
        if current["stage"] not in names:
            fields["stage"] = names[0]
    apply_update_row(writer, current, fields, origin=origin)
    return fetch_mission_row(conn, mission_id)


def move_mission_row(
    writer: RowWriter, mission_id: str, to_list: str, *, origin: Origin = "user"
) -> dict[str, Any]:
    """Move a mission to the end of another list; return it as stored."""
    to_list = validation.list_name(to_list)
    conn = writer.conn
    current = fetch_mission_row(conn, mission_id)
    if current["list"] != to_list:
        fields: dict[str, Any] = {
            "list": to_list,
            "list_order": end_of_list_row(conn, current["project_id"], to_list),
            "completed_at": utcnow() if to_list == "done" else None,
        }
        apply_update_row(
            writer,
            current,
            fields,
            kind="moved",
            summary=f"moved {current['list']} → {to_list}",
            origin=origin,
        )
    return fetch_mission_row(conn, mission_id)


def mission_json(mission: Any) -> dict[str, Any]:
    """The JSON of a mission (an ORM ``Mission`` or a row dict) that ``mission … --json`` prints."""
    if isinstance(mission, dict):
        return {name: encode_value(mission[name]) for name in MISSION_JSON_FIELDS}
    return {name: encode_value(getattr(mission, name)) for name in MISSION_JSON_FIELDS}
