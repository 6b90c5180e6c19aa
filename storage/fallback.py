"""Mission Fallback: templates that keep the queue from running dry (seed 001).

Templates sit in Todo's Fallback area. Launching one creates a mission (origin ``fallback``) and
keeps the template. A check on the project's cadence compares the ready backlog (ready missions
in Todo) with the threshold and, when it is low, records a run whose items propose missions from
the enabled templates, or create them at once with ``auto_accept``.

The weekly cap, one rule: every fallback mission counts toward ``weekly_mission_cap`` for its
ISO week, and nothing makes one beyond it — a template launched by hand, a proposal accepted and
an auto-accepted run alike (:func:`_require_room`).

Every function that depends on the time takes ``now`` so tests (and the cap's week) use one clock.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import validation
from storage.changes import ChangeWriter
from storage.database import Database
from storage.errors import ConflictError, ValidationError
from storage.missions import MissionDraft, as_mission, insert_mission
from storage.models import (
    Actor,
    Flow,
    Mission,
    MissionFallbackConfig,
    MissionFallbackItem,
    MissionFallbackRun,
    MissionFallbackTemplate,
    Project,
    ProjectRepository,
)
from storage.rows import fetch_row, resolve_row_id
from storage.types import utcnow

missions = Mission.__table__
configs = MissionFallbackConfig.__table__
templates = MissionFallbackTemplate.__table__
runs = MissionFallbackRun.__table__
items = MissionFallbackItem.__table__
projects = Project.__table__

TriggeredBy = Literal["automatic", "manual", "api"]
EFFORT_MAX_MINUTES = 60 * 24 * 30
CONFIG_FIELDS = ("backlog_threshold", "check_cadence_minutes", "auto_accept", "weekly_mission_cap")
TEMPLATE_FIELDS = (
    "name",
    "description",
    "flow_id",
    "actor_id",
    "repository_id",
    "priority",
    "estimated_effort_minutes",
    "acceptance_criteria",
    "enabled",
)


@dataclass(frozen=True)
class TemplateDraft:
    name: str
    description: str | None = None
    flow_id: str | None = None
    actor_id: str | None = None
    repository_id: str | None = None
    priority: int = 3
    estimated_effort_minutes: int | None = None
    acceptance_criteria: str | None = None
    enabled: bool = True


@dataclass
class FallbackCheck:
    """What a check found and did. ``run`` is None when no run was needed."""

    backlog: int
    threshold: int
    reason: str
    run: MissionFallbackRun | None = None
    items: list[MissionFallbackItem] = field(default_factory=list)
    missions: list[Mission] = field(default_factory=list)


# --- config ---------------------------------------------------------------------------------


def _non_negative(value: object, name: str, upper: int) -> int:
    if isinstance(value, bool):
        raise ValidationError(name, "must be a whole number")
    try:
        number = int(str(value))
    except ValueError:
        raise ValidationError(name, f"{value!r} is not a whole number") from None
    if not 0 <= number <= upper:
        raise ValidationError(name, f"{number} is out of range; use 0 to {upper}")
    return number


async def _config_row(conn: AsyncConnection, project: dict[str, Any]) -> dict[str, Any] | None:
    row = (
        (
            await conn.execute(
                select(configs).where(
                    configs.c.project_id == project["id"], configs.c.deleted.is_(False)
                )
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _default_config(project: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": None,
        "organization_id": project["organization_id"],
        "project_id": project["id"],
        "backlog_threshold": 5,
        "check_cadence_minutes": 15,
        "auto_accept": False,
        "weekly_mission_cap": 20,
        "status": "active",
        "last_run_at": None,
    }


async def _config_or_default(conn: AsyncConnection, project: dict[str, Any]) -> dict[str, Any]:
    """The saved config row, else the defaults (``id`` None: not saved yet)."""
    return await _config_row(conn, project) or _default_config(project)


async def _save_config(
    writer: ChangeWriter, project: dict[str, Any], values: dict[str, Any]
) -> None:
    """Write ``values`` on the project's config row, creating the row from the defaults."""
    current = await _config_row(writer.conn, project)
    if current is None:
        defaults = _default_config(project)
        defaults.pop("id")
        await writer.insert(configs, {**defaults, **values})
    elif values:
        await writer.update(configs, current["id"], values)


async def get_config(db: Database, project_id: str) -> MissionFallbackConfig:
    """The project's fallback settings (the defaults when none were saved)."""
    async with db.read() as conn:
        project = await fetch_row(conn, projects, project_id, "project")
        row = await _config_or_default(conn, project)
    return MissionFallbackConfig(**row)


async def set_config(db: Database, project_id: str, **values: Any) -> MissionFallbackConfig:
    """Change the project's fallback settings: threshold, cadence, auto_accept, cap, status."""
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if key == "auto_accept":
            clean[key] = bool(value)
        elif key == "status":
            if value not in ("active", "paused"):
                raise ValidationError("status", f"{value!r}: use active or paused")
            clean[key] = value
        elif key in CONFIG_FIELDS:
            clean[key] = _non_negative(value, key, 10_000)
        else:
            raise ValidationError(key, "is not a fallback setting")
    async with db.write() as conn:
        project = await fetch_row(conn, projects, project_id, "project")
        await _save_config(ChangeWriter(db, conn), project, clean)
    return await get_config(db, project_id)


# --- templates --------------------------------------------------------------------------------


async def _check_reference(
    conn: AsyncConnection, table: Any, ident: str | None, kind: str
) -> str | None:
    if not ident:
        return None
    await fetch_row(conn, table, ident, kind)
    return ident


async def _clean_template(conn: AsyncConnection, values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key not in TEMPLATE_FIELDS:
            raise ValidationError(key, "is not a template field")
        if key == "name":
            clean[key] = validation.title(value, "name", validation.NAME_MAX)
        elif key in ("description", "acceptance_criteria"):
            clean[key] = validation.long_text(value, key)
        elif key == "priority":
            clean[key] = validation.priority(value)
        elif key == "estimated_effort_minutes":
            clean[key] = None if value is None else _non_negative(value, key, EFFORT_MAX_MINUTES)
        elif key == "enabled":
            clean[key] = bool(value)
        elif key == "flow_id":
            clean[key] = await _check_reference(conn, Flow.__table__, value, "flow")
        elif key == "actor_id":
            clean[key] = await _check_reference(conn, Actor.__table__, value, "actor")
        elif key == "repository_id":
            clean[key] = await _check_reference(
                conn, ProjectRepository.__table__, value, "repository"
            )
    return clean


async def add_template(
    db: Database, project_id: str, draft: TemplateDraft
) -> MissionFallbackTemplate:
    async with db.write() as conn:
        project = await fetch_row(conn, projects, project_id, "project")
        values = await _clean_template(conn, dict(draft.__dict__))
        row = await ChangeWriter(db, conn).insert(
            templates,
            {**values, "organization_id": project["organization_id"], "project_id": project_id},
        )
    return await get_template(db, row["id"])


async def edit_template(db: Database, template_id: str, **values: Any) -> MissionFallbackTemplate:
    async with db.write() as conn:
        await fetch_row(conn, templates, template_id, "fallback template")
        clean = await _clean_template(conn, values)
        if clean:
            await ChangeWriter(db, conn).update(templates, template_id, clean)
    return await get_template(db, template_id)


async def delete_template(db: Database, template_id: str) -> None:
    async with db.write() as conn:
        await fetch_row(conn, templates, template_id, "fallback template")
        await ChangeWriter(db, conn).tombstone(templates, template_id)


async def get_template(db: Database, template_id: str) -> MissionFallbackTemplate:
    async with db.read() as conn:
        return MissionFallbackTemplate(
            **await fetch_row(conn, templates, template_id, "fallback template")
        )


async def resolve_template_id(db: Database, ident: str) -> str:
    return await resolve_row_id(db, templates, ident, "fallback template")


def _templates_query(project_id: str, *, enabled_only: bool = False) -> Select[Any]:
    """The project's live templates: highest priority first, then by name."""
    query = (
        select(templates)
        .where(templates.c.project_id == project_id, templates.c.deleted.is_(False))
        .order_by(templates.c.priority.desc(), templates.c.name, templates.c.id)
    )
    return query.where(templates.c.enabled.is_(True)) if enabled_only else query


async def list_templates(
    db: Database, project_id: str, *, enabled_only: bool = False
) -> list[MissionFallbackTemplate]:
    """The Fallback area's templates: highest priority first, then by name."""
    query = _templates_query(project_id, enabled_only=enabled_only)
    async with db.read() as conn:
        return [MissionFallbackTemplate(**dict(r)) for r in (await conn.execute(query)).mappings()]


# --- the check and its runs -------------------------------------------------------------------


async def backlog_count(conn: AsyncConnection, project_id: str) -> int:
    """Ready missions waiting in Todo (uses the dispatch index)."""
    return (
        await conn.execute(
            select(func.count())
            .select_from(missions)
            .where(
                missions.c.deleted.is_(False),
                missions.c.ready.is_(True),
                missions.c.list == "todo",
                missions.c.project_id == project_id,
            )
        )
    ).scalar_one()


def week_start(now: datetime) -> datetime:
    """Monday 00:00 UTC of ``now``'s ISO week."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=now.isoweekday() - 1)


async def accepted_this_week(conn: AsyncConnection, project_id: str, now: datetime) -> int:
    """Fallback missions created in ``now``'s ISO week (deleted ones count: they were made)."""
    start = week_start(now)
    return (
        await conn.execute(
            select(func.count())
            .select_from(missions)
            .where(
                missions.c.project_id == project_id,
                missions.c.origin == "fallback",
                missions.c.created_at >= start,
                missions.c.created_at < start + timedelta(days=7),
            )
        )
    ).scalar_one()


def _proposals_query(project_id: str) -> Select[Any]:
    """Proposals still waiting for a decision, oldest first."""
    return (
        select(items)
        .where(
            items.c.project_id == project_id,
            items.c.status == "proposed",
            items.c.deleted.is_(False),
        )
        .order_by(items.c.created_at, items.c.id)
    )


async def _outstanding_proposals(conn: AsyncConnection, project_id: str) -> int:
    query = (
        _proposals_query(project_id)
        .order_by(None)
        .with_only_columns(func.count())
        .select_from(items)
    )
    return (await conn.execute(query)).scalar_one()


def _runs_query(project_id: str) -> Select[Any]:
    """The project's runs, newest first."""
    return (
        select(runs)
        .where(runs.c.project_id == project_id, runs.c.deleted.is_(False))
        .order_by(runs.c.started_at.desc(), runs.c.id.desc())
    )


def _mission_text(template: dict[str, Any]) -> str | None:
    parts = [template["description"] or ""]
    if template["acceptance_criteria"]:
        parts.append("Acceptance criteria:\n" + template["acceptance_criteria"])
    if template["estimated_effort_minutes"]:
        parts.append(f"Estimated effort: {template['estimated_effort_minutes']} minutes")
    text = "\n\n".join(p for p in parts if p).strip()
    return text or None


async def _create_from_item(
    writer: ChangeWriter,
    project: dict[str, Any],
    item: dict[str, Any],
    template: dict[str, Any],
    now: datetime,
    origin: Literal["user", "fallback"],
) -> dict[str, Any]:
    draft = MissionDraft(
        title=item["title"],
        description=item["description"],
        priority=item["priority"] or template["priority"],
        ready=True,
        repository_id=template["repository_id"],
        flow_id=template["flow_id"],
        actor_id=template["actor_id"],
        origin="fallback",
        fallback_item_id=item["id"],
    )
    mission = await insert_mission(
        writer,
        project,
        draft,
        origin=origin,
        summary=f"created from fallback template {template['name']!r}",
        payload={"runId": item["mission_fallback_run_id"], "templateId": template["id"]},
        now=now,
    )
    await writer.update(
        items, item["id"], {"status": "accepted", "mission_id": mission["id"], "updated_at": now}
    )
    return mission


async def _new_run(
    writer: ChangeWriter,
    project: dict[str, Any],
    triggered_by: str,
    backlog: int | None,
    threshold: int | None,
    now: datetime,
) -> dict[str, Any]:
    return await writer.insert(
        runs,
        {
            "organization_id": project["organization_id"],
            "project_id": project["id"],
            "triggered_by": triggered_by,
            "backlog_count_before": backlog,
            "backlog_threshold": threshold,
            "status": "pending",
            "started_at": now,
        },
    )


async def _new_item(
    writer: ChangeWriter, run: dict[str, Any], template: dict[str, Any], now: datetime
) -> dict[str, Any]:
    return await writer.insert(
        items,
        {
            "organization_id": run["organization_id"],
            "mission_fallback_run_id": run["id"],
            "template_id": template["id"],
            "project_id": run["project_id"],
            "title": template["name"],
            "description": _mission_text(template),
            "priority": template["priority"],
            "estimated_effort_minutes": template["estimated_effort_minutes"],
            "status": "proposed",
            "created_at": now,
            "updated_at": now,
        },
    )


async def _refresh_run(writer: ChangeWriter, run_id: str, now: datetime) -> dict[str, Any]:
    """Recount a run's items and close it once none is left to decide."""
    counts: dict[str, int] = dict(
        (
            await writer.conn.execute(
                select(items.c.status, func.count())
                .where(items.c.mission_fallback_run_id == run_id, items.c.deleted.is_(False))
                .group_by(items.c.status)
            )
        ).all()
    )
    generated = sum(counts.values())
    values: dict[str, Any] = {
        "generated_count": generated,
        "accepted_count": counts.get("accepted", 0),
        "discarded_count": counts.get("discarded", 0),
    }
    if counts.get("proposed", 0):
        values["status"] = "awaiting_review"
    else:
        values["status"] = "completed"
        values["completed_at"] = now
    await writer.update(runs, run_id, values)
    return await fetch_row(writer.conn, runs, run_id, "fallback run")


async def launch_template(
    db: Database, template_id: str, *, now: datetime | None = None
) -> Mission:
    """Create a mission from a template now (a manual run of one accepted item)."""
    now = now or utcnow()
    async with db.write() as conn:
        template = await fetch_row(conn, templates, template_id, "fallback template")
        if not template["enabled"]:
            raise ConflictError(
                f"fallback template {template['name']!r} is disabled; enable it with "
                f"'solo-unicorn fallback template edit {template_id} --enabled'"
            )
        project = await fetch_row(conn, projects, template["project_id"], "project")
        await _require_room(conn, project, now)
        writer = ChangeWriter(db, conn)
        run = await _new_run(writer, project, "manual", None, None, now)
        item = await _new_item(writer, run, template, now)
        mission = await _create_from_item(writer, project, item, template, now, "user")
        await _refresh_run(writer, run["id"], now)
        return as_mission(await fetch_row(conn, missions, mission["id"], "mission"))


@dataclass(frozen=True)
class FallbackDecision:
    """What a check should do: ``count`` missions to propose (0: no run) and why."""

    count: int
    reason: str


def fallback_gate(
    config: MissionFallbackConfig,
    *,
    backlog: int,
    now: datetime,
    triggered_by: TriggeredBy = "automatic",
) -> FallbackDecision | None:
    """The reasons to do nothing that need no more than the backlog; None: look further.

    Nothing while fallback is paused, the ready backlog reaches the threshold, or (automatic
    checks only) the cadence since the last run has not passed. This is the common outcome, so
    :func:`run_fallback_check` asks it before counting anything else (a count of this week's
    fallback missions scans the project: see ``bench/fallback_backlog.py``).
    """
    threshold = config.backlog_threshold
    if config.status != "active":
        return FallbackDecision(0, f"fallback is {config.status}")
    if backlog >= threshold:
        return FallbackDecision(0, f"backlog {backlog} is not below the threshold {threshold}")
    last = config.last_run_at
    cadence = timedelta(minutes=config.check_cadence_minutes)
    if triggered_by == "automatic" and last is not None and now - last < cadence:
        return FallbackDecision(0, f"last run {last:%H:%M}; next after {last + cadence:%H:%M} UTC")
    return None


def decide_fallback(
    config: MissionFallbackConfig,
    *,
    backlog: int,
    outstanding: int,
    accepted_this_week: int,
    enabled_templates: int,
    now: datetime,
    triggered_by: TriggeredBy = "automatic",
) -> FallbackDecision:
    """The policy of a check, without the database.

    After :func:`fallback_gate`, it proposes what the backlog lacks minus the proposals still
    undecided, capped by what the weekly cap leaves, when there is a template to propose from.
    """
    gate = fallback_gate(config, backlog=backlog, now=now, triggered_by=triggered_by)
    if gate is not None:
        return gate
    if enabled_templates == 0:
        return FallbackDecision(0, "no enabled fallback templates")
    threshold = config.backlog_threshold
    left_this_week = config.weekly_mission_cap - accepted_this_week
    count = min(threshold - backlog - outstanding, left_this_week)
    if count <= 0:
        if left_this_week <= 0:
            return FallbackDecision(
                0, f"weekly cap of {config.weekly_mission_cap} fallback missions reached"
            )
        return FallbackDecision(0, "enough proposals are waiting for a decision")
    verb = "created" if config.auto_accept else "proposed"
    return FallbackDecision(count, f"backlog {backlog} below {threshold}: {verb} {count}")


async def run_fallback_check(
    db: Database,
    project_id: str,
    now: datetime | None = None,
    triggered_by: TriggeredBy = "automatic",
) -> FallbackCheck:
    """Compare the ready backlog with the threshold and, when low, make a fallback run.

    The policy is :func:`decide_fallback`; this gathers its inputs and carries it out: a run
    with one proposal per enabled template in turn (missions at once with ``auto_accept``).
    """
    now = now or utcnow()
    async with db.write() as conn:
        project = await fetch_row(conn, projects, project_id, "project")
        config = await _config_or_default(conn, project)
        settings = MissionFallbackConfig(**config)
        backlog = await backlog_count(conn, project_id)
        threshold = config["backlog_threshold"]
        result = FallbackCheck(backlog=backlog, threshold=threshold, reason="")
        gate = fallback_gate(settings, backlog=backlog, now=now, triggered_by=triggered_by)
        if gate is not None:
            result.reason = gate.reason
            return result
        enabled = [
            dict(r)
            for r in (
                await conn.execute(_templates_query(project_id, enabled_only=True))
            ).mappings()
        ]
        decision = decide_fallback(
            settings,
            backlog=backlog,
            outstanding=await _outstanding_proposals(conn, project_id),
            accepted_this_week=await accepted_this_week(conn, project_id, now),
            enabled_templates=len(enabled),
            now=now,
            triggered_by=triggered_by,
        )
        result.reason = decision.reason
        if decision.count <= 0:
            return result
        writer = ChangeWriter(db, conn)
        run = await _new_run(writer, project, triggered_by, backlog, threshold, now)
        created = []
        made = []
        for template in itertools.islice(itertools.cycle(enabled), decision.count):
            item = await _new_item(writer, run, template, now)
            if config["auto_accept"]:
                created.append(
                    await _create_from_item(writer, project, item, template, now, "fallback")
                )
            made.append(item["id"])
        await _save_config(writer, project, {"last_run_at": now})
        run_row = await _refresh_run(writer, run["id"], now)
        result.run = MissionFallbackRun(**run_row)
        result.items = [
            MissionFallbackItem(**await fetch_row(conn, items, i, "fallback item")) for i in made
        ]
        result.missions = [as_mission(row) for row in created]
        return result


async def accept_item(db: Database, item_id: str, *, now: datetime | None = None) -> Mission:
    """Accept a proposal: create its mission (within the weekly cap)."""
    now = now or utcnow()
    async with db.write() as conn:
        item = await fetch_row(conn, items, item_id, "fallback item")
        if item["status"] != "proposed":
            raise ConflictError(f"fallback item {item_id} is already {item['status']}")
        project = await fetch_row(conn, projects, item["project_id"], "project")
        await _require_room(conn, project, now)
        stored = (
            (await conn.execute(select(templates).where(templates.c.id == item["template_id"])))
            .mappings()
            .one_or_none()
        )
        template = dict(stored) if stored else _template_from_item(item)
        writer = ChangeWriter(db, conn)
        mission = await _create_from_item(writer, project, item, template, now, "user")
        await _refresh_run(writer, item["mission_fallback_run_id"], now)
        return as_mission(await fetch_row(conn, missions, mission["id"], "mission"))


async def _require_room(conn: AsyncConnection, project: dict[str, Any], now: datetime) -> None:
    """Refuse one more fallback mission this week once the weekly cap is reached."""
    config = await _config_or_default(conn, project)
    if await accepted_this_week(conn, project["id"], now) >= config["weekly_mission_cap"]:
        raise ConflictError(
            f"the weekly cap of {config['weekly_mission_cap']} fallback missions is reached; "
            "raise it with 'solo-unicorn fallback config --weekly-cap N' or wait for Monday"
        )


def _template_from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["template_id"],
        "name": item["title"],
        "priority": item["priority"] or 3,
        "repository_id": None,
        "flow_id": None,
        "actor_id": None,
    }


async def discard_item(
    db: Database, item_id: str, feedback: str | None = None, *, now: datetime | None = None
) -> MissionFallbackItem:
    now = now or utcnow()
    feedback = validation.long_text(feedback, "feedback")
    async with db.write() as conn:
        item = await fetch_row(conn, items, item_id, "fallback item")
        if item["status"] != "proposed":
            raise ConflictError(f"fallback item {item_id} is already {item['status']}")
        writer = ChangeWriter(db, conn)
        await writer.update(items, item_id, {"status": "discarded", "feedback": feedback})
        await _refresh_run(writer, item["mission_fallback_run_id"], now)
        return MissionFallbackItem(**await fetch_row(conn, items, item_id, "fallback item"))


async def resolve_item_id(db: Database, ident: str) -> str:
    return await resolve_row_id(db, items, ident, "fallback item")


async def list_runs(db: Database, project_id: str, *, limit: int = 20) -> list[MissionFallbackRun]:
    query = _runs_query(project_id).limit(limit)
    async with db.read() as conn:
        return [MissionFallbackRun(**dict(r)) for r in (await conn.execute(query)).mappings()]


async def list_items(
    db: Database,
    project_id: str,
    *,
    run_id: str | None = None,
    status: str | None = None,
) -> list[MissionFallbackItem]:
    query = select(items).where(items.c.project_id == project_id, items.c.deleted.is_(False))
    if run_id:
        query = query.where(items.c.mission_fallback_run_id == run_id)
    if status:
        query = query.where(items.c.status == status)
    query = query.order_by(items.c.created_at, items.c.id)
    async with db.read() as conn:
        return [MissionFallbackItem(**dict(r)) for r in (await conn.execute(query)).mappings()]


@dataclass
class FallbackArea:
    """What Todo's Fallback area shows, read at once."""

    config: MissionFallbackConfig
    backlog: int
    templates: list[MissionFallbackTemplate]
    proposals: list[MissionFallbackItem]
    last_run: MissionFallbackRun | None
    accepted_this_week: int = 0
    """Fallback missions made in this ISO week (what counts against the weekly cap)."""


async def fallback_area(
    db: Database, project_id: str, *, now: datetime | None = None
) -> FallbackArea:
    now = now or utcnow()
    async with db.read() as conn:
        project = await fetch_row(conn, projects, project_id, "project")
        config = MissionFallbackConfig(**await _config_or_default(conn, project))
        backlog = await backlog_count(conn, project_id)
        accepted = await accepted_this_week(conn, project_id, now)
        found = (await conn.execute(_templates_query(project_id))).mappings()
        template_rows = [MissionFallbackTemplate(**dict(r)) for r in found]
        proposed = (await conn.execute(_proposals_query(project_id))).mappings()
        proposal_rows = [MissionFallbackItem(**dict(r)) for r in proposed]
        last = (await conn.execute(_runs_query(project_id).limit(1))).mappings().first()
    return FallbackArea(
        config=config,
        backlog=backlog,
        templates=template_rows,
        proposals=proposal_rows,
        last_run=MissionFallbackRun(**dict(last)) if last else None,
        accepted_this_week=accepted,
    )
