"""``solo-unicorn actor …``: the personas agents take on (list, show, add, edit, default)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from solo_unicorn_tui.cli.output import add_action, print_json, print_table
from solo_unicorn_tui.errors import UserError

if TYPE_CHECKING:
    from storage.models import Actor


def register(sub: Any) -> None:
    parser = sub.add_parser("actor", help="list, add and edit actors (agent personas)")
    commands = parser.add_subparsers(dest="actor_command", metavar="ACTION", required=True)

    add_action(commands, "list", "list the project's actors", _list)

    add_action(commands, "show", "show an actor in full", _show, takes_id=True)

    add = add_action(commands, "add", "create an actor", _add)
    add.add_argument("--name", required=True)
    _fields(add)

    edit = add_action(commands, "edit", "change an actor", _edit, takes_id=True)
    edit.add_argument("--name")
    _fields(edit)

    add_action(commands, "default", "make an actor the project's default", _default, takes_id=True)


def _fields(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--description")
    prompt = parser.add_mutually_exclusive_group()
    prompt.add_argument("--system-prompt")
    prompt.add_argument("--system-prompt-file", metavar="FILE")
    parser.add_argument("--methodology")
    parser.add_argument("--focus", help="focus areas, comma separated: 'tests,security'")


def _values(args: argparse.Namespace) -> dict[str, Any]:
    from storage import documents

    prompt = args.system_prompt
    if args.system_prompt_file:
        prompt = documents.read_text_file(args.system_prompt_file, "--system-prompt-file")
    values = {
        "description": args.description,
        "system_prompt": prompt,
        "methodology": args.methodology,
        "focus_areas": args.focus,
    }
    return {key: value for key, value in values.items() if value is not None}


def _to_json(actor: Actor, default_id: str | None) -> dict[str, Any]:
    return {
        "id": actor.id,
        "name": actor.name,
        "description": actor.description,
        "system_prompt": actor.system_prompt,
        "methodology": actor.methodology,
        "focus_areas": actor.focus_areas or [],
        "default": actor.id == default_id,
    }


def _emit(actor: Actor, default_id: str | None, as_json: bool) -> None:
    if as_json:
        print_json(_to_json(actor, default_id))
        return
    marker = "  (default)" if actor.id == default_id else ""
    print(f"{actor.id}  {actor.name}{marker}")
    for label, value in (
        ("system prompt", actor.system_prompt),
        ("methodology", actor.methodology),
        ("focus", ", ".join(actor.focus_areas or [])),
    ):
        if value:
            print(f"  {label}: {value}")


async def _default_id(ws: Any) -> str | None:
    from storage.identity import get_project

    return (await get_project(ws.db, ws.project_id)).default_actor_id


async def _list(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import actors

    async with workspace_session() as ws:
        found = await actors.list_actors(ws.db, ws.project_id)
        default_id = await _default_id(ws)
    if args.json:
        print_json([_to_json(a, default_id) for a in found])
    else:
        print_table(
            ["id", "default", "name", "focus"],
            [
                (a.id, "*" if a.id == default_id else "", a.name, ", ".join(a.focus_areas or []))
                for a in found
            ],
        )
    return 0


async def _show(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import actors

    async with workspace_session() as ws:
        actor = await actors.get_actor(ws.db, await actors.resolve_actor_id(ws.db, args.id))
        default_id = await _default_id(ws)
    _emit(actor, default_id, args.json)
    return 0


async def _add(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import actors

    values = _values(args)
    async with workspace_session() as ws:
        actor = await actors.add_actor(ws.db, ws.project_id, args.name, **values)
        default_id = await _default_id(ws)
    _emit(actor, default_id, args.json)
    return 0


async def _edit(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import actors

    values = _values(args)
    if args.name is not None:
        values["name"] = args.name
    if not values:
        raise UserError("nothing to change; give at least one option (see 'actor edit --help')")
    async with workspace_session() as ws:
        actor_id = await actors.resolve_actor_id(ws.db, args.id)
        actor = await actors.edit_actor(ws.db, actor_id, **values)
        default_id = await _default_id(ws)
    _emit(actor, default_id, args.json)
    return 0


async def _default(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import actors

    async with workspace_session() as ws:
        actor_id = await actors.resolve_actor_id(ws.db, args.id)
        await actors.set_default_actor(ws.db, ws.project_id, actor_id)
        actor = await actors.get_actor(ws.db, actor_id)
    _emit(actor, actor_id, args.json)
    return 0
