"""``solo-unicorn gc``: prune old finished sessions, logs and fallback runs (see settings)."""

from __future__ import annotations

import argparse
from typing import Any

from solo_unicorn_tui.cli.output import add_action, print_json


def register(sub: Any) -> None:
    parser = add_action(
        sub,
        "gc",
        "prune old finished sessions, session logs, fallback runs, deleted rows and app logs",
        _gc,
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="report what would go; delete nothing"
    )


async def _gc(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.runtime.disk import human_size
    from solo_unicorn_tui.runtime.retention import collect_garbage
    from solo_unicorn_tui.workspace import workspace_session

    async with workspace_session() as ws:
        report = await collect_garbage(
            ws.db, ws.home, ws.settings, ws.identity.workstation_id, dry_run=args.dry_run
        )
    if args.json:
        print_json(report.to_json())
        return 0
    verb = "would prune" if report.dry_run else "pruned"
    keep = ws.settings.retention
    print(
        f"{verb}: {report.sessions} sessions (ended > {keep.sessions_days:g} days ago), "
        f"{report.session_logs} session logs (> {keep.logs_days:g} days), "
        f"{report.fallback_runs} fallback runs with {report.fallback_items} items "
        f"(> {keep.fallback_runs_days:g} days), {report.tombstones} deleted rows "
        f"(> {keep.tombstones_days:g} days), {report.app_logs} app logs "
        f"(> {keep.app_log_days} days); {human_size(report.bytes_freed)} freed"
    )
    return 0
