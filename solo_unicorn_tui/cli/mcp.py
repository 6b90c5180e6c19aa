"""``solo-unicorn mcp``: serve the board to one agent session over the Model Context Protocol.

An agent CLI starts it (see :mod:`solo_unicorn_tui.mcp.wiring`); it speaks MCP on stdin and
stdout until the agent closes them. Only the handler imports the SDK, so registering the
command costs nothing to the other commands.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

MISSION_ENV = "SOLO_UNICORN_MISSION_ID"


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "mcp",
        help="serve this project's board to an agent over MCP (stdio)",
        description="An MCP server on stdin/stdout for one agent session: tools to read the "
        "mission and report its solution, tasks and clarification, propose follow-up missions "
        "and browse this project's missions. Agent sessions get it configured by the runner.",
    )
    parser.add_argument(
        "--mission",
        metavar="ID",
        default=None,
        help=f"the session's mission (default: ${MISSION_ENV}); the tools write only to it",
    )
    parser.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    """Find the binding over ``sqlite3`` (a bad mission fails here, in one line), then serve:
    the agent's handshake does not wait for SQLAlchemy (see :mod:`solo_unicorn_tui.mcp.binding`)."""
    import asyncio

    from solo_unicorn_tui.app_log import DEFAULT_KEEP_DAYS, setup_logging
    from solo_unicorn_tui.cli.quick import reading
    from solo_unicorn_tui.mcp.binding import quick_binding

    mission = args.mission or os.environ.get(MISSION_ENV) or None
    with reading() as found:
        found.home.ensure()
        setup_logging(found.home.logs_dir, DEFAULT_KEEP_DAYS)
        binding = quick_binding(found.replica, found.home.replica, found.project_id, mission)
    from solo_unicorn_tui.mcp.server import serve

    try:
        asyncio.run(serve(binding))
    except BaseExceptionGroup as group:
        # The agent closed the pipe while an answer was on its way: its session is over.
        _, others = group.split((BrokenPipeError, ConnectionResetError))
        if others is not None:
            raise others from None
    return 0
