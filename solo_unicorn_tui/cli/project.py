"""``solo-unicorn project …``: the organization's projects (add, list, rename, archive, set).

A project is named by id, unique id suffix or name; ``set`` and ``rename`` without one act on
the current project (the one the other commands use).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from solo_unicorn_tui.cli.output import add_action, print_json, print_table
from solo_unicorn_tui.errors import UserError

if TYPE_CHECKING:
    from solo_unicorn_tui.workspace import Workspace
    from storage.models import Project

PR_MODES_HELP = "disabled|enabled|auto"


def register(sub: Any) -> None:
    parser = sub.add_parser("project", help="add, list, rename, archive and set up projects")
    commands = parser.add_subparsers(dest="project_command", metavar="ACTION", required=True)

    listing = add_action(commands, "list", "list the organization's projects", _list)
    listing.add_argument("--all", action="store_true", help="archived projects too")

    add = add_action(
        commands, "add", "create a project (with its own default flow and actor)", _add
    )
    add.add_argument("--name", required=True)
    _settings(add)

    rename = add_action(commands, "rename", "rename a project", _rename)
    rename.add_argument("project", nargs="?", help="project id or name (default: the current one)")
    rename.add_argument("--name", required=True, help="the new name")

    archive = add_action(commands, "archive", "archive a project (hidden, kept)", _archive)
    archive.add_argument("project", help="project id or name")
    archive.add_argument("--restore", action="store_true", help="make it active again")

    setter = add_action(commands, "set", "change a project's defaults", _set)
    setter.add_argument("project", nargs="?", help="project id or name (default: the current one)")
    setter.add_argument("--name")
    _settings(setter)


def _settings(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--flow", metavar="FLOW", help="default flow (id or name)")
    parser.add_argument("--actor", metavar="ACTOR", help="default actor (id or name)")
    parser.add_argument(
        "--agent", metavar="PROFILE", help="default agent profile ('': the workstation's)"
    )
    parser.add_argument("--pr-mode", metavar="MODE", help=f"default PR mode: {PR_MODES_HELP}")


def _to_json(project: Project, current_id: str) -> dict[str, Any]:
    from storage.codec import encode_value

    return {
        "id": project.id,
        "name": project.name,
        "status": project.status,
        "default_flow_id": project.default_flow_id,
        "default_actor_id": project.default_actor_id,
        "default_agent_name": project.default_agent_name,
        "pr_mode_default": project.pr_mode_default,
        "current": project.id == current_id,
        "updated_at": encode_value(project.updated_at),
    }


def _emit(project: Project, current_id: str, as_json: bool) -> None:
    if as_json:
        print_json(_to_json(project, current_id))
        return
    marks = [m for m in ("current" if project.id == current_id else "", project.status) if m]
    print(f"{project.id}  {project.name}" + (f"  ({', '.join(marks)})" if marks else ""))
    print(
        f"  agent: {project.default_agent_name or '(workstation default)'}  "
        f"PR mode: {project.pr_mode_default}"
    )


async def _project_id(ws: Workspace, ident: str | None) -> str:
    from solo_unicorn_tui.cli.named import pick_named
    from storage.projects import list_projects

    if ident is None:
        return ws.project_id
    found = await list_projects(ws.db, ws.identity.organization_id, include_archived=True)
    return pick_named(found, ident, "project")


async def _values(ws: Workspace, project_id: str, args: argparse.Namespace) -> dict[str, Any]:
    """The ``set``/``add`` options as :func:`storage.projects.set_project` fields."""
    from solo_unicorn_tui.cli.named import pick_named
    from solo_unicorn_tui.runtime.agent_profiles import AgentProfiles
    from storage import actors, flows

    values: dict[str, Any] = {}
    if getattr(args, "name", None) is not None and args.project_command == "set":
        values["name"] = args.name
    if args.flow is not None:
        values["default_flow_id"] = pick_named(
            await flows.list_flows(ws.db, project_id), args.flow, "flow"
        )
    if args.actor is not None:
        values["default_actor_id"] = pick_named(
            await actors.list_actors(ws.db, project_id), args.actor, "actor"
        )
    if args.agent is not None:
        name = args.agent.strip()
        values["default_agent_name"] = AgentProfiles.load(ws.home).get(name).name if name else None
    if args.pr_mode is not None:
        values["pr_mode_default"] = args.pr_mode
    return values


async def _list(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage.projects import list_projects

    async with workspace_session() as ws:
        found = await list_projects(ws.db, ws.identity.organization_id, include_archived=args.all)
        current = ws.project_id
    if args.json:
        print_json([_to_json(p, current) for p in found])
    else:
        print_table(
            ["id", "current", "name", "status", "agent", "pr mode"],
            [
                (
                    p.id,
                    "*" if p.id == current else "",
                    p.name,
                    p.status,
                    p.default_agent_name or "",
                    p.pr_mode_default,
                )
                for p in found
            ],
        )
    return 0


async def _add(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import projects

    async with workspace_session() as ws:
        project = await projects.add_project(ws.db, ws.identity.organization_id, args.name)
        values = await _values(ws, project.id, args)
        if values:
            project = await projects.set_project(ws.db, project.id, **values)
        current = ws.project_id
    _emit(project, current, args.json)
    return 0


async def _rename(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import projects

    async with workspace_session() as ws:
        project_id = await _project_id(ws, args.project)
        project = await projects.rename_project(ws.db, project_id, args.name)
        current = ws.project_id
    _emit(project, current, args.json)
    return 0


async def _archive(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import projects

    async with workspace_session() as ws:
        project_id = await _project_id(ws, args.project)
        project = await projects.archive_project(ws.db, project_id, archived=not args.restore)
        current = ws.project_id
    _emit(project, current, args.json)
    return 0


async def _set(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import projects

    async with workspace_session() as ws:
        project_id = await _project_id(ws, args.project)
        values = await _values(ws, project_id, args)
        if not values:
            raise UserError(
                "nothing to change; give at least one option (see 'project set --help')"
            )
        project = await projects.set_project(ws.db, project_id, **values)
        current = ws.project_id
    _emit(project, current, args.json)
    return 0
