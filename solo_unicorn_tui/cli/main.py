"""Entry point of ``solo-unicorn``: parse, run one command, turn every failure into one line.

Each module in this package that defines ``register(subparsers)`` adds its subcommands; a
subcommand sets ``handler`` to an ``async def handler(args) -> int``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from solo_unicorn_tui import __version__
from solo_unicorn_tui.errors import UserError
from storage.errors import StorageError

log = logging.getLogger(__name__)

EXIT_ERROR = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"solo-unicorn: error: {message} (see '{self.prog} --help')\n")


#: Commands that open the board: their start-up skips importing every other command group
#: (SQLAlchemy, the runtime, sync …), which the first frame does not need.
BOARD_COMMANDS = ("board", "demo")
#: Commands that import only their own module: ``mcp`` starts once per agent session.
SOLO_COMMANDS = ("mcp",)


def build_parser(only: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="solo-unicorn",
        description="A terminal kanban board that runs AI code agents on missions. "
        "With no command, opens the board.",
    )
    parser.add_argument("--version", action="version", version=f"solo-unicorn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    package = importlib.import_module("solo_unicorn_tui.cli")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name in ("main", "output") or (only is not None and info.name not in only):
            continue
        module = importlib.import_module(f"solo_unicorn_tui.cli.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def fail(message: str, code: int = EXIT_ERROR) -> int:
    print(f"solo-unicorn: error: {message}", file=sys.stderr)
    return code


def _only_module(arguments: list[str]) -> tuple[str, ...] | None:
    """The one command module ``arguments`` need, when they need just one."""
    if _opens_board(arguments):
        return ("board",)
    first = next((a for a in arguments if not a.startswith("-")), None)
    return (first,) if first in SOLO_COMMANDS else None


def _opens_board(arguments: list[str]) -> bool:
    first = next((a for a in arguments if not a.startswith("-")), None)
    if first is None:
        return not {"-h", "--help", "--version"} & set(arguments)
    return first in BOARD_COMMANDS


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=_only_module(arguments))
    args = parser.parse_args(arguments)
    if args.command is None:
        args = parser.parse_args(["board", *arguments])
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.parse_args([args.command, "--help"])
        return EXIT_USAGE
    if args.command in BOARD_COMMANDS:
        return _run(args, handler)
    from solo_unicorn_tui.cli.safe_text import safe_output

    # Commands print text from agents and other replicas: no raw control bytes reach the terminal.
    with safe_output(sys):
        return _run(args, handler)


def _run(args: argparse.Namespace, handler: Any) -> int:
    try:
        return asyncio.run(handler(args)) or 0
    except (UserError, StorageError) as error:
        return fail(str(error))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (``| head``) went away: stop quietly, as Unix tools do.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except Exception as error:
        log.exception("unexpected error in %s", args.command)
        return fail(
            f"unexpected {type(error).__name__}: {error} (details in the log under "
            "~/.solo-unicorn/logs; please report it)"
        )


if __name__ == "__main__":
    sys.exit(main())
