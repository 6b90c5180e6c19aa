"""Taking a mission over by hand: a shell or the editor, started in the mission's worktree.

The program comes from ``$SHELL`` or ``$VISUAL``/``$EDITOR`` and is split into an argv list
(``EDITOR="code -w"`` is a program and its flag), never handed to a shell. The board suspends
itself around :func:`run_in_worktree` so the program owns the terminal.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from solo_unicorn_tui.errors import UserError

Tool = Literal["shell", "editor"]


def takeover_argv(tool: Tool, worktree: Path, environ: Mapping[str, str] = os.environ) -> list[str]:
    """The argv that opens ``tool`` on ``worktree`` (the editor gets the directory to open)."""
    if tool == "shell":
        spec, fallback, variable = environ.get("SHELL", ""), "/bin/sh", "SHELL"
    else:
        variable = "VISUAL" if environ.get("VISUAL") else "EDITOR"
        spec, fallback = environ.get(variable, ""), "vi"
    try:
        argv = shlex.split(spec) if spec.strip() else [fallback]
    except ValueError as error:
        raise UserError(f"${variable} is not a valid command ({error}); fix it and retry") from None
    return [*argv, str(worktree)] if tool == "editor" else argv


def run_in_worktree(argv: list[str], worktree: Path) -> int:
    """Run ``argv`` in ``worktree`` on this terminal until it exits; its exit code."""
    if not worktree.is_dir():
        raise UserError(f"the worktree {worktree} is gone; run the mission again to make it")
    try:
        return subprocess.run(argv, cwd=worktree, check=False).returncode
    except FileNotFoundError:
        raise UserError(f"{argv[0]!r} was not found; set $SHELL or $EDITOR to a program") from None
    except PermissionError:
        raise UserError(f"{argv[0]!r} is not executable; check $SHELL or $EDITOR") from None
