"""``solo-unicorn ARGS`` run in the test's own process: the same entry point as the console
script (parsing, the one-line error handling, safe output), without a second interpreter's
start-up, for tests that make many calls. Tests of start-up, signals or real stdin bytes use
``tests.conftest.run_cli`` (a subprocess) instead."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

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


def one_line_error(result: Ran, *fragments: str) -> str:
    """The single ``solo-unicorn: error: …`` line ``result`` failed with (checked)."""
    assert result.returncode != 0 and result.stdout == "", result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("solo-unicorn: error: "), result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in lines[0], lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
