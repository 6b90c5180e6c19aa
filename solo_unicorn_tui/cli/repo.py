"""``solo-unicorn repo …``: link a local git repository to the project, list them.

``repo add`` reads the GitHub owner and name from the ``origin`` remote (github.com or the host
of ``github_api_url``); ``repo set NAME --github OWNER/NAME`` sets them by hand.
"""

from __future__ import annotations

import argparse
import shlex
from typing import TYPE_CHECKING, Any

from solo_unicorn_tui.cli.output import add_action, add_json_flag, print_json, print_table
from solo_unicorn_tui.errors import UserError

if TYPE_CHECKING:
    from storage.repositories import RepositoryLink


def register(sub: Any) -> None:
    parser = sub.add_parser("repo", help="link local git repositories to the project")
    commands = parser.add_subparsers(dest="repo_command", metavar="ACTION", required=True)

    add = add_action(commands, "add", "link a local git repository (default branch detected)", _add)
    add.add_argument("path", help="path of the repository's checkout")
    add.add_argument("--name", help="name missions use (default: the folder name)")
    add.add_argument(
        "--max-concurrent", type=int, help="missions that may run at once in it (default 1)"
    )

    settings = commands.add_parser(
        "set",
        help="worktree set-up: files to copy in, set-up and clean-up commands",
        description="Scripts are split like a shell would split them, then run as an argv "
        "list, never through a shell. Pass an empty string to clear one.",
    )
    settings.add_argument("name", help="repository name or id")
    settings.add_argument(
        "--copy-files",
        nargs="*",
        metavar="GLOB",
        help="ignored files to copy from the main checkout into each new worktree (.env …)",
    )
    settings.add_argument("--setup-script", metavar="COMMAND", help="run in each new worktree")
    settings.add_argument("--cleanup-script", metavar="COMMAND", help="run before removal")
    settings.add_argument(
        "--github",
        metavar="OWNER/NAME",
        help="the GitHub repository pull requests go to ('' forgets it)",
    )
    add_json_flag(settings)
    settings.set_defaults(handler=_set)

    add_action(commands, "list", "list the project's repositories", _list)


def _to_json(link: RepositoryLink, default: bool) -> dict[str, Any]:
    return {
        "id": link.id,
        "name": link.name,
        "default_branch": link.repository.default_branch,
        "max_concurrent_missions": link.repository.max_concurrent_missions,
        "path": link.main_path,
        "default": default,
        "copy_files": link.repository.copy_files or [],
        "setup_script": link.repository.setup_script,
        "cleanup_script": link.repository.cleanup_script,
        "github": _github(link),
    }


def _github(link: RepositoryLink) -> str | None:
    repo = link.repository
    return f"{repo.github_owner}/{repo.github_name}" if repo.github_owner else None


async def _add(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.runtime.git_repos import inspect_repository
    from solo_unicorn_tui.runtime.github.remote import github_home, web_url
    from solo_unicorn_tui.workspace import workspace_session
    from storage.repositories import link_repository, list_repositories, set_github_repository

    info = inspect_repository(args.path)
    async with workspace_session() as ws:
        home = github_home(info.origin_url, ws.settings.github_api_url)
        link = await link_repository(
            ws.db,
            ws.project_id,
            ws.identity.workstation_id,
            name=args.name or info.name,
            main_path=str(info.path),
            default_branch=info.default_branch,
            max_concurrent_missions=args.max_concurrent,
        )
        if home is not None and link.repository.github_owner is None:
            url = web_url(*home, ws.settings.github_api_url)
            await set_github_repository(ws.db, link.id, *home, url)
        links = await list_repositories(ws.db, ws.project_id, ws.identity.workstation_id)
    is_default = links[0].id == link.id
    if args.json:
        print_json(_to_json(next(found for found in links if found.id == link.id), is_default))
    else:
        link = next(found for found in links if found.id == link.id)
        on_github = f", GitHub {_github(link)}" if _github(link) else ""
        print(
            f"linked {link.name} ({info.path}, branch {info.default_branch}{on_github}) "
            f"as {link.id}"
        )
    return 0


def _split(command: str, option: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError as error:
        raise UserError(f"{option}: cannot split {command!r}: {error}") from None


async def _set(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage.repositories import find_repository, update_repository_settings

    changes: dict[str, Any] = {}
    if args.copy_files is not None:
        changes["copy_files"] = args.copy_files
    if args.setup_script is not None:
        changes["setup_script"] = _split(args.setup_script, "--setup-script")
    if args.cleanup_script is not None:
        changes["cleanup_script"] = _split(args.cleanup_script, "--cleanup-script")
    owner, name = _owner_name(args.github) if args.github is not None else (None, None)
    if not changes and args.github is None:
        raise UserError(
            "nothing to set; give --copy-files, --setup-script, --cleanup-script or --github"
        )
    async with workspace_session() as ws:
        link = await find_repository(ws.db, ws.project_id, ws.identity.workstation_id, args.name)
        if changes:
            await update_repository_settings(ws.db, link.id, **changes)
        if args.github is not None:
            from solo_unicorn_tui.runtime.github.remote import web_url
            from storage.repositories import set_github_repository

            url = web_url(owner, name, ws.settings.github_api_url) if owner and name else None
            await set_github_repository(ws.db, link.id, owner, name, url)
            changes["github"] = args.github
        link = await find_repository(ws.db, ws.project_id, ws.identity.workstation_id, link.id)
    if args.json:
        print_json(_to_json(link, False))
    else:
        print(f"updated {link.name}: " + ", ".join(sorted(changes)))
    return 0


def _owner_name(text: str) -> tuple[str | None, str | None]:
    if not text.strip():
        return None, None
    owner, _, name = text.strip().removesuffix(".git").partition("/")
    if not owner or not name or "/" in name:
        raise UserError(f"--github {text!r}: give OWNER/NAME, e.g. --github acme/widgets")
    return owner, name


async def _list(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage.repositories import list_repositories

    async with workspace_session() as ws:
        links = await list_repositories(ws.db, ws.project_id, ws.identity.workstation_id)
    if args.json:
        print_json([_to_json(link, i == 0) for i, link in enumerate(links)])
        return 0
    print_table(
        ["name", "branch", "max", "github", "path", "id"],
        [
            (
                link.name + (" *" if i == 0 else ""),
                link.repository.default_branch,
                link.repository.max_concurrent_missions,
                _github(link) or "-",
                link.main_path or "(not linked here)",
                link.id,
            )
            for i, link in enumerate(links)
        ],
    )
    return 0
