"""Printing for commands: JSON for scripts, aligned text for people."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any


def print_json(data: Any) -> None:
    from solo_unicorn_tui.cli.safe_text import json_escape

    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(json_escape(text) + "\n")


def print_json_list(items: Iterable[Any], chunk: int = 500) -> None:
    """What ``print_json(list(items))`` prints, written ``chunk`` items at a time (a long list is
    never held whole, neither as objects nor as text; few writes, as one dump would make)."""
    from solo_unicorn_tui.cli.safe_text import json_escape

    encode = json.JSONEncoder(indent=2, ensure_ascii=False, default=str).encode
    write = sys.stdout.write
    parts: list[str] = []
    count = 0
    for item in items:
        parts.append(("[\n  " if not count else ",\n  ") + encode(item).replace("\n", "\n  "))
        count += 1
        if len(parts) >= chunk:
            write(json_escape("".join(parts)))
            parts.clear()
    parts.append("[]\n" if not count else "\n]\n")
    write(json_escape("".join(parts)))


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=False)]
    line = "  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=False))
    print(line.rstrip())
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())


def add_json_flag(parser: Any) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def add_action(
    commands: Any, name: str, help: str, handler: Any, *, takes_id: bool = False
) -> argparse.ArgumentParser:
    """One subcommand with ``--json``; ``takes_id`` adds the ``id`` of the thing it acts on."""
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help)
    if takes_id:
        parser.add_argument("id")
    add_json_flag(parser)
    parser.set_defaults(handler=handler)
    return parser


def print_mission(mission: Any, as_json: bool) -> None:
    """A mission (an ORM ``Mission`` or a row dict from the inline write path)."""
    from storage.mission_rows import mission_json

    if as_json:
        print_json(mission_json(mission))
    else:
        get = mission.get if isinstance(mission, dict) else lambda name: getattr(mission, name)
        ready = "ready" if get("ready") else "not ready"
        print(f"{get('id')}  [{get('list')}] P{get('priority')} {get('stage')} {ready}")
        print(f"  {get('title')}")


def print_deleted(ident: str, as_json: bool) -> None:
    if as_json:
        print_json({"id": ident, "deleted": True})
    else:
        print(f"deleted {ident}")
