"""``solo-unicorn project show|set``: the project's pull request settings.

``--pr-mode`` is what new missions get (``mission add --pr-mode`` overrides it per mission);
the template is added to every pull request body; the merge strategy and branch deletion are
what ``github merge`` and the board's "merge PR" use.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from solo_unicorn_tui.cli.output import add_action, add_json_flag, print_json
from solo_unicorn_tui.errors import UserError

if TYPE_CHECKING:
    from storage.models import Project


def register(sub: Any) -> None:
    parser = sub.add_parser("project", help="show or set the project's pull request settings")
    commands = parser.add_subparsers(dest="project_command", metavar="ACTION", required=True)
    add_action(commands, "show", "print the project's pull request settings", _show)
    setter = commands.add_parser("set", help="change the project's pull request settings")
    setter.add_argument(
        "--pr-mode",
        choices=("disabled", "enabled", "auto"),
        help="PR mode of new missions (auto: when the repository is on GitHub and a token is "
        "stored)",
    )
    setter.add_argument(
        "--pr-template", metavar="FILE", help="markdown added to every PR body ('' clears it)"
    )
    draft = setter.add_mutually_exclusive_group()
    draft.add_argument("--draft", dest="draft", action="store_true", default=None)
    draft.add_argument("--no-draft", dest="draft", action="store_false", help="open as drafts?")
    setter.add_argument("--merge-strategy", choices=("merge", "squash", "rebase"))
    branch = setter.add_mutually_exclusive_group()
    branch.add_argument("--delete-branch", dest="delete_branch", action="store_true", default=None)
    branch.add_argument(
        "--keep-branch",
        dest="delete_branch",
        action="store_false",
        help="delete the PR branch after merging (default) or keep it",
    )
    add_json_flag(setter)
    setter.set_defaults(handler=_set)


def _emit(project: Project, as_json: bool) -> None:
    data: dict[str, Any] = {
        "id": project.id,
        "name": project.name,
        "pr_mode_default": project.pr_mode_default,
        "pr_draft": project.pr_draft,
        "pr_merge_strategy": project.pr_merge_strategy,
        "pr_delete_branch_after_merge": project.pr_delete_branch_after_merge,
        "pr_template": project.pr_template,
    }
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        shown = "(none)" if value is None else value
        if key == "pr_template" and value:
            shown = f"{len(value.splitlines())} lines"
        print(f"{key:<30} {shown}")


def _template(path: str) -> str | None:
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read --pr-template {path}: {error}") from None


async def _show(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage.identity import get_project

    async with workspace_session() as ws:
        project = await get_project(ws.db, ws.project_id)
    _emit(project, args.json)
    return 0


async def _set(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage.project_pr_settings import update_pr_settings

    changes: dict[str, Any] = {}
    if args.pr_mode is not None:
        changes["pr_mode_default"] = args.pr_mode
    if args.pr_template is not None:
        changes["pr_template"] = _template(args.pr_template)
    if args.draft is not None:
        changes["pr_draft"] = args.draft
    if args.merge_strategy is not None:
        changes["pr_merge_strategy"] = args.merge_strategy
    if args.delete_branch is not None:
        changes["pr_delete_branch_after_merge"] = args.delete_branch
    if not changes:
        raise UserError("nothing to set; see 'solo-unicorn project set --help'")
    async with workspace_session() as ws:
        project = await update_pr_settings(ws.db, ws.project_id, **changes)
    _emit(project, args.json)
    return 0
