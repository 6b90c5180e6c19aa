"""``solo-unicorn memory show|set``: the project memory that goes into every agent prompt."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from solo_unicorn_tui.cli.output import add_action, print_json


def register(sub: Any) -> None:
    parser = sub.add_parser("memory", help="show or set the project memory (markdown)")
    commands = parser.add_subparsers(dest="memory_command", metavar="ACTION", required=True)

    add_action(commands, "show", "print the project memory", _show)

    setter = add_action(commands, "set", "replace the project memory", _set)
    source = setter.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", metavar="FILE", help="read it from FILE ('-': stdin)")
    source.add_argument("--text")


async def _show(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage.memory import get_memory

    async with workspace_session() as ws:
        memory = await get_memory(ws.db, ws.project_id)
    if args.json:
        print_json({"project_id": ws.project_id, "memory": memory})
    else:
        print(memory if memory else "(the project memory is empty)")
    return 0


async def _set(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import documents
    from storage.memory import MEMORY_MAX, set_memory

    if args.file == "-":
        text = sys.stdin.read()
    elif args.file is not None:
        text = documents.read_text_file(args.file, "--file", MEMORY_MAX)
    else:
        text = args.text
    async with workspace_session() as ws:
        memory = await set_memory(ws.db, ws.project_id, text)
    if args.json:
        print_json({"project_id": ws.project_id, "memory": memory})
    else:
        print(f"project memory set ({len(memory):,} characters)")
    return 0
