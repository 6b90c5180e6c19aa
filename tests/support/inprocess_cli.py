"""``solo-unicorn ARGS`` run in the test's own process: the same entry point as the console
script (parsing, the one-line error handling, safe output), without a second interpreter's
start-up, for tests that make many calls. Tests of start-up, signals or real stdin bytes use
``tests.conftest.run_cli`` (a subprocess) instead."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import io
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from solo_unicorn_tui.app_log import DailyLogHandler
from solo_unicorn_tui.cli.main import main


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def in_process(capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    def run(*args: str) -> Ran:
        code = main(list(args))
        out = capsys.readouterr()
        return Ran(code, out.out, out.err)

    return run


def run_in_process(
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    cwd: str | Path | None = None,
) -> Ran:
    """``run_cli``'s twin in this process: ``env`` on top of this process's environment,
    ``input`` as stdin (empty when None, as a non-interactive shell's), the exit code of a usage
    error (``SystemExit``) as the return code, and the app log closed again afterwards (the next
    command, on another home, opens its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run(args, env, input, cwd)
    # Called from an async test: the command's own asyncio.run needs a thread without a loop
    # (the test's loop waits, as it would for a subprocess.run).
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(_run, args, env, input, cwd).result()


def _run(
    args: tuple[str, ...], env: dict[str, str] | None, input: str | None, cwd: str | Path | None
) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    with _environment(env or {}), _stdin(input or ""), contextlib.chdir(cwd or os.getcwd()):
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(list(args))
                except SystemExit as exit_:
                    code = exit_.code if isinstance(exit_.code, int) else 1
        finally:
            _close_app_log()
    return Ran(code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _stdin(text: str) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = saved


def _close_app_log() -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, DailyLogHandler)]:
        root.removeHandler(handler)
        handler.close()


def one_line_error(result: Ran, *fragments: str) -> str:
    """The single ``solo-unicorn: error: …`` line ``result`` failed with (checked)."""
    assert result.returncode != 0 and result.stdout == "", result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("solo-unicorn: error: "), result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in lines[0], lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
