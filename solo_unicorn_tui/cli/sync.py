"""``solo-unicorn sync``: sync once, stay connected (``--watch``), or show the sync state."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from solo_unicorn_tui.cli.output import add_action, print_json

if TYPE_CHECKING:
    from solo_unicorn_tui.workspace import Workspace
    from sync.service import SyncStatus


def register(sub: Any) -> None:
    parser = sub.add_parser("sync", help="sync this replica with the shared server")
    parser.add_argument("--watch", action="store_true", help="stay connected and sync live")
    parser.add_argument("--join", metavar="ORG_ID", help="join this organization (fresh replica)")
    parser.add_argument(
        "--new-organization",
        action="store_true",
        help="add this replica's organization to a server that holds others",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    parser.add_argument(
        "--outbox-poll",
        type=_seconds,
        metavar="S",
        help="with --watch: check the outbox for new local writes every S seconds (default: "
        "2, or 0.2 where the replica's wake FIFO cannot be used; each write wakes the loop)",
    )
    parser.set_defaults(handler=_sync)
    commands = parser.add_subparsers(dest="sync_command", metavar="ACTION")
    add_action(commands, "status", "cursor, pending changes, last sync", _status)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.01 <= value <= 3600:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds from 0.01 to 3600, not {text!r}"
        )
    return value


def _progress(quiet: bool) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        if not quiet and total:
            print(f"pulled {done}/{total} rows", file=sys.stderr, flush=True)

    return report


async def _sync(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.cli.server import server_url
    from solo_unicorn_tui.secrets import SERVER_PASSWORD, get_secret
    from solo_unicorn_tui.workspace import workspace_session
    from sync.claims import ClaimClient
    from sync.connection import redact
    from sync.once import sync_once

    async with workspace_session() as ws:
        url = server_url(args, ws.home)
        password = get_secret(SERVER_PASSWORD)
        if args.watch:
            return await _watch(ws, url, password, args)
        report = await sync_once(
            ws.db,
            url,
            password,
            on_retry=lambda line: print(line, file=sys.stderr, flush=True),
            progress=_progress(args.quiet),
            join=args.join,
            allow_new_organization=args.new_organization,
        )
        claims = ClaimClient(
            ws.db, url, password, report_org(ws, report.joined), ws.identity.workstation_id
        )
        try:
            conflicts = await claims.reconcile()
        finally:
            await claims.close()
        if report.joined:
            print(f"joined organization {report.joined}")
        print(
            f"synced with {redact(url)}: pushed {report.pushed}, pulled {report.pulled}, "
            f"cursor {report.cursor}"
            + (f", {len(report.rejections)} rejected" if report.rejections else "")
        )
        for rejection in report.rejections:
            print(
                f"rejected change {rejection.change_id} ({rejection.table_name} "
                f"{rejection.row_id}): {rejection.reason}",
                file=sys.stderr,
            )
        for conflict in conflicts:
            print(
                f"claim conflict: mission {conflict.mission_id} is held by workstation "
                f"{conflict.holder_workstation_id}",
                file=sys.stderr,
            )
        return 0


def report_org(ws: Workspace, joined: str | None) -> str:
    return joined or ws.identity.organization_id


async def _watch(ws: Workspace, url: str, password: str | None, args: argparse.Namespace) -> int:
    import asyncio
    import contextlib
    import signal

    from sync.claims import ClaimClient
    from sync.service import SyncService

    last: list[str] = [""]

    def show(status: SyncStatus) -> None:
        line = status.describe()
        if status.state == "offline" and status.message:
            line = status.message
        elif status.state == "synced":
            line = f"synced · {status.pending} pending" if status.pending else "synced"
        if line != last[0] and not args.quiet:
            last[0] = line
            print(line, flush=True)

    service = SyncService(
        ws.db,
        url,
        password,
        interval_seconds=ws.settings.sync_interval_seconds,
        local_poll_seconds=args.outbox_poll,
        on_status=show,
        allow_new_organization=args.new_organization,
        claims=ClaimClient(
            ws.db, url, password, ws.identity.organization_id, ws.identity.workstation_id
        ),
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, service.stop)
    try:
        await service.run()
    finally:
        if service.claims is not None:
            await service.claims.close()
    return 0


def _status(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.cli.quick import reading
    from storage.quick_reads import outbox_count
    from sync import meta_keys as keys
    from sync.urls import redact

    with reading() as r:
        url, meta = r.server_url, r.replica.meta
        data = {
            "server_url": redact(url) if url else None,
            "organization_id": meta["organization_id"],
            "site_id": meta["site_id"],
            "cursor": int(meta.get(keys.CURSOR_KEY) or 0),
            "pending": outbox_count(r.replica),
            "last_sync_at": meta.get(keys.LAST_SYNC_KEY) or None,
            "last_error": meta.get(keys.LAST_ERROR_KEY) or None,
            "last_error_at": meta.get(keys.LAST_ERROR_AT_KEY) or None,
            "rejected": int(meta.get(keys.REJECTED_KEY) or 0),
            "last_rejection": meta.get(keys.LAST_REJECTION_KEY) or None,
        }
    if args.json:
        print_json(data)
    else:
        for key, value in data.items():
            print(f"{key:16} {'-' if value is None else value}")
    return 0
