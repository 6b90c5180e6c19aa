"""``solo-unicorn mission …``: add, list, show, move, update, delete."""

from __future__ import annotations

import argparse
from typing import Any

from solo_unicorn_tui.cli.output import add_json_flag, print_json, print_table
from storage.board_queries import LISTS as MISSION_LISTS

# SQLAlchemy and the workspace are imported by the handlers, not here: every command's parser
# imports this module, and `solo-unicorn` (the board) must not pay for them before its first frame.


def register(sub: Any) -> None:
    parser = sub.add_parser("mission", help="add, list, show, move, update and delete missions")
    commands = parser.add_subparsers(dest="mission_command", metavar="ACTION", required=True)

    add = commands.add_parser("add", help="create a mission in Todo")
    add.add_argument("--title", required=True)
    add.add_argument("--description")
    add.add_argument("--priority", default=3, help="1 (lowest) to 5 (highest), default 3")
    add.add_argument("--ready", action="store_true", help="mark it ready to be dispatched")
    add.add_argument("--list", default="todo", dest="list_name", help="todo|doing|review|done")
    add_json_flag(add)
    add.set_defaults(handler=_add)

    listing = commands.add_parser("list", help="list missions by list and order")
    listing.add_argument("--list", dest="list_name", help="|".join(MISSION_LISTS))
    add_json_flag(listing)
    listing.set_defaults(handler=_list)

    show = commands.add_parser("show", help="show one mission with its timeline")
    show.add_argument("id")
    add_json_flag(show)
    show.set_defaults(handler=_show)

    move = commands.add_parser("move", help="move a mission to another list")
    move.add_argument("id")
    move.add_argument("--to", required=True, help="|".join(MISSION_LISTS))
    add_json_flag(move)
    move.set_defaults(handler=_move)

    update = commands.add_parser("update", help="change a mission's fields")
    update.add_argument("id")
    update.add_argument("--title")
    update.add_argument("--description")
    update.add_argument("--priority")
    ready = update.add_mutually_exclusive_group()
    ready.add_argument("--ready", dest="ready", action="store_true", default=None)
    ready.add_argument("--not-ready", dest="ready", action="store_false")
    add_json_flag(update)
    update.set_defaults(handler=_update)

    delete = commands.add_parser("delete", help="delete a mission")
    delete.add_argument("id")
    add_json_flag(delete)
    delete.set_defaults(handler=_delete)


def _emit(mission: Any, as_json: bool) -> None:
    from storage import missions as ops

    if as_json:
        print_json(ops.mission_to_json(mission))
    else:
        ready = "ready" if mission.ready else "not ready"
        print(f"{mission.id}  [{mission.list}] P{mission.priority} {mission.stage} {ready}")
        print(f"  {mission.title}")


async def _add(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import missions as ops

    draft = ops.MissionDraft(
        title=args.title,
        description=args.description,
        priority=args.priority,
        ready=args.ready,
        list=args.list_name,
    )
    async with workspace_session() as ws:
        mission = await ops.create_mission(ws.db, ws.project_id, draft)
    _emit(mission, args.json)
    return 0


async def _list(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import missions as ops

    async with workspace_session() as ws:
        found = await ops.list_missions(ws.db, ws.project_id, args.list_name)
    if args.json:
        print_json([ops.mission_to_json(m) for m in found])
    else:
        print_table(
            ["id", "list", "pri", "stage", "ready", "title"],
            [
                (m.id, m.list, m.priority, m.stage, "yes" if m.ready else "", m.title[:70])
                for m in found
            ],
        )
    return 0


async def _show(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import missions as ops

    async with workspace_session() as ws:
        mission_id = await ops.resolve_mission_id(ws.db, args.id)
        mission = await ops.get_mission(ws.db, mission_id)
        events = await ops.list_events(ws.db, mission_id)
    if args.json:
        data = ops.mission_to_json(mission)
        data["events"] = [
            {
                "kind": e.kind,
                "origin": e.origin,
                "summary": e.summary,
                "at": e.created_at.isoformat(),
            }
            for e in events
        ]
        print_json(data)
        return 0
    _emit(mission, False)
    if mission.description:
        print()
        print(mission.description)
    print()
    for event in events:
        print(f"  {event.created_at:%Y-%m-%d %H:%M}  {event.origin:<8} {event.summary}")
    return 0


async def _move(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import missions as ops

    async with workspace_session() as ws:
        mission_id = await ops.resolve_mission_id(ws.db, args.id)
        mission = await ops.move_mission(ws.db, mission_id, args.to)
    _emit(mission, args.json)
    return 0


async def _update(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import missions as ops

    fields = {
        key: value
        for key, value in {
            "title": args.title,
            "description": args.description,
            "priority": args.priority,
            "ready": args.ready,
        }.items()
        if value is not None
    }
    async with workspace_session() as ws:
        mission_id = await ops.resolve_mission_id(ws.db, args.id)
        mission = await ops.update_mission(ws.db, mission_id, **fields)
    _emit(mission, args.json)
    return 0


async def _delete(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import missions as ops

    async with workspace_session() as ws:
        mission_id = await ops.resolve_mission_id(ws.db, args.id)
        await ops.delete_mission(ws.db, mission_id)
    if args.json:
        print_json({"id": mission_id, "deleted": True})
    else:
        print(f"deleted {mission_id}")
    return 0
