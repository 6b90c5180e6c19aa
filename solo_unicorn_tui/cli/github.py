"""``solo-unicorn github login|logout|status``: the token PR mode uses, kept in the OS keyring.

The token is read from the terminal without echo, or from stdin (``--stdin``) — never from the
command line, where other users could see it in the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from solo_unicorn_tui.cli.output import add_action, print_json, print_table
from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.home import Home


def register(sub: Any) -> None:
    parser = sub.add_parser("github", help="store or check the GitHub token used by PR mode")
    commands = parser.add_subparsers(dest="github_command", metavar="ACTION", required=True)

    login = add_action(commands, "login", "store a GitHub token in the OS keyring", _login)
    login.add_argument("--stdin", action="store_true", help="read the token from stdin")
    login.add_argument("--no-check", action="store_true", help="store without asking GitHub")

    logout = commands.add_parser("logout", help="remove the stored token")
    logout.set_defaults(handler=_logout)

    add_action(commands, "status", "check the stored token against the GitHub API", _status)

    pr = add_action(
        commands,
        "pr",
        "push a mission's branch and open its pull request (or retry after a failure)",
        _pr,
    )
    pr.add_argument("id", help="mission id")
    pr.add_argument("--worktree", metavar="PATH", help="default: the mission's worktree")
    pr.add_argument("--remote", default="origin")

    add_action(commands, "refresh", "update the state of open pull requests from GitHub", _refresh)


def _api_url() -> str:
    from solo_unicorn_tui.config import load_settings

    return load_settings(Home.locate()).github_api_url


async def _who(api_url: str) -> str:
    from solo_unicorn_tui.runtime.github.client import client_from_settings

    async with client_from_settings(api_url) as client:
        return await client.current_user()


async def _login(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.secrets import GITHUB_TOKEN, delete_secret, set_secret

    if args.stdin:
        token = sys.stdin.readline().strip()
    else:
        token = getpass.getpass("GitHub token (input hidden): ").strip()
    if not token or any(c.isspace() for c in token):
        raise UserError("that is not a GitHub token (empty or contains spaces); nothing stored")
    set_secret(GITHUB_TOKEN, token)
    api_url = _api_url()
    user = None
    if not args.no_check:
        try:
            user = await _who(api_url)
        except UserError:
            delete_secret(GITHUB_TOKEN)
            raise
    if args.json:
        print_json({"stored": True, "user": user, "api_url": api_url})
    else:
        print(f"token stored{f' for {user}' if user else ''} ({api_url})")
    return 0


async def _logout(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.secrets import GITHUB_TOKEN, delete_secret

    delete_secret(GITHUB_TOKEN)
    print("GitHub token removed")
    return 0


async def _status(args: argparse.Namespace) -> int:
    api_url = _api_url()
    user = await _who(api_url)
    if args.json:
        print_json({"user": user, "api_url": api_url})
    else:
        print(f"logged in to {api_url} as {user}")
    return 0


async def _pr(args: argparse.Namespace) -> int:
    # GitPython fails at import when git is missing; only this command needs it.
    from solo_unicorn_tui.runtime.github import pr_mode
    from solo_unicorn_tui.runtime.github.client import client_from_settings
    from solo_unicorn_tui.workspace import workspace_session
    from storage.missions import resolve_mission_id
    from storage.worktrees import mission_worktree

    async with workspace_session() as ws:
        mission_id = await resolve_mission_id(ws.db, args.id)
        worktree = Path(args.worktree) if args.worktree else None
        if worktree is None:
            tree = await mission_worktree(ws.db, mission_id, ws.identity.workstation_id)
            worktree = Path(tree.worktree_path) if tree else None
        if worktree is None or not worktree.is_dir():
            raise UserError(
                f"mission {mission_id} has no worktree on this machine; pass --worktree PATH"
            )
        async with client_from_settings(ws.settings.github_api_url) as client:
            outcome = await pr_mode.open_pull_request(
                ws.db, mission_id, worktree, client, remote=args.remote
            )
    pull = outcome.pull_request
    if outcome.error or pull is None:
        raise UserError(outcome.error or "the pull request was not opened")
    if args.json:
        print_json(
            {"mission_id": mission_id, "number": pull.github_pr_number, "url": pull.github_pr_url}
        )
    else:
        print(f"pull request #{pull.github_pr_number} opened: {pull.github_pr_url}")
    return 0


async def _refresh(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.runtime.github import pr_mode
    from solo_unicorn_tui.runtime.github.client import client_from_settings
    from solo_unicorn_tui.workspace import workspace_session
    from storage import pull_requests

    async with workspace_session() as ws:
        api_url = ws.settings.github_api_url
        await pr_mode.refresh_open_pull_requests(ws.db, lambda: client_from_settings(api_url))
        rows = await pull_requests.list_pull_requests(ws.db)
    if args.json:
        print_json(
            [
                {
                    "mission_id": r.mission_id,
                    "number": r.github_pr_number,
                    "status": r.status,
                    "url": r.github_pr_url,
                    "error": r.sync_error,
                }
                for r in rows
            ]
        )
    else:
        print_table(
            ["mission", "pr", "status", "error"],
            [(r.mission_id, f"#{r.github_pr_number}", r.status, r.sync_error or "") for r in rows],
        )
    return 0
