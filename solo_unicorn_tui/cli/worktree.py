"""``solo-unicorn worktree …``: list mission worktrees, clean old ones."""

from __future__ import annotations

import argparse
from typing import Any

from solo_unicorn_tui.cli.output import add_action, print_json, print_table


def register(sub: Any) -> None:
    parser = sub.add_parser("worktree", help="list and clean mission worktrees")
    commands = parser.add_subparsers(dest="worktree_command", metavar="ACTION", required=True)

    add_action(commands, "list", "list this workstation's worktrees", _list)

    clean = add_action(
        commands, "clean", "remove worktrees unused for a while (never ones holding work)", _clean
    )
    clean.add_argument("--days", type=float, help="idle days (default: worktree_idle_days, 7)")
    clean.add_argument(
        "--force", action="store_true", help="also remove ones with uncommitted/unpushed work"
    )


async def _list(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.runtime.core import Runtime
    from solo_unicorn_tui.workspace import workspace_session

    async with workspace_session() as ws:
        snapshot = await Runtime.from_workspace(ws).snapshot()
    rows = [
        {
            "id": w.worktree_id,
            "mission_id": w.mission_id,
            "branch": w.branch,
            "path": w.path,
            "status": w.status,
            "dirty": w.dirty,
            "unpushed": w.unpushed,
            "last_used_at": w.last_used_at.isoformat() if w.last_used_at else None,
        }
        for w in snapshot.worktrees
    ]
    if args.json:
        print_json(rows)
        return 0
    print_table(
        ["branch", "status", "dirty", "unpushed", "path"],
        [
            (r["branch"], r["status"], "*" if r["dirty"] else "", r["unpushed"] or "", r["path"])
            for r in rows
        ],
    )
    return 0


async def _clean(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.runtime.core import Runtime
    from solo_unicorn_tui.workspace import workspace_session

    async with workspace_session() as ws:
        results = await Runtime.from_workspace(ws).clean_worktrees(
            force=args.force, idle_days=args.days
        )
    if args.json:
        print_json([r.__dict__ for r in results])
        return 0
    for r in results:
        print(f"{'removed' if r.removed else 'kept   '}  {r.branch}  {r.reason}")
    if not results:
        print("no worktrees")
    return 0
