"""Mission Fallback: templates that keep the queue from running dry (seed 001).

Templates sit in Todo's Fallback area. Launching one creates a mission (origin ``fallback``) and
keeps the template. A check on the project's cadence compares the ready backlog (ready missions
in Todo) with the threshold and, when it is low, records a run whose items propose missions from
the enabled templates, or create them at once with ``auto_accept``.

Every function that depends on the time takes ``now`` so tests (and the cap's week) use one clock.

**The guardrails, one rule for every way a fallback mission is made** (a run with
``auto_accept``, accepting a proposal, launching a template from the Fallback area or
``fallback template launch``): a fallback mission is made only while

1. fewer than ``weekly_mission_cap`` fallback missions were made in this ISO week (UTC), and
2. the estimated effort of the fallback missions made this calendar month (UTC) is below
   ``monthly_target_hours``.

Every fallback mission counts toward both however it was made, deleted ones too (they were
made); a mission without an effort estimate counts no effort. A run proposes at most what the
week leaves and stops adding proposals once their estimated effort reaches what the month
leaves; accepting or launching past either limit is refused with the reason and how to raise it.
:func:`fallback_room` is the rule; :func:`decide_fallback` and :func:`check_room` apply it.

Snoozing (seed 001 status ``snoozed`` with an end time): a snoozed project makes no runs until
``snoozed_until``; a snoozed template is skipped by runs, and a snoozed proposal is hidden (not
outstanding) with its template skipped, until then. Launching or accepting by hand still works.

A run that completes (nothing left undecided) appends a ``fallback_run_completed`` event with
``{"runId", "generated", "accepted"}`` to the timeline of each mission it made.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Select, and_, func, or_, select
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
DEFAULT_MONTHLY_TARGET_HOURS = 120
CONFIG_FIELDS = (
    "backlog_threshold",
    "check_cadence_minutes",
    "auto_accept",
    "weekly_mission_cap",
    "monthly_target_hours",
)
TAGS_MAX = 20
TAG_MAX_CHARS = 40
UNDECIDED = ("proposed", "snoozed")
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
    "tags",
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
    tags: list[str] | None = None


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
        "monthly_target_hours": DEFAULT_MONTHLY_TARGET_HOURS,
        "status": "active",
        "snoozed_until": None,
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
    """Change the project's fallback settings: threshold, cadence, auto_accept, cap, monthly
    target, status (``snoozed`` needs ``snoozed_until``; active or paused clear it)."""
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if key == "auto_accept":
            clean[key] = bool(value)
        elif key == "status":
            if value not in ("active", "paused", "snoozed"):
                raise ValidationError("status", f"{value!r}: use active, paused or snoozed")
            clean[key] = value
        elif key == "snoozed_until":
            clean[key] = _until(value)
        elif key in CONFIG_FIELDS:
            clean[key] = _non_negative(value, key, 10_000)
        else:
            raise ValidationError(key, "is not a fallback setting")
    if clean.get("status") == "snoozed" and "snoozed_until" not in clean:
        raise ValidationError("snoozed_until", "snoozing needs an end time")
    if clean.get("status") in ("active", "paused"):
        clean["snoozed_until"] = None
    elif "snoozed_until" in clean:
        clean["status"] = "snoozed"
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
        elif key == "tags":
            clean[key] = clean_tags(value)
        elif key == "flow_id":
            clean[key] = await _check_reference(conn, Flow.__table__, value, "flow")
        elif key == "actor_id":
            clean[key] = await _check_reference(conn, Actor.__table__, value, "actor")
        elif key == "repository_id":
            clean[key] = await _check_reference(
                conn, ProjectRepository.__table__, value, "repository"
            )
    return clean


def _until(value: object) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError("snoozed_until", f"{value!r} is not a time with a time zone")
    return value


def clean_tags(value: object) -> list[str] | None:
    """Template tags: short labels, lower case, each once, in the order given."""
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValidationError("tags", "must be a list of labels")
    tags: list[str] = []
    for raw in value:
        tag = validation.title(str(raw), "tag", TAG_MAX_CHARS).lower()
        if any(c.isspace() or c == "," for c in tag):
            raise ValidationError("tag", f"{tag!r}: use one word (letters, digits, - or _)")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise ValidationError("tags", f"{len(tags)} tags; use at most {TAGS_MAX}")
    return tags or None


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


def _templates_query(
    project_id: str, *, enabled_only: bool = False, runnable_at: datetime | None = None
) -> Select[Any]:
    """The project's live templates: highest priority first, then by name.

    With ``runnable_at``: only those a run may propose from then (enabled, not snoozed, no
    snoozed proposal of theirs).
    """
    query = (
        select(templates)
        .where(templates.c.project_id == project_id, templates.c.deleted.is_(False))
        .order_by(templates.c.priority.desc(), templates.c.name, templates.c.id)
    )
    if enabled_only or runnable_at is not None:
        query = query.where(templates.c.enabled.is_(True))
    if runnable_at is not None:
        snoozed_proposal = (
            select(items.c.id)
            .where(
                items.c.template_id == templates.c.id,
                items.c.status == "snoozed",
                items.c.deleted.is_(False),
                items.c.snoozed_until > runnable_at,
            )
            .exists()
        )
        query = query.where(
            or_(templates.c.snoozed_until.is_(None), templates.c.snoozed_until <= runnable_at),
            ~snoozed_proposal,
        )
    return query


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


def month_start(now: datetime) -> datetime:
    """The first of ``now``'s calendar month, 00:00 UTC."""
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def effort_this_month(conn: AsyncConnection, project_id: str, now: datetime) -> int:
    """Estimated minutes of the fallback missions made in ``now``'s calendar month."""
    start = month_start(now)
    following = (start + timedelta(days=32)).replace(day=1)
    return (
        await conn.execute(
            select(func.coalesce(func.sum(items.c.estimated_effort_minutes), 0))
            .select_from(missions)
            .join(items, items.c.id == missions.c.fallback_item_id)
            .where(
                missions.c.project_id == project_id,
                missions.c.origin == "fallback",
                missions.c.created_at >= start,
                missions.c.created_at < following,
            )
        )
    ).scalar_one()


def _proposals_query(project_id: str, now: datetime) -> Select[Any]:
    """Proposals waiting for a decision at ``now`` (a snoozed one once its snooze ended)."""
    return (
        select(items)
        .where(
            items.c.project_id == project_id,
            or_(
                items.c.status == "proposed",
                and_(items.c.status == "snoozed", items.c.snoozed_until <= now),
            ),
            items.c.deleted.is_(False),
        )
        .order_by(items.c.created_at, items.c.id)
    )


async def _outstanding_proposals(conn: AsyncConnection, project_id: str, now: datetime) -> int:
    query = (
        _proposals_query(project_id, now)
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
    """Recount a run's items and close it once none is left to decide.

    Closing it appends the run-summary event to each mission the run made.
    """
    counts: dict[str, int] = dict(
        (
            await writer.conn.execute(
                select(items.c.status, func.count())
                .where(items.c.mission_fallback_run_id == run_id, items.c.deleted.is_(False))
                .group_by(items.c.status)
            )
        ).all()
    )
    before = await fetch_row(writer.conn, runs, run_id, "fallback run")
    generated = sum(counts.values())
    values: dict[str, Any] = {
        "generated_count": generated,
        "accepted_count": counts.get("accepted", 0),
        "discarded_count": counts.get("discarded", 0),
    }
    if any(counts.get(status, 0) for status in UNDECIDED):
        values["status"] = "awaiting_review"
    else:
        values["status"] = "completed"
        values["completed_at"] = now
    await writer.update(runs, run_id, values)
    if values["status"] == "completed" and before["status"] != "completed":
        await _summary_events(writer, run_id, generated, values["accepted_count"])
    return await fetch_row(writer.conn, runs, run_id, "fallback run")


async def _summary_events(writer: ChangeWriter, run_id: str, generated: int, accepted: int) -> None:
    made = (
        await writer.conn.execute(
            select(missions)
            .join(items, items.c.mission_id == missions.c.id)
            .where(items.c.mission_fallback_run_id == run_id, items.c.status == "accepted")
            .order_by(missions.c.id)
        )
    ).mappings()
    for mission in [dict(m) for m in made]:
        await writer.event(
            mission,
            "fallback_run_completed",
            f"fallback run {run_id} completed: {generated} generated, {accepted} accepted",
            origin="fallback",
            payload={"runId": run_id, "generated": generated, "accepted": accepted},
        )


async def launch_template(
    db: Database, template_id: str, *, now: datetime | None = None
) -> Mission:
    """Create a mission from a template now (a manual run of one accepted item).

    Within the guardrails like any fallback mission (the module docstring); a snoozed template
    may still be launched by hand.
    """
    now = now or utcnow()
    async with db.write() as conn:
        template = await fetch_row(conn, templates, template_id, "fallback template")
        if not template["enabled"]:
            raise ConflictError(
                f"fallback template {template['name']!r} is disabled; enable it with "
                f"'solo-unicorn fallback template edit {template_id} --enabled'"
            )
        project = await fetch_row(conn, projects, template["project_id"], "project")
        await check_room(conn, await _config_or_default(conn, project), now)
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
    until = config.snoozed_until
    if config.status == "snoozed" and until is not None and now < until:
        return FallbackDecision(0, f"fallback is snoozed until {until:%Y-%m-%d %H:%M} UTC")
    if config.status not in ("active", "snoozed"):
        return FallbackDecision(0, f"fallback is {config.status}")
    if backlog >= threshold:
        return FallbackDecision(0, f"backlog {backlog} is not below the threshold {threshold}")
    last = config.last_run_at
    cadence = timedelta(minutes=config.check_cadence_minutes)
    if triggered_by == "automatic" and last is not None and now - last < cadence:
        return FallbackDecision(0, f"last run {last:%H:%M}; next after {last + cadence:%H:%M} UTC")
    return None


@dataclass(frozen=True)
class FallbackRoom:
    """What the guardrails leave for new fallback missions (see the module docstring)."""

    missions: int
    """Fallback missions left this ISO week under ``weekly_mission_cap``."""
    effort_minutes: int
    """Estimated minutes left this calendar month under ``monthly_target_hours``."""

    def refusal(self, config: MissionFallbackConfig) -> str | None:
        """Why no fallback mission may be made now (None: there is room)."""
        if self.missions <= 0:
            return (
                f"the weekly cap of {config.weekly_mission_cap} fallback missions is reached; "
                "raise it with 'solo-unicorn fallback config --weekly-cap N' or wait for Monday"
            )
        if self.effort_minutes <= 0:
            return (
                f"the monthly target of {_target_hours(config)} hours of fallback work is "
                "reached; raise it with 'solo-unicorn fallback config --monthly-target HOURS' "
                "or wait for the 1st"
            )
        return None


def _target_hours(config: MissionFallbackConfig) -> int:
    hours = config.monthly_target_hours
    return DEFAULT_MONTHLY_TARGET_HOURS if hours is None else hours


def fallback_room(
    config: MissionFallbackConfig, *, made_this_week: int, effort_this_month: int
) -> FallbackRoom:
    """The one rule for launches, accepted proposals and runs alike."""
    return FallbackRoom(
        missions=config.weekly_mission_cap - made_this_week,
        effort_minutes=_target_hours(config) * 60 - effort_this_month,
    )


async def check_room(conn: AsyncConnection, config: dict[str, Any], now: datetime) -> None:
    """Raise :class:`ConflictError` when the rule leaves no room for one more fallback mission."""
    settings = MissionFallbackConfig(**config)
    room = fallback_room(
        settings,
        made_this_week=await accepted_this_week(conn, config["project_id"], now),
        effort_this_month=await effort_this_month(conn, config["project_id"], now),
    )
    refusal = room.refusal(settings)
    if refusal is not None:
        raise ConflictError(refusal)


def plan_proposals(
    templates: list[dict[str, Any]], count: int, effort_left_minutes: int
) -> list[dict[str, Any]]:
    """Up to ``count`` templates in turn, stopping once their effort reaches what is left."""
    chosen: list[dict[str, Any]] = []
    used = 0
    for template in itertools.islice(itertools.cycle(templates), count):
        if chosen and used >= effort_left_minutes:
            break
        chosen.append(template)
        used += template["estimated_effort_minutes"] or 0
    return chosen


def decide_fallback(
    config: MissionFallbackConfig,
    *,
    backlog: int,
    outstanding: int,
    accepted_this_week: int,
    enabled_templates: int,
    now: datetime,
    triggered_by: TriggeredBy = "automatic",
    effort_this_month: int = 0,
) -> FallbackDecision:
    """The policy of a check, without the database.

    After :func:`fallback_gate`, it proposes what the backlog lacks minus the proposals still
    undecided, within what :func:`fallback_room` leaves, when there is a template to propose
    from (the month's effort then trims the count: :func:`plan_proposals`).
    """
    gate = fallback_gate(config, backlog=backlog, now=now, triggered_by=triggered_by)
    if gate is not None:
        return gate
    if enabled_templates == 0:
        return FallbackDecision(0, "no enabled fallback templates")
    threshold = config.backlog_threshold
    room = fallback_room(
        config, made_this_week=accepted_this_week, effort_this_month=effort_this_month
    )
    count = min(threshold - backlog - outstanding, room.missions)
    if room.missions <= 0:
        return FallbackDecision(
            0, f"weekly cap of {config.weekly_mission_cap} fallback missions reached"
        )
    if room.effort_minutes <= 0:
        return FallbackDecision(
            0, f"monthly target of {_target_hours(config)} hours of fallback work reached"
        )
    if count <= 0:
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
            for r in (await conn.execute(_templates_query(project_id, runnable_at=now))).mappings()
        ]
        effort = await effort_this_month(conn, project_id, now)
        decision = decide_fallback(
            settings,
            backlog=backlog,
            outstanding=await _outstanding_proposals(conn, project_id, now),
            accepted_this_week=await accepted_this_week(conn, project_id, now),
            enabled_templates=len(enabled),
            now=now,
            triggered_by=triggered_by,
            effort_this_month=effort,
        )
        result.reason = decision.reason
        if decision.count <= 0:
            return result
        room = fallback_room(settings, made_this_week=0, effort_this_month=effort)
        chosen = plan_proposals(enabled, decision.count, room.effort_minutes)
        if len(chosen) < decision.count:
            verb = "created" if config["auto_accept"] else "proposed"
            result.reason = (
                f"backlog {backlog} below {threshold}: {verb} {len(chosen)} (the monthly "
                f"target of {_target_hours(settings)} hours of fallback work leaves no more room)"
            )
        writer = ChangeWriter(db, conn)
        run = await _new_run(writer, project, triggered_by, backlog, threshold, now)
        created = []
        made = []
        for template in chosen:
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
    """Accept a proposal (a snoozed one too): create its mission, within the guardrails."""
    now = now or utcnow()
    async with db.write() as conn:
        item = await fetch_row(conn, items, item_id, "fallback item")
        if item["status"] not in UNDECIDED:
            raise ConflictError(f"fallback item {item_id} is already {item['status']}")
        project = await fetch_row(conn, projects, item["project_id"], "project")
        await check_room(conn, await _config_or_default(conn, project), now)
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
        if item["status"] not in UNDECIDED:
            raise ConflictError(f"fallback item {item_id} is already {item['status']}")
        writer = ChangeWriter(db, conn)
        await writer.update(
            items, item_id, {"status": "discarded", "feedback": feedback, "snoozed_until": None}
        )
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
    effort_this_month: int = 0
    """Estimated minutes of fallback missions made this month (against the monthly target)."""


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
        effort = await effort_this_month(conn, project_id, now)
        template_rows = [MissionFallbackTemplate(**dict(r)) for r in found]
        proposed = (await conn.execute(_proposals_query(project_id, now))).mappings()
        proposal_rows = [MissionFallbackItem(**dict(r)) for r in proposed]
        last = (await conn.execute(_runs_query(project_id).limit(1))).mappings().first()
    return FallbackArea(
        config=config,
        backlog=backlog,
        templates=template_rows,
        proposals=proposal_rows,
        last_run=MissionFallbackRun(**dict(last)) if last else None,
        accepted_this_week=accepted,
        effort_this_month=effort,
    )


# --- snoozing and the run report ---------------------------------------------------------------


async def snooze_template(
    db: Database, template_id: str, until: datetime | None
) -> MissionFallbackTemplate:
    """Runs skip the template until ``until`` (None: wake it now)."""
    async with db.write() as conn:
        await fetch_row(conn, templates, template_id, "fallback template")
        value = None if until is None else _until(until)
        await ChangeWriter(db, conn).update(templates, template_id, {"snoozed_until": value})
    return await get_template(db, template_id)


async def snooze_item(db: Database, item_id: str, until: datetime | None) -> MissionFallbackItem:
    """Hide a proposal (and skip its template in runs) until ``until``; None wakes it now."""
    async with db.write() as conn:
        item = await fetch_row(conn, items, item_id, "fallback item")
        if item["status"] not in UNDECIDED:
            raise ConflictError(f"fallback item {item_id} is already {item['status']}")
        values: dict[str, Any] = (
            {"status": "proposed", "snoozed_until": None}
            if until is None
            else {"status": "snoozed", "snoozed_until": _until(until)}
        )
        await ChangeWriter(db, conn).update(items, item_id, values)
        return MissionFallbackItem(**await fetch_row(conn, items, item_id, "fallback item"))


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


async def run_report(db: Database, run_id: str) -> dict[str, Any]:
    """A run and its items as the audit report (``solo-unicorn-docs/fallback/{runId}.json``)."""
    async with db.read() as conn:
        run = await fetch_row(conn, runs, run_id, "fallback run")
        found = (
            await conn.execute(
                select(items)
                .where(items.c.mission_fallback_run_id == run_id, items.c.deleted.is_(False))
                .order_by(items.c.created_at, items.c.id)
            )
        ).mappings()
        proposals = [dict(i) for i in found]
    return {
        "runId": run["id"],
        "projectId": run["project_id"],
        "triggeredBy": run["triggered_by"],
        "status": run["status"],
        "startedAt": _when(run["started_at"]),
        "completedAt": _when(run["completed_at"]),
        "backlogBefore": run["backlog_count_before"],
        "backlogThreshold": run["backlog_threshold"],
        "generated": run["generated_count"],
        "accepted": run["accepted_count"],
        "discarded": run["discarded_count"],
        "items": [
            {
                "id": i["id"],
                "templateId": i["template_id"],
                "title": i["title"],
                "priority": i["priority"],
                "estimatedEffortMinutes": i["estimated_effort_minutes"],
                "status": i["status"],
                "snoozedUntil": _when(i["snoozed_until"]),
                "missionId": i["mission_id"],
                "feedback": i["feedback"],
            }
            for i in proposals
        ],
    }


async def item_run_id(db: Database, item_id: str) -> str:
    """The run a proposal belongs to (to refresh its report after a decision)."""
    async with db.read() as conn:
        return str(
            (await fetch_row(conn, items, item_id, "fallback item"))["mission_fallback_run_id"]
        )
