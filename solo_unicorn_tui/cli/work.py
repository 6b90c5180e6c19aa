"""``solo-unicorn work``: the headless dispatcher. Runs agents on ready missions until stopped."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from solo_unicorn_tui.runtime.core import Runtime
    from solo_unicorn_tui.runtime.events import RuntimeEvent

#: Wide enough for the longest session status (``rate_limited``), then one space.
STATUS_WIDTH = 12


def register(sub: Any) -> None:
    parser = sub.add_parser("work", help="run agents on ready missions until stopped (ctrl+c)")
    parser.add_argument(
        "--once",
        action="store_true",
        help="run every dispatchable mission to completion, then exit",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    # The board's detached runner: one session of a mission the board has claimed, then exit.
    parser.add_argument("--claimed", metavar="MISSION_ID", help=argparse.SUPPRESS)
    parser.add_argument("--session-id", help=argparse.SUPPRESS)
    parser.add_argument("--reason", default="run now", help=argparse.SUPPRESS)
    parser.set_defaults(handler=_work)


def _printer(quiet: bool) -> Callable[[RuntimeEvent], None]:
    from solo_unicorn_tui.runtime.events import DispatcherWaiting, SessionEnded, SessionStarted

    def show(event: RuntimeEvent) -> None:
        if quiet:
            return
        if isinstance(event, SessionStarted):
            print(
                f"{'started':<{STATUS_WIDTH}} {event.mission_id} stage {event.stage} "
                f"with {event.agent_name} "
                f"(session {event.session_id}, pid {event.pid})",
                flush=True,
            )
        elif isinstance(event, DispatcherWaiting):
            print(f"waiting: {event.reason}", flush=True)
        elif isinstance(event, SessionEnded):
            print(
                f"{event.status:<{STATUS_WIDTH}} {event.mission_id} {event.reason}; "
                f"now {event.mission_list}/{event.mission_stage}",
                flush=True,
            )

    return show


async def _work(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.runtime.core import Runtime
    from solo_unicorn_tui.workspace import workspace_session

    async with workspace_session() as ws:
        runtime = Runtime.from_workspace(ws)
        runtime.subscribe(_printer(args.quiet))
        if args.claimed:
            return await _run_claimed(runtime, args)
        await runtime.announce("online")
        try:
            return await _run(runtime, args)
        finally:
            # Marks the workstation offline too: others see it gone at once.
            await runtime.shutdown(cancel_running=True)


async def _run(runtime: Runtime, args: argparse.Namespace) -> int:
    for recovered in await runtime.recover():
        print(f"recovered {recovered.session_id}: {recovered.reason}", flush=True)
    if args.once:
        ended = await runtime.run_once()
        if not ended and not args.quiet:
            reason = runtime.dispatcher.idle_reason
            if reason == runtime.dispatcher.said:
                reason = None  # already said as "waiting: …"
            print(f"nothing to run{f' ({reason})' if reason else ''}")
        return 1 if any(e.status != "completed" for e in ended) else 0
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopping.set)
    runtime.start_dispatcher()
    if not args.quiet:
        print("working; press ctrl+c to stop (running sessions are cancelled)", flush=True)
    await stopping.wait()
    return 0


async def _run_claimed(runtime: Any, args: argparse.Namespace) -> int:
    """One session as a runner of its own: a stop signal cancels the agent the ordinary way
    (recorded as cancelled) instead of killing this process under it."""
    loop = asyncio.get_running_loop()
    starter = os.getppid()
    # While the board that started this runner watches, it announces the end; once it is gone
    # (this process was reparented), the runner does.
    runtime.notify_when = lambda: os.getppid() != starter
    task = asyncio.ensure_future(
        runtime.run_claimed(args.claimed, session_id=args.session_id, reason=args.reason)
    )

    def stop() -> None:
        for handle in runtime.running():
            handle.cancel("the runner was asked to stop")

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop)
    ended = await task
    await runtime.wait_idle()
    return 0 if ended.status == "completed" else 1
