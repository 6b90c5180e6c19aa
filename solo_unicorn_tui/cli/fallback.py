"""``solo-unicorn fallback …``: Mission Fallback templates, checks, runs and proposals."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from solo_unicorn_tui.cli.output import (
    add_action,
    print_deleted,
    print_json,
    print_mission,
    print_table,
)
from solo_unicorn_tui.errors import UserError

if TYPE_CHECKING:
    from storage.models import (
        MissionFallbackConfig,
        MissionFallbackItem,
        MissionFallbackRun,
        MissionFallbackTemplate,
    )


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "fallback", help="Mission Fallback: templates that refill a low backlog"
    )
    commands = parser.add_subparsers(dest="fallback_command", metavar="ACTION", required=True)

    template = commands.add_parser("template", help="add, list, edit, launch, delete templates")
    actions = template.add_subparsers(dest="template_command", metavar="ACTION", required=True)
    add = add_action(actions, "add", "create a template", _template_add)
    add.add_argument("--name", required=True)
    _template_options(add)
    listing = add_action(actions, "list", "list templates (the Fallback area)", _template_list)
    listing.add_argument("--tag", help="only templates with this tag")
    edit = add_action(actions, "edit", "change a template", _template_edit, takes_id=True)
    edit.add_argument("--name")
    _template_options(edit)
    add_action(
        actions, "launch", "create a mission from a template now", _template_launch, takes_id=True
    )
    add_action(actions, "delete", "delete a template", _template_delete, takes_id=True)
    snooze = add_action(
        actions,
        "snooze",
        "skip a template in fallback runs until a time",
        _template_snooze,
        takes_id=True,
    )
    _snooze_options(snooze)

    add_action(
        commands,
        "check",
        "compare the ready backlog with the threshold and refill it if low",
        _check,
    )

    runs = add_action(commands, "runs", "list recent fallback runs", _runs)
    runs.add_argument("--limit", type=int, default=20)

    items = add_action(commands, "items", "list proposals (default: the undecided ones)", _items)
    items.add_argument(
        "--status", default="proposed", help="proposed|snoozed|accepted|discarded|all"
    )
    snooze_item = add_action(
        commands,
        "snooze",
        "hide a proposal (and skip its template) until a time",
        _snooze,
        takes_id=True,
    )
    _snooze_options(snooze_item)

    add_action(commands, "accept", "accept a proposal: create its mission", _accept, takes_id=True)

    discard = add_action(commands, "discard", "discard a proposal", _discard, takes_id=True)
    discard.add_argument("--feedback")

    config = add_action(
        commands, "config", "show or change the project's fallback settings", _config
    )
    config.add_argument("--threshold", type=int, help="refill when fewer ready missions wait")
    config.add_argument("--cadence", type=int, help="minutes between automatic runs")
    config.add_argument("--weekly-cap", type=int, help="most fallback missions per ISO week")
    config.add_argument(
        "--monthly-target",
        type=int,
        help="hours of estimated fallback work per calendar month (no more missions past it)",
    )
    auto = config.add_mutually_exclusive_group()
    auto.add_argument("--auto-accept", dest="auto_accept", action="store_true", default=None)
    auto.add_argument("--no-auto-accept", dest="auto_accept", action="store_false")
    state = config.add_mutually_exclusive_group()
    state.add_argument("--pause", dest="status", action="store_const", const="paused")
    state.add_argument("--resume", dest="status", action="store_const", const="active")
    state.add_argument(
        "--snooze", metavar="WHEN", help="no runs until then: 2h, 3d, 1w or a time (UTC if no zone)"
    )


def _snooze_options(parser: argparse.ArgumentParser) -> None:
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument(
        "--until", metavar="WHEN", help="a duration (30m, 2h, 3d, 1w) or a time (UTC if no zone)"
    )
    when.add_argument("--wake", action="store_true", help="end the snooze now")


DURATION = re.compile(r"(\d+(?:\.\d+)?)([mhdw])")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_until(text: str, now: datetime | None = None) -> datetime:
    """``2h``/``3d``/``1w``/``30m`` from now, or an ISO time (UTC when it names no zone)."""
    now = now or datetime.now(UTC)
    value = text.strip()
    if match := DURATION.fullmatch(value):
        when = now + timedelta(**{UNITS[match.group(2)]: float(match.group(1))})
    else:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise UserError(
                f"{text!r} is neither a duration (30m, 2h, 3d, 1w) nor a time like 2026-12-24T09:00"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    if when <= now:
        raise UserError(f"{text!r} is not in the future; give a later time")
    return when


def _template_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--description")
    parser.add_argument("--criteria", help="acceptance criteria")
    parser.add_argument("--priority", help="1 (lowest) to 5 (highest)")
    parser.add_argument("--effort", type=int, help="estimated effort in minutes")
    parser.add_argument("--flow", help="flow id (default: the project's)")
    parser.add_argument("--actor", help="actor id (default: the project's)")
    parser.add_argument("--repository", help="project repository id the missions work in")
    parser.add_argument(
        "--tag", action="append", dest="tags", help="a label (repeat for several; replaces them)"
    )
    enabled = parser.add_mutually_exclusive_group()
    enabled.add_argument("--enabled", dest="enabled", action="store_true", default=None)
    enabled.add_argument("--disabled", dest="enabled", action="store_false")


async def _template_values(ws: Any, args: argparse.Namespace) -> dict[str, Any]:
    from storage import actors, flows

    values: dict[str, Any] = {
        "description": args.description,
        "acceptance_criteria": args.criteria,
        "priority": args.priority,
        "estimated_effort_minutes": args.effort,
        "enabled": args.enabled,
        "tags": args.tags,
    }
    if args.flow:
        values["flow_id"] = await flows.resolve_flow_id(ws.db, args.flow)
    if args.actor:
        values["actor_id"] = await actors.resolve_actor_id(ws.db, args.actor)
    if args.repository:
        values["repository_id"] = args.repository
    return {key: value for key, value in values.items() if value is not None}


def _json(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    from storage.codec import encode_value

    return {name: encode_value(getattr(row, name)) for name in fields}


def _template_fields() -> tuple[str, ...]:
    from storage import fallback

    return ("id", "name", *fallback.TEMPLATE_FIELDS[1:], "snoozed_until")


RUN_FIELDS = (
    "id",
    "triggered_by",
    "status",
    "backlog_count_before",
    "backlog_threshold",
    "generated_count",
    "accepted_count",
    "discarded_count",
    "started_at",
    "completed_at",
)
ITEM_FIELDS = (
    "id",
    "mission_fallback_run_id",
    "template_id",
    "title",
    "priority",
    "estimated_effort_minutes",
    "status",
    "snoozed_until",
    "mission_id",
    "feedback",
)
CONFIG_FIELDS = (
    "backlog_threshold",
    "check_cadence_minutes",
    "auto_accept",
    "weekly_mission_cap",
    "monthly_target_hours",
    "status",
    "snoozed_until",
    "last_run_at",
)


def _emit_template(template: MissionFallbackTemplate, as_json: bool) -> None:
    if as_json:
        print_json(_json(template, _template_fields()))
    else:
        state = "" if template.enabled else "  (disabled)"
        tags = "".join(f" #{t}" for t in template.tags or [])
        print(f"{template.id}  P{template.priority} {template.name}{tags}{state}")


async def _template_add(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import fallback

    async with workspace_session() as ws:
        values = await _template_values(ws, args)
        template = await fallback.add_template(
            ws.db, ws.project_id, fallback.TemplateDraft(name=args.name, **values)
        )
    _emit_template(template, args.json)
    return 0


async def _template_list(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import fallback

    async with workspace_session() as ws:
        found = await fallback.list_templates(ws.db, ws.project_id)
    if args.tag:
        wanted = args.tag.strip().lower()
        found = [t for t in found if wanted in (t.tags or [])]
    if args.json:
        fields = _template_fields()
        print_json([_json(t, fields) for t in found])
    else:
        print_table(
            ["id", "pri", "effort", "enabled", "snoozed until", "tags", "name"],
            [
                (
                    t.id,
                    t.priority,
                    f"{t.estimated_effort_minutes} min" if t.estimated_effort_minutes else "",
                    "yes" if t.enabled else "no",
                    f"{t.snoozed_until:%Y-%m-%d %H:%M}" if t.snoozed_until else "",
                    " ".join(t.tags or []),
                    t.name,
                )
                for t in found
            ],
        )
    return 0


async def _template_edit(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import fallback

    async with workspace_session() as ws:
        template_id = await fallback.resolve_template_id(ws.db, args.id)
        values = await _template_values(ws, args)
        if args.name is not None:
            values["name"] = args.name
        if not values:
            raise UserError("nothing to change; give at least one option")
        template = await fallback.edit_template(ws.db, template_id, **values)
    _emit_template(template, args.json)
    return 0


async def _template_launch(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import fallback

    async with workspace_session() as ws:
        template_id = await fallback.resolve_template_id(ws.db, args.id)
        mission = await fallback.launch_template(ws.db, template_id)
        await _report_item(ws, mission.fallback_item_id)
    print_mission(mission, args.json)
    return 0


async def _template_delete(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import fallback

    async with workspace_session() as ws:
        template_id = await fallback.resolve_template_id(ws.db, args.id)
        await fallback.delete_template(ws.db, template_id)
    print_deleted(template_id, args.json)
    return 0


async def _check(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.runtime.fallback_report import write_run_report
    from solo_unicorn_tui.workspace import workspace_session
    from storage import fallback
    from storage import missions as mission_ops

    async with workspace_session() as ws:
        result = await fallback.run_fallback_check(ws.db, ws.project_id, triggered_by="manual")
        report = None
        if result.run is not None:
            report = await write_run_report(ws.db, result.run.id, ws.identity.workstation_id)
    if args.json:
        print_json(
            {
                "backlog": result.backlog,
                "threshold": result.threshold,
                "reason": result.reason,
                "report": str(report) if report else None,
                "run": _json(result.run, RUN_FIELDS) if result.run else None,
                "items": [_json(i, ITEM_FIELDS) for i in result.items],
                "missions": [mission_ops.mission_to_json(m) for m in result.missions],
            }
        )
    else:
        print(result.reason)
        for item in result.items:
            print(f"  {item.id}  {item.status:<9} P{item.priority} {item.title}")
        if report is not None:
            print(f"report: {report}")
    return 0


def _emit_runs(found: list[MissionFallbackRun]) -> None:
    print_table(
        ["id", "started", "by", "status", "backlog", "made", "accepted", "discarded"],
        [
            (
                r.id,
                r.started_at.strftime("%Y-%m-%d %H:%M") if r.started_at else "",
                r.triggered_by,
                r.status,
                ""
                if r.backlog_count_before is None
                else f"{r.backlog_count_before}/{r.backlog_threshold}",
                r.generated_count,
                r.accepted_count,
                r.discarded_count,
            )
            for r in found
        ],
    )


async def _runs(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import fallback

    async with workspace_session() as ws:
        found = await fallback.list_runs(ws.db, ws.project_id, limit=max(1, args.limit))
    if args.json:
        print_json([_json(r, RUN_FIELDS) for r in found])
    else:
        _emit_runs(found)
    return 0


def _emit_item(item: MissionFallbackItem, as_json: bool) -> None:
    if as_json:
        print_json(_json(item, ITEM_FIELDS))
    else:
        print(f"{item.id}  {item.status}  {item.title}")


async def _items(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import fallback

    status = None if args.status == "all" else args.status
    if status not in (None, "proposed", "snoozed", "accepted", "discarded"):
        raise UserError(
            f"--status {args.status!r}: use proposed, snoozed, accepted, discarded or all"
        )
    async with workspace_session() as ws:
        found = await fallback.list_items(ws.db, ws.project_id, status=status)
    if args.json:
        print_json([_json(i, ITEM_FIELDS) for i in found])
    else:
        print_table(
            ["id", "status", "pri", "title", "mission"],
            [(i.id, i.status, i.priority, i.title, i.mission_id or "") for i in found],
        )
    return 0


async def _accept(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import fallback

    async with workspace_session() as ws:
        item_id = await fallback.resolve_item_id(ws.db, args.id)
        mission = await fallback.accept_item(ws.db, item_id)
        await _report_item(ws, item_id)
    print_mission(mission, args.json)
    return 0


async def _discard(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import fallback

    async with workspace_session() as ws:
        item_id = await fallback.resolve_item_id(ws.db, args.id)
        item = await fallback.discard_item(ws.db, item_id, args.feedback)
        await _report_item(ws, item_id)
    _emit_item(item, args.json)
    return 0


def _emit_config(config: MissionFallbackConfig, as_json: bool) -> None:
    from storage.codec import encode_value

    if as_json:
        print_json(_json(config, CONFIG_FIELDS))
        return
    for name in CONFIG_FIELDS:
        value = getattr(config, name)
        unset = "never" if name == "last_run_at" else "-"
        print(f"{name}: {unset if value is None else encode_value(value)}")


async def _config(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import fallback

    changes = {
        "backlog_threshold": args.threshold,
        "check_cadence_minutes": args.cadence,
        "weekly_mission_cap": args.weekly_cap,
        "monthly_target_hours": args.monthly_target,
        "auto_accept": args.auto_accept,
        "status": args.status,
        "snoozed_until": parse_until(args.snooze) if args.snooze else None,
    }
    changes = {key: value for key, value in changes.items() if value is not None}
    async with workspace_session() as ws:
        if changes:
            config = await fallback.set_config(ws.db, ws.project_id, **changes)
        else:
            config = await fallback.get_config(ws.db, ws.project_id)
    _emit_config(config, args.json)
    return 0


async def _report_item(ws: Any, item_id: str | None) -> None:
    """Rewrite the run's report in the repository after a change to one of its items."""
    from solo_unicorn_tui.runtime.fallback_report import write_item_report

    if item_id:
        await write_item_report(ws.db, item_id, ws.identity.workstation_id)


async def _template_snooze(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import fallback

    until = None if args.wake else parse_until(args.until)
    async with workspace_session() as ws:
        template_id = await fallback.resolve_template_id(ws.db, args.id)
        template = await fallback.snooze_template(ws.db, template_id, until)
    _emit_template(template, args.json)
    return 0


async def _snooze(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import fallback

    until = None if args.wake else parse_until(args.until)
    async with workspace_session() as ws:
        item_id = await fallback.resolve_item_id(ws.db, args.id)
        item = await fallback.snooze_item(ws.db, item_id, until)
        await _report_item(ws, item_id)
    _emit_item(item, args.json)
    return 0
