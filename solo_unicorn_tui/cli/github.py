"""``solo-unicorn github login|logout|status|pr|refresh|merge``: the token PR mode uses (kept in
the OS keyring) and the pull requests it opened.

The token is read from the terminal without echo, from stdin (``--token-stdin``, or whenever
stdin is not a terminal) or from ``SOLO_UNICORN_GITHUB_TOKEN`` — never from the command line,
where other users could see it in the process list.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from solo_unicorn_tui.cli.output import add_action, print_json, print_mission, print_table
from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.home import Home


def register(sub: Any) -> None:
    parser = sub.add_parser("github", help="store or check the GitHub token used by PR mode")
    commands = parser.add_subparsers(dest="github_command", metavar="ACTION", required=True)

    login = add_action(
        commands,
        "login",
        "store a GitHub token in the OS keyring (prompt, --token-stdin or "
        "SOLO_UNICORN_GITHUB_TOKEN)",
        _login,
    )
    login.add_argument(
        "--token-stdin", "--stdin", dest="stdin", action="store_true", help="read it from stdin"
    )
    login.add_argument("--no-check", action="store_true", help="store without asking GitHub")

    add_action(commands, "logout", "remove the stored token", _logout)

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

    add_action(
        commands,
        "refresh",
        "update open pull requests from GitHub: state, reviews, checks, comments",
        _refresh,
    )
    merge = add_action(
        commands,
        "merge",
        "merge a mission's pull request (the project's merge strategy; mission → Done)",
        _merge,
    )
    merge.add_argument("id", help="mission id")
    feedback = add_action(
        commands,
        "feedback",
        "send a mission in Review back with its GitHub review comments as the feedback",
        _feedback,
    )
    feedback.add_argument("id", help="mission id")


def _api_url() -> str:
    from solo_unicorn_tui.config import load_settings

    return load_settings(Home.locate()).github_api_url


async def _who(api_url: str) -> str:
    from solo_unicorn_tui.runtime.github.client import client_from_settings

    async with client_from_settings(api_url) as client:
        return await client.current_user()


def _read_token(from_stdin: bool) -> tuple[str, str]:
    """The token and where it came from; stdin when asked, or when it is not a terminal."""
    env = os.environ.get("SOLO_UNICORN_GITHUB_TOKEN", "").strip()
    if env and not from_stdin:
        return env, "SOLO_UNICORN_GITHUB_TOKEN"
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().strip(), "stdin"
    try:
        return getpass.getpass("GitHub token (input hidden): ").strip(), "the prompt"
    except EOFError:
        return "", "the prompt"


async def _login(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.secrets import GITHUB_TOKEN, delete_secret, get_secret, set_secret

    token, source = _read_token(args.stdin)
    if not token:
        raise UserError(
            f"no GitHub token given ({source} was empty); nothing stored — paste one at the "
            "prompt, pipe it with --token-stdin, or set SOLO_UNICORN_GITHUB_TOKEN"
        )
    if any(c.isspace() for c in token):
        raise UserError("that is not a GitHub token (it contains spaces); nothing stored")
    previous = get_secret(GITHUB_TOKEN) if source != "SOLO_UNICORN_GITHUB_TOKEN" else None
    set_secret(GITHUB_TOKEN, token)
    api_url = _api_url()
    user = None
    if not args.no_check:
        try:
            user = await _who(api_url)
        except UserError:
            if previous:
                set_secret(GITHUB_TOKEN, previous)
            else:
                delete_secret(GITHUB_TOKEN)
            raise
    if args.json:
        print_json({"stored": True, "user": user, "api_url": api_url, "source": source})
    else:
        print(f"token from {source} stored{f' for {user}' if user else ''} ({api_url})")
    return 0


async def _logout(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.secrets import GITHUB_TOKEN, delete_secret, stored_secret

    had = stored_secret(GITHUB_TOKEN)
    if had:
        delete_secret(GITHUB_TOKEN)
    in_env = bool(os.environ.get("SOLO_UNICORN_GITHUB_TOKEN"))
    if args.json:
        print_json({"removed": had, "environment_token": in_env})
    elif had:
        print("removed the GitHub token from the OS keyring")
    else:
        print("no GitHub token was stored in the OS keyring; nothing removed")
    if in_env:
        print("SOLO_UNICORN_GITHUB_TOKEN is still set in this environment; unset it too")
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


def _pr_json(r: Any) -> dict[str, Any]:
    return {
        "mission_id": r.mission_id,
        "number": r.github_pr_number,
        "status": r.status,
        "url": r.github_pr_url,
        "review": r.review_status,
        "approvals": r.approved_reviews_count,
        "checks": r.checks_status,
        "mergeable_state": r.mergeable_state,
        "last_synced_at": r.last_synced_at.isoformat() if r.last_synced_at else None,
        "error": r.sync_error,
    }


async def _refresh(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.runtime.github import pr_refresh
    from solo_unicorn_tui.runtime.github.client import client_from_settings
    from solo_unicorn_tui.workspace import workspace_session
    from storage import pull_requests

    async with workspace_session() as ws:
        api_url = ws.settings.github_api_url
        report = await pr_refresh.refresh_open_pull_requests(
            ws.db, lambda: client_from_settings(api_url)
        )
        rows = await pull_requests.list_pull_requests(ws.db)
    if args.json:
        print_json([_pr_json(r) for r in rows])
    else:
        print_table(
            ["mission", "pr", "status", "review", "checks", "error"],
            [
                (
                    r.mission_id,
                    f"#{r.github_pr_number}",
                    r.status,
                    r.review_status or "",
                    r.checks_status or "",
                    r.sync_error or "",
                )
                for r in rows
            ],
        )
    if report.rate_limited:
        raise UserError(report.rate_limited)
    return 0


async def _merge(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.runtime.github import pr_refresh
    from solo_unicorn_tui.runtime.github.client import client_from_settings
    from solo_unicorn_tui.workspace import workspace_session
    from storage.missions import resolve_mission_id

    async with workspace_session() as ws:
        mission_id = await resolve_mission_id(ws.db, args.id)
        async with client_from_settings(ws.settings.github_api_url) as client:
            pr = await pr_refresh.merge_pull_request(ws.db, mission_id, client)
    if args.json:
        print_json(_pr_json(pr))
    else:
        print(f"pull request #{pr.github_pr_number} {pr.status}; mission {mission_id}")
    return 0


async def _feedback(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.runtime.github import pr_refresh
    from solo_unicorn_tui.workspace import workspace_session
    from storage.missions import resolve_mission_id
    from storage.review import reject_mission

    async with workspace_session() as ws:
        mission_id = await resolve_mission_id(ws.db, args.id)
        text = await pr_refresh.github_feedback(ws.db, mission_id)
        if text is None:
            raise UserError(
                f"mission {mission_id} has no new GitHub review comments; run "
                "'solo-unicorn github refresh' first"
            )
        mission = await reject_mission(ws.db, mission_id, text)
    print_mission(mission, args.json)
    return 0
