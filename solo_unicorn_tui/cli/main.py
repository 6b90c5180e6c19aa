"""Entry point of ``solo-unicorn``: parse, run one command, turn every failure into one line.

:data:`COMMANDS` names every command, its module and its one-line help. ``--help`` and an unknown
command are answered from that table alone; a command's module is imported only when that
command runs (or its own ``--help`` is asked), so a call pays only for what it uses. A command
module defines ``register(subparsers)``, which adds its parser(s) and sets ``handler`` to
``def handler(args) -> int`` or ``async def handler(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from solo_unicorn_tui import __version__
from solo_unicorn_tui.errors import UserError
from storage.errors import StorageError

EXIT_ERROR = 1
EXIT_USAGE = 2

_CLI = "solo_unicorn_tui.cli"

#: Command → (module that registers it, its one-line help), in the order ``--help`` lists them.
#: Add a command with one line here; the help must be the one its module's ``register`` gives
#: (tests/cli/test_cli.py checks both).
COMMANDS: dict[str, tuple[str, str]] = {
    "actor": (f"{_CLI}.actor", "list, add and edit actors (agent personas)"),
    "agent": (f"{_CLI}.agent", "list, add and remove code agent profiles"),
    "board": (f"{_CLI}.board", "open the board on the local replica (the default)"),
    "demo": (f"{_CLI}.board", "open the board on a throwaway replica filled with sample missions"),
    "doctor": (f"{_CLI}.doctor", "check home, replica, schema, git, keyring and server"),
    "fallback": (f"{_CLI}.fallback", "Mission Fallback: templates that refill a low backlog"),
    "gc": (
        f"{_CLI}.gc",
        "prune old finished sessions, session logs, fallback runs, deleted rows and app logs",
    ),
    "flow": (f"{_CLI}.flow", "list, add and edit flows (the stages a mission walks)"),
    "github": (f"{_CLI}.github", "store or check the GitHub token used by PR mode"),
    "mcp": (f"{_CLI}.mcp", "serve this project's board to an agent over MCP (stdio)"),
    "memory": (f"{_CLI}.memory", "show or set the project memory (markdown)"),
    "mission": (f"{_CLI}.mission", "add, list, show, move, update and delete missions"),
    "project": (f"{_CLI}.project", "add, list, show, rename, archive and set up projects"),
    "repo": (f"{_CLI}.repo", "link local git repositories to the project"),
    "server": (f"{_CLI}.server", "set up the shared PostgreSQL sync server"),
    "stats": (
        f"{_CLI}.stats",
        "per agent: missions completed, failure rate, mean duration, last used",
    ),
    "sync": (f"{_CLI}.sync", "sync this replica with the shared server"),
    "work": (f"{_CLI}.work", "run agents on ready missions until stopped (ctrl+c)"),
    "worktree": (f"{_CLI}.worktree", "list and clean mission worktrees"),
}

#: Commands that open the board (no safe-output wrapper: the board owns the terminal).
BOARD_COMMANDS = ("board", "demo")
DEFAULT_COMMAND = "board"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"solo-unicorn: error: {message} (see '{self.prog} --help')\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported, the others are listed from the table.

    ``command=None`` imports no command module (enough for ``--help`` and unknown commands).
    """
    parser = _Parser(
        prog="solo-unicorn",
        description="A terminal kanban board that runs AI code agents on missions. "
        "With no command, opens the board.",
    )
    parser.add_argument("--version", action="version", version=f"solo-unicorn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    wanted = COMMANDS[command][0] if command in COMMANDS else None
    for name, (module_name, help_text) in COMMANDS.items():
        if name in sub.choices:
            continue
        if module_name == wanted:
            importlib.import_module(module_name).register(sub)
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def _command_of(arguments: Sequence[str]) -> str | None:
    """The command ``arguments`` name (the board when none), or None for top-level help."""
    first = next((a for a in arguments if not a.startswith("-")), None)
    if first is None:
        return None if {"-h", "--help", "--version"} & set(arguments) else DEFAULT_COMMAND
    return first


def fail(message: str, code: int = EXIT_ERROR) -> int:
    print(f"solo-unicorn: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_of(arguments))
    args = parser.parse_args(arguments)
    if args.command is None:
        args = parser.parse_args([DEFAULT_COMMAND, *arguments])
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
        result = handler(args)
        if hasattr(result, "__await__"):
            import asyncio

            result = asyncio.run(result)
        return result or 0
    except (UserError, StorageError) as error:
        return fail(str(error))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (``| head``) went away: stop quietly, as Unix tools do.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except Exception as error:
        import logging

        logging.getLogger(__name__).exception("unexpected error in %s", args.command)
        return fail(
            f"unexpected {type(error).__name__}: {error} (details in the log under "
            "~/.solo-unicorn/logs; please report it)"
        )


if __name__ == "__main__":
    sys.exit(main())
