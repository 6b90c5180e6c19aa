"""``solo-unicorn project …``: the organization's projects (add, list, use, rename, archive, set).

A project is named by id, unique id suffix or name; ``show``, ``set`` and ``rename`` without one
act on the current project (the one the other commands use, chosen with ``use`` or on the
board). The current project and the last active one are not archived.

Pull request settings: ``--pr-mode`` is what new missions get (``mission add --pr-mode``
overrides it per mission); the template is added to every pull request body; the merge strategy
and branch deletion are what ``github merge`` and the review view's "merge PR" use.
"""

from __future__ import annotations

import argparse
import shlex
from typing import TYPE_CHECKING, Any

from solo_unicorn_tui.cli.output import add_action, print_json, print_table
from solo_unicorn_tui.errors import UserError

if TYPE_CHECKING:
    from solo_unicorn_tui.workspace import Workspace
    from storage.models import Project

PR_MODES_HELP = "disabled|enabled|auto"


def register(sub: Any) -> None:
    parser = sub.add_parser("project", help="add, list, show, rename, archive and set up projects")
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

    use = add_action(
        commands, "use", "make a project the current one (the board opens on it)", _use
    )
    use.add_argument("project", help="project id or name")

    archive = add_action(commands, "archive", "archive a project (hidden, kept)", _archive)
    archive.add_argument("project", help="project id or name")
    archive.add_argument("--restore", action="store_true", help="make it active again")

    shown = add_action(commands, "show", "print a project's defaults and PR settings", _show)
    shown.add_argument("project", nargs="?", help="project id or name (default: the current one)")

    setter = add_action(commands, "set", "change a project's defaults", _set)
    setter.add_argument("project", nargs="?", help="project id or name (default: the current one)")
    setter.add_argument("--name")
    _settings(setter)
    _pull_request_settings(setter)


def _settings(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--flow", metavar="FLOW", help="default flow (id or name)")
    parser.add_argument("--actor", metavar="ACTOR", help="default actor (id or name)")
    parser.add_argument(
        "--agent", metavar="PROFILE", help="default agent profile ('': the workstation's)"
    )
    parser.add_argument("--pr-mode", metavar="MODE", help=f"default PR mode: {PR_MODES_HELP}")


def _pull_request_settings(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pr-template", metavar="FILE", help="markdown added to every PR body ('' clears it)"
    )
    draft = parser.add_mutually_exclusive_group()
    draft.add_argument("--draft", dest="draft", action="store_true", default=None)
    draft.add_argument("--no-draft", dest="draft", action="store_false", help="open as drafts?")
    parser.add_argument("--merge-strategy", choices=("merge", "squash", "rebase"))
    branch = parser.add_mutually_exclusive_group()
    branch.add_argument("--delete-branch", dest="delete_branch", action="store_true", default=None)
    branch.add_argument(
        "--keep-branch",
        dest="delete_branch",
        action="store_false",
        help="delete the PR branch after merging (default) or keep it",
    )


def _pr_values(args: argparse.Namespace) -> dict[str, Any]:
    """The PR options of ``set``, as ``storage.project_pr_settings.update_pr_settings`` takes."""
    values: dict[str, Any] = {}
    if args.pr_template is not None:
        values["pr_template"] = _template(args.pr_template)
    if args.draft is not None:
        values["pr_draft"] = args.draft
    if args.merge_strategy is not None:
        values["pr_merge_strategy"] = args.merge_strategy
    if args.delete_branch is not None:
        values["pr_delete_branch_after_merge"] = args.delete_branch
    return values


def _template(path: str) -> str | None:
    """The ``--pr-template`` file's text ('' clears the template)."""
    from storage.documents import read_text_file
    from storage.project_pr_settings import TEMPLATE_MAX

    return read_text_file(path, "--pr-template", TEMPLATE_MAX) if path else None


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
        "pr_draft": project.pr_draft,
        "pr_merge_strategy": project.pr_merge_strategy,
        "pr_delete_branch_after_merge": project.pr_delete_branch_after_merge,
        "pr_template": project.pr_template,
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
    template = project.pr_template
    print(
        f"  PR: {'drafts' if project.pr_draft else 'ready for review'}, "
        f"merge by {project.pr_merge_strategy}, "
        f"{'delete' if project.pr_delete_branch_after_merge else 'keep'} the branch after, "
        f"template: {f'{len(template.splitlines())} lines' if template else '(none)'}"
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


async def _use(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.config import save_settings
    from solo_unicorn_tui.workspace import workspace_session
    from storage.identity import get_project

    async with workspace_session() as ws:
        project = await get_project(ws.db, await _project_id(ws, args.project))
        if project.status == "archived":
            raise UserError(
                f"project {project.name!r} is archived; restore it first: "
                f"solo-unicorn project archive {project.id} --restore"
            )
        save_settings(ws.home, {"project_id": project.id})
    _emit(project, project.id, args.json)
    return 0


async def _refuse_archiving(ws: Workspace, project_id: str) -> None:
    """The current project and the last active one are not archived (each says what to do)."""
    from storage.projects import list_projects

    active = await list_projects(ws.db, ws.identity.organization_id)
    named = {p.id: p.name for p in active}
    if project_id not in named:
        return
    if len(active) == 1:
        raise UserError(
            f"project {named[project_id]!r} is the only active project; add another first: "
            "solo-unicorn project add --name NAME"
        )
    if project_id == ws.project_id:
        other = next(p for p in active if p.id != project_id)
        raise UserError(
            f"project {named[project_id]!r} is the current project; switch first: "
            f"solo-unicorn project use {shlex.quote(other.name)}"
        )


async def _archive(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import projects

    async with workspace_session() as ws:
        project_id = await _project_id(ws, args.project)
        if not args.restore:
            await _refuse_archiving(ws, project_id)
        project = await projects.archive_project(ws.db, project_id, archived=not args.restore)
        current = ws.project_id
    _emit(project, current, args.json)
    return 0


async def _show(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage.identity import get_project

    async with workspace_session() as ws:
        project = await get_project(ws.db, await _project_id(ws, args.project))
        current = ws.project_id
    _emit(project, current, args.json)
    return 0


async def _set(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import projects
    from storage.project_pr_settings import update_pr_settings

    pr_values = _pr_values(args)
    async with workspace_session() as ws:
        project_id = await _project_id(ws, args.project)
        values = await _values(ws, project_id, args)
        if not values and not pr_values:
            raise UserError(
                "nothing to change; give at least one option (see 'project set --help')"
            )
        if values:
            project = await projects.set_project(ws.db, project_id, **values)
        if pr_values:
            project = await update_pr_settings(ws.db, project_id, **pr_values)
        current = ws.project_id
    _emit(project, current, args.json)
    return 0
